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

from bot.i18n import en
from bot.i18n.words import ELLIPSIS, one_line, plural, shorten
from storage.models import (
    AuthorProfile,
    Bullet,
    Page,
    Paper,
    SearchHit,
    Snippet,
)

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

CREDIT = en.CREDIT

_LINE_START_RE = re.compile(r"^(\s*)(?:([#>\-+])|(\d+)\.)", re.MULTILINE)


# -- text helpers -------------------------------------------------------------------------


def escape(text: str) -> str:
    """Escape markdown in untrusted text so it shows literally in Discord.

    ``discord.utils.escape_markdown`` covers ``* _ ~ | ` >``-quotes and code; on top of that the
    line-start syntax (headers, quotes, lists) and link brackets are escaped, and mentions are
    broken up for display (``allowed_mentions`` already stops them from pinging).
    """
    text = discord.utils.escape_markdown(text)
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
    """``2024-06-13 (Thu)``; an em dash for no date."""
    if day is None:
        return "—"
    return f"{day.isoformat()} ({en.weekday(day)[:3]})"


def format_votes(votes: int | None) -> str:
    """``▲ 47``; ``▲ –`` when the digest did not record votes."""
    return f"▲ {votes}" if votes is not None else "▲ –"


def format_authors(
    authors: Sequence[str], *, limit: int = FIELD_VALUE_LIMIT, truncated: bool = False
) -> str:
    """Authors joined by commas, cut at a name boundary with ``... +N more`` to fit ``limit``.

    ``truncated`` says the digest itself cut the list short (a lone ``+``): then the text ends in
    ``+ more`` even when every known name fits.
    """
    if not authors:
        return "Unknown" if not truncated else "(list cut short in the digest)"
    names = [escape(one_line(name)) for name in authors]
    tail_extra = " + more" if truncated else ""
    full = ", ".join(names) + tail_extra
    if len(full) <= limit:
        return full
    shown: list[str] = []
    used = 0
    for index, name in enumerate(names):
        rest = len(names) - index - 1
        sep = ", " if shown else ""
        # Room for this name plus the suffix that would follow if we stopped after it.
        after = f" ... +{rest} more" if rest else tail_extra
        if used + len(sep) + len(name) + len(after) > limit:
            if not shown:  # a single name longer than the limit: cut the name itself
                return shorten(name, limit - len(after)) + after
            return ", ".join(shown) + f" ... +{len(names) - index} more"
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
    return shorten("\n".join([*head, f"... {hidden} more days ...", *tail]), limit)


def choice_name(text: str) -> str:
    """An autocomplete choice label: one line, at most 100 characters (no markdown there)."""
    return shorten(one_line(text), CHOICE_LIMIT) or "?"


def _safe_url(url: str) -> str:
    """A URL that cannot end a markdown link early."""
    return url.replace(")", "%29").replace(" ", "%20")


def link_row(paper: Paper, *, abstract: bool = True, extras: bool = True) -> str:
    """``[Abstract](…) · [PDF](…) · [Hugging Face](…)`` and more (:func:`en.paper_links`)."""
    links = en.paper_links(paper, abstract=abstract, extras=extras)
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

    Title linked to the abstract, every author (shortened ``... +N more``), votes, the day(s) it
    appeared, the image when Discord can show it, the summary bullets with their labels, and links
    to the PDF and the Hugging Face page.
    """
    embed = _embed(title=escape(one_line(paper.title)), url=paper.abs_url)
    bullets = [format_bullet(b) for b in paper.summary]
    description = "\n".join(bullets) if bullets else "*No summary in the digest.*"
    if note:
        description = f"*{escape(note)}*\n\n{description}"
    embed.description = description
    embed.add_field(
        name=f"Authors ({len(paper.authors)}{'+' if paper.authors_truncated else ''})",
        value=format_authors(paper.authors, truncated=paper.authors_truncated),
        inline=False,
    )
    embed.add_field(name="Votes", value=format_votes(paper.votes), inline=True)
    label = "Appeared" if len(paper.days) <= 1 else f"Appeared ({len(paper.days)} days)"
    embed.add_field(name=label, value=days_text(paper), inline=True)
    embed.add_field(name="Links", value=link_row(paper), inline=True)
    if paper.ai_summary:
        embed.add_field(
            name="AI summary (Hugging Face)",
            value=escape(shorten(one_line(paper.ai_summary), FIELD_VALUE_LIMIT - 64)),
            inline=False,
        )
    if paper.keywords:
        embed.add_field(
            name="Keywords",
            value=shorten(", ".join(escape(one_line(k)) for k in paper.keywords), 512),
            inline=False,
        )
    if paper.media is not None and paper.media.is_embeddable_image:
        embed.set_image(url=paper.media.url)
    embed.set_footer(text=f"{paper.arxiv_id} · {CREDIT}")
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
    order: str = "by votes",
    day: dt.date | None = None,
    show_day: bool = False,
    empty: str = "No papers.",
) -> discord.Embed:
    """A numbered list of papers: ``title``, an optional note, and "Showing a-b of N".

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
    embed.set_footer(text=f"{count_line(page, 'paper', order)} · {CREDIT}")
    return fit(embed)


def _join_within(header: str, lines: list[str], fallback: str) -> str:
    """Header plus as many whole lines as fit in the description limit."""
    if not lines:
        return header + fallback
    out = header
    for index, line in enumerate(lines):
        piece = line if index == 0 else "\n" + line
        if len(out) + len(piece) > DESCRIPTION_LIMIT - 40:
            return out + f"\n… {len(lines) - index} more on this page not shown"
        out += piece
    return out


def count_line(page: Page, noun: str, order: str | None = None) -> str:
    """``Showing 1-10 of 34 papers, by votes`` (``34 papers`` when one page holds all)."""
    shown = len(page.items)
    total = page.total
    sort = f", {order}" if order else ""
    if shown == 0:
        return f"{plural(total, noun)}{sort}"
    first = page.offset + 1
    last = page.offset + shown
    if first == 1 and last >= total:
        return f"{plural(total, noun)}{sort}"
    return f"Showing {first}-{last} of {plural(total, noun)}{sort}"


def day_list_embed(day: dt.date, page: Page[Paper], *, note: str | None = None) -> discord.Embed:
    """``/today`` and ``/day``: that day's papers by votes."""
    return paper_list_embed(
        f"Daily Papers · {format_date(day)}",
        page,
        note=note,
        order="by votes",
        day=day,
        empty="This day's digest lists no papers.",
    )


def top_list_embed(label: str, page: Page[Paper], *, note: str | None = None) -> discord.Embed:
    """``/top``: papers in a range by their best votes."""
    return paper_list_embed(
        f"Top papers · {label}",
        page,
        note=note,
        order="by votes",
        show_day=True,
        empty="No papers in this range.",
    )


def missing_day_embed(
    day: dt.date, before: dt.date | None, after: dt.date | None, *, note: str | None = None
) -> discord.Embed:
    """A day without a digest, naming the nearest days that have one."""
    nearest = [f"before: **{format_date(before)}**" if before else None]
    nearest.append(f"after: **{format_date(after)}**" if after else None)
    shown = [n for n in nearest if n]
    text = f"There is no digest for **{format_date(day)}**."
    if shown:
        text += "\nNearest days with one: " + ", ".join(shown) + "."
        text += "\nTry `/day` with one of those dates (the date option autocompletes)."
    else:
        text += "\nThe database has no digests at all yet."
    if note:
        text += f"\n\n*{escape(note)}*"
    return fit(_embed(title="No digest that day", description=text, colour=NOTE_COLOUR))


# -- search ----------------------------------------------------------------------------------


def search_embed(
    query: str, page: Page[SearchHit], *, sort: str = "relevance", note: str | None = None
) -> discord.Embed:
    """One page of search results: each hit's linked title, votes, day and bold-matched snippet."""
    lines = []
    for rank, hit in enumerate(page.items, start=page.offset + 1):
        paper = hit.paper
        day = paper.last_day.isoformat() if paper.last_day else "—"
        title = link(paper.title, paper.abs_url, limit=180)
        line = f"`{rank:>2}.` {title}\n  {format_votes(paper.votes)} · {day}"
        snippet = format_snippet(hit.snippet)
        if snippet:
            line += f"\n  {snippet}"
        lines.append(line)
    header = f"*{escape(note)}*\n\n" if note else ""
    title = f"Search: {shorten(one_line(query), 200)}"
    embed = _embed(title=escape(title), description=_join_within(header, lines, "No results."))
    embed.set_footer(text=f"{count_line(page, 'result', f'by {sort}')} · {CREDIT}")
    return fit(embed)


def nothing_found_embed(query: str, suggestions: Iterable[str] = ()) -> discord.Embed:
    """No search results: say so and suggest what to try."""
    tips = list(suggestions) or [
        "fewer or shorter words (e.g. `diffusion` instead of `diffusion models for video`)",
        "English or Korean keywords (e.g. `모델`, `benchmark`)",
        "a wider date range, or none",
        "an arXiv id such as `2406.06523` to open one paper",
    ]
    text = f"Nothing matched **{escape(shorten(one_line(query), 200))}**.\nTry:\n"
    text += "\n".join(f"• {tip}" for tip in tips)
    return fit(_embed(title="No results", description=text, colour=NOTE_COLOUR))


# -- authors ---------------------------------------------------------------------------------


def author_embed(profile: AuthorProfile) -> discord.Embed:
    """An author card: papers, total votes, first and last appearance, co-authors, papers."""
    author = profile.author
    embed = _embed(title=escape(shorten(one_line(author.name), 200)))
    embed.add_field(name="Papers", value=f"{author.paper_count:,}", inline=True)
    embed.add_field(name="Total votes", value=f"{profile.total_votes:,}", inline=True)
    embed.add_field(
        name="Appeared",
        value=f"first {format_date(profile.first_day)}\nlast {format_date(profile.last_day)}",
        inline=True,
    )
    if profile.coauthors:
        co = ", ".join(
            f"{escape(one_line(c.author.name))} ({c.shared_papers})" for c in profile.coauthors
        )
        embed.add_field(
            name="Frequent co-authors", value=shorten(co, FIELD_VALUE_LIMIT), inline=False
        )
    page = profile.papers
    lines = []
    for rank, paper in enumerate(page.items, start=page.offset + 1):
        day = paper.last_day.isoformat() if paper.last_day else "—"
        lines.append(
            f"`{rank:>2}.` {link(paper.title, paper.abs_url, limit=150)}"
            f" · {format_votes(paper.votes)} · {day}"
        )
    embed.description = _join_within("**Papers, newest first**\n", lines, "No papers.")
    embed.set_footer(text=f"{count_line(page, 'paper', 'newest first')} · {CREDIT}")
    return fit(embed)


# -- messages --------------------------------------------------------------------------------


def error_embed(message: str, *, title: str = "Can't do that") -> discord.Embed:
    """An expected failure: what went wrong and what to do (message is ours, not escaped)."""
    return fit(_embed(title=title, description=message, colour=ERROR_COLOUR))


def note_embed(message: str, *, title: str) -> discord.Embed:
    """A neutral message (nothing there, try something else); ``message`` is ours."""
    return fit(_embed(title=title, description=message, colour=NOTE_COLOUR))


def apology_embed() -> discord.Embed:
    """An unexpected failure: a short apology (the details are in the log)."""
    return fit(
        _embed(
            title="Something went wrong",
            description="Sorry, that command failed unexpectedly. It has been logged; "
            "please try again in a moment.",
            colour=ERROR_COLOUR,
        )
    )


def help_embed(commands: Sequence[tuple[str, str, str]]) -> discord.Embed:
    """``/help``: each command with its description and an example, and the data credit.

    ``commands`` holds ``(name, description, example)``.
    """
    embed = _embed(
        title="papers-bot",
        description=(
            "Hugging Face Daily Papers with Korean summaries: browse days, the top papers, "
            "authors, and search in English or Korean."
        ),
    )
    for name, description, example in commands[: FIELD_COUNT_LIMIT - 1]:
        embed.add_field(name=f"/{name}", value=f"{description}\ne.g. `{example}`", inline=False)
    embed.add_field(
        name="Data",
        value=(
            f"Summaries from [{en.DATA_SOURCE}]({en.DATA_SOURCE_URL}), licensed "
            f"[{en.DATA_LICENCE}]({en.DATA_LICENCE_URL}): credited here, no commercial use. "
            "Papers from [Hugging Face Daily Papers](https://huggingface.co/papers)."
        ),
        inline=False,
    )
    embed.set_footer(text=CREDIT)
    return fit(embed)
