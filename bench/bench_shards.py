"""Digest fan-out by several real bot processes (shards) on one PostgreSQL, through the loopback
fake Discord with Discord's rate limits simulated: the time until the last post and the count of
double posts, with every process alive and with one SIGKILLed midway.

    .venv/bin/python -m bench.bench_shards [--guilds 300] [--processes 3] [--lease 5]

Each run starts a throw-away PostgreSQL server (tests/harness/postgres.py) with a fresh
database: one digest day and ``--guilds`` servers whose digest time passed an hour ago, so each
process posts its shards' digests at start-up. The fake Discord (tests/harness/discord_server.py)
allows 5 messages per 5 s per channel and 50 requests a second in all (Discord's global limit),
answering 429 with ``retry_after`` beyond that; discord.py waits those out as it does on Discord.
The processes are started one after another (``papers-bot run --shard-count N --shards i``); the
clock starts when the first one is launched and stops at the last digest message. In the second
scenario the process of shard 0, started last, is SIGKILLed once a third of its guilds have
their post: the others adopt its shard after the lease (``--lease`` seconds) and finish its
guilds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from storage.backends import open_store
from storage.ingest.parser import parse_digest
from tests.harness.botproc import BotProcess, start_bot
from tests.harness.discord_server import DiscordServer, RateLimits, shard_of
from tests.harness.postgres import running_cluster

DAY = "2025-05-09"
BASE_GUILD = 970_000_000_000_000_000
BASE_CHANNEL = 971_000_000_000_000_000


@dataclass
class Outcome:
    scenario: str
    seconds_to_last_post: float
    posted: int
    guilds: int
    doubles: int
    rate_limited: int
    killed_after: int | None = None


def digest_text() -> str:
    papers = "\n".join(
        f"### [Paper {n} of the bench](https://arxiv.org/abs/2505.{n:05d})\n\nVote: {n}\n\n"
        f"- ***What's New***: 요약 {n}\n"
        for n in range(1, 11)
    )
    return f"## Daily Papers ({DAY})\n\n{papers}"


async def prepare(url: str, guilds: list[int]) -> None:
    now = dt.datetime.now(dt.UTC)
    store = await open_store(url)
    try:
        await store.import_digest(parse_digest(digest_text(), f"{DAY}.md"))
        for n, guild in enumerate(guilds):
            await store.set_digest_settings(
                guild,
                channel_id=BASE_CHANNEL + n,
                post_time=(now - dt.timedelta(hours=1)).time().replace(second=0, microsecond=0),
                timezone="UTC",
                count=10,
                now=now - dt.timedelta(hours=2),
            )
    finally:
        await store.close()


async def run_scenario(
    cluster_dsn: str, name: str, args: argparse.Namespace, workdir: Path, *, kill: bool
) -> Outcome:
    database = f"bench_{name}"
    admin = await asyncpg.connect(cluster_dsn)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {database}")
    finally:
        await admin.close()
    url = cluster_dsn.replace("/papers?", f"/{database}?")
    guilds = [BASE_GUILD + (n << 22) for n in range(args.guilds)]
    await prepare(url, guilds)
    channels = {g: BASE_CHANNEL + n for n, g in enumerate(guilds)}
    limits = RateLimits(global_limit=(args.global_limit, 1.0))
    bots: list[BotProcess] = []
    killed_after: int | None = None
    async with DiscordServer(rate_limits=limits) as server:
        for n, guild in enumerate(guilds):
            server.add_guild(guild, [BASE_CHANNEL + n])

        def posted() -> int:
            return sum(1 for g in guilds if server.posts_in(channels[g]))

        start = time.time()
        try:
            order = range(args.processes)
            for shard in reversed(order) if kill else order:  # the victim (0) last
                bots.append(
                    await start_bot(
                        server,
                        database=url,
                        workdir=workdir / name,
                        args=(
                            "run",
                            "--shard-count",
                            str(args.processes),
                            "--shards",
                            str(shard),
                        ),
                        env={"LEASE_SECONDS": str(args.lease), "LOG_LEVEL": "WARNING"},
                        tag=f"{name}{shard}",
                        within=120,
                    )
                )
            if kill:
                victim = bots[-1]
                mine = [g for g in guilds if shard_of(g, args.processes) == 0]
                await server.wait_for(
                    lambda: sum(1 for g in mine if server.posts_in(channels[g])) >= len(mine) // 3,
                    within=120,
                    what="a third of the victim's posts",
                )
                await victim.kill()
                killed_after = sum(1 for g in mine if server.posts_in(channels[g]))
            await server.wait_for(
                lambda: posted() == len(guilds), within=args.timeout, what="every digest"
            )
            last = max(
                m.sent_at for g in guilds for m in server.posts_in(channels[g], deleted=True)
            )
            elapsed = last - start
            await asyncio.sleep(args.lease * 2)  # a double post would arrive by now
        finally:
            for bot in bots:
                if bot.returncode is None:
                    with contextlib.suppress(Exception):
                        await bot.terminate()
        doubles = sum(max(0, len(server.posts_in(channels[g])) - 1) for g in guilds)
        return Outcome(
            name,
            elapsed,
            posted(),
            len(guilds),
            doubles,
            len(server.rate_limits.hits),
            killed_after,
        )


def report(outcome: Outcome, args: argparse.Namespace) -> None:
    verdict = "PASS" if outcome.seconds_to_last_post < 60 and outcome.doubles == 0 else "FAIL"
    killed = (
        f", shard 0's process SIGKILLed after {outcome.killed_after} of its posts"
        if outcome.killed_after is not None
        else ""
    )
    print(
        f"{outcome.scenario:>7}: {args.processes} processes, {outcome.guilds} guilds{killed}: "
        f"last post after {outcome.seconds_to_last_post:.1f} s (target < 60 s), "
        f"{outcome.posted}/{outcome.guilds} guilds posted, {outcome.doubles} double posts, "
        f"{outcome.rate_limited} answers 429  [{verdict}]",
        flush=True,
    )


async def main_async(args: argparse.Namespace) -> int:
    failed = False
    with (
        tempfile.TemporaryDirectory(prefix="bench-shards-") as tmp,
        running_cluster(port=5439) as cluster,
    ):
        workdir = Path(tmp)
        for name, kill in (("alive", False), ("killed", True)):
            outcome = await run_scenario(cluster.dsn, name, args, workdir, kill=kill)
            report(outcome, args)
            failed |= outcome.doubles > 0 or outcome.posted < outcome.guilds
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_shards", description=__doc__)
    parser.add_argument("--guilds", type=int, default=300)
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--lease", type=int, default=5, help="LEASE_SECONDS (default 5)")
    parser.add_argument(
        "--global-limit", type=int, default=50, help="requests a second in all (Discord: 50)"
    )
    parser.add_argument("--timeout", type=float, default=300.0)
    return asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
