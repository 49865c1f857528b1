"""Papers: a page of full papers by id (every read of papers ends here), lookups, suggestions.

:func:`read_papers` turns row ids into :class:`~storage.models.Paper` values; the other modules
find the ids. :class:`PaperQueries` is the paper half of :class:`storage.ports.PaperStore` (search
is :mod:`storage.sqlite.search`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import AsyncIterator, Sequence
from typing import Any

from storage import text as textsearch
from storage.models import ARXIV_URL_RE, HF_PAPER_URL_RE, Appearance, Bullet, Media, Paper
from storage.sqlite.connection import (
    MAX_DATE,
    MIN_DATE,
    Conn,
    StoreBase,
    clamp,
    ids_json,
    iso_day,
)

#: The columns of a :class:`Paper` in ``papers`` (the API extras included, migration 3).
PAPER_COLUMNS = """id, arxiv_id, title, url, authors_truncated, media_kind, media_url, summary,
    votes, ai_summary, keywords, github_repo, github_stars, project_page, author_names"""

_VERSION_RE = re.compile(r"v\d+$")


def ref_candidates(ref: str) -> list[str]:
    """arXiv/HF URL or id -> ids to look up (as given, then without a version suffix)."""
    ref = ref.strip().strip("<>").strip()
    if not ref:
        return []
    m = ARXIV_URL_RE.match(ref) or HF_PAPER_URL_RE.match(ref)
    core = m.group("id") if m else ref
    if core.lower().startswith("arxiv:"):
        core = core[6:].strip()
    out = [core]
    bare = _VERSION_RE.sub("", core)
    if bare != core and bare:
        out.append(bare)
    return out


def _bullets(summary: str) -> tuple[Bullet, ...]:
    try:
        return tuple([Bullet(b[0], b[1]) for b in json.loads(summary)])
    except (ValueError, TypeError, IndexError, KeyError):
        return ()


def _strings(json_list: str | None) -> tuple[str, ...]:
    """A stored JSON list of strings (keywords, author names); unreadable -> empty."""
    if not json_list:
        return ()
    try:
        return tuple([str(item) for item in json.loads(json_list)])
    except (ValueError, TypeError):
        return ()


def paper_from_row(row: Sequence[Any], days: list[Appearance] | None) -> Paper:
    """A :class:`Paper` from a row of ``_PAPER_COLUMNS`` and its days."""
    (
        _id,
        arxiv_id,
        title,
        url,
        truncated,
        media_kind,
        media_url,
        summary,
        votes,
        ai_summary,
        keywords,
        github_repo,
        github_stars,
        project_page,
        author_names,
    ) = row
    return Paper(
        arxiv_id=arxiv_id,
        title=title,
        url=url,
        authors=_strings(author_names),
        authors_truncated=bool(truncated),
        votes=votes,
        media=Media(media_kind, media_url) if media_kind and media_url else None,
        summary=_bullets(summary),
        days=tuple(days) if days else (),
        ai_summary=ai_summary,
        keywords=_strings(keywords),
        github_repo=github_repo,
        github_stars=github_stars,
        project_page=project_page,
    )


def read_papers(c: Conn, ids: Sequence[int]) -> list[Paper]:
    """Full :class:`Paper` objects for ``ids``, in the order given (unknown ids skipped),
    API extras included.

    Two set-based statements: the rows (which carry the author names as listed, kept by the
    import beside ``paper_authors``: reading them through ``paper_authors`` was a lookup per
    author and a quarter of a search's page) and the days, ordered explicitly.
    """
    if not ids:
        return []
    bound = ids_json(ids)
    rows = c.all(
        f"SELECT {PAPER_COLUMNS} FROM papers WHERE id IN (SELECT value FROM json_each(?))",
        (bound,),
    )
    if not rows:
        return []
    days: dict[int, list[Appearance]] = {}
    fromisoformat = dt.date.fromisoformat
    for pid, date, position, votes in c.all(
        """SELECT paper_id, date, position, votes FROM appearances
           WHERE paper_id IN (SELECT value FROM json_each(?)) ORDER BY paper_id, date""",
        (bound,),
    ):
        days.setdefault(pid, []).append(Appearance(fromisoformat(date), position, votes))
    by_id = {row[0]: paper_from_row(row, days.get(row[0])) for row in rows}
    return [by_id[i] for i in ids if i in by_id]


class PaperQueries(StoreBase):
    """Papers by reference, by id, as you type, every one for export, and how many."""

    async def paper(self, ref: str) -> Paper | None:
        """A paper by arXiv id (with or without version), arXiv abs/pdf URL, HF papers URL,
        derived id, or the exact link of the digest."""
        candidates = ref_candidates(ref or "")
        if not candidates:
            return None

        def work(c: Conn) -> Paper | None:
            row = c.one(
                """SELECT id FROM papers WHERE arxiv_id IN (SELECT value FROM json_each(?))
                   ORDER BY arxiv_id = ? DESC LIMIT 1""",
                (ids_json(candidates), candidates[0]),
            )
            if row is None:
                row = c.one("SELECT id FROM papers WHERE url = ?", (ref.strip(),))
            items = read_papers(c, [row[0]]) if row else []
            return items[0] if items else None

        return await self._run(work)

    async def suggest_papers(self, text: str, *, limit: int = 25) -> list[Paper]:
        """Autocomplete: arXiv-id prefix matches, then title word/prefix matches by relevance;
        the newest papers for empty text."""
        limit, _ = clamp(limit, 0)
        text = (text or "").strip()
        query = textsearch.parse_query(text)

        def work(c: Conn) -> list[Paper]:
            if not text:
                rows = c.all(
                    """SELECT id FROM papers WHERE last_date IS NOT NULL
                       ORDER BY last_date DESC, best_votes DESC LIMIT ?""",
                    (limit,),
                )
                return read_papers(c, [r[0] for r in rows])
            ids: list[int] = []
            if re.fullmatch(r"\d{4}\.?\d*", text):
                rows = c.all(
                    """SELECT id FROM papers WHERE arxiv_id >= ? AND arxiv_id < ?
                       ORDER BY arxiv_id DESC LIMIT ?""",
                    (text, textsearch.prefix_upper_bound(text), limit),
                )
                ids.extend(r[0] for r in rows)
            if not query.is_empty and len(ids) < limit:
                rows = c.all(
                    """SELECT rowid FROM paper_fts WHERE paper_fts MATCH ?
                       ORDER BY +rank, rowid LIMIT ?""",
                    (textsearch.column_query(query, "title"), limit),
                )
                ids.extend(r[0] for r in rows if r[0] not in ids)
            return read_papers(c, ids[:limit])

        return await self._run(work)

    async def iter_papers(
        self, *, since: dt.date | str | None = None, until: dt.date | str | None = None
    ) -> AsyncIterator[Paper]:
        """Every paper listed in the range (all by default), by first day then position."""
        bounds = (iso_day(since) or MIN_DATE, iso_day(until) or MAX_DATE)
        rows = await self._run(
            lambda c: c.all(
                """SELECT p.id FROM papers p
                   JOIN appearances a ON a.paper_id = p.id AND a.date = p.first_date
                   WHERE EXISTS (SELECT 1 FROM appearances r
                                 WHERE r.paper_id = p.id AND r.date BETWEEN ? AND ?)
                   ORDER BY p.first_date, a.position, p.id""",
                bounds,
            )
        )
        ids = [r[0] for r in rows]
        for start in range(0, len(ids), 500):
            batch = await self._run(read_papers, ids[start : start + 500])
            for paper in batch:
                yield paper

    async def papers_by_ids(self, ids: Sequence[int]) -> list[Paper]:
        """Full papers for row ids, in the order given (unknown ids skipped)."""
        return await self._run(read_papers, list(ids))

    async def paper_count(self) -> int:
        """How many papers are stored."""
        return await self._run(lambda c: int(c.one("SELECT count(*) FROM papers")[0]))
