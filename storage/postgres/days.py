"""Digest days: which exist, the nearest ones, and the top papers of a day or a range."""

from __future__ import annotations

import datetime as dt

from storage.models import DaySummary, Page, Paper
from storage.postgres.connection import MAX_DATE, MIN_DATE, StoreBase, as_day, clamp
from storage.postgres.papers import PAPER_SELECT, read_page


class DayQueries(StoreBase):
    """The :class:`storage.ports.DayStore` of the PostgreSQL backend."""

    async def is_empty(self) -> bool:
        """True when no digest has been imported."""
        return bool(await self._value("SELECT NOT EXISTS (SELECT 1 FROM digests)"))

    async def latest_day(self) -> dt.date | None:
        """The newest digest day that lists at least one paper."""
        day: dt.date | None = await self._value(
            "SELECT max(date) FROM digests WHERE paper_count > 0"
        )
        return day

    async def days(self, *, prefix: str = "", limit: int | None = None) -> list[DaySummary]:
        """Digest days (empty ones too), newest first; ``prefix`` filters on ``YYYY-MM-DD``."""
        prefix = (prefix or "").strip()
        rows = await self._all(
            """SELECT date, paper_count FROM digests
               WHERE starts_with(to_char(date, 'YYYY-MM-DD'), $1)
               ORDER BY date DESC LIMIT $2""",
            prefix,
            None if limit is None else max(0, int(limit)),
        )
        return [DaySummary(d, n) for d, n in rows]

    async def nearest_days(self, date: dt.date | str) -> tuple[dt.date | None, dt.date | None]:
        """The nearest days with papers strictly before and strictly after ``date``."""
        row = await self._one(
            """SELECT (SELECT max(date) FROM digests WHERE date < $1 AND paper_count > 0),
                      (SELECT min(date) FROM digests WHERE date > $1 AND paper_count > 0)""",
            as_day(date),
        )
        assert row is not None
        return row[0], row[1]

    async def day_papers(
        self, date: dt.date | str, *, limit: int = 10, offset: int = 0
    ) -> Page[Paper]:
        """One day's papers by that day's votes (unknown last), then position in the digest."""
        limit, offset = clamp(limit, offset)
        count = "SELECT count(*) FROM appearances WHERE date = $1"
        async with self._conn() as c:
            return await read_page(
                c,
                f"""SELECT {PAPER_SELECT}, ({count}) FROM (
                        SELECT paper_id, votes, position FROM appearances WHERE date = $1
                        ORDER BY votes DESC NULLS LAST, position LIMIT $2 OFFSET $3) AS page
                    JOIN papers p ON p.id = page.paper_id
                    ORDER BY page.votes DESC NULLS LAST, page.position""",
                [as_day(date)],
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
        lo, hi = as_day(since), as_day(until)
        if lo is None and hi is None:
            args: list[object] = []
            count = "SELECT count(*) FROM papers WHERE last_date IS NOT NULL"
            sql = f"""SELECT {PAPER_SELECT}, ({count}) FROM (
                          SELECT id FROM papers WHERE last_date IS NOT NULL
                          ORDER BY best_votes DESC NULLS LAST, last_date DESC NULLS LAST, id
                          LIMIT $1 OFFSET $2) AS page
                      JOIN papers p ON p.id = page.id
                      ORDER BY p.best_votes DESC NULLS LAST, p.last_date DESC NULLS LAST, p.id"""
        else:
            args = [lo or MIN_DATE, hi or MAX_DATE]
            count = """SELECT count(DISTINCT paper_id) FROM appearances
                       WHERE date BETWEEN $1 AND $2"""
            sql = f"""SELECT {PAPER_SELECT}, ({count}) FROM (
                          SELECT paper_id, max(votes) AS best, max(date) AS newest
                          FROM appearances WHERE date BETWEEN $1 AND $2 GROUP BY paper_id
                          ORDER BY best DESC NULLS LAST, newest DESC, paper_id
                          LIMIT $3 OFFSET $4) AS page
                      JOIN papers p ON p.id = page.paper_id
                      ORDER BY page.best DESC NULLS LAST, page.newest DESC, page.paper_id"""
        async with self._conn() as c:
            return await read_page(c, sql, args, count, offset, limit)
