"""Small hand-made digests in the bundled markdown format, for tests that need a few known days.

Importable from any test module (``pythonpath = ["tests"]`` in pyproject.toml).
"""

from __future__ import annotations

from collections.abc import Sequence

from storage.ingest.parser import parse_digest
from storage.sqlite.store import Store

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
