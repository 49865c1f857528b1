"""Keyword search over titles and summaries (see :mod:`storage.text` for the index form).

The top page comes from one FTS5 query ordered by ``rank`` (bm25 with title weighted 10x) with
``LIMIT``, the total riding along as a ``count(*)`` subquery over the same ``MATCH`` without
ranking (computed once per query); then the page's papers (row, authors, days, API extras) are
read by id and the snippets cut in the same call.

A search that matches few papers (at most :data:`QUICK_SEARCH_MATCHES`) is answered on the event
loop's thread from a second, read-only connection (``StoreBase._reader``), because the two thread
wake-ups of a call into aiosqlite's worker cost as much as the search itself there; in WAL mode
that connection reads the last committed state: never half an import.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from storage import text as textsearch
from storage.models import Page, Paper, SearchHit, SortOrder
from storage.sqlite.connection import MAX_DATE, MIN_DATE, Conn, StoreBase, clamp, iso_day
from storage.sqlite.papers import read_papers

#: A search matching at most this many papers is answered on the event loop's thread (see the
#: module docstring): ranking that many takes a few milliseconds at most.
QUICK_SEARCH_MATCHES = 2000
#: ``ORDER BY`` of the searches not sorted by relevance.
SEARCH_ORDERS = {
    "votes": "p.votes DESC, p.last_date DESC, p.id DESC",
    "newest": "p.last_date DESC, p.votes DESC, p.id DESC",
}


def _snippet(paper: Paper, query: textsearch.Query) -> tuple[tuple[str, bool], ...]:
    return textsearch.hit_snippet([b.text for b in paper.summary], paper.title, query.terms)


class SearchQueries(StoreBase):
    """:meth:`search`, the search half of :class:`storage.ports.PaperStore`."""

    async def search(
        self,
        query: str,
        *,
        since: dt.date | str | None = None,
        until: dt.date | str | None = None,
        sort: SortOrder = "relevance",
        limit: int = 10,
        offset: int = 0,
    ) -> Page[SearchHit]:
        """Keyword search over titles and summaries; any text is safe (see :mod:`storage.text`).

        ``sort``: ``relevance`` (bm25, title weighted), ``votes`` (latest votes) or ``newest``
        (latest appearance). ``since``/``until`` keep papers listed on a day in that range.
        """
        limit, offset = clamp(limit, offset)
        parsed = textsearch.parse_query(query)
        if parsed.is_empty:
            return Page((), 0, offset, limit)
        filtered = since is not None or until is not None
        date_filter = (
            """ AND EXISTS (SELECT 1 FROM appearances a WHERE a.paper_id = f.rowid
                            AND a.date BETWEEN :lo AND :hi)"""
            if filtered
            else ""
        )
        params: dict[str, Any] = {"q": parsed.fts, "limit": limit, "offset": offset}
        if filtered:
            params.update(lo=iso_day(since) or MIN_DATE, hi=iso_day(until) or MAX_DATE)
        count_sql = f"SELECT count(*) FROM paper_fts f WHERE paper_fts MATCH :q{date_filter}"
        # ``{total}``: the total rides along in the page's statement, as an uncorrelated subquery
        # that SQLite computes once (a page past the end has no row to carry it), or as a bound
        # value when it is already known.
        if sort in SEARCH_ORDERS:
            sql = f"""SELECT p.id, f.rank, {{total}} FROM paper_fts f
                      JOIN papers p ON p.id = f.rowid
                      WHERE paper_fts MATCH :q{date_filter}
                      ORDER BY {SEARCH_ORDERS[sort]} LIMIT :limit OFFSET :offset"""
        else:
            # ``+f.rank``: SQLite's own top-N sort over the ranked rows. Plain ``ORDER BY rank``
            # hands the sort to FTS5, which sorts every match in a nested query and then seeks
            # each row again: about 1.5x slower on 100k papers (bench/bench_store.py), for rare
            # words too.
            sql = f"""SELECT f.rowid, f.rank, {{total}} FROM paper_fts f
                      WHERE paper_fts MATCH :q{date_filter}
                      ORDER BY +f.rank, f.rowid LIMIT :limit OFFSET :offset"""
        reader = self._reader
        if reader is not None:
            # Counting up to the bound costs at most a fraction of a millisecond; few matches
            # are then answered right here instead of paying two thread wake-ups.
            total = reader.one(
                f"""SELECT count(*) FROM (SELECT 1 FROM paper_fts f
                    WHERE paper_fts MATCH :q{date_filter} LIMIT {QUICK_SEARCH_MATCHES + 1})""",
                params,
            )[0]
            if total <= QUICK_SEARCH_MATCHES:
                params["total"] = total
                return self._search_page(reader, sql.format(total=":total"), params, parsed)
        return await self._run(
            self._search_page, sql.format(total=f"({count_sql})"), params, parsed, count_sql
        )

    def _search_page(
        self,
        c: Conn,
        sql: str,
        params: dict[str, Any],
        parsed: textsearch.Query,
        count_sql: str | None = None,
    ) -> Page[SearchHit]:
        """One page of hits; the statement's third column is the total (see :meth:`search`)."""
        limit, offset = params["limit"], params["offset"]
        rows = c.all(sql, params)
        if rows:
            total = rows[0][2]
        elif count_sql is None:
            total = params["total"]
        elif offset == 0 and limit > 0:
            total = 0
        else:
            total = c.one(count_sql, params)[0]
        papers = read_papers(c, [r[0] for r in rows])
        hits = tuple(
            SearchHit(paper, _snippet(paper, parsed), -float(rank))
            for paper, rank in zip(papers, (r[1] for r in rows), strict=False)
        )
        return Page(hits, total, offset, limit)
