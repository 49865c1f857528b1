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
