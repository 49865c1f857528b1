"""Several bot processes on one database: shards, leases, and global jobs run by one process.

A guild belongs to shard ``(guild_id >> 22) % shard_count`` (Discord's rule). Each process is
started with some shards (``--shards``, ``SHARDS``) of a count (``--shard-count``,
``SHARD_COUNT``); without them, one process runs every guild (one logical shard).

:class:`Coordinator` is the process's presence in the database (:class:`storage.ports.
CoordinationStore`):

* **Start**: a process row (``host:pid:random``) and a lease on each of its shards, all or
  none. A live process holding one of them (or any shard of another count) is in the way:
  :class:`ShardsTaken`, and the process exits. On SQLite only one process may run at all
  (:class:`DatabaseInUse`). A recorded process on this machine whose pid is gone is dead at once
  (a restart after a kill does not wait for its lease).
* **Heartbeat** every ``lease / 3``: the row's ``last_beat`` and every lease it holds are
  renewed until ``now + lease``. A process that stops beating for longer than ``lease`` loses
  everything: its shards are *adopted* by another live process, which then posts their guilds'
  digests (digests need only the REST API, not the dead process's gateway connection) until a
  process started with those shards claims them back; its jobs go to whoever asks next.
* **Global jobs** (fetching new days with the vote refresh and the summaries it starts, alert
  DMs) run only in the process holding the job's lease (:meth:`Coordinator.take`, asked before
  each run, which renews it): a leader per job, taken over after ``lease`` when it dies.
* **Per item** work is claimed in the database on top: a digest slot (``claim_digest_slot``: a
  slot being sent by a live process is never taken over; one left by a dead process is, and
  recovered from the channel's history), a post per guild and day (``digest_posts``), a summary
  per paper.

A beat that fails (the database is unreachable) is logged and tried again at the next beat;
nothing in memory decides who does what, so nothing is lost or doubled when it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import importlib.metadata
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from storage.models import ProcessRecord, ShardLease

if TYPE_CHECKING:
    from storage.ports import Store

log = logging.getLogger(__name__)

T = TypeVar("T")

#: How long a lease lasts without a beat unless configured (LEASE_SECONDS).
DEFAULT_LEASE = dt.timedelta(seconds=30)
#: Global job names (``job_leases.job``).
FETCH_JOB = "fetch"
ALERTS_JOB = "alerts"
GLOBAL_JOBS: tuple[str, ...] = (FETCH_JOB, ALERTS_JOB)


def _version() -> str:
    try:
        return importlib.metadata.version("papers-bot")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - not installed
        return "unknown"


VERSION = _version()


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard a guild belongs to (Discord's rule)."""
    return (guild_id >> 22) % max(1, shard_count)


def new_process_id() -> str:
    """``host:pid:random``: unique per process start, readable in ``status``."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def process_gone(process_id: str) -> bool:
    """True when ``process_id`` names a process of this machine that no longer exists."""
    host, _, rest = process_id.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OSError):
        return False
    return False


class ShardsTaken(Exception):
    """Live processes hold shards this one was started with (``conflicts``)."""

    def __init__(self, conflicts: Sequence[ShardLease]) -> None:
        super().__init__(", ".join(f"shard {c.shard_id}: {c.holder}" for c in conflicts))
        self.conflicts = tuple(conflicts)


class DatabaseInUse(Exception):
    """Another live process uses this single-process database (SQLite)."""

    def __init__(self, process: ProcessRecord, lease: dt.timedelta) -> None:
        super().__init__(process.process_id)
        self.process = process
        self.lease = lease


class Coordinator:
    """This process's shards, leases and heartbeat (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        *,
        shards: Sequence[int] = (0,),
        shard_count: int = 1,
        lease: dt.timedelta = DEFAULT_LEASE,
        clock: Callable[[], dt.datetime],
        process_id: str | None = None,
        beat_every: float | None = None,
        version: str = VERSION,
    ) -> None:
        self.store = store
        self.shards = tuple(sorted(set(shards)))
        self.shard_count = shard_count
        self.lease = lease
        self.clock = clock
        self.process_id = process_id or new_process_id()
        self.beat_every = beat_every or max(0.05, lease.total_seconds() / 3)
        self.version = version
        #: Shards whose guilds' digests this process posts: its own, and adopted ones.
        self.digest_shards: frozenset[int] = frozenset()
        self.adopted: frozenset[int] = frozenset()
        #: Called (not awaited) with the newly adopted shards, e.g. to catch up their digests.
        self.on_adopt: Callable[[frozenset[int]], Any] | None = None
        #: Called (not awaited) when the database answers again after beats failed, e.g. to
        #: finish at once what the outage interrupted (instead of at the next catch-up).
        self.on_recover: Callable[[], Any] | None = None
        self.started_at: dt.datetime | None = None
        self._task: asyncio.Task[None] | None = None
        self._failing = False

    # ------------------------------------------------------------------ lifecycle

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def alive_since(self, now: dt.datetime | None = None) -> dt.datetime:
        """Processes that beat since then are alive."""
        return (now or self.clock()) - self.lease

    async def claim(self) -> None:
        """Register this process and take its shards; raises :class:`ShardsTaken` or
        :class:`DatabaseInUse` (nothing is taken then)."""
        now = self.clock()
        await self._reap(now)
        if not self.store.multi_process:
            for other in await self.store.processes():
                if other.process_id != self.process_id and other.last_beat >= now - self.lease:
                    raise DatabaseInUse(other, self.lease)
        conflicts = await self.store.claim_shards(
            self.process_id, self.shards, self.shard_count, now=now, expires_at=now + self.lease
        )
        if conflicts:
            raise ShardsTaken(conflicts)
        self.started_at = now
        await self._register(now)
        self.digest_shards = frozenset(self.shards)
        log.info(
            "Process %s holds shards %s of %d (lease %.0f s)",
            self.process_id,
            ",".join(map(str, self.shards)),
            self.shard_count,
            self.lease.total_seconds(),
        )

    async def start(self) -> None:
        """:meth:`claim`, then beat in the background (once per process: a second call does
        nothing)."""
        if self.running:
            return
        if self.started_at is None:
            await self.claim()
        self._task = asyncio.create_task(self._loop(), name="coordination-heartbeat")

    async def stop(self) -> None:
        """Stop beating and give every lease back at once (safe to call twice)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self.started_at is not None:
            try:
                await self.store.release(self.process_id, now=self.clock())
            except Exception:
                log.warning("Could not release the leases of %s", self.process_id, exc_info=True)
            self.started_at = None

    async def _register(self, now: dt.datetime) -> None:
        await self.store.register_process(
            ProcessRecord(
                self.process_id,
                self.shards,
                self.shard_count,
                self.started_at or now,
                now,
                self.version,
            )
        )

    async def _reap(self, now: dt.datetime) -> None:
        """Release the records of processes of this machine that no longer run."""
        for other in await self.store.processes():
            if other.process_id != self.process_id and process_gone(other.process_id):
                log.info("Process %s is gone: releasing its leases", other.process_id)
                await self.store.release(other.process_id, now=now)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.beat_every)
            await self.beat()

    # ------------------------------------------------------------------ one beat

    async def beat(self) -> None:
        """Renew this process's row and leases, take back its own shards when they are free,
        adopt the shards of dead processes; a database error is logged and tried next time."""
        try:
            await self._beat()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if not self._failing:
                log.warning("Heartbeat of %s failed (will retry): %s", self.process_id, exc)
            self._failing = True
        else:
            if self._failing:
                log.info("Heartbeat of %s is back", self.process_id)
                self._failing = False
                if self.on_recover is not None:
                    self.on_recover()

    async def _beat(self) -> None:
        now = self.clock()
        until = now + self.lease
        held = await self.store.beat(self.process_id, now=now, expires_at=until)
        if not held.registered:
            await self._register(now)
        own = set(held.shards)
        lost = [s for s in self.shards if s not in own]
        if lost:
            conflicts = await self.store.claim_shards(
                self.process_id, self.shards, self.shard_count, now=now, expires_at=until
            )
            if conflicts:
                log.error(
                    "Shards %s are held by another live process (%s): this process no longer "
                    "posts their digests",
                    ",".join(str(c.shard_id) for c in conflicts),
                    ", ".join(sorted({c.holder for c in conflicts})),
                )
            else:
                own.update(self.shards)
                log.info("Process %s took its shards %s back", self.process_id, lost)
        newly = frozenset(
            await self.store.adopt_shards(
                self.process_id, self.shard_count, now=now, expires_at=until
            )
        )
        adopted = (frozenset(held.adopted) | newly) - own
        if newly:
            log.info(
                "Process %s adopted shards %s (their process stopped beating): posting their "
                "digests",
                self.process_id,
                ",".join(map(str, sorted(newly))),
            )
        self.adopted = adopted
        self.digest_shards = frozenset(own) | adopted
        if newly and self.on_adopt is not None:
            self.on_adopt(newly)

    # ------------------------------------------------------------------ questions

    def owns_guild(self, guild_id: int) -> bool:
        """Whether this process posts the guild's digest (its shard is ours or adopted)."""
        return shard_of(guild_id, self.shard_count) in self.digest_shards

    async def take(self, job: str) -> bool:
        """Hold (or keep holding) the global ``job``: True when this process should run it
        now. A database error counts as no (the job runs at the next tick, somewhere)."""
        now = self.clock()
        try:
            return await self.store.take_job(
                job, self.process_id, now=now, expires_at=now + self.lease
            )
        except Exception as exc:
            log.warning("Could not take the %s job lease (will retry): %s", job, exc)
            return False

    def guard(
        self, job: str, work: Callable[[], Awaitable[T]]
    ) -> Callable[[], Awaitable[T | None]]:
        """``work`` run only while this process holds ``job``; ``None`` when it does not."""

        async def guarded() -> T | None:
            if not await self.take(job):
                log.debug("Job %s runs in another process", job)
                return None
            return await work()

        return guarded
