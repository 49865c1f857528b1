"""The loopback fake Discord itself (tests/harness/discord_server.py), driven by discord.py.

A plain ``discord.Client`` in the test process is pointed at the fake (``harness.botproc``'s
``point_at``, undone after each test), so these check that the fake speaks the protocol the
way discord.py expects: log-in, messages and history, DMs, rate limits and faults, and the
gateway's READY, sharding, RESUME, reconnect and invalid session.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import discord
import discord.gateway
import discord.http
import pytest
from discord import app_commands
from harness.botproc import point_at
from harness.discord_server import (
    TOKEN,
    DiscordServer,
    RateLimits,
    RouteLimit,
    shard_of,
)
from harness.faults import Fault

GUILD = 950_000_000_000_000_001
CHANNEL = 950_000_000_000_000_101
USER = 940_000_000_000_000_009
NONE = discord.AllowedMentions.none()


@pytest.fixture(autouse=True)
def restore_discord() -> Iterator[None]:
    """Undo ``point_at`` (class attributes of discord.py) after each test."""
    base = discord.http.Route.BASE
    gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    hook = discord.Client.before_identify_hook
    yield
    discord.http.Route.BASE = base  # type: ignore[misc]
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway
    discord.Client.before_identify_hook = hook  # type: ignore[method-assign]


@pytest.fixture
async def server() -> AsyncIterator[DiscordServer]:
    async with DiscordServer() as fake:
        fake.add_guild(GUILD, [CHANNEL])
        point_at(fake.api_base, fake.gateway_url)

        async def no_wait(self: Any, shard_id: int | None, *, initial: bool = False) -> None:
            return None  # discord.py waits 5 s before identifying again; not here

        discord.Client.before_identify_hook = no_wait  # type: ignore[method-assign]
        yield fake


class Recorder(discord.Client):
    """A client that counts READY, RESUMED and messages."""

    def __init__(self, **options: Any) -> None:
        intents = discord.Intents.none()
        intents.guilds = intents.guild_messages = True
        super().__init__(intents=intents, **options)
        self.readies = 0
        self.resumes = 0
        self.seen: list[str] = []
        self.ready_event = asyncio.Event()

    async def on_ready(self) -> None:
        self.readies += 1
        self.ready_event.set()

    async def on_resumed(self) -> None:
        self.resumes += 1

    async def on_message(self, message: discord.Message) -> None:
        self.seen.append(message.content)


async def connected(client: discord.Client) -> asyncio.Task[None]:
    task = asyncio.create_task(client.start(TOKEN))
    await asyncio.wait_for(client.wait_until_ready(), 20)
    return task


async def close(client: discord.Client, task: asyncio.Task[None] | None = None) -> None:
    await client.close()
    if task is not None:
        await asyncio.wait_for(task, 10)


# --------------------------------------------------------------------------- REST


async def test_messages_are_recorded_with_what_the_bot_sent(server: DiscordServer) -> None:
    """channel.send through discord.py's HTTP client: the fake records the channel, content,
    embeds, allowed_mentions and nonce, and answers a message discord.py can edit and delete."""
    client = discord.Client(intents=discord.Intents.none())
    await client.login(TOKEN)
    try:
        assert client.user is not None and client.user.id == server.app_id
        channel = await client.fetch_channel(CHANNEL)
        assert isinstance(channel, discord.TextChannel) and channel.guild.id == GUILD
        embed = discord.Embed(title="Daily Papers")
        message = await channel.send("hello", embed=embed, allowed_mentions=NONE, nonce=42)
        (sent,) = server.posts_in(CHANNEL)
        assert sent.message_id == message.id
        assert (sent.content, sent.title, sent.nonce) == ("hello", "Daily Papers", "42")
        assert sent.allowed_mentions == {"parse": []}
        await message.edit(content="edited")
        assert server.posts_in(CHANNEL)[0].content == "edited"
        await message.delete()
        assert server.posts_in(CHANNEL) == []
        assert len(server.posts_in(CHANNEL, deleted=True)) == 1
        with pytest.raises(discord.NotFound):
            await client.fetch_channel(CHANNEL + 1)
    finally:
        await client.close()
    assert server.unknown == []


async def test_history_after_a_message_and_a_time(server: DiscordServer) -> None:
    """History as discord.py pages it (after a message or a time, oldest first; newest
    first by default), with ids that encode the time they were made."""
    server.rate_limits = RateLimits(routes=[])  # five sends would wait out the 5 s bucket
    client = discord.Client(intents=discord.Intents.none())
    await client.login(TOKEN)
    try:
        channel = await client.fetch_channel(CHANNEL)
        assert isinstance(channel, discord.TextChannel)
        before = discord.utils.utcnow() - dt.timedelta(seconds=1)
        sent = [await channel.send(f"m{i}") for i in range(5)]
        after = [m.content async for m in channel.history(after=sent[1], oldest_first=True)]
        assert after == ["m2", "m3", "m4"]
        newest = [m.content async for m in channel.history(limit=2)]
        assert newest == ["m4", "m3"]
        by_time = [m.content async for m in channel.history(after=before, oldest_first=True)]
        assert by_time == [f"m{i}" for i in range(5)]
        later = discord.utils.utcnow() + dt.timedelta(minutes=1)
        assert [m async for m in channel.history(after=later)] == []
        assert [m.id for m in sent] == sorted(m.id for m in sent)
    finally:
        await client.close()


async def test_dms_are_recorded_per_user(server: DiscordServer) -> None:
    """create_dm opens one DM channel per user; dms_to lists what went to that user."""
    client = discord.Client(intents=discord.Intents.none())
    await client.login(TOKEN)
    try:
        dm = await client.create_dm(discord.Object(id=USER))
        await dm.send("one", allowed_mentions=NONE)
        again = await client.create_dm(discord.Object(id=USER))
        await again.send("two", allowed_mentions=NONE)
        assert again.id == dm.id
        assert [m.content for m in server.dms_to(USER)] == ["one", "two"]
        assert server.dms_to(USER + 1) == []
    finally:
        await client.close()


async def test_a_wrong_token_is_refused(server: DiscordServer) -> None:
    """A token other than the server's gets 401: discord.py's LoginFailure."""
    client = discord.Client(intents=discord.Intents.none())
    try:
        with pytest.raises(discord.LoginFailure):
            await client.login("not-the-token")
    finally:
        await client.close()


async def test_commands_are_registered(server: DiscordServer) -> None:
    """A tree sync (global and per guild) is stored and answered with ids."""
    client = discord.Client(intents=discord.Intents.none())
    tree = app_commands.CommandTree(client)

    @tree.command(name="ping", description="Ping")
    async def ping(interaction: discord.Interaction) -> None:  # pragma: no cover
        return None

    await client.login(TOKEN)
    try:
        synced = await tree.sync()
        assert [c.name for c in synced] == ["ping"]
        assert [c["name"] for c in server.commands[None]] == ["ping"]
        tree.copy_global_to(guild=discord.Object(id=GUILD))
        await tree.sync(guild=discord.Object(id=GUILD))
        assert [c["name"] for c in server.commands[GUILD]] == ["ping"]
    finally:
        await client.close()


# --------------------------------------------------------------------------- rate limits


async def raw_post(session: aiohttp.ClientSession, server: DiscordServer) -> aiohttp.ClientResponse:
    response = await session.post(
        f"{server.api_base}/channels/{CHANNEL}/messages",
        json={"content": "x"},
        headers={"Authorization": f"Bot {TOKEN}"},
    )
    await response.read()
    return response


async def test_per_route_limit_headers_and_429(server: DiscordServer) -> None:
    """A route's bucket counts down in X-RateLimit-* headers; over it, 429 with the
    retry_after, not global, and the Via header discord.py needs to trust it."""
    server.rate_limits = RateLimits(
        routes=[RouteLimit("POST", r"^/channels/(\d+)/messages$", 2, 5.0, "messages")]
    )
    async with aiohttp.ClientSession() as session:
        first, second, third = [await raw_post(session, server) for _ in range(3)]
        assert (first.status, second.status, third.status) == (200, 200, 429)
        assert first.headers["X-RateLimit-Limit"] == "2"
        assert first.headers["X-RateLimit-Remaining"] == "1"
        assert second.headers["X-RateLimit-Remaining"] == "0"
        assert first.headers["X-RateLimit-Bucket"] == "messages"
        assert 0 < float(second.headers["X-RateLimit-Reset-After"]) <= 5
        body = await third.json()
        assert body["global"] is False and 0 < body["retry_after"] <= 5
        assert third.headers["Via"] and third.headers["X-RateLimit-Scope"] == "user"
    assert len(server.posts_in(CHANNEL)) == 2  # the refused one created nothing
    assert server.rate_limits.hits[0][2] == "user"


async def test_global_limit(server: DiscordServer) -> None:
    """Over the global limit any route gets a 429 marked global."""
    server.rate_limits = RateLimits(routes=[], global_limit=(2, 5.0))
    async with aiohttp.ClientSession() as session:
        statuses = [(await raw_post(session, server)).status for _ in range(3)]
        response = await raw_post(session, server)
        body = await response.json()
    assert statuses == [200, 200, 429]
    assert body["global"] is True and response.headers["X-RateLimit-Global"] == "true"


async def test_discord_py_waits_out_the_limits_and_sends_each_message_once(
    server: DiscordServer,
) -> None:
    """Ten concurrent sends into a channel limited to 3 per 0.3 s, with a global limit too:
    discord.py's real rate limiter waits (headers, 429s) and every message arrives once."""
    server.rate_limits = RateLimits(
        routes=[RouteLimit("POST", r"^/channels/(\d+)/messages$", 3, 0.3, "messages")],
        global_limit=(8, 0.3),
    )
    client = discord.Client(intents=discord.Intents.none())
    await client.login(TOKEN)
    try:
        channel = await client.fetch_channel(CHANNEL)
        assert isinstance(channel, discord.TextChannel)
        await asyncio.gather(*(channel.send(f"m{i}") for i in range(10)))
    finally:
        await client.close()
    contents = sorted(m.content for m in server.posts_in(CHANNEL))
    assert contents == sorted(f"m{i}" for i in range(10))


async def test_scripted_faults_are_answered_then_pass(server: DiscordServer) -> None:
    """A scripted 500 (discord.py retries it) and a 429 with retry_after: the message is
    created once, after the faults."""
    server.faults.add("POST", r"^/channels/\d+/messages$", Fault(500))
    server.faults.add("POST", r"^/channels/\d+/messages$", Fault(429, retry_after=0.05))
    client = discord.Client(intents=discord.Intents.none())
    await client.login(TOKEN)
    try:
        channel = await client.fetch_channel(CHANNEL)
        assert isinstance(channel, discord.TextChannel)
        await channel.send("once")
    finally:
        await client.close()
    assert [m.content for m in server.posts_in(CHANNEL)] == ["once"]
    statuses = [c.status for c in server.calls_to("POST", r"/messages$")]
    assert statuses == [500, 429, 200]


# --------------------------------------------------------------------------- gateway


async def test_identify_ready_and_guilds_of_the_shard(server: DiscordServer) -> None:
    """IDENTIFY with [shard, count]: READY, then GUILD_CREATE for the shard's guilds only,
    with their text channels; heartbeats are acknowledged."""
    other = GUILD + (1 << 22)  # the next shard's
    assert shard_of(other, 2) != shard_of(GUILD, 2)
    server.add_guild(other, [CHANNEL + 7])
    mine = shard_of(GUILD, 2)
    client = Recorder(shard_id=mine, shard_count=2)
    task = await connected(client)
    try:
        assert [g.id for g in client.guilds] == [GUILD]
        assert client.get_channel(CHANNEL) is not None
        (identify,) = server.identifies
        assert (identify.shard_id, identify.shard_count) == (mine, 2)
        assert identify.intents == client.intents.value
        await server.wait_for(lambda: server.heartbeats >= 1)
    finally:
        await close(client, task)


async def test_a_disconnect_is_resumed_with_the_missed_events(server: DiscordServer) -> None:
    """Closing the socket (4000): the client RESUMEs its session, gets the event sent while
    it was away, once, and RESUMED; no second IDENTIFY, no second READY."""
    client = Recorder()
    task = await connected(client)
    try:
        await server.disconnect()
        await server.dispatch("MESSAGE_CREATE", server.message_event(CHANNEL, "while away"))
        await server.wait_for(lambda: client.resumes == 1)
        await server.wait_for(lambda: client.seen == ["while away"])
        assert [r.resumed for r in server.resumes] == [True]
        assert len(server.identifies) == 1 and client.readies == 1
        await server.dispatch("MESSAGE_CREATE", server.message_event(CHANNEL, "after"))
        await server.wait_for(lambda: client.seen == ["while away", "after"])
    finally:
        await close(client, task)


async def test_a_failed_resume_forces_a_new_identify(server: DiscordServer) -> None:
    """With fail_resume, the RESUME is answered by INVALID_SESSION (false): the client
    IDENTIFIEs again and gets a second READY."""
    client = Recorder()
    task = await connected(client)
    try:
        server.fail_resume = True
        await server.disconnect()
        await server.wait_for(lambda: client.readies == 2)
        assert [r.resumed for r in server.resumes] == [False]
        assert len(server.identifies) == 2
        assert server.identifies[0].session_id != server.identifies[1].session_id
    finally:
        await close(client, task)


async def test_reconnect_request_resumes(server: DiscordServer) -> None:
    """Op 7 RECONNECT: the client reconnects and RESUMEs the same session."""
    client = Recorder()
    task = await connected(client)
    try:
        assert await server.reconnect_request() == 1
        await server.wait_for(lambda: client.resumes == 1)
        assert server.resumes[0].resumed
        assert server.resumes[0].session_id == server.identifies[0].session_id
        assert len(server.identifies) == 1
    finally:
        await close(client, task)


async def test_invalid_session(server: DiscordServer) -> None:
    """Op 9 resumable: the client resumes; op 9 not resumable: it IDENTIFIEs again."""
    client = Recorder()
    task = await connected(client)
    try:
        await server.invalidate_session(resumable=True)
        await server.wait_for(lambda: client.resumes == 1)
        assert len(server.identifies) == 1
        await server.invalidate_session(resumable=False)
        await server.wait_for(lambda: client.readies == 2)
        assert len(server.identifies) == 2
        assert len(server.live_sessions()) == 1
    finally:
        await close(client, task)


async def test_an_interaction_over_the_gateway_is_answered(server: DiscordServer) -> None:
    """interact(): INTERACTION_CREATE goes to the shard of the guild; the client's reply
    (an interaction callback through the webhook routes) is returned."""
    client = Recorder()
    tree = app_commands.CommandTree(client)

    @tree.command(name="ping", description="Ping")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(content="pong", allowed_mentions=NONE)

    @tree.command(name="later", description="Later")
    async def later(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True)
        await interaction.followup.send("first", allowed_mentions=NONE)
        await interaction.followup.send("second", allowed_mentions=NONE)

    task = await connected(client)
    try:
        reply = await server.interact("ping", guild_id=GUILD, channel_id=CHANNEL)
        assert reply.content == "pong" and reply.kind == "interaction"
        assert reply.allowed_mentions == {"parse": []}
        # After a deferral the first followup fills the "thinking..." message, as on Discord.
        reply = await server.interact("later", guild_id=GUILD, channel_id=CHANNEL)
        assert reply.content == "first" and reply.flags & 64
        await server.wait_for(lambda: len(server.posts_in(CHANNEL)) == 3)
        assert [m.kind for m in server.posts_in(CHANNEL)] == ["interaction"] * 2 + ["followup"]
    finally:
        await close(client, task)


async def test_an_auto_sharded_client_gets_each_shard_its_guilds(server: DiscordServer) -> None:
    """AutoShardedClient reads the shard count from GET /gateway/bot and identifies each
    shard; each shard gets the guilds ``(guild_id >> 22) % shard_count`` gives it."""
    server.recommended_shards = 2
    other = GUILD + (1 << 22)
    server.add_guild(other, [CHANNEL + 7])
    intents = discord.Intents.none()
    intents.guilds = True
    client = discord.AutoShardedClient(intents=intents)
    task = await connected(client)
    try:
        shards = sorted((i.shard_id, i.shard_count) for i in server.identifies)
        assert shards == [(0, 2), (1, 2)]
        assert {g.id: g.shard_id for g in client.guilds} == {
            GUILD: shard_of(GUILD, 2),
            other: shard_of(other, 2),
        }
        await server.disconnect(shard=shard_of(other, 2))
        await server.wait_for(lambda: any(r.resumed for r in server.resumes))
        assert [r.shard_id for r in server.resumes] == [shard_of(other, 2)]
    finally:
        await close(client, task)
