"""Papers: how a full paper is read (every read of papers ends here), lookups, suggestions.

:data:`PAPER_SELECT` is a paper's columns, its days included, so the statement that chooses a
page of papers reads them too (one hop); :func:`paper_from_row` turns such a row into a
:class:`~storage.models.Paper`. :class:`PaperQueries` is the paper half of
:class:`storage.ports.PaperStore` (search is :mod:`storage.sqlite.search`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from collections.abc import AsyncIterator, Sequence
from typing import Any

from storage import text as textsearch
from storage.models import Appearance, GeneratedSummary, Page, Paper
from storage.prepare import PAPER_WIDTH, bullets_from_json, paper_from_columns
from storage.sqlite.connection import (
    MAX_DATE,
    MIN_DATE,
    Conn,
    Params,
    StoreBase,
    clamp,
    ids_json,
    iso_day,
)
from storage.text import ref_candidates

#: A full :class:`Paper` as columns of ``papers p``: its row (the API extras included,
#: migrations 3 and 9; the author names as listed, migration 6), its days as one JSON array, its
#: generated summary and the first point of its vote history (migration 10), so a
#: page of papers is read by the statement that chooses it. :func:`paper_from_row` reads them;
#: columns a statement adds after them start at :data:`PAPER_WIDTH`. A statement that picks a
#: page in a subquery reads its papers with ``page CROSS JOIN papers p``: the cross join keeps
#: the page as the outer loop (SQLite may otherwise walk ``papers`` by an index that fits the
#: ``ORDER BY`` and look the page up for every paper).
PAPER_SELECT = """p.id, p.arxiv_id, p.title, p.url, p.authors_truncated, p.media_kind,
    p.media_url, p.summary, p.votes, p.ai_summary, p.keywords, p.github_repo, p.github_stars,
    p.project_page, p.author_names,
    (SELECT json_group_array(json_array(a.date, a.position, a.votes)) FROM appearances a
     WHERE a.paper_id = p.id),
    p.organization, p.comments,
    (SELECT json_array(s.bullets, s.model, s.created_at) FROM summaries s
     WHERE s.paper_id = p.id AND s.state = 'done'),
    (SELECT h.votes FROM vote_history h WHERE h.paper_id = p.id ORDER BY h.at LIMIT 1)"""


def _strings(json_list: str | None) -> tuple[str, ...]:
    """A stored JSON list of strings (keywords, author names); unreadable -> empty."""
    if not json_list:
        return ()
    try:
        return tuple([str(item) for item in json.loads(json_list)])
    except (ValueError, TypeError):
        return ()


def _generated(row_json: str | None) -> GeneratedSummary | None:
    """A done ``summaries`` row as ``[bullets JSON, model, created_at]``; absent -> None."""
    if not row_json:
        return None
    bullets, model, created_at = json.loads(row_json)
    return GeneratedSummary(
        bullets_from_json(bullets), model, dt.datetime.fromisoformat(created_at)
    )


def _days(days_json: str) -> tuple[Appearance, ...]:
    # Each day once (the key of ``appearances``), so sorting compares dates only.
    fromisoformat = dt.date.fromisoformat
    return tuple(Appearance(fromisoformat(d), n, v) for d, n, v in sorted(json.loads(days_json)))


def paper_from_row(row: Sequence[Any]) -> Paper:
    """A :class:`Paper` from a row that starts with the columns of :data:`PAPER_SELECT`."""
    return paper_from_columns(row, strings=_strings, days=_days, generated=_generated)


async def papers_by_id(c: Conn, ids: Sequence[int]) -> dict[int, Paper]:
    """Full :class:`Paper` objects by row id (unknown ids left out), in one statement."""
    if not ids:
        return {}
    rows = await c.all(
        f"SELECT {PAPER_SELECT} FROM papers p WHERE p.id IN (SELECT value FROM json_each(?))",
        (ids_json(ids),),
    )
    return {int(row[0]): paper_from_row(row) for row in rows}


async def read_papers(c: Conn, ids: Sequence[int]) -> list[Paper]:
    """Full :class:`Paper` objects for row ids, in the order given (unknown ids skipped), in
    one statement."""
    by_id = await papers_by_id(c, ids)
    return [by_id[i] for i in ids if i in by_id]


async def read_page(
    c: Conn, sql: str, params: Params, count_sql: str, offset: int, limit: int
) -> Page[Paper]:
    """A page of papers from ``sql``, which selects :data:`PAPER_SELECT` and then the total
    (an uncorrelated ``count`` SQLite computes once); a page past the end has no row to carry
    the total, which ``count_sql`` then gives."""
    rows = await c.all(sql, params)
    if rows:
        total = int(rows[0][PAPER_WIDTH])
    elif offset == 0 and limit > 0:
        total = 0
    else:
        total = int((await c.one(count_sql, params))[0])
    return Page(tuple(paper_from_row(row) for row in rows), total, offset, limit)


async def read_page_from(
    store: StoreBase, sql: str, params: Params, count_sql: str, offset: int, limit: int
) -> Page[Paper]:
    """:func:`read_page` from the store's read pool when it has one (committed state, in a pool
    thread: the statement and the rows made into papers), else on its connection."""
    reader = store._reader
    if reader is None:
        async with store._conn() as c:
            return await read_page(c, sql, params, count_sql, offset, limit)

    def work(conn: sqlite3.Connection) -> Page[Paper]:
        rows = conn.execute(sql, params).fetchall()
        if rows:
            total = int(rows[0][PAPER_WIDTH])
        elif offset == 0 and limit > 0:
            total = 0
        else:
            total = int(conn.execute(count_sql, params).fetchone()[0])
        return Page(tuple(paper_from_row(row) for row in rows), total, offset, limit)

    # Urgent: a page of a day or a range is a bounded read of a few milliseconds; it goes
    # before the searches waiting (shortest first).
    return await reader.run(work, urgent=True)


class PaperQueries(StoreBase):
    """Papers by reference, by id, as you type, every one for export, and how many."""

    async def paper(self, ref: str) -> Paper | None:
        """A paper by arXiv id (with or without version), arXiv abs/pdf URL, HF papers URL,
        derived id, or the exact link of the digest."""
        candidates = ref_candidates(ref or "")
        if not candidates:
            return None
        # Read-only: from the read pool (urgent: /paper answers without deferring).
        rows = await self._read(
            f"""SELECT {PAPER_SELECT} FROM papers p
                WHERE p.arxiv_id IN (SELECT value FROM json_each(?))
                ORDER BY p.arxiv_id = ? DESC LIMIT 1""",
            (ids_json(candidates), candidates[0]),
            urgent=True,
        )
        if not rows:
            rows = await self._read(
                f"SELECT {PAPER_SELECT} FROM papers p WHERE p.url = ?", (ref.strip(),), urgent=True
            )
        row = rows[0] if rows else None
        return paper_from_row(row) if row else None

    async def suggest_papers(self, text: str, *, limit: int = 25) -> list[Paper]:
        """Autocomplete: arXiv-id prefix matches, then title word/prefix matches by relevance
        among the newest :data:`storage.text.RANK_WINDOW` of them; the newest papers for empty
        text."""
        limit, _ = clamp(limit, 0)
        text = (text or "").strip()
        query = textsearch.parse_query(text)
        # Read-only statements: from the read pool (storage.sqlite.connection.ReadPool), so
        # suggestions never wait behind an import's writes.
        rows: list[Any] = []
        if not text:
            rows = await self._read(
                f"""SELECT {PAPER_SELECT} FROM papers p WHERE p.last_date IS NOT NULL
                    ORDER BY p.last_date DESC, p.best_votes DESC LIMIT ?""",
                (limit,),
                urgent=True,
            )
        else:
            if re.fullmatch(r"\d{4}\.?\d*", text):
                rows = await self._read(
                    f"""SELECT {PAPER_SELECT} FROM papers p
                        WHERE p.arxiv_id >= ? AND p.arxiv_id < ?
                        ORDER BY p.arxiv_id DESC LIMIT ?""",
                    (text, textsearch.prefix_upper_bound(text), limit),
                    urgent=True,
                )
            if not query.is_empty and len(rows) < limit:
                # The newest RANK_WINDOW title matches, ranked (storage.text.rank_windows):
                # ranking every title with a common prefix ('for') took 30-70 ms at 100k.
                rows += await self._read(
                    f"""SELECT {PAPER_SELECT} FROM (
                            SELECT rowid, rank FROM (
                                SELECT rowid, rank FROM paper_fts WHERE paper_fts MATCH ?
                                ORDER BY rowid DESC LIMIT ?)
                            ORDER BY rank, rowid LIMIT ?) AS f
                        CROSS JOIN papers p ON p.id = f.rowid ORDER BY f.rank, f.rowid""",
                    (textsearch.column_query(query, "title"), textsearch.RANK_WINDOW, limit),
                    urgent=True,
                )
        seen: set[int] = set()
        papers: list[Paper] = []
        for row in rows:
            if row[0] not in seen and len(papers) < limit:
                seen.add(row[0])
                papers.append(paper_from_row(row))
        return papers

    async def iter_papers(
        self, *, since: dt.date | str | None = None, until: dt.date | str | None = None
    ) -> AsyncIterator[Paper]:
        """Every paper listed in the range (all by default), by first day then position."""
        bounds = (iso_day(since) or MIN_DATE, iso_day(until) or MAX_DATE)
        async with self._conn() as c:
            rows = await c.all(
                """SELECT p.id FROM papers p
                   JOIN appearances a ON a.paper_id = p.id AND a.date = p.first_date
                   WHERE EXISTS (SELECT 1 FROM appearances r
                                 WHERE r.paper_id = p.id AND r.date BETWEEN ? AND ?)
                   ORDER BY p.first_date, a.position, p.id""",
                bounds,
            )
        ids = [r[0] for r in rows]
        for start in range(0, len(ids), 500):
            async with self._conn() as c:
                batch = await read_papers(c, ids[start : start + 500])
            for paper in batch:
                yield paper

    async def papers_by_ids(self, ids: Sequence[int]) -> list[Paper]:
        """Full papers for row ids, in the order given (unknown ids skipped)."""
        async with self._conn() as c:
            return await read_papers(c, list(ids))

    async def paper_count(self) -> int:
        """How many papers are stored."""
        async with self._conn() as c:
            return int((await c.one("SELECT count(*) FROM papers"))[0])
