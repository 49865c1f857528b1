"""Several real ``papers-bot run`` processes (shards) on one throw-away PostgreSQL against the
loopback fake Discord, with Discord's rate limits simulated: every guild gets one digest for the
day and every alert DM arrives once, also when a process is SIGKILLed mid-fan-out; a process
restarted mid-day and a gateway session that must IDENTIFY again (``on_ready`` again) start no
job twice.

The lease is short (``LEASE_SECONDS=2``) and alerts tick every second, so a killed process's
shards and jobs are taken over within seconds.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from backends import clone_database, drop_database, run_apart
from digests import import_day
from harness.botproc import BotProcess, start_bot
from harness.discord_server import DiscordServer, RateLimits, shard_of
from harness.postgres import Cluster

from storage.backends import open_store

SHARDS = 3
DAY = "2025-05-09"
PAPERS = [
    ("2505.00001", "Loopback Diffusion Models", "Ada Lovelace"),
    ("2505.00002", "Sharded Transformers", "Alan Turing"),
]
BASE_GUILD = 960_000_000_000_000_000
BASE_CHANNEL = 961_000_000_000_000_000
BASE_USER = 962_000_000_000_000_000
FAST = {"LEASE_SECONDS": "2", "ALERT_INTERVAL_SECONDS": "1"}


def guild_ids(count: int) -> list[int]:
    return [BASE_GUILD + (n << 22) for n in range(count)]


@pytest.fixture
def pg_url(pg_cluster: Cluster) -> Iterator[str]:
    url = run_apart(clone_database(pg_cluster))
    yield url
    run_apart(drop_database(pg_cluster, url))


@pytest.fixture
async def server() -> AsyncIterator[DiscordServer]:
    """The fake Discord, with a global limit of 4 requests a second (so a fan-out takes
    seconds: long enough to kill a process in the middle of it)."""
    async with DiscordServer(rate_limits=RateLimits(global_limit=(4, 1.0))) as fake:
        yield fake


@pytest.fixture
async def bots(server: DiscordServer) -> AsyncIterator[list[BotProcess]]:
    """Bot processes the test started; every one still running is stopped after it."""
    started: list[BotProcess] = []
    yield started
    for bot in started:
        if bot.returncode is None:
            await bot.kill()


async def prepare(url: str, guilds: list[int], users: list[int]) -> None:
    """Digests due for every guild (an hour ago, saved two hours ago), a keyword alert for every
    user, then the day imported (new papers, so every alert has a match to DM)."""
    now = dt.datetime.now(dt.UTC)
    store = await open_store(url)
    try:
        for user in users:
            await store.add_alert(user, "keywords", "diffusion", now=now)
        for n, guild in enumerate(guilds):
            await store.set_digest_settings(
                guild,
                channel_id=BASE_CHANNEL + n,
                post_time=(now - dt.timedelta(hours=1)).time().replace(second=0, microsecond=0),
                timezone="UTC",
                count=10,
                now=now - dt.timedelta(hours=2),
            )
        await import_day(store, DAY, PAPERS)
    finally:
        await store.close()


def add_guilds(server: DiscordServer, guilds: list[int]) -> None:
    for n, guild in enumerate(guilds):
        server.add_guild(guild, [BASE_CHANNEL + n])


async def start_shard(
    server: DiscordServer, url: str, tmp_path: Path, shard: int, tag: str | None = None
) -> BotProcess:
    return await start_bot(
        server,
        database=url,
        workdir=tmp_path,
        args=("run", "--shard-count", str(SHARDS), "--shards", str(shard)),
        env=FAST,
        tag=tag or f"shard{shard}",
    )


def digests_per_guild(server: DiscordServer, guilds: list[int]) -> dict[int, int]:
    return {g: len(server.posts_in(BASE_CHANNEL + n)) for n, g in enumerate(guilds)}


def dms_per_user(server: DiscordServer, users: list[int]) -> dict[int, int]:
    return {u: len(server.dms_to(u)) for u in users}


async def test_killed_process_mid_fan_out_loses_and_doubles_nothing(
    pg_url: str, tmp_path: Path, server: DiscordServer, bots: list[BotProcess]
) -> None:
    """3 processes (shard count 3) post 30 guilds' digests and 9 users' alert DMs at 4 messages
    a second (the global limit); one is SIGKILLed after its first posts. Every guild ends with
    exactly one digest and every user with exactly one DM: the dead process's guilds and alert
    DMs are taken over after the lease, its post in flight found in the channel, not repeated."""
    guilds = guild_ids(30)
    users = [BASE_USER + n for n in range(9)]
    add_guilds(server, guilds)
    await prepare(pg_url, guilds, users)
    for shard in range(SHARDS):
        bots.append(await start_shard(server, pg_url, tmp_path, shard))
    victim = bots[0]
    mine = sum(1 for g in guilds if shard_of(g, SHARDS) == 0)
    assert mine >= 5
    await server.wait_for(
        lambda: sum(1 for m in server.messages if m.client == victim.tag) >= 2,
        within=60,
        what="the victim's first posts",
    )
    await victim.kill()
    killed_at = len([m for m in server.messages if m.client == victim.tag])
    assert killed_at < mine + len(users), "the victim finished before it was killed"
    try:
        await server.wait_for(
            lambda: (
                all(digests_per_guild(server, guilds).values())
                and all(dms_per_user(server, users).values())
            ),
            within=90,
            what="every digest and every DM",
        )
    except TimeoutError:
        missing_guilds = [g for g, n in digests_per_guild(server, guilds).items() if not n]
        missing_users = [u for u, n in dms_per_user(server, users).items() if not n]
        outputs = "\n".join(f"--- {b.tag}\n{b.output()}" for b in bots)
        raise AssertionError(
            f"no digest in {missing_guilds}, no DM to {missing_users}\n{outputs}"
        ) from None
    await asyncio.sleep(4)  # two leases more: a double post would show now
    outputs = "\n".join(b.output() for b in bots)
    assert set(digests_per_guild(server, guilds).values()) == {1}, outputs
    assert set(dms_per_user(server, users).values()) == {1}, outputs
    assert server.rate_limits.hits, "the fan-out never met a rate limit"
    takers = {m.client for m in server.messages} - {victim.tag}
    assert takers and "adopted shards 0" in outputs
    store = await open_store(pg_url)
    try:
        for guild in guilds:
            run = await store.last_digest_run(guild)
            assert run is not None and run.outcome == "posted"
    finally:
        await store.close()
    for bot in bots[1:]:
        assert await bot.terminate() == 0  # SIGTERM: closed, leases released


async def test_a_process_restarted_mid_day_starts_nothing_twice(
    pg_url: str, tmp_path: Path, server: DiscordServer, bots: list[BotProcess]
) -> None:
    """After every digest and DM went out, one process is stopped and started again with the
    same shard: it takes its shard back and posts and sends nothing a second time."""
    guilds = guild_ids(9)
    users = [BASE_USER + n for n in range(3)]
    add_guilds(server, guilds)
    await prepare(pg_url, guilds, users)
    for shard in range(SHARDS):
        bots.append(await start_shard(server, pg_url, tmp_path, shard))
    await server.wait_for(
        lambda: (
            all(digests_per_guild(server, guilds).values())
            and all(dms_per_user(server, users).values())
        ),
        within=60,
        what="every digest and every DM",
    )
    before = len(server.messages)
    assert await bots[1].terminate() == 0
    bots.append(await start_shard(server, pg_url, tmp_path, 1, tag="shard1-again"))
    await asyncio.sleep(4)
    output = bots[-1].output()
    assert "holds shards 1 of 3" in output, output
    assert len(server.messages) == before
    assert set(digests_per_guild(server, guilds).values()) == {1}
    assert set(dms_per_user(server, users).values()) == {1}


async def test_on_ready_again_after_a_new_session_starts_no_job_twice(
    pg_url: str, tmp_path: Path, server: DiscordServer, bots: list[BotProcess]
) -> None:
    """The gateway drops and refuses to RESUME: the process IDENTIFIES again and on_ready fires
    again; its heartbeat, scheduler and alerts were started once and stay single: a day
    imported afterwards is DMed once, and no digest is posted twice."""
    guilds = guild_ids(3)
    users = [BASE_USER]
    add_guilds(server, guilds)
    await prepare(pg_url, guilds, users)
    bot = await start_bot(
        server,
        database=pg_url,
        workdir=tmp_path,
        args=("run",),
        env=FAST,
        tag="single",
    )
    bots.append(bot)
    await server.wait_for(
        lambda: all(digests_per_guild(server, guilds).values()) and server.dms_to(users[0]),
        within=60,
        what="the digests and the DM",
    )
    server.fail_resume = True
    await server.disconnect()
    await server.wait_identified(2, within=60)
    await server.wait_for(
        lambda: len(re.findall("Logged in as", bot.output())) >= 2,
        within=30,
        what="on_ready again",
    )
    store = await open_store(pg_url)
    try:
        await import_day(store, "2025-05-10", [("2505.00100", "More Diffusion", "Grace")])
    finally:
        await store.close()
    await server.wait_for(lambda: len(server.dms_to(users[0])) >= 2, within=30, what="DM 2")
    await asyncio.sleep(3)
    output = bot.output()
    assert output.count("holds shards") == 1, output
    assert len(server.dms_to(users[0])) == 2
    assert set(digests_per_guild(server, guilds).values()) == {1}
    assert await bot.terminate() == 0


async def test_the_database_away_while_processes_post_loses_and_doubles_nothing(
    pg_url: str,
    pg_cluster: Cluster,
    tmp_path: Path,
    server: DiscordServer,
    bots: list[BotProcess],
) -> None:
    """The PostgreSQL server stops for 5 s (more than two leases) in the middle of a fan-out by
    3 processes and starts again: every guild ends with one digest and every user with one DM
    (what the outage interrupted is finished when the database answers again)."""
    guilds = guild_ids(30)
    users = [BASE_USER + n for n in range(6)]
    add_guilds(server, guilds)
    await prepare(pg_url, guilds, users)
    for shard in range(SHARDS):
        bots.append(await start_shard(server, pg_url, tmp_path, shard))
    await server.wait_for(lambda: len(server.messages) >= 8, within=60, what="the first posts")
    await asyncio.to_thread(pg_cluster.stop)
    try:
        await asyncio.sleep(5)
        during = len(server.messages)
    finally:
        await asyncio.to_thread(pg_cluster.start)
    assert during < len(guilds) + len(users), "everything went out before the outage"
    await server.wait_for(
        lambda: (
            all(digests_per_guild(server, guilds).values())
            and all(dms_per_user(server, users).values())
        ),
        within=90,
        what="every digest and every DM after the outage",
    )
    await asyncio.sleep(4)
    outputs = "\n".join(b.output() for b in bots)
    assert set(digests_per_guild(server, guilds).values()) == {1}, outputs
    assert set(dms_per_user(server, users).values()) == {1}, outputs
    assert "Heartbeat of" in outputs and "is back" in outputs
