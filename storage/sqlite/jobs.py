"""Background jobs' own records: the watched directory's files already imported.

Table (migration 2 in :mod:`storage.sqlite.migrations`)::

    watched_files(path PK, mtime_ns, size, sha256, imported_at)   WATCH_DIR files imported
    database_claims(name PK, claimed_by, at)                      who first used it (mig. 12)
    fetch_misses(source, day PK, at)                              days to fetch again (mig. 16)
"""

from __future__ import annotations

import datetime as dt

from storage.models import WatchedFile
from storage.sqlite.connection import StoreBase, utc_iso


class JobQueries(StoreBase):
    """The :class:`storage.ports.JobStore` of the SQLite backend."""

    async def watched_files(self) -> dict[str, WatchedFile]:
        """Every WATCH_DIR file imported so far, by path."""
        rows = await self._all("SELECT path, mtime_ns, size, sha256 FROM watched_files")
        return {r[0]: WatchedFile(r[0], int(r[1]), int(r[2]), r[3]) for r in rows}

    async def record_watched_file(self, file: WatchedFile, *, at: dt.datetime) -> None:
        """Remember that ``file`` (this mtime, size and hash) was imported."""
        await self._change(
            """INSERT INTO watched_files(path, mtime_ns, size, sha256, imported_at)
                   VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT(path) DO UPDATE SET mtime_ns = excluded.mtime_ns,
                       size = excluded.size, sha256 = excluded.sha256,
                       imported_at = excluded.imported_at""",
            (file.path, file.mtime_ns, file.size, file.sha256, utc_iso(at)),
        )

    async def claim_first_use(self, by: str, *, at: dt.datetime) -> bool:
        """Take the first use of a database that holds no digest, for ``by`` (``import``,
        ``samples``): True for the one caller that took it, False for every later one and on a
        database with digests. One statement under the write lock, so two processes starting
        at once never both take it."""
        changed = await self._change(
            """INSERT INTO database_claims(name, claimed_by, at)
                   SELECT 'first_use', ?, ? WHERE NOT EXISTS (SELECT 1 FROM digests)
                   ON CONFLICT(name) DO NOTHING""",
            (by, utc_iso(at)),
        )
        return changed > 0

    async def fetch_misses(self) -> set[tuple[str, dt.date]]:
        """The ``(source, day)`` pairs a fetch failed to read and has not read since."""
        rows = await self._all("SELECT source, day FROM fetch_misses")
        return {(r[0], dt.date.fromisoformat(r[1])) for r in rows}

    async def record_fetch_miss(
        self, source: str, day: dt.date, *, missed: bool, at: dt.datetime
    ) -> None:
        """Remember that ``day`` of ``source`` failed (``missed``), or forget it (it was read,
        or is no longer worth asking for)."""
        if missed:
            await self._change(
                """INSERT INTO fetch_misses(source, day, at) VALUES (?, ?, ?)
                       ON CONFLICT(source, day) DO NOTHING""",
                (source, day.isoformat(), utc_iso(at)),
            )
        else:
            await self._change(
                "DELETE FROM fetch_misses WHERE source = ? AND day = ?",
                (source, day.isoformat()),
            )
