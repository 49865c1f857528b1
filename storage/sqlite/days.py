"""Digest days: which exist, the nearest ones, and the top papers of a day or a range."""

from __future__ import annotations

import datetime as dt

from storage import text as textsearch
from storage.models import DaySummary, Page, Paper
from storage.sqlite.connection import (
    MAX_DATE,
    MIN_DATE,
    Conn,
    StoreBase,
    clamp,
    iso_day,
    parse_day,
)
from storage.sqlite.papers import read_papers


class DayQueries(StoreBase):
    """The :class:`storage.ports.DayStore` of the SQLite backend."""

    async def is_empty(self) -> bool:
        """True when no digest has been imported."""
        return await self._run(
            lambda c: bool(c.one("SELECT NOT EXISTS (SELECT 1 FROM digests)")[0])
        )

    async def latest_day(self) -> dt.date | None:
        """The newest digest day that lists at least one paper."""
        row = await self._run(
            lambda c: c.one("SELECT max(date) FROM digests WHERE paper_count > 0")
        )
        return parse_day(row[0])

    async def days(self, *, prefix: str = "", limit: int | None = None) -> list[DaySummary]:
        """Digest days (empty ones too), newest first; ``prefix`` filters on ``YYYY-MM-DD``."""
        prefix = (prefix or "").strip()
        lim = -1 if limit is None else max(0, int(limit))
        rows = await self._run(
            lambda c: c.all(
                """SELECT date, paper_count FROM digests WHERE date >= ? AND date < ?
                   ORDER BY date DESC LIMIT ?""",
                (prefix, textsearch.prefix_upper_bound(prefix), lim),
            )
        )
        return [DaySummary(dt.date.fromisoformat(d), n) for d, n in rows]

    async def nearest_days(self, date: dt.date | str) -> tuple[dt.date | None, dt.date | None]:
        """The nearest days with papers strictly before and strictly after ``date``."""
        day = iso_day(date)
        row = await self._run(
            lambda c: c.one(
                """SELECT (SELECT max(date) FROM digests WHERE date < ?1 AND paper_count > 0),
                          (SELECT min(date) FROM digests WHERE date > ?1 AND paper_count > 0)""",
                (day,),
            )
        )
        return parse_day(row[0]), parse_day(row[1])

    async def day_papers(
        self, date: dt.date | str, *, limit: int = 10, offset: int = 0
    ) -> Page[Paper]:
        """One day's papers by that day's votes (unknown last), then position in the digest."""
        day = iso_day(date)
        limit, offset = clamp(limit, offset)

        def work(c: Conn) -> Page[Paper]:
            rows = c.all(
                """SELECT paper_id FROM appearances WHERE date = ?
                   ORDER BY votes DESC, position LIMIT ? OFFSET ?""",
                (day, limit, offset),
            )
            total = c.one("SELECT count(*) FROM appearances WHERE date = ?", (day,))[0]
            return Page(tuple(read_papers(c, [r[0] for r in rows])), total, offset, limit)

        return await self._run(work)

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

        def work(c: Conn) -> Page[Paper]:
            if lo is None and hi is None:
                rows = c.all(
                    """SELECT id FROM papers WHERE last_date IS NOT NULL
                       ORDER BY best_votes DESC, last_date DESC, id LIMIT ? OFFSET ?""",
                    (limit, offset),
                )
                total = c.one("SELECT count(*) FROM papers WHERE last_date IS NOT NULL")[0]
            else:
                bounds = (lo or MIN_DATE, hi or MAX_DATE)
                rows = c.all(
                    """SELECT paper_id FROM appearances WHERE date BETWEEN ? AND ?
                       GROUP BY paper_id
                       ORDER BY max(votes) DESC, max(date) DESC, paper_id LIMIT ? OFFSET ?""",
                    (*bounds, limit, offset),
                )
                total = c.one(
                    "SELECT count(DISTINCT paper_id) FROM appearances WHERE date BETWEEN ? AND ?",
                    bounds,
                )[0]
            return Page(tuple(read_papers(c, [r[0] for r in rows])), total, offset, limit)

        return await self._run(work)
