"""Rich renderables for the terminal: the console's counterpart of the Discord embeds.

Pure functions from answers/models to rich objects. All text from digests is untrusted: it is
either passed as :class:`rich.text.Text` (never parsed as markup) or escaped with
:func:`rich.markup.escape` before it goes into a markup string. Long text is cut by characters
(Korean is three bytes a character; never cut bytes).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from rich import box
from rich.console import Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bot.i18n import catalog, phrases
from bot.i18n.catalog import tr, trn
from bot.i18n.words import ELLIPSIS, one_line, shorten
from storage.models import (
    MediaKind,
    Page,
    Paper,
    SavedPaper,
    SearchHit,
    SimilarPapers,
    Snippet,
)

if TYPE_CHECKING:
    from bot.core.answers import AuthorAnswer, DayAnswer, SearchAnswer, TopAnswer
    from bot.core.research import RisingAnswer

TITLE_CHARS: Final = 160
AUTHOR_NAMES: Final = 3
SNIPPET_CHARS: Final = 220
BULLET_CHARS: Final = 600
PAPER_AUTHORS: Final = 40
#: How the words a search matched are shown.
MATCH_STYLE: Final = "bold yellow"

#: Each console command as typed, and the message saying what it does.
#: How a search's sort order is said (``order.*`` messages).
SORT_ORDERS: Final = {
    "relevance": "order.relevance",
    "votes": "order.votes",
    "newest": "order.newest",
}
#: How a paper's media kind is named.
MEDIA_KINDS: Final[dict[MediaKind, str]] = {
    "image": "console.paper.image",
    "video": "console.paper.video",
}

HELP_COMMANDS: Final = (
    ("today [N]", "console.help.today"),
    ("day DATE [N]", "console.help.day"),
    ("top [week|month|year|all] [N]", "console.help.top"),
    ("top since DATE [until DATE]", "console.help.top_range"),
    ("paper ID", "console.help.paper"),
    ("author NAME", "console.help.author"),
    ("search QUERY", "console.help.search"),
    ("next / prev / page N", "console.help.paging"),
    ("save ID / unsave ID", "console.help.save"),
    ("saved", "console.help.saved"),
    ("saved export bibtex|markdown|csv [FILE]", "console.help.saved_export"),
    ("similar ID", "console.help.similar"),
    ("trends TERM... [month|quarter|year|all]", "console.help.trends"),
    ("top rising [week|month|year|all] [N]", "console.help.top_rising"),
    ("help", "console.help.help"),
    ("quit / exit / Ctrl-D", "console.help.quit"),
)


def authors_short(
    authors: Sequence[str], truncated: bool = False, names: int = AUTHOR_NAMES
) -> str:
    """``A, B, C et al.`` (``et al.`` also when the source cut the list short)."""
    shown = [a for a in authors if a.strip() and a.strip() != "+"]
    if not shown:
        return ""
    text = ", ".join(shown[:names])
    if len(shown) > names or truncated:
        text += " " + tr("console.et_al")
    return text


def votes_text(votes: int | None) -> str:
    return "–" if votes is None else catalog.number(votes)


def snippet_text(snippet: Snippet, limit: int = SNIPPET_CHARS) -> Text:
    """A search snippet with the matched parts highlighted, cut to ``limit`` characters."""
    out = Text()
    used = 0
    for part, matched in snippet:
        part = " ".join(part.split(" ")) if part else ""
        room = limit - used
        if room <= 0:
            out.append(ELLIPSIS)
            break
        if len(part) > room:
            part = part[: max(0, room - 1)] + ELLIPSIS
        out.append(part, style=MATCH_STYLE if matched else None)
        used += len(part)
    return out


def in_title(snippet: Snippet, title: str) -> bool:
    """Whether the snippet is (part of) the title: then the title shows the match instead."""
    text = one_line(plain_snippet(snippet)).strip(ELLIPSIS + " ")
    return bool(text) and text in one_line(title)


def plain_snippet(snippet: Snippet) -> str:
    return "".join(part for part, _ in snippet)


def page_footer(page: Page, *, pageable: bool = True) -> str:
    """``1–10 of 57 in all · page 1/6`` plus a hint to page when there is more."""
    if not page.total:
        return trn("count.results", 0)
    first = page.offset + 1
    last = page.offset + len(page.items)
    number = page.offset // max(1, page.limit) + 1
    if not page.items:
        past_end = "console.page.past_end.more" if page.more else "console.page.past_end"
        return tr(past_end, total=page.total, page=number)
    # A search counts up to 1,000: then "of more than 1,000".
    shown = "console.page.range.more" if page.more else "console.page.range"
    text = tr(shown, first=first, last=last, total=page.total)
    if page.page_count > 1:
        text += " · " + tr("console.page.number", page=number, pages=page.page_count)
        if pageable:
            text += " · next / prev / page N"
    return text


def _paper_table(
    papers: Sequence[Paper], *, offset: int = 0, snippets: Sequence[Snippet] | None = None
) -> Table:
    table = Table(box=box.SIMPLE_HEAD, expand=False, pad_edge=False, show_lines=False)
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    table.add_column(tr("console.column.votes"), justify="right", style="green", no_wrap=True)
    # "fold": a word wider than its column (Korean is two cells a character) goes on over the
    # next line instead of being cut, so no text is lost in a narrow terminal.
    table.add_column(tr("console.column.title"), ratio=3, overflow="fold")
    table.add_column("arXiv", style="cyan", no_wrap=True)
    table.add_column(tr("console.column.authors"), ratio=1, style="dim", overflow="fold")
    for index, paper in enumerate(papers, start=offset + 1):
        title = Text(shorten(one_line(paper.title), TITLE_CHARS), style="bold")
        snippet = snippets[index - offset - 1] if snippets is not None else ()
        if snippet and in_title(snippet, title.plain):
            title.highlight_words([part for part, matched in snippet if matched], MATCH_STYLE)
        elif snippet:
            title.append("\n")
            title.append_text(snippet_text(snippet))
        table.add_row(
            str(index),
            votes_text(paper.votes),
            title,
            Text(paper.arxiv_id),
            Text(authors_short(paper.authors, paper.authors_truncated)),
        )
    return table


def _note(note: str, style: str = "yellow") -> Text:
    return Text(note, style=style)


def render_day(answer: DayAnswer) -> RenderableType:
    """``today``/``day``: a heading, the note, the table and a footer."""
    parts: list[RenderableType] = []
    if answer.date is not None:
        parts.append(Text(tr("day.title", day=catalog.date(answer.date)), style="bold"))
    note = phrases.note_text(answer)
    if note:
        parts.append(_note(note))
    if answer.papers.items:
        parts.append(_paper_table(answer.papers.items, offset=answer.papers.offset))
        parts.append(Text(page_footer(answer.papers), style="dim"))
    return Group(*parts)


def render_top(answer: TopAnswer) -> RenderableType:
    parts: list[RenderableType] = [Text(tr("console.top.title"), style="bold")]
    note = phrases.note_text(answer)
    if note:
        parts.append(_note(note, "dim" if answer.papers.items else "yellow"))
    if answer.papers.items:
        parts.append(_paper_table(answer.papers.items, offset=answer.papers.offset))
        parts.append(Text(page_footer(answer.papers), style="dim"))
    return Group(*parts)


def render_search(answer: SearchAnswer) -> RenderableType:
    if answer.paper is not None:
        return render_paper(answer.paper)
    order = tr(SORT_ORDERS.get(answer.sort, "order.relevance"))
    parts: list[RenderableType] = [
        Text.from_markup(
            tr("console.search.title", query=escape(answer.query), order=escape(order))
        )
    ]
    note = phrases.note_text(answer)
    if note:
        parts.append(_note(note))
    for tip in answer.tips:
        parts.append(Text(f"  • {phrases.search_tip(tip)}", style="dim"))
    if answer.hits.items:
        hits: Sequence[SearchHit] = answer.hits.items
        parts.append(
            _paper_table(
                [h.paper for h in hits],
                offset=answer.hits.offset,
                snippets=[h.snippet for h in hits],
            )
        )
        parts.append(Text(page_footer(answer.hits), style="dim"))
    return Group(*parts)


def render_author(answer: AuthorAnswer) -> RenderableType:
    if answer.author is None:
        parts: list[RenderableType] = [_note(phrases.note_text(answer))]
        return Group(*parts)
    author = answer.author
    profile = answer.profile
    papers = escape(trn("count.papers", author.paper_count))
    lines = [f"[bold]{escape(author.name)}[/] [dim]· {papers}[/]"]
    if profile is not None:
        votes = trn("console.author.votes", profile.total_votes)
        if profile.first_day and profile.last_day:
            span = tr(
                "top.label.span",
                since=profile.first_day.isoformat(),
                until=profile.last_day.isoformat(),
            )
            votes += f" · {span}"
        lines.append(f"[dim]{escape(votes)}[/]")
        if profile.coauthors:
            names = ", ".join(f"{c.author.name} ({c.shared_papers})" for c in profile.coauthors)
            lines.append(escape(tr("console.author.coauthors", names=names)))
    parts = [Text.from_markup("\n".join(lines))]
    note = phrases.note_text(answer)
    if note:
        parts.append(_note(note, "dim"))
    if answer.papers.items:
        parts.append(_paper_table(answer.papers.items, offset=answer.papers.offset))
        parts.append(Text(page_footer(answer.papers), style="dim"))
    return Group(*parts)


def render_paper(paper: Paper) -> RenderableType:
    """One paper in full: links, votes (and their rise), days, authors, media, the API's extras
    and the Korean summary (the archive's, else the generated one, marked as such)."""
    lines: list[str] = [f"[bold]{escape(paper.title)}[/]"]
    urls = [url for _, url in phrases.paper_links(paper, extras=False)]
    links = [f"[link={escape(urls[0])}]{escape(urls[0])}[/link]", *map(escape, urls[1:])]
    votes = escape(trn("console.paper.votes", paper.votes)) if paper.votes is not None else "–"
    if paper.vote_rise:
        votes += " " + escape(tr("console.paper.vote_rise", rise=catalog.number(paper.vote_rise)))
    lines.append(f"[cyan]{escape(paper.arxiv_id)}[/] · [green]{votes}[/]")
    lines.append("[dim]" + " · ".join(links) + "[/]")
    if paper.days:
        days = ", ".join(
            f"{a.date.isoformat()} #{a.position}"
            + (f" ({trn('console.paper.votes', a.votes)})" if a.votes is not None else "")
            for a in paper.days
        )
        lines.append(escape(tr("console.paper.listed", days=days)))
    names = [a for a in paper.authors if a.strip() and a.strip() != "+"]
    if names:
        shown = ", ".join(names[:PAPER_AUTHORS])
        more = len(names) - PAPER_AUTHORS
        if more > 0:
            shown += " " + tr("console.paper.more_authors", count=more)
        line = escape(tr("console.paper.authors", names=shown))
        if more <= 0 and paper.authors_truncated:
            line += f" [dim]{escape(tr('console.paper.cut_short'))}[/]"
        lines.append(line)
    if paper.media is not None:
        kind = tr(MEDIA_KINDS[paper.media.kind])
        lines.append(f"[dim]{escape(kind)}: {escape(paper.media.url)}[/]")
    if paper.github_repo:
        if paper.github_stars is not None:
            stars = trn("console.paper.stars", paper.github_stars)
            github = tr("console.paper.github_stars", url=paper.github_repo, stars=stars)
        else:
            github = tr("console.paper.github", url=paper.github_repo)
        lines.append(escape(github))
    if paper.project_page:
        lines.append(escape(tr("console.paper.project_page", url=paper.project_page)))
    if paper.organization:
        lines.append(escape(tr("console.paper.organization", name=paper.organization)))
    if paper.comments:
        lines.append(escape(tr("console.paper.comments", count=catalog.number(paper.comments))))
    if paper.keywords:
        lines.append(escape(tr("console.paper.keywords", keywords=", ".join(paper.keywords))))
    if paper.ai_summary:
        summary = shorten(one_line(paper.ai_summary), BULLET_CHARS)
        lines.append(f"[bold]{escape(tr('console.paper.ai_summary'))}[/]: {escape(summary)}")
    generated = None if paper.has_archive_summary else paper.generated
    if generated:
        lines.append("")
        lines.append(f"[dim]{escape(tr('paper.generated', model=generated.model))}[/]")
    bullets = generated.bullets if generated else paper.summary
    if bullets:
        lines.append("")
        for bullet in bullets:
            text = escape(shorten(one_line(bullet.text), BULLET_CHARS))
            label = f"[bold]{escape(bullet.label)}[/]: " if bullet.label else ""
            lines.append(f"• {label}{text}")
    title = escape(tr("console.paper.title", id=paper.arxiv_id))
    return Panel(
        Text.from_markup("\n".join(lines)),
        title=f"[dim]{title}[/]",
        title_align="left",
        box=box.ROUNDED,
    )


def render_saved(saved: Sequence[SavedPaper]) -> RenderableType:
    """``saved``: the reading list, newest saved first, or how to fill it."""
    if not saved:
        return _note(tr("console.saved.empty"))
    return Group(
        Text(tr("saved.title"), style="bold"),
        _paper_table([s.paper for s in saved]),
        Text(trn("count.papers", len(saved)), style="dim"),
    )


def render_similar(found: SimilarPapers) -> RenderableType:
    """``similar``: the papers most like one, each with its reasons under its title."""
    title = tr("similar.title", title=shorten(one_line(found.paper.title), TITLE_CHARS))
    if not found.items:
        return Group(Text(title, style="bold"), _note(tr("similar.empty")))
    table = Table(box=box.SIMPLE_HEAD, expand=False, pad_edge=False, show_lines=False)
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    table.add_column(tr("console.column.votes"), justify="right", style="green", no_wrap=True)
    table.add_column(tr("console.column.title"), ratio=3, overflow="fold")
    table.add_column("arXiv", style="cyan", no_wrap=True)
    for index, item in enumerate(found.items, start=1):
        cell = Text(shorten(one_line(item.paper.title), TITLE_CHARS), style="bold")
        cell.append("\n")
        cell.append(phrases.similar_reasons(item), style="dim italic")
        table.add_row(str(index), votes_text(item.paper.votes), cell, Text(item.paper.arxiv_id))
    return Group(Text(title, style="bold"), table, Text(tr("similar.order"), style="dim"))


def render_rising(answer: RisingAnswer) -> RenderableType:
    """``top rising``: papers by votes gained in the range, with the gain."""
    parts: list[RenderableType] = [
        Text(tr("rising.title", label=phrases.rising_label(answer)), style="bold")
    ]
    note = phrases.rising_note(answer)
    if note:
        parts.append(_note(note, "dim" if answer.found else "yellow"))
    if answer.found:
        table = Table(box=box.SIMPLE_HEAD, expand=False, pad_edge=False, show_lines=False)
        table.add_column("#", justify="right", style="dim", no_wrap=True)
        table.add_column("+", justify="right", style="green", no_wrap=True)
        table.add_column(tr("console.column.title"), ratio=3, overflow="fold")
        table.add_column("arXiv", style="cyan", no_wrap=True)
        for index, item in enumerate(answer.papers.items, start=answer.papers.offset + 1):
            table.add_row(
                str(index),
                phrases.rising_gain(item.start_votes, item.end_votes),
                Text(shorten(one_line(item.paper.title), TITLE_CHARS), style="bold"),
                Text(item.paper.arxiv_id),
            )
        parts.append(table)
        papers = Page(
            tuple(i.paper for i in answer.papers.items),
            answer.papers.total,
            answer.papers.offset,
            answer.papers.limit,
        )
        parts.append(Text(page_footer(papers), style="dim"))
    return Group(*parts)


def render_help() -> RenderableType:
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for command, key in HELP_COMMANDS:
        table.add_row(escape(command), escape(tr(key)))
    return Group(
        Text(tr("console.help.title"), style="bold"),
        table,
        Text(phrases.samples_credit(), style="dim"),
    )
