"""A real ``papers-bot run`` process against the loopback fake Discord (tests/harness)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot_world import DAY, prepare_database
from harness.botproc import poll, start_bot
from harness.discord_server import DiscordServer

from storage.backends import open_store

GUILD = 950_000_000_000_000_001
CHANNEL = 950_000_000_000_000_101
USER = 940_000_000_000_000_042


async def test_a_bot_process_posts_the_due_digest_into_the_fake_channel(
    server: DiscordServer, tmp_path: Path, database: str
) -> None:
    """End to end over sockets: a ``papers-bot run`` subprocess (on each backend) logs in to
    the fake Discord, identifies on its gateway, and its start-up catch-up posts the day's
    digest, once, without pinging anyone, into the guild's channel; the post is recorded."""
    server.add_guild(GUILD, [CHANNEL])
    await prepare_database(database, guilds={GUILD: CHANNEL})

    bot = await start_bot(server, database=database, workdir=tmp_path, tag="e2e")
    store = await open_store(database)
    try:
        await server.wait_for(lambda: server.posts_in(CHANNEL), within=60, what="the digest")
        run = await poll(lambda: store.last_digest_run(GUILD), lambda r: r.outcome == "posted")
        assert run.digest_date == dt.date.fromisoformat(DAY), bot.output()
        (identify,) = server.identifies
        assert (identify.client, identify.shard_id) == ("e2e", 0)
        assert identify.intents is not None
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


async def test_a_killed_bot_started_again_posts_and_sends_nothing_twice(
    server: DiscordServer, tmp_path: Path, database: str
) -> None:
    """SIGKILL a bot process after it posted the digest and recorded an alert DM, start
    another on the same database: it identifies afresh, its catch-up finds the day posted and
    its alert watcher the DM recorded, so the channel and the DM stay at one message each."""
    server.add_guild(GUILD, [CHANNEL])
    await prepare_database(
        database,
        guilds={GUILD: CHANNEL},
        alerts=[(USER, "diffusion")],
        after_alerts=[("2025-05-12", [("2505.10001", "Sparse Diffusion Models", "Grace Hopper")])],
    )
    first = await start_bot(server, database=database, workdir=tmp_path, tag="first")
    store = await open_store(database)
    try:
        await server.wait_for(lambda: server.posts_in(CHANNEL) and server.dms_to(USER), within=60)
        await poll(lambda: store.last_digest_run(GUILD), lambda r: r.outcome == "posted")

        async def unsent() -> list[object]:  # alerts behind the import feed: DM not recorded
            return list(await store.pending_alerts(await store.feed_position()))

        await poll(unsent, lambda pending: not pending)
        assert await first.kill() != 0
        await server.wait_for(lambda: not server.live_sessions(), within=30)

        second = await start_bot(server, database=database, workdir=tmp_path, tag="second")
        try:
            await server.wait_for(
                lambda: (
                    second.count("digests.catch_up:done") == 1
                    and second.count("alerts.tick:done") >= 2
                    and second.count("on_ready") == 1
                ),
                within=60,
                what="the second process's catch-up and alert ticks",
            )
        finally:
            await second.terminate()
    finally:
        await store.close()
    assert [i.client for i in server.identifies] == ["first", "second"]
    assert len(server.posts_in(CHANNEL, deleted=True)) == 1
    assert len(server.dms_to(USER, deleted=True)) == 1
