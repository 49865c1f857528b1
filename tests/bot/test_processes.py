"""Several processes on one database, through the core: shards split the guilds' digests, a dead
process's shards and jobs are taken over after the lease, a slot in flight is never posted twice,
a second start starts nothing twice, and SQLite refuses a second process.

Each "process" is a store connection of its own with its own :class:`Coordinator` and
:class:`DigestScheduler`; time is an injected clock, nothing sleeps. The PostgreSQL tests run on
the session's throw-away cluster; the fake Discord is one shared record of every channel.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from backends import clone_database, drop_database, run_apart
from harness.postgres import Cluster

from bot.core.alerts import AlertMatch, AlertService
from bot.core.coordination import (
    ALERTS_JOB,
    FETCH_JOB,
    Coordinator,
    DatabaseInUse,
    ShardsTaken,
    shard_of,
)
from bot.core.digests import DigestContent, DigestScheduler, RunCode
from bot.core.status import cluster_status
from bot.i18n import phrases
from bot.i18n.catalog import use_locale
from storage.backends import open_store
from storage.ingest.parser import parse_digest
from storage.models import ProcessRecord
from storage.ports import Store

#: 09:30 in Seoul on 2025-05-10 is 00:30 UTC; "now" is shortly after.
T0 = dt.datetime(2025, 5, 10, 0, 40, tzinfo=dt.UTC)
SAVED = dt.datetime(2025, 5, 1, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=30)
DAY = "2025-05-09"


class Clock:
    def __init__(self, now: dt.datetime = T0) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def guild(n: int) -> int:
    """A guild id whose shard (of 2 or 3) varies with ``n``."""
    return (n << 22) + 7


@dataclass
class Discord:
    """Every channel's messages: (channel id) -> [(digest day, message id, sender)]."""

    channels: dict[int, list[tuple[dt.date, int, str]]] = field(default_factory=dict)
    next_id: int = 1

    def posts(self, channel_id: int) -> list[dt.date]:
        return [day for day, _, _ in self.channels.get(channel_id, [])]


class Poster:
    """A process's poster on the shared fake Discord; ``hang`` makes a send never return after
    its message went out (the process dies there)."""

    def __init__(self, discord: Discord, name: str) -> None:
        self.discord = discord
        self.name = name
        self.hang = False
        self.went_out = asyncio.Event()

    async def send(self, channel_id: int, content: DigestContent) -> list[int]:
        message_id = self.discord.next_id
        self.discord.next_id += 1
        self.discord.channels.setdefault(channel_id, []).append(
            (content.day, message_id, self.name)
        )
        self.went_out.set()
        if self.hang:
            await asyncio.Event().wait()
        return [message_id]

    async def find_sent(self, channel_id: int, day: dt.date, *, after: dt.datetime) -> list[int]:
        return [m for d, m, _ in self.discord.channels.get(channel_id, []) if d == day]

    async def edit(
        self, channel_id: int, message_ids: Sequence[int], content: DigestContent
    ) -> bool:
        return True


@dataclass
class Process:
    store: Store
    coordinator: Coordinator
    scheduler: DigestScheduler
    poster: Poster


async def start_process(
    where: str,
    name: str,
    shards: Sequence[int],
    count: int,
    clock: Clock,
    discord: Discord,
) -> Process:
    store = await open_store(where)
    coordinator = Coordinator(
        store,
        shards=shards,
        shard_count=count,
        lease=LEASE,
        clock=clock,
        process_id=f"test-host:{name}",
    )
    try:
        await coordinator.claim()
    except BaseException:
        await store.close()
        raise
    poster = Poster(discord, name)
    scheduler = DigestScheduler(store=store, poster=poster, clock=clock, coordinator=coordinator)
    return Process(store, coordinator, scheduler, poster)


async def setup_guilds(store: Store, guilds: Sequence[int]) -> None:
    text = (
        f"## Daily Papers ({DAY})\n\n### [A Paper](https://arxiv.org/abs/2505.00001)\n\nVote: 3\n"
    )
    await store.import_digest(parse_digest(text, f"{DAY}.md"))
    for g in guilds:
        await store.set_digest_settings(
            g, channel_id=g, post_time=dt.time(9, 30), timezone="Asia/Seoul", count=5, now=SAVED
        )


@pytest.fixture
def pg_url(pg_cluster: Cluster) -> Iterator[str]:
    url = run_apart(clone_database(pg_cluster))
    yield url
    run_apart(drop_database(pg_cluster, url))


@pytest.fixture
async def processes() -> AsyncIterator[list[Process]]:
    """Processes started by the test, closed after it (dead ones too)."""
    started: list[Process] = []
    yield started
    for proc in started:
        await proc.scheduler.stop()
        await proc.store.close()


# --------------------------------------------------------------------------- digests


async def test_each_guild_is_posted_once_by_its_shards_process(
    pg_url: str, processes: list[Process]
) -> None:
    """Two processes (shards 0 and 1 of 2) catching up at once: every guild's digest is posted
    exactly once, by the process that owns its shard."""
    clock, discord = Clock(), Discord()
    guilds = [guild(n) for n in range(12)]
    a = await start_process(pg_url, "a", [0], 2, clock, discord)
    b = await start_process(pg_url, "b", [1], 2, clock, discord)
    processes += [a, b]
    await setup_guilds(a.store, guilds)
    await asyncio.gather(a.scheduler.catch_up(), b.scheduler.catch_up())
    for g in guilds:
        [(_, _, sender)] = discord.channels[g]
        assert sender == ("a" if shard_of(g, 2) == 0 else "b")


async def test_a_dead_processs_guilds_are_posted_by_another_after_the_lease(
    pg_url: str, processes: list[Process]
) -> None:
    """Process b stops beating before its digests are due: within the lease nobody posts its
    guilds; after it, a adopts b's shard and posts each of them exactly once."""
    clock, discord = Clock(), Discord()
    guilds = [guild(n) for n in range(8)]
    a = await start_process(pg_url, "a", [0], 2, clock, discord)
    b = await start_process(pg_url, "b", [1], 2, clock, discord)
    processes += [a, b]
    await setup_guilds(a.store, guilds)
    b_guilds = [g for g in guilds if shard_of(g, 2) == 1]
    await a.scheduler.catch_up()
    assert all(g not in discord.channels for g in b_guilds)
    clock.advance(20)
    await a.coordinator.beat()
    assert a.coordinator.digest_shards == {0}
    clock.advance(15)  # b's lease (30 s from its claim) is over
    adopted: list[frozenset[int]] = []
    a.coordinator.on_adopt = adopted.append
    await a.coordinator.beat()
    assert adopted == [frozenset({1})] and a.coordinator.adopted == {1}
    await a.scheduler.catch_up()
    assert all(len(discord.channels[g]) == 1 for g in guilds)


async def b_dies_mid_post(
    pg_url: str, processes: list[Process], clock: Clock, discord: Discord
) -> tuple[Process, int]:
    """Processes a (shard 0 of 2) and b (shard 1); b dies (SIGKILL: nothing after the send
    runs) after its digest message for one of its guilds went out, before it recorded it.
    Process a and that guild."""
    g = next(guild(n) for n in range(8) if shard_of(guild(n), 2) == 1)
    a = await start_process(pg_url, "a", [0], 2, clock, discord)
    b = await start_process(pg_url, "b", [1], 2, clock, discord)
    processes += [a, b]
    await setup_guilds(a.store, [g])
    b.poster.hang = True
    dying = asyncio.create_task(b.scheduler.run_due(g))
    await b.poster.went_out.wait()
    dying.cancel()
    return a, g


async def test_a_post_in_flight_is_never_posted_twice(
    pg_url: str, processes: list[Process]
) -> None:
    """Process b dies after its message went out but before it recorded it. While b's lease
    lasts, a leaves the slot alone (in flight); after it, a takes the slot over and finds b's
    message in the channel: recorded, not posted again."""
    clock, discord = Clock(), Discord()
    a, g = await b_dies_mid_post(pg_url, processes, clock, discord)
    run = await a.store.digest_run(g, dt.date(2025, 5, 10))
    assert run is not None and run.outcome == "sending"
    # a may not post b's guilds, and even adopting b's shard early, the slot is b's.
    a.coordinator.digest_shards = frozenset({0, 1})
    result = await a.scheduler.run_due(g)
    assert result.detail is not None and result.detail.code is RunCode.IN_FLIGHT
    clock.advance(31)
    await a.coordinator.beat()
    result = await a.scheduler.run_due(g)
    assert result.outcome == "posted" and result.detail is not None
    assert result.detail.code is RunCode.FOUND_IN_HISTORY
    assert len(discord.channels[g]) == 1
    post = await a.store.last_digest_post(g)
    assert post is not None and post.message_ids == (discord.channels[g][0][1],)


async def test_database_away_longer_than_the_lease_loses_and_doubles_nothing(
    pg_url: str, processes: list[Process]
) -> None:
    """Process a cannot reach the database for 40 s (its beats fail): b adopts a's shard and
    posts its guilds; when a is back it takes its shard back and posts nothing again."""
    clock, discord = Clock(), Discord()
    guilds = [guild(n) for n in range(8)]
    a = await start_process(pg_url, "a", [0], 2, clock, discord)
    b = await start_process(pg_url, "b", [1], 2, clock, discord)
    processes += [a, b]
    await setup_guilds(a.store, guilds)
    real = a.store.beat

    async def down(*args: object, **kwargs: object) -> object:
        raise ConnectionError("database unreachable")

    a.store.beat = down  # type: ignore[method-assign]
    for _ in range(4):
        clock.advance(10)
        await a.coordinator.beat()  # logged, not raised
        await b.coordinator.beat()
    assert b.coordinator.adopted == {0}
    await b.scheduler.catch_up()
    a.store.beat = real  # type: ignore[method-assign]
    recovered: list[bool] = []
    a.coordinator.on_recover = lambda: recovered.append(True)
    await a.coordinator.beat()
    assert a.coordinator.digest_shards == {0} and recovered == [True]
    await b.coordinator.beat()
    assert b.coordinator.adopted == set()
    await asyncio.gather(a.scheduler.catch_up(), b.scheduler.catch_up())
    assert all(len(discord.channels[g]) == 1 for g in guilds)


async def test_a_restarted_process_posts_nothing_again(
    pg_url: str, processes: list[Process]
) -> None:
    """A process stopped mid-day and started again (same shards) takes its shards back at
    once and posts nothing a second time; its scheduler starts once per process."""
    clock, discord = Clock(), Discord()
    guilds = [guild(n) for n in range(6)]
    a = await start_process(pg_url, "a", [0, 1], 2, clock, discord)
    processes.append(a)
    await setup_guilds(a.store, guilds)
    await a.scheduler.start()
    await a.scheduler.wait_started()
    jobs = len(a.scheduler.scheduler.get_jobs())
    await a.scheduler.start()  # on_ready again: nothing more
    assert len(a.scheduler.scheduler.get_jobs()) == jobs
    await a.scheduler.stop()
    await a.coordinator.stop()
    clock.advance(60)
    again = await start_process(pg_url, "a2", [0, 1], 2, clock, discord)
    processes.append(again)
    await again.scheduler.start()
    await again.scheduler.wait_started()
    assert all(len(discord.channels[g]) == 1 for g in guilds)


# --------------------------------------------------------------------------- refusals


async def test_overlapping_shards_are_refused_with_one_line(
    pg_url: str, processes: list[Process]
) -> None:
    """A second process asking for a shard a live one holds is refused before anything starts;
    the message names the shard and the process holding it."""
    clock, discord = Clock(), Discord()
    processes.append(await start_process(pg_url, "a", [0, 1], 3, clock, discord))
    with pytest.raises(ShardsTaken) as info:
        await start_process(pg_url, "b", [1, 2], 3, clock, discord)
    with use_locale("en"):
        line = phrases.shards_taken(info.value, now=clock())
    assert "\n" not in line and "shards 1 " in line and "test-host:a" in line
    b = await start_process(pg_url, "b", [2], 3, clock, discord)  # disjoint: fine
    processes.append(b)


async def test_sqlite_refuses_a_second_live_process(tmp_path: Path) -> None:
    """On SQLite a second process is refused while the first beats; a dead process on this
    machine (its pid gone) is no obstacle."""
    clock = Clock()
    where = str(tmp_path / "papers.db")
    async with await open_store(where) as store:
        first = Coordinator(store, clock=clock, lease=LEASE, process_id="other-host:1:x")
        await first.claim()
        second = Coordinator(store, clock=clock, lease=LEASE)
        with pytest.raises(DatabaseInUse) as info:
            await second.claim()
        with use_locale("en"):
            line = phrases.database_in_use(info.value, now=clock())
        assert "other-host:1:x" in line and "SQLite" in line and "\n" not in line
        clock.advance(31)
        await second.claim()  # the first stopped beating: its lease is over
        await second.stop()
        gone = _gone_pid()
        await store.register_process(
            ProcessRecord(f"{socket.gethostname()}:{gone}:y", (0,), 1, clock(), clock(), "t")
        )
        third = Coordinator(store, clock=clock, lease=LEASE)
        await third.claim()  # killed on this machine: reaped at once
        ids = {p.process_id for p in await store.processes()}
        assert third.process_id in ids and f"{socket.gethostname()}:{gone}:y" not in ids


def _gone_pid() -> int:
    pid = os.getpid() + 100_000
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid += 1


# --------------------------------------------------------------------------- global jobs


async def test_a_global_job_runs_in_one_process_and_moves_when_it_dies(
    pg_url: str, processes: list[Process]
) -> None:
    """Fetching runs in the process holding its lease only; when that one stops beating, the
    next process to ask takes it over after the lease."""
    clock, discord = Clock(), Discord()
    a = await start_process(pg_url, "a", [0], 2, clock, discord)
    b = await start_process(pg_url, "b", [1], 2, clock, discord)
    processes += [a, b]
    ran: list[str] = []

    def job(name: str):  # type: ignore[no-untyped-def]
        async def run() -> str:
            ran.append(name)
            return name

        return run

    fetch_a = a.coordinator.guard(FETCH_JOB, job("a"))
    fetch_b = b.coordinator.guard(FETCH_JOB, job("b"))
    for _ in range(3):
        await asyncio.gather(fetch_a(), fetch_b())
        clock.advance(5)
    assert len(ran) == 3 and len(set(ran)) == 1
    leader, other = (fetch_a, fetch_b) if ran[0] == "a" else (fetch_b, fetch_a)
    follower = "b" if ran[0] == "a" else "a"
    ran.clear()
    clock.advance(31)  # the leader stopped (no beat, no run) for longer than the lease
    await other()
    await leader()  # back too late: the job is the other's now
    assert ran == [follower]


class Messenger:
    def __init__(self, sent: list[tuple[int, tuple[str, ...]]]) -> None:
        self.sent = sent

    async def send_alerts(self, user_id: int, matches: Sequence[AlertMatch]) -> None:
        await asyncio.sleep(0)
        self.sent.append((user_id, tuple(p.arxiv_id for m in matches for p in m.papers)))


async def test_alert_dms_are_sent_once_across_processes(
    pg_url: str, processes: list[Process]
) -> None:
    """Two processes' alert services ticking at once: each user gets one DM per import."""
    clock, discord = Clock(), Discord()
    a = await start_process(pg_url, "a", [0], 2, clock, discord)
    b = await start_process(pg_url, "b", [1], 2, clock, discord)
    processes += [a, b]
    for user in range(5):
        await a.store.add_alert(100 + user, "keywords", "diffusion", now=clock())
    text = (
        f"## Daily Papers ({DAY})\n\n"
        "### [Fast Diffusion](https://arxiv.org/abs/2505.00002)\n\nVote: 3\n"
    )
    await a.store.import_digest(parse_digest(text, f"{DAY}.md"))
    sent: list[tuple[int, tuple[str, ...]]] = []
    services = [
        AlertService(
            store=p.store,
            messenger=Messenger(sent),
            clock=clock,
            gate=lambda c=p.coordinator: c.take(ALERTS_JOB),
        )
        for p in (a, b)
    ]
    await asyncio.gather(*(s.tick() for s in services))
    await asyncio.gather(*(s.tick() for s in services))
    assert sorted(sent) == [(100 + u, ("2505.00002",)) for u in range(5)]


class DmChannel:
    """The shared fake Discord's DMs: every DM sent, by user; a sender can die mid-send."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, tuple[str, ...]]] = []
        self.went_out = asyncio.Event()


class DyingMessenger:
    """Sends into the shared DMs; ``hang``: the process dies right after the DM went out;
    ``find_sent`` reads the DMs back as the Discord messenger reads the DM channel."""

    def __init__(self, dms: DmChannel, *, hang: bool = False) -> None:
        self.dms = dms
        self.hang = hang

    async def send_alerts(self, user_id: int, matches: Sequence[AlertMatch]) -> None:
        self.dms.sent.append((user_id, tuple(p.arxiv_id for m in matches for p in m.papers)))
        self.dms.went_out.set()
        if self.hang:
            await asyncio.Event().wait()

    async def find_sent(
        self, user_id: int, matches: Sequence[AlertMatch], *, after: dt.datetime
    ) -> bool:
        wanted = {p.arxiv_id for m in matches for p in m.papers}
        return any(u == user_id and wanted & set(ids) for u, ids in self.dms.sent)


async def test_an_alert_dm_in_flight_when_its_sender_died_is_not_sent_again(
    pg_url: str, processes: list[Process]
) -> None:
    """Process a dies after a user's alert DM went out, before recording it. b holds off while
    a's lease lasts; after it, b takes the alerts job and the send over, finds the DM in the
    DM channel and records it: the user got it exactly once."""
    clock, discord = Clock(), Discord()
    a = await start_process(pg_url, "a", [0], 2, clock, discord)
    b = await start_process(pg_url, "b", [1], 2, clock, discord)
    processes += [a, b]
    await a.store.add_alert(100, "keywords", "diffusion", now=clock())
    text = (
        f"## Daily Papers ({DAY})\n\n"
        "### [Fast Diffusion](https://arxiv.org/abs/2505.00002)\n\nVote: 3\n"
    )
    await a.store.import_digest(parse_digest(text, f"{DAY}.md"))
    dms = DmChannel()

    def service(p: Process, messenger: DyingMessenger) -> AlertService:
        return AlertService(
            store=p.store,
            messenger=messenger,
            clock=clock,
            gate=lambda: p.coordinator.take(ALERTS_JOB),
            holder=p.coordinator.process_id,
            lease=LEASE,
        )

    dying = asyncio.create_task(service(a, DyingMessenger(dms, hang=True)).tick())
    await dms.went_out.wait()
    dying.cancel()  # SIGKILL right after the DM went out
    survivor = service(b, DyingMessenger(dms))
    assert await survivor.tick() == []  # a still holds the alerts job
    clock.advance(31)
    await b.coordinator.beat()
    [delivery] = await survivor.tick()
    assert delivery.outcome == "sent"
    assert dms.sent == [(100, ("2505.00002",))]
    assert await survivor.tick() == []  # recorded: nothing more to send
    assert dms.sent == [(100, ("2505.00002",))]


# --------------------------------------------------------------------------- status


async def test_status_shows_processes_jobs_and_queues(
    pg_url: str, processes: list[Process]
) -> None:
    """status: each process with its shards, jobs and beat; a dead one's lease expired; the
    digests due today counted."""
    clock, discord = Clock(), Discord()
    guilds = [guild(n) for n in range(4)]
    a = await start_process(pg_url, "a", [0], 2, clock, discord)
    b = await start_process(pg_url, "b", [1], 2, clock, discord)
    processes += [a, b]
    await setup_guilds(a.store, guilds)
    await a.coordinator.take(FETCH_JOB)
    clock.advance(40)
    await a.coordinator.beat()  # b is silent: a adopts shard 1
    status = await cluster_status(a.store, now=clock(), lease=LEASE, summaries=False)
    by_id = {s.process.process_id: s for s in status.processes}
    assert by_id["test-host:a"].alive and by_id["test-host:a"].shards == (0,)
    assert by_id["test-host:a"].adopted == (1,) and by_id["test-host:a"].jobs == (FETCH_JOB,)
    assert not by_id["test-host:b"].alive and by_id["test-host:b"].shards == ()
    assert status.digests_waiting == len(guilds) and status.summaries_waiting is None
    with use_locale("en"):
        text = "\n".join(phrases.status_lines(status))
    assert "test-host:b" in text and "lease expired" in text and "4 due" in text
    with use_locale("ko"):
        assert "임대 만료" in "\n".join(phrases.status_lines(status))


async def test_a_slot_in_flight_is_looked_at_again_after_the_lease(
    pg_url: str, processes: list[Process]
) -> None:
    """The slot a dead process left in flight is taken over by the re-check a found-in-flight
    answer schedules, without waiting for another scheduled run or adoption (a process killed
    mid-post whose shard was adopted a moment before its last beat expired)."""
    clock, discord = Clock(), Discord()
    a, g = await b_dies_mid_post(pg_url, processes, clock, discord)
    a.coordinator.digest_shards = frozenset({0, 1})
    a.scheduler.recheck_after = dt.timedelta(seconds=0.2)
    result = await a.scheduler.run_due(g)
    assert result.detail is not None and result.detail.code is RunCode.IN_FLIGHT
    recheck = a.scheduler._rechecks[g]
    clock.advance(31)  # b's lease is over before the re-check looks
    await asyncio.wait_for(recheck, timeout=10)
    run = await a.store.digest_run(g, dt.date(2025, 5, 10))
    assert run is not None and run.outcome == "posted"
    assert len(discord.channels[g]) == 1
