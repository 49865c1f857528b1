"""Gateway and REST faults survived by a real bot process (issue 17, item 1).

Each test runs ``papers-bot run`` as a subprocess on a SQLite file against the loopback fake
Discord (tests/harness/discord_server.py), with two servers whose daily digest is due and one
user's keyword alert with a new match. After the fault: commands keep answering, every server
has exactly one digest, every alert DM arrives exactly once (also one for a day imported after
the fault), and no job was started a second time (the bot reports each job start and each
``on_ready`` on stdout: tests/harness/botproc.py's ``instrument``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from bot_world import DAY, PAPERS, import_more, prepare_database
from harness.botproc import BotProcess, poll, start_bot
from harness.discord_server import DiscordServer, RateLimits, RouteLimit
from harness.faults import Fault

from storage.backends import open_store

GUILD = 950_000_000_000_000_001
CHANNEL = 950_000_000_000_000_101
#: Two servers; the second one's id is on the other shard of two.
GUILDS = {GUILD: CHANNEL, GUILD + (1 << 22): CHANNEL + 1}
ALERT_USER = 940_000_000_000_000_042
MATCH_DAY = "2025-05-12"
MATCH = ("2505.10001", "Sparse Diffusion Models", "Grace Hopper")
LATER_DAY = "2025-05-13"
LATER = ("2505.20001", "Diffusion After The Storm", "Barbara Liskov")

#: Every job the bot starts, which must start once per process however often READY comes.
JOBS = ("setup_hook", "start_scheduler", "digests.start", "digests.catch_up", "start_alerts")


async def start_world(server: DiscordServer, tmp_path: Path, database: str) -> BotProcess:
    """Two servers with a due digest, an alert with a new match; a bot process (on
    ``database``) that has posted both digests and sent the DM, and answers /today."""
    for guild_id, channel_id in GUILDS.items():
        server.add_guild(guild_id, [channel_id])
    await prepare_database(
        database,
        guilds=GUILDS,
        days=[(DAY, PAPERS)],
        alerts=[(ALERT_USER, "diffusion")],
        after_alerts=[(MATCH_DAY, [MATCH])],
    )
    bot = await start_bot(server, database=database, workdir=tmp_path, tag="faults")
    await settled(server, bot, database, dms=1)
    await server.wait_for(lambda: bot.count("on_ready") == 1, within=30, what="on_ready")
    reply = await server.interact("today", guild_id=GUILD, channel_id=CHANNEL)
    assert MATCH[1] in str(reply.embeds), bot.output()
    return bot


async def settled(server: DiscordServer, bot: BotProcess, database: str, *, dms: int) -> None:
    """Every server's digest posted and recorded; ``dms`` alert DMs sent."""
    await server.wait_for(
        lambda: (
            all(server.posts_in(c) for c in GUILDS.values())
            and len(server.dms_to(ALERT_USER)) >= dms
        ),
        within=60,
        what="the digests and alert DMs",
    )
    store = await open_store(database)
    try:
        for guild_id in GUILDS:
            await poll(lambda g=guild_id: store.last_digest_run(g), lambda r: r.outcome == "posted")
    finally:
        await store.close()


def assert_exactly_once(server: DiscordServer, bot: BotProcess, *, dms: int) -> None:
    """One digest per server (nothing deleted, nothing doubled), ``dms`` DMs each listing
    only its own new papers, and each job started once."""
    for channel_id in GUILDS.values():
        posts = server.posts_in(channel_id, deleted=True)
        digests = [p for p in posts if p.kind == "channel"]
        assert len(digests) == 1, ([p.title for p in digests], bot.output())
    sent = server.dms_to(ALERT_USER, deleted=True)
    assert len(sent) == dms, [str(m.embeds) for m in sent]
    assert MATCH[1] in str(sent[0].embeds)
    if dms > 1:
        assert LATER[1] in str(sent[1].embeds) and MATCH[1] not in str(sent[1].embeds)
    assert {job: bot.count(job) for job in JOBS} == dict.fromkeys(JOBS, 1), bot.output()
    assert server.unknown == []


Fault_ = Callable[[DiscordServer], Awaitable[object]]


async def disconnect(server: DiscordServer) -> None:
    await server.disconnect(code=4000)


async def reconnect(server: DiscordServer) -> None:
    await server.reconnect_request()


async def invalid_resumable(server: DiscordServer) -> None:
    await server.invalidate_session(resumable=True)


async def failed_resume(server: DiscordServer) -> None:
    server.fail_resume = True
    await server.disconnect(code=4000)


async def invalid_session(server: DiscordServer) -> None:
    await server.invalidate_session(resumable=False)


@pytest.mark.parametrize(
    ("fault", "identifies"),
    [
        pytest.param(disconnect, 1, id="disconnect-resume"),
        pytest.param(reconnect, 1, id="op7-reconnect"),
        pytest.param(invalid_resumable, 1, id="op9-resumable"),
        pytest.param(failed_resume, 2, id="failed-resume-identify"),
        pytest.param(invalid_session, 2, id="op9-invalid-session"),
    ],
)
async def test_gateway_fault(
    server: DiscordServer, tmp_path: Path, database: str, fault: Fault_, identifies: int
) -> None:
    """The gateway fault, then: the session resumed (or, when it cannot be, a new IDENTIFY
    and ``on_ready`` a second time); /today answers (also when asked while the socket was
    down and the session resumable: the event is replayed); a day imported after the fault
    is DMed once; no digest or DM is doubled and no job starts again. On every backend."""
    bot = await start_world(server, tmp_path, database)
    try:
        await fault(server)
        if identifies == 1:  # asked while away: delivered on RESUME
            reply = await server.interact("today", guild_id=GUILD, channel_id=CHANNEL)
            assert MATCH[1] in str(reply.embeds)
            await server.wait_for(lambda: any(r.resumed for r in server.resumes), within=30)
        else:
            await server.wait_for(
                lambda: len(server.identifies) == 2 and bot.count("on_ready") == 2,
                within=60,
                what="a new IDENTIFY and READY",
            )
            assert server.identifies[1].session_id != server.identifies[0].session_id
        await server.wait_for(lambda: len(server.live_sessions()) == 1, within=30)
        reply = await server.interact("today", guild_id=GUILD + (1 << 22), channel_id=CHANNEL + 1)
        assert MATCH[1] in str(reply.embeds)

        await import_more(database, LATER_DAY, [LATER])
        await server.wait_for(lambda: len(server.dms_to(ALERT_USER)) >= 2, within=30)
        assert len(server.identifies) == identifies
        assert bot.count("on_ready") == identifies
        assert_exactly_once(server, bot, dms=2)
    finally:
        await bot.terminate()


async def test_a_digest_fan_out_through_rate_limits_and_server_errors(
    server: DiscordServer, tmp_path: Path
) -> None:
    """Six servers due at once while Discord answers with a global limit (3 requests a
    second, 429 global beyond), a scripted per-route 429 and a global 429 with retry_after,
    and 500/502 bursts: discord.py waits and retries, and every server gets its digest
    exactly once (nothing half-posted left behind, nothing doubled), recorded as posted."""
    guilds = {GUILD + (i << 22): CHANNEL + i for i in range(6)}
    for guild_id, channel_id in guilds.items():
        server.add_guild(guild_id, [channel_id])
    channels = list(guilds.values())
    route = r"^/channels/{}/messages$"
    server.faults.add("POST", route.format(channels[0]), Fault(502, times=2))
    server.faults.add("POST", route.format(channels[1]), Fault(500))
    server.faults.add("POST", route.format(channels[2]), Fault(429, retry_after=0.3))
    server.faults.add(
        "POST", route.format(channels[3]), Fault(429, retry_after=0.2, is_global=True)
    )
    server.rate_limits = RateLimits(
        routes=[RouteLimit("POST", r"^/channels/(\d+)/messages$", 5, 5.0, "messages")],
        global_limit=(3, 1.0),
    )
    database = tmp_path / "bot.db"
    await prepare_database(database, guilds=guilds)
    bot = await start_bot(server, database=database, workdir=tmp_path, tag="fanout")
    store = await open_store(database)
    try:
        for guild_id in guilds:
            await poll(
                lambda g=guild_id: store.last_digest_run(g),
                lambda r: r.outcome == "posted",
                within=90,
            )
    finally:
        await store.close()
        await bot.terminate()
    for channel_id in channels:
        assert len(server.posts_in(channel_id, deleted=True)) == 1, bot.output()
    statuses = sorted(status for _, _, status in server.faults.answered)
    assert statuses == [429, 429, 500, 502, 502]
    assert any(scope == "global" for _, _, scope, _ in server.rate_limits.hits)
    assert bot.count("digests.start") == 1
