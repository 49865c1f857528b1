"""Small hand-made digests in the bundled markdown format, for tests that need a few known days.

Importable from any test module (``pythonpath = ["tests"]`` in pyproject.toml).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from storage.ingest.parser import parse_digest
from storage.models import Bullet, Media, ParsedDigest, ParsedPaper
from storage.ports import Store

#: One paper: (arXiv id, title, authors as written on the Authors line).
PaperSpec = tuple[str, str, str]


def digest_text(day: str, papers: Sequence[PaperSpec], *, summary: str = "{title}.") -> str:
    """A digest for ``day`` listing ``papers``; each has 10 votes and one labelled bullet."""
    parts = [f"## Daily Papers ({day})", ""]
    for arxiv_id, title, authors in papers:
        parts += [
            f"### [{title}](https://arxiv.org/abs/{arxiv_id})",
            "",
            "Vote: 10",
            "",
            f"Authors: {authors}",
            "",
            f"- ***What's New***: {summary.format(title=title)}",
            "",
        ]
    return "\n".join(parts)


async def import_day(
    store: Store, day: str, papers: Sequence[PaperSpec], *, summary: str = "{title}."
) -> None:
    """Parse and import :func:`digest_text` as ``{day}.md``."""
    await store.import_digest(parse_digest(digest_text(day, papers, summary=summary), f"{day}.md"))


def paper(
    arxiv_id: str,
    title: str = "A Paper",
    *,
    authors: tuple[str, ...] = ("Ada Lovelace",),
    votes: int | None = 1,
    summary: tuple[str, ...] = ("요약입니다.",),
    media: Media | None = None,
) -> ParsedPaper:
    """A ParsedPaper as the parser would produce it (position is set by :func:`digest`)."""
    return ParsedPaper(
        arxiv_id=arxiv_id,
        title=title,
        url=f"https://arxiv.org/abs/{arxiv_id}",
        authors=authors,
        authors_truncated=False,
        votes=votes,
        media=media,
        summary=tuple(Bullet(None, text) for text in summary),
        position=0,
        line=0,
    )


def digest(day: dt.date, *papers: ParsedPaper) -> ParsedDigest:
    """A digest listing ``papers`` in order (positions 1..n)."""
    numbered = tuple(
        ParsedPaper(**{**{f: getattr(p, f) for f in p.__slots__}, "position": i, "line": i * 10})
        for i, p in enumerate(papers, start=1)
    )
    return ParsedDigest(date=day, papers=numbered, source=f"{day}.md")
