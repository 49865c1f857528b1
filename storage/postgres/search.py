"""Keyword search over titles and summaries (see :mod:`storage.postgres.fulltext`).

One statement: the top page from the GIN index on ``papers.search`` (by relevance, the newest
:data:`storage.text.RANK_WINDOW` matches by primary key ordered by ``ts_rank``, title weighted
10x, then the next window: :func:`storage.text.rank_windows`; or every match by votes or
recency), the page's papers read by the same statement, and the total. By relevance, with the
count cap (:data:`storage.text.COUNT_CAP`) below a window as by default, the total comes from
the windows themselves (how many matches the page's first window holds: short of a full window
it is every match, a full one is more than the cap), so the matches are read once. Otherwise
it is an uncorrelated subquery computed once, up to one past the cap (its ``LIMIT`` also
fences it: the planner counts matches instead of carrying whole rows, which spilled to disk).
The snippets are cut here, by :func:`storage.text.hit_snippet`.

The newest matches of a window come from walking the primary key newest first, each paper
checked, or from reading every match through the GIN index and sorting them: the planner's
choice, except for a query with an English phrase or a Korean word of three syllables or more
(:func:`storage.postgres.fulltext.misjudged`), where the store chooses by the planner's
statistics of its lexemes (:mod:`storage.postgres.statistics`; see ``search``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg

from storage import text as textsearch
from storage.models import Page, SearchHit, SortOrder
from storage.postgres import fulltext
from storage.postgres.connection import MAX_DATE, MIN_DATE, Conn, as_day, clamp
from storage.postgres.papers import PAPER_SELECT, PAPER_WIDTH, paper_from_row
from storage.postgres.statistics import StatisticsReads

#: ``ORDER BY`` of the searches not sorted by relevance (NULL votes last, as in SQLite).
SEARCH_ORDERS = {
    "votes": "p.votes DESC NULLS LAST, p.last_date DESC NULLS LAST, p.id DESC",
    "newest": "p.last_date DESC NULLS LAST, p.votes DESC NULLS LAST, p.id DESC",
}
_RANK = f"ts_rank('{fulltext.RANK_WEIGHTS}', p.search, q)"


def _hits(
    rows: list[asyncpg.Record], counted: int, query: textsearch.Query, offset: int, limit: int
) -> Page[SearchHit]:
    """A page of hits from rows of :data:`PAPER_SELECT` and the rank, snippets cut here;
    ``counted``: the matches counted, up to one past :data:`storage.text.COUNT_CAP`."""
    hits = []
    for row in rows:
        paper = paper_from_row(row)
        snippet = textsearch.hit_snippet([b.text for b in paper.summary], paper.title, query.terms)
        hits.append(SearchHit(paper, snippet, float(row[PAPER_WIDTH])))
    cap = textsearch.COUNT_CAP
    return Page(tuple(hits), min(int(counted), cap), offset, limit, more=int(counted) > cap)


def _windows(windows: list[tuple[int, int, int]], matches: str, newest: str) -> str:
    """The page's rows from its ranking windows (:func:`storage.text.rank_windows`): each
    window's ``matches`` (a ``FROM ... WHERE``) taken in the order ``newest`` (descending),
    ranked, and cut to the page."""
    window = textsearch.RANK_WINDOW
    return (
        " UNION ALL ".join(
            f"""(SELECT {w} AS win, r.id, r.rank, count(*) OVER () AS n FROM (
                    SELECT p.id, {_RANK} AS rank {matches}
                    ORDER BY {newest} DESC LIMIT {window} OFFSET {w * window}) AS r
                ORDER BY r.rank DESC, r.id LIMIT {count} OFFSET {start})"""
            for w, start, count in windows
        )
        or "SELECT 0 AS win, 0 AS id, 0.0::real AS rank, 0::bigint AS n WHERE false"
    )


class SearchQueries(StatisticsReads):
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
        """Keyword search over titles and summaries; any text is safe (see
        :mod:`storage.postgres.fulltext`).

        ``sort``: ``relevance`` (title matches first), ``votes`` (latest votes) or ``newest``
        (latest appearance). ``since``/``until`` keep papers listed on a day in that range.
        """
        limit, offset = clamp(limit, offset)
        parsed = textsearch.parse_query(query)
        tsquery = fulltext.tsquery(parsed)
        if not tsquery:
            return Page((), 0, offset, limit)
        args: list[Any] = [tsquery]
        days = ""  # the date range, if any
        if since is not None or until is not None:
            args += [as_day(since) or MIN_DATE, as_day(until) or MAX_DATE]
            days = """ AND EXISTS (SELECT 1 FROM appearances a WHERE a.paper_id = p.id
                                   AND a.date BETWEEN $2 AND $3)"""

        def matching(matched: str) -> str:
            """The ``FROM ... WHERE`` of the papers ``matched`` picks (a condition on ``p`` and
            the query ``q``) in the date range."""
            return f"FROM papers p, CAST($1 AS tsquery) AS q WHERE {matched}{days}"

        matches = matching("p.search @@ q")
        # Counted up to one past COUNT_CAP (storage.text): an exact count of a common word read
        # every matching row (200-400 ms at 100k papers); this reads at most 1,001.
        count_sql = (
            f"SELECT count(*) FROM (SELECT 1 {matches} LIMIT {textsearch.COUNT_CAP + 1}) AS m"
        )
        count_column = f"({count_sql})"  # in the page's rows
        derived = False  # the total from the ranking windows instead
        chooses = False  # whether the store chooses how the newest matches are read
        if sort in SEARCH_ORDERS:
            page_order = SEARCH_ORDERS[sort]
            order = page_order.replace("p.", "page.")
            # No ts_rank here: these hits' score is 0 (as on SQLite).
            sorted_page = f"""SELECT p.id, p.votes, p.last_date, 0.0::real AS rank {matches}
                              ORDER BY {page_order} LIMIT {limit} OFFSET {offset}"""
            windows = []
        else:
            # Ranked in windows of the newest matches (storage.text.rank_windows): the window's
            # rows come newest first, each ranked as it is read (its tsvector is at hand there;
            # reading it again by key cost 30-600 ms), then sorted. ``n``: how many matches the
            # window holds, which gives the total (see ``work``).
            order = "page.win, page.rank DESC, page.id"
            chooses = fulltext.misjudged(parsed)
            windows = textsearch.rank_windows(offset, limit, textsearch.RANK_WINDOW)
            if windows and textsearch.COUNT_CAP < textsearch.RANK_WINDOW:
                # The windows tell the total: a first window short of full holds every match; a
                # full one (or any row past it) means more than the cap. No second pass over the
                # matches (the count read up to 1,001 of them again: 5-30 ms at 100k papers).
                count_column, derived = "0", True
        extra = ", page.win, page.n" if derived else ""

        def statement(newest: str, matched: str) -> str:
            """The whole statement, the windows taking the newest matches (``matched``) by
            ``newest``."""
            if sort in SEARCH_ORDERS:
                page = sorted_page
            else:
                page = _windows(windows, matching(matched), newest)
            return f"""SELECT {PAPER_SELECT}, page.rank, {count_column}{extra}
                       FROM ({page}) AS page JOIN papers p ON p.id = page.id ORDER BY {order}"""

        async def work(c: Conn, sql: str) -> tuple[list[asyncpg.Record], int]:
            # Planned for this query's own words: the session's plan_cache_mode
            # (storage.postgres.store.SESSION_SETTINGS).
            rows = await c.all(sql, *args)
            if rows and derived:
                # rows[0] is of the first window the page touches: one past a full window (or
                # a later one) holds more than the cap; short of full, it holds every match.
                win, n = rows[0][PAPER_WIDTH + 2], rows[0][PAPER_WIDTH + 3]
                full = win > 0 or n >= textsearch.RANK_WINDOW
                return rows, textsearch.COUNT_CAP + 1 if full else n
            if rows:
                return rows, rows[0][PAPER_WIDTH + 1]
            if offset == 0 and limit > 0:
                return rows, 0
            return rows, await c.value(count_sql, *args)

        async with self._conn() as c:
            # The newest first: by the primary key, walked newest first and each paper checked
            # until a window's worth match, or all the matches read through the GIN index and
            # sorted (``p.id + 0``: an order no index gives), the planner's choice by its
            # estimate of how many match. For a phrase (word pairs, Korean bigrams) the store
            # chooses: the planner takes a phrase's lexemes as independent ("large language
            # models" at a million papers: 5,138 estimated, 56,315 read through the index, 242
            # ms against 25 for the walk; "데이터셋" at 100k: 7,179 estimated, 30,391 read, 115
            # ms against 8) and prices reading through the index too high when it is right
            # ("language models" at 100k papers: 24 ms walked, 8 read through the index). The
            # walk is then forced with the function behind ``@@``, which no index serves.
            newest, matched = "p.id", "p.search @@ q"
            shares = await self._shares(c) if chooses or len(parsed.terms) > 1 else None
            if shares is not None and len(parsed.terms) > 1:
                # The rarest term checked first (fulltext.rarest_first): same matches and rank.
                args[0] = fulltext.tsquery(fulltext.rarest_first(parsed, shares.term_share))
            if shares is not None and chooses:
                if shares.prefers_index(fulltext.term_lexemes(parsed), textsearch.RANK_WINDOW):
                    newest = "p.id + 0"
                else:
                    matched = "ts_match_vq(p.search, q)"
            rows, total = await work(c, statement(newest, matched))
        return _hits(rows, total, parsed, offset, limit)
