"""Research answers of the SQLite backend: similar papers, term trends, rising papers.

Similar papers (scoring in :mod:`storage.similar`): the document frequencies of a paper's words
are counted in the full-text index, each up to one past :func:`storage.similar.df_cap` (a term
held by more papers is not used; ``fts5vocab`` read a term's whole list, up to 40 ms a term at a
million papers), the papers holding its key terms from one ``MATCH`` per term (one statement
over a JSON array of quoted terms), its authors' papers from ``paper_authors``. Trends count a
term's matches (the search's query language, :func:`storage.text.parse_query`) by the first day
each paper was listed in the range. Rising papers read ``vote_history`` by its ``at`` index
(migration 12).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from storage import similar
from storage import text as textsearch
from storage.models import (
    Page,
    Paper,
    RisingPaper,
    SimilarPapers,
    TermTrend,
    TrendBucket,
    TrendPoint,
)
from storage.sqlite.connection import (
    MAX_DATE,
    MIN_DATE,
    Conn,
    StoreBase,
    clamp,
    ids_json,
    iso_day,
)
from storage.sqlite.papers import PAPER_SELECT, PAPER_WIDTH, paper_from_row, papers_by_id
from storage.text import ref_candidates

#: The first day of a day's week (Monday) or month, as SQL over a ``YYYY-MM-DD`` column ``d``.
BUCKET_SQL = {
    "week": "date(d, '-' || ((CAST(strftime('%w', d) AS INTEGER) + 6) % 7) || ' days')",
    "month": "substr(d, 1, 7) || '-01'",
}


def _fts_word(word: str) -> str:
    """One indexed word as an FTS5 string (quotes doubled): never read as query syntax."""
    return '"' + word.replace('"', '""') + '"'


class _SimilarReads:
    """The reads of :func:`storage.similar.similar_to` on one connection."""

    def __init__(self, c: Conn) -> None:
        self.c = c

    async def paper_total(self) -> int:
        return int((await self.c.one("SELECT count(*) FROM papers"))[0])

    async def document_frequencies(self, terms: Sequence[str], total: int) -> dict[str, int]:
        # Counted up to one past the cap (a term held by more papers is not used): a common
        # term's whole list is never read.
        quoted = {_fts_word(t): t for t in terms}
        return {
            quoted[word]: int(count)
            for word, count in await self.c.all(
                """SELECT j.value, (SELECT count(*) FROM (SELECT 1 FROM paper_fts f
                                                          WHERE f.paper_fts MATCH j.value
                                                          LIMIT ?))
                   FROM json_each(?) j""",
                (similar.df_cap(total) + 1, ids_json(quoted)),
            )
            if count
        }

    async def postings(self, terms: Sequence[str]) -> dict[str, list[int]]:
        quoted = {_fts_word(t): t for t in terms}
        postings: dict[str, list[int]] = {}
        for word, paper_id in await self.c.all(
            """SELECT j.value, f.rowid FROM json_each(?) j, paper_fts f
               WHERE f.paper_fts MATCH j.value""",
            (ids_json(quoted),),
        ):
            postings.setdefault(quoted[word], []).append(int(paper_id))
        return postings

    async def authors_of(self, paper_id: int) -> list[tuple[int, int]]:
        rows = await self.c.all(
            """SELECT a.id, a.paper_count FROM paper_authors pa
               JOIN authors a ON a.id = pa.author_id WHERE pa.paper_id = ?""",
            (paper_id,),
        )
        return [(int(author), int(count)) for author, count in rows]

    async def author_papers(self, author_ids: Sequence[int]) -> dict[int, list[int]]:
        papers: dict[int, list[int]] = {}
        for author, paper_id in await self.c.all(
            """SELECT pa.author_id, pa.paper_id FROM paper_authors pa
               WHERE pa.author_id IN (SELECT value FROM json_each(?)) LIMIT ?""",
            (ids_json(author_ids), similar.AUTHOR_PAPERS),
        ):
            papers.setdefault(int(author), []).append(int(paper_id))
        return papers

    async def papers_by_id(self, ids: Sequence[int]) -> dict[int, Paper]:
        return await papers_by_id(self.c, ids)


class ResearchQueries(StoreBase):
    """The :class:`storage.ports.ResearchStore` of the SQLite backend."""

    async def similar_papers(self, ref: str, *, limit: int = 8) -> SimilarPapers | None:
        """The ``limit`` papers most like the paper ``ref`` names (``None``: unknown)."""
        limit, _ = clamp(limit, 0)
        candidates = ref_candidates(ref or "")
        if not candidates:
            return None
        async with self._conn() as c:
            row = await c.one(
                f"""SELECT {PAPER_SELECT} FROM papers p
                    WHERE p.arxiv_id IN (SELECT value FROM json_each(?))
                    ORDER BY p.arxiv_id = ? DESC LIMIT 1""",
                (ids_json(candidates), candidates[0]),
            )
            if row is None:
                return None
            paper_id, paper = int(row[0]), paper_from_row(row)
            if limit == 0:
                return SimilarPapers(paper, ())
            found = await similar.similar_to(_SimilarReads(c), paper_id, paper, limit=limit)
        return SimilarPapers(paper, found)

    async def term_trends(
        self,
        terms: Sequence[str],
        *,
        since: dt.date | str | None,
        until: dt.date | str | None,
        bucket: TrendBucket = "week",
    ) -> list[TermTrend]:
        """Per term, its papers per week or month in the range (see the port)."""
        bounds = {"lo": iso_day(since) or MIN_DATE, "hi": iso_day(until) or MAX_DATE}
        start = BUCKET_SQL[bucket]
        trends: list[TermTrend] = []
        async with self._conn() as c:
            for term in terms:
                query = textsearch.parse_query(term)
                points: tuple[TrendPoint, ...] = ()
                if not query.is_empty:
                    # A paper's first day in the range is its first day when that is in the
                    # range (most papers: one day), else its first appearance after ``lo``;
                    # papers are read through the covering index ``papers_card``.
                    rows = await c.all(
                        f"""SELECT {start} AS b, count(*), coalesce(sum(votes), 0) FROM (
                                SELECT CASE WHEN p.first_date >= :lo THEN p.first_date
                                       ELSE (SELECT min(a.date) FROM appearances a
                                             WHERE a.paper_id = p.id AND a.date >= :lo)
                                       END AS d,
                                       p.votes AS votes
                                FROM paper_fts f JOIN papers p ON p.id = f.rowid
                                WHERE paper_fts MATCH :q AND p.last_date >= :lo
                                  AND p.first_date <= :hi)
                            WHERE d <= :hi GROUP BY b ORDER BY b""",
                        {"q": query.fts, **bounds},
                    )
                    points = tuple(
                        TrendPoint(dt.date.fromisoformat(b), int(n), int(v)) for b, n, v in rows
                    )
                trends.append(TermTrend(term, points))
        return trends

    async def rising_papers(
        self,
        since: dt.date | str | None,
        until: dt.date | str | None,
        *,
        limit: int = 10,
        offset: int = 0,
    ) -> Page[RisingPaper]:
        """Papers whose votes grew in the range, most gained first (see the port)."""
        limit, offset = clamp(limit, offset)
        lo = iso_day(since) or MIN_DATE
        hi = iso_day(until) or MAX_DATE
        # ``at`` is a UTC ISO moment: every moment of day D sorts within [D, D + 1).
        hi_next = (
            (dt.date.fromisoformat(hi) + dt.timedelta(days=1)).isoformat()
            if hi != MAX_DATE
            else MAX_DATE
        )
        sql = f"""WITH moved AS (
                SELECT r.paper_id,
                       coalesce(
                           (SELECT b.votes FROM vote_history b
                            WHERE b.paper_id = r.paper_id AND b.at < :lo
                            ORDER BY b.at DESC LIMIT 1),
                           (SELECT b.votes FROM vote_history b
                            WHERE b.paper_id = r.paper_id AND b.at >= :lo
                            ORDER BY b.at LIMIT 1)) AS start_votes,
                       (SELECT e.votes FROM vote_history e
                        WHERE e.paper_id = r.paper_id AND e.at < :hi
                        ORDER BY e.at DESC LIMIT 1) AS end_votes
                FROM (SELECT DISTINCT paper_id FROM vote_history
                      WHERE at >= :lo AND at < :hi) r),
            page AS (
                SELECT paper_id, start_votes, end_votes, count(*) OVER () AS total
                FROM moved WHERE end_votes > start_votes
                ORDER BY end_votes - start_votes DESC, end_votes DESC, paper_id
                LIMIT :limit OFFSET :offset)
            SELECT {PAPER_SELECT}, page.start_votes, page.end_votes, page.total
            FROM page CROSS JOIN papers p ON p.id = page.paper_id
            ORDER BY page.end_votes - page.start_votes DESC, page.end_votes DESC, p.id"""
        count_sql = """SELECT count(*) FROM (SELECT DISTINCT paper_id FROM vote_history
                       WHERE at >= :lo AND at < :hi) r
                       WHERE (SELECT e.votes FROM vote_history e WHERE e.paper_id = r.paper_id
                              AND e.at < :hi ORDER BY e.at DESC LIMIT 1) >
                             coalesce((SELECT b.votes FROM vote_history b
                                       WHERE b.paper_id = r.paper_id AND b.at < :lo
                                       ORDER BY b.at DESC LIMIT 1),
                                      (SELECT b.votes FROM vote_history b
                                       WHERE b.paper_id = r.paper_id AND b.at >= :lo
                                       ORDER BY b.at LIMIT 1))"""
        params: dict[str, Any] = {"lo": lo, "hi": hi_next, "limit": limit, "offset": offset}
        async with self._conn() as c:
            rows = await c.all(sql, params)
            if rows:
                total = int(rows[0][PAPER_WIDTH + 2])
            elif offset == 0 and limit > 0:
                total = 0
            else:
                total = int((await c.one(count_sql, params))[0])
        items = tuple(
            RisingPaper(paper_from_row(row), int(row[PAPER_WIDTH]), int(row[PAPER_WIDTH + 1]))
            for row in rows
        )
        return Page(items, total, offset, limit)
