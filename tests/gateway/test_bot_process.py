"""A real ``papers-bot run`` process against the loopback fake Discord (tests/harness)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest
from digests import import_day
from harness.botproc import start_bot
from harness.discord_server import DiscordServer

from storage.backends import open_store

GUILD = 950_000_000_000_000_001
CHANNEL = 950_000_000_000_000_101
DAY = "2025-05-09"
T = TypeVar("T")
PAPERS = [
    ("2505.00001", "Loopback Diffusion", "Ada Lovelace"),
    ("2505.00002", "Gateway Transformers", "Alan Turing"),
]


@pytest.fixture
async def server() -> AsyncIterator[DiscordServer]:
    async with DiscordServer() as fake:
        yield fake


async def poll(
    read: Callable[[], Awaitable[T | None]],
    done: Callable[[T], bool],
    *,
    within: float = 30.0,
) -> T:
    """Read (e.g. the bot's database) every 0.05 s until ``done(value)``; the value."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = await read()
        if value is not None and done(value):
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still {value!r} after {within} s")
        await asyncio.sleep(0.05)


async def prepare_database(path: Path, *, guilds: dict[int, int]) -> dt.datetime:
    """A SQLite file with one digest day and, for each guild, a digest whose time (UTC) passed
    an hour ago (saved two hours ago), so the bot's start-up catch-up posts it."""
    now = dt.datetime.now(dt.UTC)
    store = await open_store(path)
    try:
        await import_day(store, DAY, PAPERS)
        for guild_id, channel_id in guilds.items():
            await store.set_digest_settings(
                guild_id,
                channel_id=channel_id,
                post_time=(now - dt.timedelta(hours=1)).time().replace(second=0, microsecond=0),
                timezone="UTC",
                count=10,
                now=now - dt.timedelta(hours=2),
            )
    finally:
        await store.close()
    return now


async def test_a_bot_process_posts_the_due_digest_into_the_fake_channel(
    server: DiscordServer, tmp_path: Path
) -> None:
    """End to end over sockets: a ``papers-bot run`` subprocess on a SQLite file logs in to
    the fake Discord, identifies on its gateway, and its start-up catch-up posts the day's
    digest, once, without pinging anyone, into the guild's channel; the post is recorded."""
    server.add_guild(GUILD, [CHANNEL])
    database = tmp_path / "bot.db"
    await prepare_database(database, guilds={GUILD: CHANNEL})

    bot = await start_bot(server, database=database, workdir=tmp_path, tag="e2e")
    store = await open_store(database)
    try:
        await server.wait_for(lambda: server.posts_in(CHANNEL), within=60, what="the digest")
        run = await poll(lambda: store.last_digest_run(GUILD), lambda r: r.outcome == "posted")
        assert run.digest_date == dt.date.fromisoformat(DAY), bot.output()
        assert server.identifies[0].client == "e2e"
        assert server.identifies[0].shard_id == 0
        assert server.identifies[0].intents is not None
    finally:
        await store.close()
        await bot.terminate()

    posts = server.posts_in(CHANNEL)
    assert len(posts) == 1, [p.title for p in posts]
    post = posts[0]
    assert "Loopback Diffusion" in post.embed.get("description", "")
    assert post.allowed_mentions == {"parse": []}
    assert post.client == "e2e"
    assert server.unknown == []
