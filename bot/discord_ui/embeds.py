"""Pure functions from the shared dataclasses to :class:`discord.Embed`.

Every embed the bot sends is built here and nowhere else (cogs only pick which one). Each
function respects Discord's limits (title 256, description 4096, field name 256, field value
1024, footer 2048, 25 fields, 6000 characters in total), shortens long text with an ellipsis by
characters (Korean is three bytes a character but one character), and escapes markdown in every
piece of untrusted text (titles, authors, summaries, labels) so ``<EOS>``, ``A*`` or
``GPT-[n]`` show literally.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence

import discord

from bot.i18n import catalog, phrases
from bot.i18n.catalog import tr, trn
from bot.i18n.words import ELLIPSIS, one_line, shorten
from storage.models import (
    AuthorProfile,
    Bullet,
    Page,
    Paper,
    SearchHit,
    Snippet,
)
from storage.text import CONTROL_RE

TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FIELD_COUNT_LIMIT = 25
FOOTER_LIMIT = 2048
AUTHOR_NAME_LIMIT = 256
TOTAL_LIMIT = 6000
#: Choice names and values in autocomplete are limited to 100 characters.
CHOICE_LIMIT = 100

COLOUR = discord.Colour(0xFFD21E)  # the Hugging Face yellow
ERROR_COLOUR = discord.Colour.red()
NOTE_COLOUR = discord.Colour.light_grey()

#: How each sort order of a search is said (``order.*`` messages).
SORT_ORDERS = {
    "relevance": "order.relevance",
    "votes": "order.votes",
    "newest": "order.newest",
}

_LINE_START_RE = re.compile(r"^(\s*)(?:([#>\-+])|(\d+)\.)", re.MULTILINE)


# -- text helpers -------------------------------------------------------------------------


def escape(text: str) -> str:
    """Escape markdown in untrusted text so it shows literally in Discord.

    ``discord.utils.escape_markdown`` covers ``* _ ~ | ` >``-quotes and code; on top of that the
    line-start syntax (headers, quotes, lists) and link brackets are escaped, and mentions are
    broken up for display (``allowed_mentions`` already stops them from pinging). Control
    characters (a NUL someone typed) are dropped: Discord shows nothing for them at best.
    """
    text = discord.utils.escape_markdown(CONTROL_RE.sub("", text))
    text = text.replace("[", "\\[").replace("]", "\\]")
    text = _LINE_START_RE.sub(_escape_line_start, text)
    return discord.utils.escape_mentions(text)


def _escape_line_start(match: re.Match[str]) -> str:
    indent, symbol, number = match.groups()
    return f"{indent}\\{symbol}" if symbol else f"{indent}{number}\\."


def link(text: str, url: str | None, *, limit: int = 200) -> str:
    """A masked link ``[text](url)`` with the text escaped and shortened; plain text without url."""
    shown = escape(shorten(one_line(text), limit))
    if not url:
        return shown
    return f"[{shown}]({_safe_url(url)})"


def format_date(day: dt.date | None) -> str:
    """``Thu, Jun 13, 2024`` / ``2024년 6월 13일 (목)``; an em dash for no date."""
    if day is None:
        return "—"
    return catalog.date(day)


def iso_day(day: dt.date | None) -> str:
    """``2024-06-13`` (compact, in lists); an em dash for no date."""
    return day.isoformat() if day is not None else "—"


def format_votes(votes: int | None) -> str:
    """``▲ 47``; ``▲ –`` when the digest did not record votes."""
    return f"▲ {catalog.number(votes)}" if votes is not None else "▲ –"


def format_authors(
    authors: Sequence[str], *, limit: int = FIELD_VALUE_LIMIT, truncated: bool = False
) -> str:
    """Authors joined by commas, cut at a name boundary with ``... +N more`` to fit ``limit``.

    ``truncated`` says the digest itself cut the list short (a lone ``+``): then the text ends in
    ``+ more`` even when every known name fits.
    """
    if not authors:
        return tr("authors.unknown") if not truncated else tr("authors.cut_short")
    names = [escape(one_line(name)) for name in authors]
    tail_extra = " " + tr("authors.more") if truncated else ""
    full = ", ".join(names) + tail_extra
    if len(full) <= limit:
        return full
    shown: list[str] = []
    used = 0
    for index, name in enumerate(names):
        rest = len(names) - index - 1
        sep = ", " if shown else ""
        # Room for this name plus the suffix that would follow if we stopped after it.
        after = " " + tr("authors.n_more", count=rest) if rest else tail_extra
        if used + len(sep) + len(name) + len(after) > limit:
            if not shown:  # a single name longer than the limit: cut the name itself
                return shorten(name, limit - len(after)) + after
            return ", ".join(shown) + " " + tr("authors.n_more", count=len(names) - index)
        shown.append(name)
        used += len(sep) + len(name)
    return ", ".join(shown) + tail_extra  # pragma: no cover - the full text fitted above


def format_bullet(bullet: Bullet) -> str:
    """One summary bullet: ``• **Label**: text`` (label and text escaped)."""
    text = escape(bullet.text.strip())
    if bullet.label:
        return f"• **{escape(bullet.label.strip())}**: {text}"
    return f"• {text}"


def format_snippet(snippet: Snippet, *, limit: int = 300) -> str:
    """A search snippet with the matched parts in bold, every part escaped, within ``limit``.

    Built part by part so a cut never leaves an unclosed ``**``.
    """
    out: list[str] = []
    used = 0
    budget = limit - len(ELLIPSIS)
    for raw, matched in snippet:
        if not raw:
            continue
        core = one_line(raw)
        lead = " " if raw[:1].isspace() else ""
        trail = " " if raw[-1:].isspace() and core else ""
        if not core:
            piece = " "
        elif matched:
            piece = f"{lead}**{escape(core)}**{trail}"
        else:
            piece = f"{lead}{escape(core)}{trail}"
        if used + len(piece) > budget:
            room = budget - used
            if not matched and room > 0:
                out.append(shorten(piece, room + len(ELLIPSIS)))
            else:
                out.append(ELLIPSIS)
            return "".join(out).strip()
        out.append(piece)
        used += len(piece)
    return "".join(out).strip()


def days_text(paper: Paper, *, limit: int = FIELD_VALUE_LIMIT) -> str:
    """The day(s) a paper appeared, with that day's votes."""
    if not paper.days:
        return "—"
    parts = [f"{format_date(a.date)} {format_votes(a.votes)}" for a in paper.days]
    text = "\n".join(parts)
    if len(text) <= limit:
        return text
    # Keep the first and the newest days.
    head = parts[:3]
    tail = parts[-3:]
    hidden = len(parts) - len(head) - len(tail)
    return shorten("\n".join([*head, trn("paper.days_hidden", hidden), *tail]), limit)


def choice_name(text: str) -> str:
    """An autocomplete choice label: one line, at most 100 characters (no markdown there)."""
    return shorten(one_line(text), CHOICE_LIMIT) or "?"


def _safe_url(url: str) -> str:
    """A URL that cannot end a markdown link early."""
    return url.replace(")", "%29").replace(" ", "%20")


def link_row(paper: Paper, *, abstract: bool = True, extras: bool = True) -> str:
    """``[Abstract](…) · [PDF](…) · [Hugging Face](…)`` and more (:func:`phrases.paper_links`)."""
    links = phrases.paper_links(paper, abstract=abstract, extras=extras)
    return " · ".join(f"[{label}]({_safe_url(url)})" for label, url in links)


# -- limits ----------------------------------------------------------------------------------


def fit(embed: discord.Embed) -> discord.Embed:
    """Enforce every per-part limit and the 6000 total on ``embed`` (in place; also returned).

    Over the total, fields are dropped from the end, then the description is shortened: the
    message is always one the API accepts.
    """
    if embed.title:
        embed.title = shorten(embed.title, TITLE_LIMIT)
    if embed.description:
        embed.description = shorten(embed.description, DESCRIPTION_LIMIT)
    if embed.author and embed.author.name:
        embed.set_author(
            name=shorten(embed.author.name, AUTHOR_NAME_LIMIT),
            url=embed.author.url,
            icon_url=embed.author.icon_url,
        )
    if embed.footer and embed.footer.text:
        embed.set_footer(
            text=shorten(embed.footer.text, FOOTER_LIMIT), icon_url=embed.footer.icon_url
        )
    fields = embed.fields[:FIELD_COUNT_LIMIT]
    embed.clear_fields()
    for f in fields:
        embed.add_field(
            name=shorten(f.name or "\u200b", FIELD_NAME_LIMIT),
            value=shorten(f.value or "\u200b", FIELD_VALUE_LIMIT),
            inline=bool(f.inline),
        )
    while len(embed) > TOTAL_LIMIT and embed.fields:
        embed.remove_field(len(embed.fields) - 1)
    if len(embed) > TOTAL_LIMIT and embed.description:
        over = len(embed) - TOTAL_LIMIT
        embed.description = shorten(embed.description, max(1, len(embed.description) - over))
    if len(embed) > TOTAL_LIMIT and embed.footer and embed.footer.text:
        embed.remove_footer()
    return embed


def _embed(
    *,
    title: str | None = None,
    url: str | None = None,
    description: str | None = None,
    colour=COLOUR,
) -> discord.Embed:
    return discord.Embed(title=title, url=url, description=description, colour=colour)


# -- papers ----------------------------------------------------------------------------------


def paper_embed(paper: Paper, *, note: str | None = None) -> discord.Embed:
    """The full card for one paper (``/paper``).

    Title linked to the abstract, every author (shortened ``... +N more``), votes (and their rise
    since the paper's day), the day(s) it appeared, the image when Discord can show it, the
    summary bullets with their labels (for a paper without an archive summary, the generated
    Korean bullets under a machine-written note naming the model), links to the PDF, the Hugging
    Face page, GitHub with its stars and the project page, the API's summary, organisation,
    comment count and keywords.
    """
    embed = _embed(title=escape(one_line(paper.title)), url=paper.abs_url)
    generated = None if paper.has_archive_summary else paper.generated
    bullets = [format_bullet(b) for b in (generated.bullets if generated else paper.summary)]
    description = "\n".join(bullets) if bullets else f"*{tr('paper.no_summary')}*"
    if generated:
        model = escape(shorten(one_line(generated.model), 80))
        description = f"*{tr('paper.generated', model=model)}*\n{description}"
    if note:
        description = f"*{escape(note)}*\n\n{description}"
    embed.description = description
    embed.add_field(
        name=tr(
            "paper.field.authors_cut" if paper.authors_truncated else "paper.field.authors",
            count=catalog.number(len(paper.authors)),
        ),
        value=format_authors(paper.authors, truncated=paper.authors_truncated),
        inline=False,
    )
    votes = format_votes(paper.votes)
    if paper.vote_rise:
        votes = tr("paper.votes_rise", votes=votes, rise=catalog.number(paper.vote_rise))
    embed.add_field(name=tr("paper.field.votes"), value=votes, inline=True)
    days = len(paper.days)
    label = tr("paper.field.appeared") if days <= 1 else trn("paper.field.appeared_days", days)
    embed.add_field(name=label, value=days_text(paper), inline=True)
    embed.add_field(name=tr("paper.field.links"), value=link_row(paper), inline=True)
    if paper.ai_summary:
        embed.add_field(
            name=tr("paper.field.ai_summary"),
            value=escape(shorten(one_line(paper.ai_summary), FIELD_VALUE_LIMIT - 64)),
            inline=False,
        )
    if paper.organization:
        embed.add_field(
            name=tr("paper.field.organization"),
            value=escape(shorten(one_line(paper.organization), 200)),
            inline=True,
        )
    if paper.comments:
        embed.add_field(
            name=tr("paper.field.comments"), value=catalog.number(paper.comments), inline=True
        )
    if paper.keywords:
        embed.add_field(
            name=tr("paper.field.keywords"),
            value=shorten(", ".join(escape(one_line(k)) for k in paper.keywords), 512),
            inline=False,
        )
    if paper.media is not None and paper.media.is_embeddable_image:
        embed.set_image(url=paper.media.url)
    embed.set_footer(text=f"{paper.arxiv_id} · {phrases.credit()}")
    return fit(embed)


def paper_line(
    paper: Paper, rank: int, *, votes: int | None = None, day: dt.date | None = None
) -> str:
    """One numbered line of a paper list: rank, linked title, votes (and optionally the day)."""
    shown_votes = paper.votes if votes is None else votes
    extra = f" · {day.isoformat()}" if day else ""
    title = link(paper.title, paper.abs_url, limit=180)
    return f"`{rank:>2}.` {title}\n  {format_votes(shown_votes)}{extra}"


def _votes_on(paper: Paper, day: dt.date) -> int | None:
    for appearance in paper.days:
        if appearance.date == day:
            return appearance.votes
    return paper.votes


def paper_list_embed(
    title: str,
    page: Page[Paper],
    *,
    note: str | None = None,
    order: str,
    empty: str,
    day: dt.date | None = None,
    show_day: bool = False,
) -> discord.Embed:
    """A numbered list of papers: ``title``, an optional note, and "Showing a-b of N"
    (``order`` says how they are sorted; ``empty`` is the text for no papers).

    ``day`` picks which day's votes to show; ``show_day`` adds each paper's first day.
    """
    lines = []
    for index, paper in enumerate(page.items, start=page.offset + 1):
        votes = _votes_on(paper, day) if day else None
        lines.append(
            paper_line(paper, index, votes=votes, day=paper.last_day if show_day else None)
        )
    body = "\n".join(lines) if lines else empty
    header = f"*{escape(note)}*\n\n" if note else ""
    embed = _embed(title=title, description=_join_within(header, lines, body))
    embed.set_footer(text=f"{count_line(page, 'count.papers', order)} · {phrases.credit()}")
    return fit(embed)


def _join_within(header: str, lines: list[str], fallback: str) -> str:
    """Header plus as many whole lines as fit in the description limit."""
    if not lines:
        return header + fallback
    out = header
    for index, line in enumerate(lines):
        piece = line if index == 0 else "\n" + line
        if len(out) + len(piece) > DESCRIPTION_LIMIT - 40:
            return out + "\n" + trn("list.not_shown", len(lines) - index)
        out += piece
    return out


def count_line(page: Page, noun: str, order: str | None = None) -> str:
    """``Showing 1-10 of 34 papers, by votes`` (``34 papers`` when one page holds all; ``of
    more than 1,000 results`` when the page says there are more than it counted); ``noun`` is
    the plural message counting the items (``count.papers``)."""
    shown = len(page.items)
    counted = trn(noun, page.total)
    if page.more:  # a search counts up to 1,000: "more than 1,000 results"
        counted = tr("list.more", count=counted)
    first = page.offset + 1
    last = page.offset + shown
    if shown and (page.more or not (first == 1 and last >= page.total)):
        counted = tr("list.showing", first=first, last=last, total=counted)
    return tr("list.ordered", count=counted, order=order) if order else counted


def day_list_embed(day: dt.date, page: Page[Paper], *, note: str | None = None) -> discord.Embed:
    """``/today`` and ``/day``: that day's papers by votes."""
    return paper_list_embed(
        day_title(day),
        page,
        note=note,
        order=tr("order.votes"),
        day=day,
        empty=tr("day.empty"),
    )


def day_title(day: dt.date) -> str:
    """``Daily Papers · Thu, Jun 13, 2024``: a day's list, and a digest post."""
    return tr("day.title", day=format_date(day))


def top_list_embed(label: str, page: Page[Paper], *, note: str | None = None) -> discord.Embed:
    """``/top``: papers in a range by their best votes."""
    return paper_list_embed(
        tr("top.title", label=label),
        page,
        note=note,
        order=tr("order.votes"),
        show_day=True,
        empty=tr("top.empty"),
    )


def missing_day_embed(
    day: dt.date, before: dt.date | None, after: dt.date | None, *, note: str | None = None
) -> discord.Embed:
    """A day without a digest, naming the nearest days that have one."""
    nearest = [tr("day.missing.before", day=format_date(before)) if before else None]
    nearest.append(tr("day.missing.after", day=format_date(after)) if after else None)
    shown = [n for n in nearest if n]
    text = tr("day.missing.text", day=format_date(day))
    if shown:
        text += "\n" + tr("day.missing.nearest", days=", ".join(shown))
        text += "\n" + tr("day.missing.try")
    else:
        text += "\n" + tr("day.missing.none")
    if note:
        text += f"\n\n*{escape(note)}*"
    return fit(_embed(title=tr("day.missing.title"), description=text, colour=NOTE_COLOUR))


# -- search ----------------------------------------------------------------------------------


def search_embed(
    query: str, page: Page[SearchHit], *, sort: str = "relevance", note: str | None = None
) -> discord.Embed:
    """One page of search results: each hit's linked title, votes, day and bold-matched snippet."""
    lines = []
    for rank, hit in enumerate(page.items, start=page.offset + 1):
        paper = hit.paper
        title = link(paper.title, paper.abs_url, limit=180)
        line = f"`{rank:>2}.` {title}\n  {format_votes(paper.votes)} · {iso_day(paper.last_day)}"
        snippet = format_snippet(hit.snippet)
        if snippet:
            line += f"\n  {snippet}"
        lines.append(line)
    header = f"*{escape(note)}*\n\n" if note else ""
    title = tr("search.title", query=escape(shorten(one_line(query), 200)))
    embed = _embed(title=title, description=_join_within(header, lines, tr("search.empty")))
    order = tr(SORT_ORDERS.get(sort, "order.relevance"))
    embed.set_footer(text=f"{count_line(page, 'count.results', order)} · {phrases.credit()}")
    return fit(embed)


def nothing_found_embed(query: str, suggestions: Iterable[str] = ()) -> discord.Embed:
    """No search results: say so and suggest what to try."""
    tips = list(suggestions) or [
        tr("search.try.fewer_words"),
        tr("search.try.languages"),
        tr("search.try.wider_range"),
        tr("search.try.arxiv_id"),
    ]
    text = tr("search.nothing", query=escape(shorten(one_line(query), 200))) + "\n"
    text += tr("search.try") + "\n" + "\n".join(f"• {tip}" for tip in tips)
    return fit(_embed(title=tr("search.nothing.title"), description=text, colour=NOTE_COLOUR))


# -- authors ---------------------------------------------------------------------------------


def author_embed(profile: AuthorProfile) -> discord.Embed:
    """An author card: papers, total votes, first and last appearance, co-authors, papers."""
    author = profile.author
    embed = _embed(title=escape(shorten(one_line(author.name), 200)))
    embed.add_field(
        name=tr("author.field.papers"), value=catalog.number(author.paper_count), inline=True
    )
    embed.add_field(
        name=tr("author.field.votes"), value=catalog.number(profile.total_votes), inline=True
    )
    embed.add_field(
        name=tr("paper.field.appeared"),
        value=tr(
            "author.field.span",
            first=format_date(profile.first_day),
            last=format_date(profile.last_day),
        ),
        inline=True,
    )
    if profile.coauthors:
        co = ", ".join(
            f"{escape(one_line(c.author.name))} ({c.shared_papers})" for c in profile.coauthors
        )
        embed.add_field(
            name=tr("author.field.coauthors"), value=shorten(co, FIELD_VALUE_LIMIT), inline=False
        )
    page = profile.papers
    lines = []
    for rank, paper in enumerate(page.items, start=page.offset + 1):
        lines.append(
            f"`{rank:>2}.` {link(paper.title, paper.abs_url, limit=150)}"
            f" · {format_votes(paper.votes)} · {iso_day(paper.last_day)}"
        )
    heading = f"**{tr('author.papers_heading')}**\n"
    embed.description = _join_within(heading, lines, tr("list.empty"))
    order = tr("order.newest")
    embed.set_footer(text=f"{count_line(page, 'count.papers', order)} · {phrases.credit()}")
    return fit(embed)


# -- messages --------------------------------------------------------------------------------


def error_embed(message: str, *, title: str | None = None) -> discord.Embed:
    """An expected failure: what went wrong and what to do (message is ours, not escaped);
    the title defaults to "Can't do that"."""
    heading = title if title is not None else tr("error.title")
    return fit(_embed(title=heading, description=message, colour=ERROR_COLOUR))


def note_embed(message: str, *, title: str) -> discord.Embed:
    """A neutral message (nothing there, try something else); ``message`` is ours."""
    return fit(_embed(title=title, description=message, colour=NOTE_COLOUR))


def apology_embed() -> discord.Embed:
    """An unexpected failure: a short apology (the details are in the log)."""
    return fit(
        _embed(
            title=tr("error.apology.title"),
            description=tr("error.apology.text"),
            colour=ERROR_COLOUR,
        )
    )


def help_embed(commands: Sequence[tuple[str, str, str]]) -> discord.Embed:
    """``/help``: each command with its description and an example, and the data credit.

    ``commands`` holds ``(name, description, example)``, in the reader's language.
    """
    embed = _embed(title="papers-bot", description=tr("help.intro"))
    for name, description, example in commands[: FIELD_COUNT_LIMIT - 1]:
        value = tr("help.command", description=description, example=example)
        embed.add_field(name=f"/{name}", value=value, inline=False)
    embed.add_field(
        name=tr("help.data.title"),
        value=tr(
            "help.data.text",
            source=phrases.DATA_SOURCE,
            source_url=phrases.DATA_SOURCE_URL,
            licence=phrases.DATA_LICENCE,
            licence_url=phrases.DATA_LICENCE_URL,
        ),
        inline=False,
    )
    embed.set_footer(text=phrases.credit())
    return fit(embed)
