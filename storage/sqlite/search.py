"""Keyword search over titles and summaries (see :mod:`storage.text` for the index form).

The top page comes from one FTS5 query: by relevance, the newest :data:`storage.text.RANK_WINDOW`
matches (FTS5 walks a match by row id, newest first, without ranking) ranked by ``rank`` (bm25
with title weighted 10x), then the next window (:func:`storage.text.rank_windows`), so at most a
window's rows are scored for a page; by votes or recency, every match sorted. The total rides
along as a ``count(*)`` subquery over the same ``MATCH`` without ranking, up to one past
:data:`storage.text.COUNT_CAP` (computed once per query), and the page's papers (row, authors,
days, API extras) read by the same statement; the snippets are cut here.

Searches run on the store's read pool (:class:`storage.sqlite.connection.ReadPool`: read-only
connections, each in a thread of its own), beside each other and beside the writes of an import
on the store's own connection, and never on the event loop's thread; in WAL mode they read the
last committed state: never half an import. An in-memory store searches on its one connection.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from storage import text as textsearch
from storage.models import Page, SearchHit, SortOrder
from storage.sqlite.connection import MAX_DATE, MIN_DATE, StoreBase, clamp, iso_day
from storage.sqlite.papers import PAPER_SELECT, PAPER_WIDTH, paper_from_row

#: ``ORDER BY`` of the searches not sorted by relevance.
SEARCH_ORDERS = {
    "votes": "p.votes DESC, p.last_date DESC, p.id DESC",
    "newest": "p.last_date DESC, p.votes DESC, p.id DESC",
}
#: The index (migration 12) in each of those orders: a search with more matches than
#: :data:`storage.text.COUNT_CAP` walks it, keeping the papers that match, and stops after the
#: page (1% of the papers or more match, so a page of ten needs a few hundred index entries)
#: instead of sorting every match.
SEARCH_ORDER_INDEXES = {"votes": "papers_votes_order", "newest": "papers_newest_order"}


def _hits(
    rows: list[Any], counted: int, query: textsearch.Query, offset: int, limit: int
) -> Page[SearchHit]:
    """A page of hits from rows of :data:`PAPER_SELECT` and the rank, snippets cut here;
    ``counted``: the matches counted, up to one past :data:`storage.text.COUNT_CAP`."""
    hits = []
    for row in rows:
        paper = paper_from_row(row)
        snippet = textsearch.hit_snippet([b.text for b in paper.summary], paper.title, query.terms)
        hits.append(SearchHit(paper, snippet, -float(row[PAPER_WIDTH])))
    cap = textsearch.COUNT_CAP
    return Page(tuple(hits), min(int(counted), cap), offset, limit, more=int(counted) > cap)


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
        # Counted up to one past COUNT_CAP (storage.text): "more than 1,000 results".
        count_sql = f"""SELECT count(*) FROM (SELECT 1 FROM paper_fts f
                        WHERE paper_fts MATCH :q{date_filter} LIMIT {textsearch.COUNT_CAP + 1})"""
        # The page's ids and ranks come from the inner statement; the outer one reads those
        # papers in the same order. ``{total}``: the total rides along, as an uncorrelated
        # subquery that SQLite computes once (a page past the end has no row to carry it), or as
        # a bound value when it is already known.
        if sort in SEARCH_ORDERS:
            order = SEARCH_ORDERS[sort]
            # No bm25 here: scoring every match (to sort them by something else) doubled the
            # time; these hits' score is 0.
            page = f"""SELECT p.id AS id, 0.0 AS rank FROM paper_fts f
                       JOIN papers p ON p.id = f.rowid
                       WHERE paper_fts MATCH :q{date_filter}
                       ORDER BY {order} LIMIT :limit OFFSET :offset"""
        else:
            # Ranked in windows of the newest matches (storage.text.rank_windows): FTS5 walks
            # a match newest first natively, and the window's LIMIT bounds how many rows get a
            # bm25 score (the costly part: 60-130 ms for 85,000 matches at 100k papers).
            order = "page.win, page.rank, page.id"
            window = textsearch.RANK_WINDOW
            page = (
                " UNION ALL ".join(
                    f"""SELECT * FROM (SELECT {w} AS win, id, rank FROM (
                            SELECT f.rowid AS id, f.rank AS rank FROM paper_fts f
                            WHERE paper_fts MATCH :q{date_filter}
                            ORDER BY f.rowid DESC LIMIT {window} OFFSET {w * window})
                        ORDER BY rank, id LIMIT {count} OFFSET {start})"""
                    for w, start, count in textsearch.rank_windows(offset, limit, window)
                )
                or "SELECT 0 AS win, 0 AS id, 0 AS rank WHERE 0"
            )
        sql = f"""SELECT {PAPER_SELECT}, page.rank, {{total}} FROM ({page}) AS page
                  CROSS JOIN papers p ON p.id = page.id ORDER BY {order}"""
        page_sql = sql.format(total=f"({count_sql})")
        reader = self._reader
        if reader is not None:
            # From the read pool, in its thread: the statement, and the rows made into papers
            # and snippets (Python work that would otherwise hold the event loop).
            def work(conn: sqlite3.Connection) -> Page[SearchHit]:
                if sort not in SEARCH_ORDER_INDEXES:
                    rows = conn.execute(page_sql, params).fetchall()
                    if rows:
                        total = rows[0][PAPER_WIDTH + 1]
                    elif offset == 0 and limit > 0:
                        total = 0
                    else:
                        total = conn.execute(count_sql, params).fetchone()[0]
                    return _hits(rows, total, parsed, offset, limit)
                # By votes or recency: counted first, then many matches walk the order's index.
                total = conn.execute(count_sql, params).fetchone()[0]
                chosen = sql.format(total=":total")
                if total > textsearch.COUNT_CAP:
                    walk = f"""SELECT p.id AS id, 0.0 AS rank
                               FROM papers p INDEXED BY {SEARCH_ORDER_INDEXES[sort]}
                               WHERE p.id IN (SELECT f.rowid FROM paper_fts f
                                              WHERE paper_fts MATCH :q{date_filter})
                               ORDER BY {SEARCH_ORDERS[sort]} LIMIT :limit OFFSET :offset"""
                    chosen = sql.format(total=":total").replace(page, walk)
                rows = conn.execute(chosen, {**params, "total": total}).fetchall()
                return _hits(rows, total, parsed, offset, limit)

            return await reader.run(work)
        async with self._conn() as c:
            rows = await c.all(page_sql, params)
            if rows:
                total = rows[0][PAPER_WIDTH + 1]
            elif offset == 0 and limit > 0:
                total = 0
            else:
                total = (await c.one(count_sql, params))[0]
        return _hits(rows, total, parsed, offset, limit)
