"""``papers-bot status``: the processes on the database, their shards and jobs, and what is
queued, read from the database only (:func:`cluster_status`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.config import zone
from bot.core.coordination import GLOBAL_JOBS
from bot.core.digests import cron_trigger, fire_time_on, last_fire_time, slot_of
from storage.models import FINAL_OUTCOMES, ProcessRecord

if TYPE_CHECKING:
    from storage.ports import Store


@dataclass(frozen=True, slots=True)
class ProcessState:
    """A recorded process: its row, whether it is alive (beat within the lease), and the
    shards (its own and adopted) and jobs it holds."""

    process: ProcessRecord
    alive: bool
    shards: tuple[int, ...]
    adopted: tuple[int, ...]
    jobs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class JobState:
    """A global job's lease: who holds it until when (``expired``: nobody does now)."""

    job: str
    holder: str | None
    expires_at: dt.datetime | None
    expired: bool


@dataclass(frozen=True, slots=True)
class ClusterStatus:
    """``papers-bot status``: the processes, unheld shards, jobs, and what is queued.

    ``digests_waiting``: servers whose digest time passed today (their local day) and whose
    post is not settled; ``digests_sending``: of those, being sent; ``digests_later``: servers
    whose time is still to come today. ``alerts_waiting``: users with alerts behind the newest
    import. ``summaries_waiting``: papers without a summary (``None``: summaries are off),
    counted up to :data:`SUMMARY_COUNT_CAP`.
    """

    now: dt.datetime
    lease: dt.timedelta
    shard_count: int | None
    processes: tuple[ProcessState, ...]
    unheld_shards: tuple[int, ...]
    jobs: tuple[JobState, ...]
    digests_waiting: int
    digests_sending: int
    digests_later: int
    alerts_waiting: int
    summaries_waiting: int | None


#: ``status`` counts papers waiting for a summary up to this many.
SUMMARY_COUNT_CAP = 1000


async def cluster_status(
    store: Store, *, now: dt.datetime, lease: dt.timedelta, summaries: bool
) -> ClusterStatus:
    """What ``papers-bot status`` shows, read from the database only."""
    alive_since = now - lease
    leases = await store.shard_leases()
    job_leases = {j.job: j for j in await store.job_leases()}
    states = []
    for proc in await store.processes():
        mine = [s for s in leases if s.holder == proc.process_id and s.expires_at > now]
        states.append(
            ProcessState(
                proc,
                alive=proc.last_beat >= alive_since,
                shards=tuple(s.shard_id for s in mine if not s.adopted),
                adopted=tuple(s.shard_id for s in mine if s.adopted),
                jobs=tuple(
                    j.job
                    for j in job_leases.values()
                    if j.holder == proc.process_id and j.expires_at > now
                ),
            )
        )
    counts = {s.shard_count for s in leases}
    shard_count = max(counts) if counts else None
    unheld = tuple(s.shard_id for s in leases if s.expires_at <= now)
    jobs = []
    for name in sorted(set(GLOBAL_JOBS) | set(job_leases)):
        held = job_leases.get(name)
        if held is None:
            jobs.append(JobState(name, None, None, True))
        else:
            jobs.append(JobState(name, held.holder, held.expires_at, held.expires_at <= now))
    waiting = sending = later = 0
    for settings in await store.all_digest_settings():
        tz = zone(settings.timezone)
        today = now.astimezone(tz).date()
        fire = last_fire_time(settings, now)
        if fire is not None and slot_of(settings, fire) == today:
            run = await store.digest_run(settings.guild_id, today)
            if run is None or run.outcome not in FINAL_OUTCOMES:
                waiting += 1
                sending += run is not None and run.outcome == "sending"
        else:
            upcoming = fire_time_on(cron_trigger(settings), today, tz)
            later += upcoming is not None and upcoming > now
    pending = await store.pending_alerts(await store.feed_position())
    waiting_summaries = None
    if summaries:
        candidates = await store.summary_candidates(
            limit=SUMMARY_COUNT_CAP, stale_before=now - dt.timedelta(hours=1)
        )
        waiting_summaries = len(candidates)
    return ClusterStatus(
        now=now,
        lease=lease,
        shard_count=shard_count,
        processes=tuple(states),
        unheld_shards=unheld,
        jobs=tuple(jobs),
        digests_waiting=waiting,
        digests_sending=sending,
        digests_later=later,
        alerts_waiting=len({a.user_id for a in pending}),
        summaries_waiting=waiting_summaries,
    )
