"""Several processes on one database: process rows, shard and job leases, digest slot claims.

Tables (migration 12 in :mod:`storage.sqlite.migrations`)::

    processes(process_id PK, shards JSON, shard_count, started_at, last_beat, version)
    shard_leases(shard_id PK, shard_count, holder, adopted, expires_at)
    job_leases(job PK, holder, expires_at, since)
    digest_runs.holder        the process sending a slot ('sending')
    alert_sends(user_id PK, holder, since)    an alert DM being sent, until recorded

SQLite serves one bot process per file (``multi_process`` is False: the coordinator refuses a
second live process), but the semantics are the PostgreSQL backend's, so the contract tests hold
on both. Lease times are UTC ISO timestamps with microseconds, compared as text.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from storage.models import AlertSend, Held, JobLease, ProcessRecord, ShardLease
from storage.sqlite.connection import Conn, StoreBase, iso_day, utc_iso


def _at(moment: dt.datetime) -> str:
    """A lease time as stored: UTC, ISO 8601 with microseconds (text order is time order)."""
    if moment.tzinfo is None:
        raise ValueError("timezone-aware datetimes only")
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _shard(row: Any) -> ShardLease:
    return ShardLease(int(row[0]), int(row[1]), row[2], bool(row[3]), _moment(row[4]))


class CoordinationQueries(StoreBase):
    """The :class:`storage.ports.CoordinationStore` of the SQLite backend."""

    multi_process = False

    async def register_process(self, process: ProcessRecord) -> None:
        """Record (or replace) a running process's row."""
        await self._change(
            """INSERT INTO processes(process_id, shards, shard_count, started_at, last_beat,
                                     version)
               VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT(process_id) DO UPDATE SET shards = excluded.shards,
                   shard_count = excluded.shard_count, last_beat = excluded.last_beat,
                   version = excluded.version""",
            (
                process.process_id,
                json.dumps(list(process.shards)),
                process.shard_count,
                _at(process.started_at),
                _at(process.last_beat),
                process.version,
            ),
        )

    async def processes(self) -> list[ProcessRecord]:
        """Every recorded process, by start time."""
        rows = await self._all(
            """SELECT process_id, shards, shard_count, started_at, last_beat, version
               FROM processes ORDER BY started_at, process_id"""
        )
        return [
            ProcessRecord(
                r[0], tuple(json.loads(r[1])), int(r[2]), _moment(r[3]), _moment(r[4]), r[5]
            )
            for r in rows
        ]

    async def claim_shards(
        self,
        holder: str,
        shards: Sequence[int],
        shard_count: int,
        *,
        now: dt.datetime,
        expires_at: dt.datetime,
    ) -> list[ShardLease]:
        """Take ``shards`` (of ``shard_count``) for ``holder`` until ``expires_at``, all or none:
        the live leases of other processes in the way (the same shard, or any shard of another
        count; adopted ones never are) are returned and nothing is taken."""
        wanted = sorted(set(shards))

        async def work(c: Conn) -> list[ShardLease]:
            rows = await c.all(
                """SELECT shard_id, shard_count, holder, adopted, expires_at FROM shard_leases
                   WHERE expires_at > ? AND holder <> ? AND NOT adopted
                   AND (shard_count <> ? OR shard_id IN (SELECT value FROM json_each(?)))
                   ORDER BY shard_id""",
                (_at(now), holder, shard_count, json.dumps(wanted)),
            )
            if rows:
                return [_shard(r) for r in rows]
            await c.execute(
                "DELETE FROM shard_leases WHERE shard_count <> ? AND expires_at <= ?",
                (shard_count, _at(now)),
            )
            await c.executemany(
                """INSERT INTO shard_leases(shard_id, shard_count, holder, adopted, expires_at)
                   VALUES (?, ?, ?, 0, ?)
                   ON CONFLICT(shard_id) DO UPDATE SET shard_count = excluded.shard_count,
                       holder = excluded.holder, adopted = 0, expires_at = excluded.expires_at""",
                [(s, shard_count, holder, _at(expires_at)) for s in wanted],
            )
            return []

        return await self._transaction(work)

    async def adopt_shards(
        self, holder: str, shard_count: int, *, now: dt.datetime, expires_at: dt.datetime
    ) -> list[int]:
        """Adopt every shard (of ``shard_count``) whose lease expired, for its digests; the ids
        newly adopted."""
        rows = await self._all(
            """UPDATE shard_leases SET holder = ?, adopted = 1, expires_at = ?
               WHERE expires_at <= ? AND shard_count = ? AND holder <> ?
               RETURNING shard_id""",
            (holder, _at(expires_at), _at(now), shard_count, holder),
        )
        return sorted(int(r[0]) for r in rows)

    async def beat(self, holder: str, *, now: dt.datetime, expires_at: dt.datetime) -> Held:
        """Record a beat and renew every lease ``holder`` still holds; what it holds."""

        async def work(c: Conn) -> Held:
            registered = await c.execute(
                "UPDATE processes SET last_beat = ? WHERE process_id = ?", (_at(now), holder)
            )
            until = _at(expires_at)
            await c.execute(
                "UPDATE shard_leases SET expires_at = ? WHERE holder = ?", (until, holder)
            )
            await c.execute(
                "UPDATE job_leases SET expires_at = ? WHERE holder = ?", (until, holder)
            )
            shards = await c.all(
                "SELECT shard_id, adopted FROM shard_leases WHERE holder = ?", (holder,)
            )
            jobs = await c.all("SELECT job FROM job_leases WHERE holder = ?", (holder,))
            return Held(
                shards=frozenset(int(r[0]) for r in shards if not r[1]),
                adopted=frozenset(int(r[0]) for r in shards if r[1]),
                jobs=frozenset(r[0] for r in jobs),
                registered=registered > 0,
            )

        return await self._transaction(work)

    async def take_job(
        self, job: str, holder: str, *, now: dt.datetime, expires_at: dt.datetime
    ) -> bool:
        """Hold ``job`` until ``expires_at`` when it is free, expired, or already ours."""
        changed = await self._change(
            """INSERT INTO job_leases(job, holder, expires_at, since) VALUES (?, ?, ?, ?)
               ON CONFLICT(job) DO UPDATE SET holder = excluded.holder,
                   expires_at = excluded.expires_at,
                   since = CASE WHEN job_leases.holder = excluded.holder
                                THEN job_leases.since ELSE excluded.since END
               WHERE job_leases.holder = excluded.holder OR job_leases.expires_at <= ?""",
            (job, holder, _at(expires_at), _at(now), _at(now)),
        )
        return changed > 0

    async def release(self, holder: str, *, now: dt.datetime) -> None:
        """``holder`` stops: its row goes, its leases expire at ``now`` (others take them)."""

        async def work(c: Conn) -> None:
            await c.execute("DELETE FROM processes WHERE process_id = ?", (holder,))
            await c.execute(
                "UPDATE shard_leases SET expires_at = ? WHERE holder = ? AND expires_at > ?",
                (_at(now), holder, _at(now)),
            )
            await c.execute(
                "UPDATE job_leases SET expires_at = ? WHERE holder = ? AND expires_at > ?",
                (_at(now), holder, _at(now)),
            )

        await self._transaction(work)

    async def shard_leases(self) -> list[ShardLease]:
        """Every shard lease, by shard."""
        rows = await self._all(
            """SELECT shard_id, shard_count, holder, adopted, expires_at FROM shard_leases
               ORDER BY shard_id"""
        )
        return [_shard(r) for r in rows]

    async def job_leases(self) -> list[JobLease]:
        """Every job lease, by job name."""
        rows = await self._all("SELECT job, holder, expires_at, since FROM job_leases ORDER BY job")
        return [JobLease(r[0], r[1], _moment(r[2]), _moment(r[3])) for r in rows]

    async def claim_digest_slot(
        self,
        guild_id: int,
        slot: dt.date,
        digest_date: dt.date,
        *,
        at: dt.datetime,
        holder: str,
        alive_since: dt.datetime,
    ) -> bool:
        """Take ``slot`` of the server to send ``digest_date`` (recorded ``sending`` by
        ``holder`` since ``at``): True when it was never tried, failed, or left ``sending`` by
        this holder or by a process not seen beating since ``alive_since``; False when it is
        settled or a live process is sending it."""
        changed = await self._change(
            """INSERT INTO digest_runs(guild_id, slot, outcome, digest_date, detail, at, holder)
               VALUES (?, ?, 'sending', ?, NULL, ?, ?)
               ON CONFLICT(guild_id, slot) DO UPDATE SET outcome = 'sending',
                   digest_date = excluded.digest_date, detail = NULL, at = excluded.at,
                   holder = excluded.holder
               WHERE digest_runs.outcome = 'failed'
                  OR (digest_runs.outcome = 'sending'
                      AND (digest_runs.holder IS NULL OR digest_runs.holder = excluded.holder
                           OR NOT EXISTS (SELECT 1 FROM processes p
                                          WHERE p.process_id = digest_runs.holder
                                          AND p.last_beat >= ?)))""",
            (guild_id, iso_day(slot), iso_day(digest_date), utc_iso(at), holder, _at(alive_since)),
        )
        return changed > 0

    async def claim_alert_send(
        self, user_id: int, *, at: dt.datetime, holder: str, alive_since: dt.datetime
    ) -> AlertSend | None:
        """Take the user's alert DM for ``holder``: ``None`` when another live process is
        sending it; else the claim, saying since when an earlier send is unfinished (a dead
        process's, or this holder's own), if one is."""

        async def work(c: Conn) -> AlertSend | None:
            row = await c.one("SELECT holder, since FROM alert_sends WHERE user_id = ?", (user_id,))
            if row is None:
                await c.execute(
                    "INSERT INTO alert_sends(user_id, holder, since) VALUES (?, ?, ?)",
                    (user_id, holder, _at(at)),
                )
                return AlertSend(user_id)
            if row[0] != holder:
                live = await c.one(
                    "SELECT 1 FROM processes WHERE process_id = ? AND last_beat >= ?",
                    (row[0], _at(alive_since)),
                )
                if live is not None:
                    return None
                await c.execute(
                    "UPDATE alert_sends SET holder = ? WHERE user_id = ?", (holder, user_id)
                )
            return AlertSend(user_id, _moment(row[1]))

        return await self._transaction(work)

    async def finish_alert_send(self, user_id: int, holder: str) -> None:
        """The holder's send to the user is over (recorded, or known not sent)."""
        await self._change(
            "DELETE FROM alert_sends WHERE user_id = ? AND holder = ?", (user_id, holder)
        )
