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

from bot.i18n import en
from bot.i18n.words import ELLIPSIS, one_line, plural, shorten
from storage.models import Page, Paper, SearchHit, Snippet

if TYPE_CHECKING:
    from bot.core.answers import AuthorAnswer, DayAnswer, SearchAnswer, TopAnswer
    from storage.ingest.importer import ImportSummary

TITLE_CHARS: Final = 160
AUTHOR_NAMES: Final = 3
SNIPPET_CHARS: Final = 220
BULLET_CHARS: Final = 600
PAPER_AUTHORS: Final = 40

HELP_COMMANDS: Final = (
    ("today [N]", "the newest day's papers, most voted first"),
    ("day DATE [N]", "one day's papers (DATE as YYYY-MM-DD)"),
    ("top [week|month|year|all] [N]", "most voted papers of a period"),
    ("top since DATE [until DATE]", "most voted papers in a date range"),
    ("paper ID", "one paper in full (arXiv id or URL)"),
    ("author NAME", "an author's papers and co-authors"),
    ("search QUERY", "full-text search (titles, authors, Korean summaries)"),
    ("next / prev / page N", "page through the last list"),
    ("help", "this help"),
    ("quit / exit / Ctrl-D", "leave"),
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
        text += " et al."
    return text


def votes_text(votes: int | None) -> str:
    return "–" if votes is None else str(votes)


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
        out.append(part, style="bold yellow" if matched else None)
        used += len(part)
    return out


def plain_snippet(snippet: Snippet) -> str:
    return "".join(part for part, _ in snippet)


def page_footer(page: Page, *, pageable: bool = True) -> str:
    """``1–10 of 57 · page 1/6`` plus a hint to page when there is more."""
    if not page.total:
        return "0 results"
    first = page.offset + 1
    last = page.offset + len(page.items)
    if not page.items:
        return f"{page.total} in all; page {page.offset // max(1, page.limit) + 1} is past the end"
    text = f"{first}–{last} of {page.total} in all"
    if page.page_count > 1:
        text += f" · page {page.offset // max(1, page.limit) + 1}/{page.page_count}"
        if pageable:
            text += " · next / prev / page N"
    return text


def _paper_table(
    papers: Sequence[Paper], *, offset: int = 0, snippets: Sequence[Snippet] | None = None
) -> Table:
    table = Table(box=box.SIMPLE_HEAD, expand=False, pad_edge=False, show_lines=False)
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    table.add_column("Votes", justify="right", style="green", no_wrap=True)
    table.add_column("Title", ratio=3)
    table.add_column("arXiv", style="cyan", no_wrap=True)
    table.add_column("Authors", ratio=1, style="dim")
    for index, paper in enumerate(papers, start=offset + 1):
        title = Text(shorten(one_line(paper.title), TITLE_CHARS), style="bold")
        if snippets is not None and snippets[index - offset - 1]:
            title.append("\n")
            title.append_text(snippet_text(snippets[index - offset - 1]))
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
        parts.append(
            Text.from_markup(
                f"[bold]Daily Papers {answer.date.isoformat()}[/] "
                f"[dim]({en.weekday(answer.date)})[/]"
            )
        )
    note = en.note_text(answer)
    if note:
        parts.append(_note(note))
    if answer.papers.items:
        parts.append(_paper_table(answer.papers.items, offset=answer.papers.offset))
        parts.append(Text(page_footer(answer.papers), style="dim"))
    return Group(*parts)


def render_top(answer: TopAnswer) -> RenderableType:
    parts: list[RenderableType] = [Text("Top papers", style="bold")]
    note = en.note_text(answer)
    if note:
        parts.append(_note(note, "dim" if answer.papers.items else "yellow"))
    if answer.papers.items:
        parts.append(_paper_table(answer.papers.items, offset=answer.papers.offset))
        parts.append(Text(page_footer(answer.papers), style="dim"))
    return Group(*parts)


def render_search(answer: SearchAnswer) -> RenderableType:
    if answer.paper is not None:
        return render_paper(answer.paper)
    parts: list[RenderableType] = [
        Text.from_markup(f"[bold]Search[/] {escape(answer.query)} [dim](by {answer.sort})[/]")
    ]
    note = en.note_text(answer)
    if note:
        parts.append(_note(note))
    for tip in answer.tips:
        parts.append(Text(f"  • {en.search_tip(tip)}", style="dim"))
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
        parts: list[RenderableType] = [_note(en.note_text(answer) or "No such author.")]
        return Group(*parts)
    author = answer.author
    profile = answer.profile
    lines = [f"[bold]{escape(author.name)}[/] [dim]· {plural(author.paper_count, 'paper')}[/]"]
    if profile is not None:
        span = ""
        if profile.first_day and profile.last_day:
            span = f" · {profile.first_day.isoformat()} to {profile.last_day.isoformat()}"
        lines.append(f"[dim]{profile.total_votes} votes in all{span}[/]")
        if profile.coauthors:
            names = ", ".join(
                f"{escape(c.author.name)} ({c.shared_papers})" for c in profile.coauthors
            )
            lines.append(f"Co-authors: {names}")
    parts = [Text.from_markup("\n".join(lines))]
    note = en.note_text(answer)
    if note:
        parts.append(_note(note, "dim"))
    if answer.papers.items:
        parts.append(_paper_table(answer.papers.items, offset=answer.papers.offset))
        parts.append(Text(page_footer(answer.papers), style="dim"))
    return Group(*parts)


def render_paper(paper: Paper) -> RenderableType:
    """One paper in full: links, votes, days, authors, media and the Korean summary."""
    lines: list[str] = [f"[bold]{escape(paper.title)}[/]"]
    urls = [url for _, url in en.paper_links(paper, extras=False)]
    links = [f"[link={escape(urls[0])}]{escape(urls[0])}[/link]", *map(escape, urls[1:])]
    lines.append(f"[cyan]{escape(paper.arxiv_id)}[/] · [green]{votes_text(paper.votes)} votes[/]")
    lines.append("[dim]" + " · ".join(links) + "[/]")
    if paper.days:
        days = ", ".join(
            f"{a.date.isoformat()} #{a.position}"
            + (f" ({a.votes} votes)" if a.votes is not None else "")
            for a in paper.days
        )
        lines.append(f"Listed: {days}")
    names = [a for a in paper.authors if a.strip() and a.strip() != "+"]
    if names:
        shown = ", ".join(escape(n) for n in names[:PAPER_AUTHORS])
        more = len(names) - PAPER_AUTHORS
        if more > 0:
            shown += f" and {more} more"
        elif paper.authors_truncated:
            shown += " [dim](list cut short in the source)[/]"
        lines.append(f"Authors: {shown}")
    if paper.media is not None:
        lines.append(f"[dim]{paper.media.kind.capitalize()}: {escape(paper.media.url)}[/]")
    if paper.github_repo:
        stars = f" ({plural(paper.github_stars, 'star')})" if paper.github_stars is not None else ""
        lines.append(f"GitHub: {escape(paper.github_repo)}{stars}")
    if paper.project_page:
        lines.append(f"Project page: {escape(paper.project_page)}")
    if paper.keywords:
        lines.append("Keywords: " + escape(", ".join(paper.keywords)))
    if paper.ai_summary:
        summary = shorten(one_line(paper.ai_summary), BULLET_CHARS)
        lines.append(f"[bold]AI summary[/]: {escape(summary)}")
    if paper.summary:
        lines.append("")
        for bullet in paper.summary:
            text = escape(shorten(one_line(bullet.text), BULLET_CHARS))
            label = f"[bold]{escape(bullet.label)}[/]: " if bullet.label else ""
            lines.append(f"• {label}{text}")
    return Panel(
        Text.from_markup("\n".join(lines)),
        title=f"[dim]paper {escape(paper.arxiv_id)}[/]",
        title_align="left",
        box=box.ROUNDED,
    )


def render_help() -> RenderableType:
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for command, what in HELP_COMMANDS:
        table.add_row(escape(command), escape(what))
    return Group(
        Text("Commands", style="bold"),
        table,
        Text(en.SAMPLES_CREDIT, style="dim"),
    )


def render_import_summary(summary: ImportSummary) -> RenderableType:
    """The table ``papers-bot import`` prints after the progress bar."""
    table = Table(title="Import summary", box=box.SIMPLE_HEAD, show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("Files imported", str(len(summary.imported)))
    table.add_row("Files failed", str(len(summary.failed) + len(summary.missing)))
    table.add_row("Days", str(summary.days))
    table.add_row("New papers", str(summary.new_papers))
    table.add_row("Updated papers", str(summary.updated_papers))
    table.add_row("Problems", str(len(summary.problems)))
    return table
