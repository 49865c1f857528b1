"""Research answers of the PostgreSQL backend: similar papers, term trends, rising papers.

The semantics are the SQLite backend's (:mod:`storage.sqlite.research`; scoring in
:mod:`storage.similar`). PostgreSQL keeps no vocabulary of the ``tsvector`` index: a common
term's document frequency is the planner's estimate (``pg_stats``' most common elements of the
``search`` column, kept by autovacuum's ANALYZE, as the store's searches read them:
:mod:`storage.postgres.statistics`), a rarer term's is counted from the GIN index.
Trends bucket with ``date_trunc`` (weeks start on Monday there too), each term counted on a
connection of its own, side by side.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence

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
from storage.postgres import fulltext
from storage.postgres.connection import MAX_DATE, MIN_DATE, Conn, as_day, clamp
from storage.postgres.papers import PAPER_SELECT, PAPER_WIDTH, paper_from_row, papers_by_id
from storage.postgres.statistics import Shares, StatisticsReads
from storage.text import ref_candidates
from storage.tsvector import quote

_RISING = """WITH moved AS (
        SELECT r.paper_id,
               coalesce(
                   (SELECT b.votes FROM vote_history b
                    WHERE b.paper_id = r.paper_id AND b.at < $1
                    ORDER BY b.at DESC LIMIT 1),
                   (SELECT b.votes FROM vote_history b
                    WHERE b.paper_id = r.paper_id AND b.at >= $1
                    ORDER BY b.at LIMIT 1)) AS start_votes,
               (SELECT e.votes FROM vote_history e
                WHERE e.paper_id = r.paper_id AND e.at < $2
                ORDER BY e.at DESC LIMIT 1) AS end_votes
        FROM (SELECT DISTINCT paper_id FROM vote_history WHERE at >= $1 AND at < $2) r)"""


def _moment(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


#: From how many papers (the planner's estimate) the total is estimated rather than counted.
ESTIMATED_FROM = 100_000


async def _document_frequencies(
    c: Conn, terms: list[str], total: int, shares: Shares | None
) -> dict[str, int]:
    """How many papers hold each term: from the planner's statistics of the ``search`` column
    (``shares``, :mod:`storage.postgres.statistics`) where they list the term among its most
    common elements (the common terms, whose exact count would read thousands of rows), else
    counted from the GIN index (a term not listed there is rarer than every listed one).
    Without statistics yet (a database not analysed since its import), every term is
    counted."""
    listed = shares.listed if shares is not None else {}
    common = {term: listed[term] for term in terms if term in listed}
    df = {term: max(1, round(freq * total)) for term, freq in common.items()}
    rest = [t for t in terms if t not in common]
    if rest:
        # Counted up to one past the cap: a term held by more papers is not used
        # (:func:`storage.similar.key_terms`), so the count stops there. Through the GIN index
        # (no more papers hold these terms than the least common element the statistics list).
        for r in await c.all(
            """SELECT t.term, (SELECT count(*) FROM (SELECT 1 FROM papers p
                                                     WHERE p.search @@ CAST(t.q AS tsquery)
                                                     LIMIT $3) AS held)
               FROM unnest($1::text[], $2::text[]) AS t(term, q)""",
            rest,
            [quote(t) for t in rest],
            similar.df_cap(total) + 1,
        ):
            df[r[0]] = int(r[1])
    return df


async def _paper_total(c: Conn) -> int:
    """How many papers there are, for the terms' weights: the planner's estimate once the table
    is large (counting a million rows took 55-220 ms, and a weight moves little with an
    estimate a few percent off), else counted, so small archives weigh exactly."""
    return int(
        await c.value(
            f"""SELECT CASE WHEN c.reltuples >= {ESTIMATED_FROM}
                            THEN c.reltuples::bigint
                            ELSE (SELECT count(*) FROM papers) END
                FROM pg_class c WHERE c.oid = 'papers'::regclass"""
        )
    )


class _SimilarReads:
    """The reads of :func:`storage.similar.similar_to` on one connection."""

    def __init__(self, c: Conn, shares: Shares | None) -> None:
        self.c = c
        self.shares = shares

    async def paper_total(self) -> int:
        return await _paper_total(self.c)

    async def document_frequencies(self, terms: Sequence[str], total: int) -> dict[str, int]:
        return await _document_frequencies(self.c, list(terms), total, self.shares)

    async def postings(self, terms: Sequence[str]) -> dict[str, list[int]]:
        postings: dict[str, list[int]] = {}
        for term, paper_id in await self.c.all(
            """SELECT t.term, p.id FROM unnest($1::text[], $2::text[]) AS t(term, q)
               JOIN papers p ON p.search @@ CAST(t.q AS tsquery)""",
            list(terms),
            [quote(t) for t in terms],
        ):
            postings.setdefault(term, []).append(int(paper_id))
        return postings

    async def authors_of(self, paper_id: int) -> list[tuple[int, int]]:
        rows = await self.c.all(
            """SELECT a.id, a.paper_count FROM paper_authors pa
               JOIN authors a ON a.id = pa.author_id WHERE pa.paper_id = $1""",
            paper_id,
        )
        return [(int(author), int(count)) for author, count in rows]

    async def author_papers(self, author_ids: Sequence[int]) -> dict[int, list[int]]:
        papers: dict[int, list[int]] = {}
        for author, paper_id in await self.c.all(
            """SELECT author_id, paper_id FROM paper_authors
               WHERE author_id = ANY($1::bigint[]) LIMIT $2""",
            list(author_ids),
            similar.AUTHOR_PAPERS,
        ):
            papers.setdefault(int(author), []).append(int(paper_id))
        return papers

    async def papers_by_id(self, ids: Sequence[int]) -> dict[int, Paper]:
        return await papers_by_id(self.c, ids)


class ResearchQueries(StatisticsReads):
    """The :class:`storage.ports.ResearchStore` of the PostgreSQL backend."""

    async def similar_papers(self, ref: str, *, limit: int = 8) -> SimilarPapers | None:
        """The ``limit`` papers most like the paper ``ref`` names (``None``: unknown)."""
        limit, _ = clamp(limit, 0)
        candidates = ref_candidates((ref or "").replace("\x00", ""))
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
                return None
            paper_id, paper = int(row[0]), paper_from_row(row)
            if limit == 0:
                return SimilarPapers(paper, ())
            reads = _SimilarReads(c, await self._shares(c))
            found = await similar.similar_to(reads, paper_id, paper, limit=limit)
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
        lo, hi = as_day(since) or MIN_DATE, as_day(until) or MAX_DATE
        unit = "week" if bucket == "week" else "month"

        async def one(term: str) -> TermTrend:
            tsquery = fulltext.tsquery(textsearch.parse_query(term))
            if not tsquery:
                return TermTrend(term, ())
            rows = await self._all(
                f"""SELECT date_trunc('{unit}', m.d)::date AS b, count(*),
                           coalesce(sum(m.votes), 0)
                    FROM (SELECT CASE WHEN p.first_date >= $2 THEN p.first_date
                                 ELSE (SELECT min(a.date) FROM appearances a
                                       WHERE a.paper_id = p.id AND a.date >= $2)
                                 END AS d,
                                 p.votes
                          FROM papers p
                          WHERE p.search @@ CAST($1 AS tsquery)
                            AND p.last_date >= $2 AND p.first_date <= $3) AS m
                    WHERE m.d <= $3
                    GROUP BY b ORDER BY b""",
                tsquery,
                lo,
                hi,
            )
            return TermTrend(term, tuple(TrendPoint(r[0], int(r[1]), int(r[2])) for r in rows))

        # Each term on a connection of its own: the server counts them side by side.
        return list(await asyncio.gather(*(one(term) for term in terms)))

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
        lo_day, hi_day = as_day(since), as_day(until)
        lo = _moment(lo_day) if lo_day else dt.datetime.min.replace(tzinfo=dt.UTC)
        hi = (
            _moment(hi_day + dt.timedelta(days=1))
            if hi_day and hi_day < MAX_DATE
            else dt.datetime.max.replace(tzinfo=dt.UTC)
        )
        sql = f"""{_RISING},
            page AS (
                SELECT paper_id, start_votes, end_votes, count(*) OVER () AS total
                FROM moved WHERE end_votes > start_votes
                ORDER BY end_votes - start_votes DESC, end_votes DESC, paper_id
                LIMIT $3 OFFSET $4)
            SELECT {PAPER_SELECT}, page.start_votes, page.end_votes, page.total
            FROM page JOIN papers p ON p.id = page.paper_id
            ORDER BY page.end_votes - page.start_votes DESC, page.end_votes DESC, p.id"""
        count_sql = f"{_RISING} SELECT count(*) FROM moved WHERE end_votes > start_votes"
        async with self._conn() as c:
            rows = await c.all(sql, lo, hi, limit, offset)
            if rows:
                total = int(rows[0][PAPER_WIDTH + 2])
            elif offset == 0 and limit > 0:
                total = 0
            else:
                total = int(await c.value(count_sql, lo, hi))
        items = tuple(
            RisingPaper(paper_from_row(r), int(r[PAPER_WIDTH]), int(r[PAPER_WIDTH + 1]))
            for r in rows
        )
        return Page(items, total, offset, limit)
