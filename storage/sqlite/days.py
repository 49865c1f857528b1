"""Digest days: which exist, the nearest ones, and the top papers of a day or a range.

Every query here but :meth:`DayQueries.is_empty` is a read of committed state from the read
pool (:class:`~storage.sqlite.connection.ReadPool`), beside any import.
"""

from __future__ import annotations

import datetime as dt

from storage import text as textsearch
from storage.models import DaySummary, Page, Paper
from storage.sqlite.connection import MAX_DATE, MIN_DATE, StoreBase, clamp, iso_day, parse_day
from storage.sqlite.papers import PAPER_SELECT, read_page_from


class DayQueries(StoreBase):
    """The :class:`storage.ports.DayStore` of the SQLite backend."""

    async def is_empty(self) -> bool:
        """True when no digest has been imported."""
        return bool((await self._one("SELECT NOT EXISTS (SELECT 1 FROM digests)"))[0])

    async def latest_day(self) -> dt.date | None:
        """The newest digest day that lists at least one paper."""
        # Read-only: from the read pool (committed days), never behind an import's writes.
        rows = await self._read("SELECT max(date) FROM digests WHERE paper_count > 0", urgent=True)
        return parse_day(rows[0][0])

    async def days(self, *, prefix: str = "", limit: int | None = None) -> list[DaySummary]:
        """Digest days (empty ones too), newest first; ``prefix`` filters on ``YYYY-MM-DD``."""
        prefix = (prefix or "").strip()
        lim = -1 if limit is None else max(0, int(limit))
        rows = await self._read(
            """SELECT date, paper_count FROM digests WHERE date >= ? AND date < ?
               ORDER BY date DESC LIMIT ?""",
            (prefix, textsearch.prefix_upper_bound(prefix), lim),
            urgent=True,
        )
        return [DaySummary(dt.date.fromisoformat(d), n) for d, n in rows]

    async def nearest_days(self, date: dt.date | str) -> tuple[dt.date | None, dt.date | None]:
        """The nearest days with papers strictly before and strictly after ``date``."""
        rows = await self._read(
            """SELECT (SELECT max(date) FROM digests WHERE date < ?1 AND paper_count > 0),
                      (SELECT min(date) FROM digests WHERE date > ?1 AND paper_count > 0)""",
            (iso_day(date),),
            urgent=True,
        )
        return parse_day(rows[0][0]), parse_day(rows[0][1])

    async def day_papers(
        self, date: dt.date | str, *, limit: int = 10, offset: int = 0
    ) -> Page[Paper]:
        """One day's papers by that day's votes (unknown last), then position in the digest."""
        limit, offset = clamp(limit, offset)
        count = "SELECT count(*) FROM appearances WHERE date = :day"
        return await read_page_from(
            self,
            f"""SELECT {PAPER_SELECT}, ({count}) FROM (
                        SELECT paper_id, votes, position FROM appearances WHERE date = :day
                        ORDER BY votes DESC, position LIMIT :limit OFFSET :offset) AS page
                    CROSS JOIN papers p ON p.id = page.paper_id
                    ORDER BY page.votes DESC, page.position""",
            {"day": iso_day(date), "limit": limit, "offset": offset},
            count,
            offset,
            limit,
        )

    async def top_papers(
        self,
        since: dt.date | str | None,
        until: dt.date | str | None,
        *,
        limit: int = 10,
        offset: int = 0,
    ) -> Page[Paper]:
        """Papers listed between ``since`` and ``until`` (inclusive, open ends allowed) by their
        best votes in that range, then newest appearance, then first stored."""
        limit, offset = clamp(limit, offset)
        lo, hi = iso_day(since), iso_day(until)
        params = {"lo": lo or MIN_DATE, "hi": hi or MAX_DATE, "limit": limit, "offset": offset}
        if lo is None and hi is None:
            count = "SELECT count(*) FROM papers WHERE last_date IS NOT NULL"
            sql = f"""SELECT {PAPER_SELECT}, ({count}) FROM (
                          SELECT id FROM papers WHERE last_date IS NOT NULL
                          ORDER BY best_votes DESC, last_date DESC, id
                          LIMIT :limit OFFSET :offset) AS page
                      CROSS JOIN papers p ON p.id = page.id
                      ORDER BY p.best_votes DESC, p.last_date DESC, p.id"""
        else:
            count = """SELECT count(DISTINCT paper_id) FROM appearances
                       WHERE date BETWEEN :lo AND :hi"""
            sql = f"""SELECT {PAPER_SELECT}, ({count}) FROM (
                          SELECT paper_id, max(votes) AS best, max(date) AS newest
                          FROM appearances WHERE date BETWEEN :lo AND :hi GROUP BY paper_id
                          ORDER BY best DESC, newest DESC, paper_id
                          LIMIT :limit OFFSET :offset) AS page
                      CROSS JOIN papers p ON p.id = page.paper_id
                      ORDER BY page.best DESC, page.newest DESC, page.paper_id"""
        return await read_page_from(self, sql, params, count, offset, limit)
