"""Several processes on one database: process rows, shard and job leases, digest slot claims.

Tables (:mod:`storage.postgres.migrations`, migration 4)::

    processes(process_id PK, shards int[], shard_count, started_at, last_beat, version)
    shard_leases(shard_id PK, shard_count, holder, adopted, expires_at)
    job_leases(job PK, holder, expires_at, since)
    digest_runs.holder        the process sending a slot ('sending')
    alert_sends(user_id PK, holder, since)    an alert DM being sent, until recorded

Any number of processes share these tables. Every take is one statement whose ``WHERE`` is
checked again on the locked row (``INSERT ... ON CONFLICT DO UPDATE ... WHERE``,
``UPDATE ... WHERE expires_at <= now``), so two processes racing for a lease or a digest slot
never both win; claiming shards checks and takes under a transaction-level advisory lock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from asyncpg import Record

from storage.models import AlertSend, Held, JobLease, ProcessRecord, ShardLease
from storage.postgres.connection import Conn, StoreBase, utc

#: The advisory lock claiming shards takes ("shards" in ASCII).
SHARD_LOCK = 0x736861726473


def _shard(row: Record) -> ShardLease:
    return ShardLease(row[0], row[1], row[2], row[3], row[4])


class CoordinationQueries(StoreBase):
    """The :class:`storage.ports.CoordinationStore` of the PostgreSQL backend."""

    multi_process = True

    async def register_process(self, process: ProcessRecord) -> None:
        """Record (or replace) a running process's row."""
        await self._change(
            """INSERT INTO processes (process_id, shards, shard_count, started_at, last_beat,
                                      version)
               VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT (process_id) DO UPDATE SET shards = excluded.shards,
                   shard_count = excluded.shard_count, last_beat = excluded.last_beat,
                   version = excluded.version""",
            process.process_id,
            list(process.shards),
            process.shard_count,
            utc(process.started_at),
            utc(process.last_beat),
            process.version,
        )

    async def processes(self) -> list[ProcessRecord]:
        """Every recorded process, by start time."""
        rows = await self._all(
            """SELECT process_id, shards, shard_count, started_at, last_beat, version
               FROM processes ORDER BY started_at, process_id"""
        )
        return [ProcessRecord(r[0], tuple(r[1]), r[2], r[3], r[4], r[5]) for r in rows]

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
            await c.execute("SELECT pg_advisory_xact_lock($1)", SHARD_LOCK)
            rows = await c.all(
                """SELECT shard_id, shard_count, holder, adopted, expires_at FROM shard_leases
                   WHERE expires_at > $1 AND holder <> $2 AND NOT adopted
                   AND (shard_count <> $3 OR shard_id = ANY($4::integer[]))
                   ORDER BY shard_id""",
                utc(now),
                holder,
                shard_count,
                wanted,
            )
            if rows:
                return [_shard(r) for r in rows]
            await c.execute(
                "DELETE FROM shard_leases WHERE shard_count <> $1 AND expires_at <= $2",
                shard_count,
                utc(now),
            )
            await c.execute(
                """INSERT INTO shard_leases (shard_id, shard_count, holder, adopted, expires_at)
                   SELECT s, $2, $3, false, $4 FROM unnest($1::integer[]) AS s
                   ON CONFLICT (shard_id) DO UPDATE SET shard_count = excluded.shard_count,
                       holder = excluded.holder, adopted = false,
                       expires_at = excluded.expires_at""",
                wanted,
                shard_count,
                holder,
                utc(expires_at),
            )
            return []

        return await self._transaction(work)

    async def adopt_shards(
        self, holder: str, shard_count: int, *, now: dt.datetime, expires_at: dt.datetime
    ) -> list[int]:
        """Adopt every shard (of ``shard_count``) whose lease expired, for its digests; the ids
        newly adopted."""
        rows = await self._all(
            """UPDATE shard_leases SET holder = $1, adopted = true, expires_at = $2
               WHERE expires_at <= $3 AND shard_count = $4 AND holder <> $1
               RETURNING shard_id""",
            holder,
            utc(expires_at),
            utc(now),
            shard_count,
        )
        return sorted(r[0] for r in rows)

    async def beat(self, holder: str, *, now: dt.datetime, expires_at: dt.datetime) -> Held:
        """Record a beat and renew every lease ``holder`` still holds; what it holds."""

        async def work(c: Conn) -> Held:
            registered = await c.execute(
                "UPDATE processes SET last_beat = $1 WHERE process_id = $2", utc(now), holder
            )
            until = utc(expires_at)
            shards = await c.all(
                """UPDATE shard_leases SET expires_at = $1 WHERE holder = $2
                   RETURNING shard_id, adopted""",
                until,
                holder,
            )
            jobs = await c.all(
                "UPDATE job_leases SET expires_at = $1 WHERE holder = $2 RETURNING job",
                until,
                holder,
            )
            return Held(
                shards=frozenset(r[0] for r in shards if not r[1]),
                adopted=frozenset(r[0] for r in shards if r[1]),
                jobs=frozenset(r[0] for r in jobs),
                registered=registered > 0,
            )

        return await self._transaction(work)

    async def take_job(
        self, job: str, holder: str, *, now: dt.datetime, expires_at: dt.datetime
    ) -> bool:
        """Hold ``job`` until ``expires_at`` when it is free, expired, or already ours."""
        changed = await self._change(
            """INSERT INTO job_leases (job, holder, expires_at, since) VALUES ($1, $2, $3, $4)
               ON CONFLICT (job) DO UPDATE SET holder = excluded.holder,
                   expires_at = excluded.expires_at,
                   since = CASE WHEN job_leases.holder = excluded.holder
                                THEN job_leases.since ELSE excluded.since END
               WHERE job_leases.holder = excluded.holder OR job_leases.expires_at <= $4""",
            job,
            holder,
            utc(expires_at),
            utc(now),
        )
        return changed > 0

    async def release(self, holder: str, *, now: dt.datetime) -> None:
        """``holder`` stops: its row goes, its leases expire at ``now`` (others take them)."""

        async def work(c: Conn) -> None:
            await c.execute("DELETE FROM processes WHERE process_id = $1", holder)
            await c.execute(
                """UPDATE shard_leases SET expires_at = $1
                   WHERE holder = $2 AND expires_at > $1""",
                utc(now),
                holder,
            )
            await c.execute(
                "UPDATE job_leases SET expires_at = $1 WHERE holder = $2 AND expires_at > $1",
                utc(now),
                holder,
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
        return [JobLease(r[0], r[1], r[2], r[3]) for r in rows]

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
        settled or a live process is sending it. Two processes racing: one wins."""
        changed = await self._change(
            """INSERT INTO digest_runs (guild_id, slot, outcome, digest_date, detail, at, holder)
               VALUES ($1, $2, 'sending', $3, NULL, $4, $5)
               ON CONFLICT (guild_id, slot) DO UPDATE SET outcome = 'sending',
                   digest_date = excluded.digest_date, detail = NULL, at = excluded.at,
                   holder = excluded.holder
               WHERE digest_runs.outcome = 'failed'
                  OR (digest_runs.outcome = 'sending'
                      AND (digest_runs.holder IS NULL OR digest_runs.holder = excluded.holder
                           OR NOT EXISTS (SELECT 1 FROM processes p
                                          WHERE p.process_id = digest_runs.holder
                                          AND p.last_beat >= $6)))""",
            guild_id,
            slot,
            digest_date,
            utc(at),
            holder,
            utc(alive_since),
        )
        return changed > 0

    async def claim_alert_send(
        self, user_id: int, *, at: dt.datetime, holder: str, alive_since: dt.datetime
    ) -> AlertSend | None:
        """Take the user's alert DM for ``holder``: ``None`` when another live process is
        sending it; else the claim, saying since when an earlier send is unfinished (a dead
        process's, or this holder's own), if one is. Racing processes: one wins."""

        async def work(c: Conn) -> AlertSend | None:
            inserted = await c.value(
                """INSERT INTO alert_sends (user_id, holder, since) VALUES ($1, $2, $3)
                   ON CONFLICT DO NOTHING RETURNING user_id""",
                user_id,
                holder,
                utc(at),
            )
            if inserted is not None:
                return AlertSend(user_id)
            row = await c.one(
                "SELECT holder, since FROM alert_sends WHERE user_id = $1 FOR UPDATE", user_id
            )
            assert row is not None
            if row[0] != holder:
                live = await c.value(
                    "SELECT 1 FROM processes WHERE process_id = $1 AND last_beat >= $2",
                    row[0],
                    utc(alive_since),
                )
                if live is not None:
                    return None
                await c.execute(
                    "UPDATE alert_sends SET holder = $1 WHERE user_id = $2", holder, user_id
                )
            return AlertSend(user_id, row[1])

        return await self._transaction(work)

    async def finish_alert_send(self, user_id: int, holder: str) -> None:
        """The holder's send to the user is over (recorded, or known not sent)."""
        await self._change(
            "DELETE FROM alert_sends WHERE user_id = $1 AND holder = $2", user_id, holder
        )
