"""A bot process SIGKILLed while Discord has done a request and the bot has not heard back.

The fake Discord's ``stall`` creates the message and holds the answer, so the kill lands
exactly between "the message is in the channel" and "the bot recorded it". A second process
on the same database must not send it again.
"""

from __future__ import annotations

from pathlib import Path

from bot_world import prepare_database
from harness.botproc import poll, start_bot
from harness.discord_server import DiscordServer

from storage.backends import open_store

GUILD = 950_000_000_000_000_001
CHANNEL = 950_000_000_000_000_101
USER = 940_000_000_000_000_042
MATCH = ("2505.10001", "Sparse Diffusion Models", "Grace Hopper")


async def test_a_digest_in_flight_at_a_kill_is_found_not_posted_again(
    server: DiscordServer, tmp_path: Path, database: str
) -> None:
    """The digest's message is in the channel but the bot is killed before it hears back
    (its slot stays ``sending``): the next process finds the post in the channel's history
    and records it without posting a second one."""
    server.add_guild(GUILD, [CHANNEL])
    await prepare_database(database, guilds={GUILD: CHANNEL})
    release = server.stall("POST", rf"^/channels/{CHANNEL}/messages$")
    first = await start_bot(server, database=database, workdir=tmp_path, tag="first")
    await server.wait_for(lambda: server.stalled, within=60, what="the digest in flight")
    await first.kill()
    release.set()
    store = await open_store(database)
    try:
        run = await store.last_digest_run(GUILD)
        assert run is not None and run.outcome == "sending", run

        second = await start_bot(server, database=database, workdir=tmp_path, tag="second")
        try:
            run = await poll(lambda: store.last_digest_run(GUILD), lambda r: r.outcome == "posted")
        finally:
            await second.terminate()
    finally:
        await store.close()
    posts = server.posts_in(CHANNEL, deleted=True)
    assert [p.client for p in posts] == ["first"], second.output()
    assert run.digest_date is not None


async def test_an_alert_dm_in_flight_at_a_kill_is_not_sent_again(
    server: DiscordServer, tmp_path: Path, database: str
) -> None:
    """The alert DM is delivered but the bot is killed before it hears back: the next
    process must not send the same DM again."""
    await prepare_database(
        database, guilds={}, alerts=[(USER, "diffusion")], after_alerts=[("2025-05-12", [MATCH])]
    )
    release = server.stall("POST", r"^/channels/\d+/messages$")
    first = await start_bot(server, database=database, workdir=tmp_path, tag="first")
    await server.wait_for(lambda: server.stalled, within=60, what="the DM in flight")
    await first.kill()
    release.set()
    second = await start_bot(server, database=database, workdir=tmp_path, tag="second")
    try:
        await server.wait_for(
            lambda: second.count("alerts.tick:done") >= 3, within=60, what="alert ticks"
        )
    finally:
        await second.terminate()
    assert len(server.dms_to(USER, deleted=True)) == 1
