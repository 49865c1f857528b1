"""Papers: how a full paper is read (every read of papers ends here), lookups, suggestions.

:data:`PAPER_SELECT` is a paper's columns, its days included, so the statement that chooses a
page of papers reads them too (one round trip); :func:`paper_from_row` turns such a row into a
:class:`~storage.models.Paper`. :class:`PaperQueries` is the paper half of
:class:`storage.ports.PaperStore` (search is :mod:`storage.postgres.search`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator, Sequence
from typing import Any

import asyncpg
from asyncpg import Record

from storage import text as textsearch
from storage.models import Appearance, GeneratedSummary, Page, Paper
from storage.postgres import fulltext
from storage.postgres.connection import MAX_DATE, MIN_DATE, Conn, as_day, clamp
from storage.postgres.statistics import StatisticsReads
from storage.prepare import PAPER_WIDTH, bullets_from_json, paper_from_columns
from storage.text import ref_candidates

#: A full :class:`Paper` as columns of ``papers p``: its row, its days (an array of
#: ``(date, position, votes)`` records, oldest first), its generated summary and the first point
#: of its vote history (migration 2). Columns a statement adds after them
#: start at :data:`PAPER_WIDTH`.
PAPER_SELECT = """p.id, p.arxiv_id, p.title, p.url, p.authors_truncated, p.media_kind,
    p.media_url, p.summary, p.votes, p.ai_summary, p.keywords, p.github_repo, p.github_stars,
    p.project_page, p.author_names,
    ARRAY(SELECT ROW(a.date, a.position, a.votes) FROM appearances a
          WHERE a.paper_id = p.id ORDER BY a.date),
    p.organization, p.comments,
    (SELECT ROW(s.bullets::text, s.model, s.created_at) FROM summaries s
     WHERE s.paper_id = p.id AND s.state = 'done'),
    (SELECT h.votes FROM vote_history h WHERE h.paper_id = p.id ORDER BY h.at LIMIT 1)"""


def _strings(values: Sequence[str] | None) -> tuple[str, ...]:
    return tuple(values or ())


def _days(days: Sequence[Record]) -> tuple[Appearance, ...]:
    return tuple(Appearance(d, n, v) for d, n, v in days)


def _generated(row: Record | None) -> GeneratedSummary | None:
    """A done ``summaries`` row as ``(bullets JSON, model, created_at)``; absent -> None."""
    return GeneratedSummary(bullets_from_json(row[0]), row[1], row[2]) if row else None


def paper_from_row(row: Record) -> Paper:
    """A :class:`Paper` from a row that starts with the columns of :data:`PAPER_SELECT`."""
    return paper_from_columns(row[:PAPER_WIDTH], strings=_strings, days=_days, generated=_generated)


async def papers_by_id(c: Conn, ids: Sequence[int]) -> dict[int, Paper]:
    """Full :class:`Paper` objects by row id (unknown ids left out), in one statement."""
    if not ids:
        return {}
    rows = await c.all(
        f"SELECT {PAPER_SELECT} FROM papers p WHERE p.id = ANY($1::bigint[])", list(ids)
    )
    return {int(row[0]): paper_from_row(row) for row in rows}


async def read_papers(c: Conn, ids: Sequence[int]) -> list[Paper]:
    """Full :class:`Paper` objects for row ids, in the order given (unknown ids skipped)."""
    by_id = await papers_by_id(c, ids)
    return [by_id[i] for i in ids if i in by_id]


async def read_page(
    c: Conn, sql: str, args: Sequence[Any], count_sql: str, offset: int, limit: int
) -> Page[Paper]:
    """A page of papers from ``sql``, which selects :data:`PAPER_SELECT` and then the total
    (an uncorrelated subquery PostgreSQL computes once); a page past the end has no row to
    carry the total, which ``count_sql`` then gives. ``sql`` takes ``args`` then the limit and
    the offset as its last two parameters; ``count_sql`` takes ``args``."""
    rows = await c.all(sql, *args, limit, offset)
    if rows:
        total = int(rows[0][PAPER_WIDTH])
    elif offset == 0 and limit > 0:
        total = 0
    else:
        total = int(await c.value(count_sql, *args))
    return Page(tuple(paper_from_row(row) for row in rows), total, offset, limit)


def unique_papers(rows: list[asyncpg.Record], limit: int) -> list[Paper]:
    """Papers from rows of :data:`PAPER_SELECT`, each once (first kept), at most ``limit``."""
    seen: set[int] = set()
    papers: list[Paper] = []
    for row in rows:
        if row[0] not in seen and len(papers) < limit:
            seen.add(row[0])
            papers.append(paper_from_row(row))
    return papers


#: A title match read through the title words' index costs about this many papers walked (a
#: million papers, the matches spread over the table and each ranked: `demo`, held by 2.8% of
#: the titles, 143 ms read through the index against 86 walked; `모델`, by none, 0.4 ms against
#: 1,290).
TITLE_READ_COST = 4.0


class PaperQueries(StatisticsReads):
    """Papers by reference, by id, as you type, every one for export, and how many."""

    async def paper(self, ref: str) -> Paper | None:
        """A paper by arXiv id (with or without version), arXiv abs/pdf URL, HF papers URL,
        derived id, or the exact link of the digest."""
        ref = (ref or "").replace("\x00", "")  # never stored (see importing)
        candidates = ref_candidates(ref)
        if not candidates:
            return None
        async with self._conn() as c:
            row = await c.one(
                f"""SELECT {PAPER_SELECT} FROM papers p WHERE p.arxiv_id = ANY($1::text[])
                    ORDER BY p.arxiv_id = $2 DESC LIMIT 1""",
                candidates,
                candidates[0],
            )
            if row is None:
                row = await c.one(
                    f"SELECT {PAPER_SELECT} FROM papers p WHERE p.url = $1", ref.strip()
                )
        return paper_from_row(row) if row else None

    async def suggest_papers(self, text: str, *, limit: int = 25) -> list[Paper]:
        """Autocomplete: arXiv-id prefix matches, then title word/prefix matches by relevance
        among the newest :data:`storage.text.RANK_WINDOW` of them; the newest papers for empty
        text.

        The document's GIN index cannot tell a title word from a summary word (only the
        weights in each document can), so where the titles' statistics (migration 12) say few
        titles hold the words, they are read through the title words' own index (``모델``,
        in many summaries and no title: 0.2 ms against 160 at 100k papers, where the newest
        papers were checked one by one until none was left); where many do, the newest
        papers are walked, each checked against its document; without statistics, the
        planner chooses, as before."""
        limit, _ = clamp(limit, 0)
        text = (text or "").strip()
        parsed = textsearch.parse_query(text)
        query = fulltext.tsquery(parsed, title_only=True)
        rows: list[asyncpg.Record] = []
        async with self._conn() as c:
            if not text:
                rows = await c.all(
                    f"""SELECT {PAPER_SELECT} FROM papers p WHERE p.last_date IS NOT NULL
                        ORDER BY p.last_date DESC NULLS LAST, p.best_votes DESC NULLS LAST
                        LIMIT $1""",
                    limit,
                )
            else:
                if re.fullmatch(r"\d{4}\.?\d*", text):
                    rows = await c.all(
                        f"""SELECT {PAPER_SELECT} FROM papers p
                            WHERE p.arxiv_id >= $1 AND p.arxiv_id < $2
                            ORDER BY p.arxiv_id DESC LIMIT $3""",
                        text,
                        textsearch.prefix_upper_bound(text),
                        limit,
                    )
                if query and len(rows) < limit:
                    matched, newest, titles = await self._title_reading(c, parsed)
                    # The newest RANK_WINDOW title matches, ranked (storage.text.rank_windows),
                    # planned for the typed words (the session's plan_cache_mode,
                    # storage.postgres.store.SESSION_SETTINGS).
                    rows += await c.all(
                        f"""SELECT {PAPER_SELECT} FROM (
                                SELECT * FROM (
                                    SELECT id, ts_rank('{fulltext.RANK_WEIGHTS}', search, q)
                                        AS rank
                                    FROM papers, CAST($1 AS tsquery) AS q
                                    WHERE {matched} ORDER BY {newest} DESC LIMIT $2) AS r
                                ORDER BY rank DESC, id LIMIT $3) AS f
                            JOIN papers p ON p.id = f.id ORDER BY f.rank DESC, f.id""",
                        query,
                        textsearch.RANK_WINDOW,
                        limit,
                        *titles,
                    )
        return unique_papers(rows, limit)

    async def _title_reading(
        self, c: Conn, parsed: textsearch.Query
    ) -> tuple[str, str, tuple[str, ...]]:
        """How :meth:`suggest_papers` reads the newest title matches of ``parsed``: the match
        condition (on ``q``, the query of title words, or ``$4``, the words themselves), the
        order to take them newest first in, and ``$4``'s value if used."""
        shares = await self._shares(c)
        titles = shares.titles if shares is not None else None
        if titles is None:
            return "search @@ q", "id", ()
        lexemes = fulltext.term_lexemes(parsed)
        if titles.prefers_index(lexemes, textsearch.RANK_WINDOW, read_cost=TITLE_READ_COST):
            words = fulltext.tsquery(parsed)
            return "ts_filter(search, '{a}') @@ CAST($4 AS tsquery)", "id + 0", (words,)
        return "ts_match_vq(search, q)", "id", ()

    async def iter_papers(
        self, *, since: dt.date | str | None = None, until: dt.date | str | None = None
    ) -> AsyncIterator[Paper]:
        """Every paper listed in the range (all by default), by first day then position."""
        async with self._conn() as c:
            rows = await c.all(
                """SELECT p.id FROM papers p
                   JOIN appearances a ON a.paper_id = p.id AND a.date = p.first_date
                   WHERE EXISTS (SELECT 1 FROM appearances r
                                 WHERE r.paper_id = p.id AND r.date BETWEEN $1 AND $2)
                   ORDER BY p.first_date, a.position, p.id""",
                as_day(since) or MIN_DATE,
                as_day(until) or MAX_DATE,
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
        return int(await self._value("SELECT count(*) FROM papers"))
