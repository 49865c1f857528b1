"""A fake Discord on loopback: the REST API and the gateway a real bot process talks to.

``tests/harness/__init__.py`` fakes Discord *inside* the test process (it replaces discord.py's
request functions). Real bot processes (``tests/harness/botproc.py``) and gateway faults need a
Discord that speaks the protocol over sockets instead: :class:`DiscordServer` is an aiohttp web
app on ``127.0.0.1`` (a random port) with

- REST under ``/api/v10`` (:attr:`DiscordServer.api_base`): the routes the bot uses (log-in,
  application info, command registration, channels and their messages with history, DM channels,
  guilds, interaction callbacks and webhooks). Every message created is recorded
  (:attr:`DiscordServer.messages`, :meth:`DiscordServer.posts_in`, :meth:`DiscordServer.dms_to`).
- Discord's rate limits: per-route buckets with ``X-RateLimit-*`` headers (by default 5 messages
  per 5 seconds per channel), an optional global limit, and ``429`` with ``retry_after`` when a
  client goes over (:class:`RateLimits`); scripted 429s and 5xx bursts by route with the
  :class:`~tests.harness.faults.Faults` of the in-process fake (:attr:`DiscordServer.faults`).
- The gateway (:attr:`DiscordServer.gateway_url`, JSON text frames; discord.py asks for
  ``zlib-stream`` but reads uncompressed text frames as they are): HELLO, IDENTIFY (with
  ``shard``) -> READY and a GUILD_CREATE for each guild of the shard, HEARTBEAT -> ACK, RESUME
  -> the missed events and RESUMED (or INVALID_SESSION), and fault controls:
  :meth:`~DiscordServer.disconnect`, :meth:`~DiscordServer.reconnect_request`,
  :meth:`~DiscordServer.invalidate_session`, :attr:`~DiscordServer.fail_resume`.
- Requests in flight: :meth:`~DiscordServer.stall` holds the answer to chosen requests after
  they took effect, so a test can SIGKILL a bot between "Discord did it" and "the bot knows".

    server = DiscordServer()
    await server.start()
    server.add_guild(GUILD, [CHANNEL], owner_id=OWNER)
    ... run a bot against server.api_base / server.gateway_url ...
    assert len(server.posts_in(CHANNEL)) == 1
    await server.stop()

Requests and gateway connections are attributed to a client by a ``botproc/<tag>`` suffix of
their User-Agent (``tests/harness/botproc.py`` adds it), so tests with several bot processes
can tell who posted what.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from .faults import Fault, Faults

API_PATH = "/api/v10"
GATEWAY_PATH = "/gateway"
DISCORD_EPOCH_MS = 1_420_070_400_000

TOKEN = "fake-discord-token"
APP_ID = 900_000_000_000_000_001
BOT_ID = APP_ID
OWNER_ID = 930_000_000_000_000_001

# Gateway opcodes.
DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, RESUME, RECONNECT = 0, 1, 2, 3, 6, 7
INVALID_SESSION, HELLO, HEARTBEAT_ACK = 9, 10, 11

EPHEMERAL = 1 << 6
_CLIENT_TAG = re.compile(r"botproc/(\S+)")


def user_payload(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name,
        "global_name": name.title(),
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


BOT_USER = user_payload(BOT_ID, "papers-bot", bot=True)
OWNER = user_payload(OWNER_ID, "owner")


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard a guild belongs to: ``(guild_id >> 22) % shard_count``."""
    return (guild_id >> 22) % shard_count


def client_tag(user_agent: str | None) -> str | None:
    """The ``botproc/<tag>`` a bot process adds to its User-Agent, or ``None``."""
    match = _CLIENT_TAG.search(user_agent or "")
    return match.group(1) if match else None


# --------------------------------------------------------------------------- records


@dataclass
class SentMessage:
    """A message created through the API (by the bot as itself, or an interaction reply)."""

    channel_id: int
    message_id: int
    content: str
    embeds: list[dict[str, Any]]
    components: list[dict[str, Any]]
    allowed_mentions: dict[str, Any] | None
    nonce: str | int | None
    sent_at: float  # time.time()
    #: ``channel`` (POST /channels/{id}/messages), ``interaction`` (a callback's message) or
    #: ``followup`` (a webhook message of an interaction).
    kind: str = "channel"
    #: The ``botproc/<tag>`` of the client that made it (``None``: untagged).
    client: str | None = None
    flags: int = 0
    deleted: bool = False
    edits: int = 0
    #: The message as the API returns it (kept up to date by edits).
    payload: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def embed(self) -> dict[str, Any]:
        return self.embeds[0] if self.embeds else {}

    @property
    def title(self) -> str:
        return str(self.embed.get("title") or "")


@dataclass
class Call:
    """One REST request: method, path below ``/api/v10``, query, JSON body, answer status."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    status: int = 0
    client: str | None = None
    at: float = 0.0


@dataclass
class Identify:
    shard_id: int
    shard_count: int
    session_id: str
    intents: int | None
    client: str | None
    at: float


@dataclass
class Resume:
    shard_id: int | None
    session_id: str | None
    seq: int | None
    #: True: the session was resumed (RESUMED sent); False: answered INVALID_SESSION.
    resumed: bool
    client: str | None
    at: float


@dataclass
class Guild:
    guild_id: int
    channel_ids: list[int]
    owner_id: int
    name: str
    locale: str


class Session:
    """A gateway session: its shard, its sequence and every event sent (for RESUME)."""

    def __init__(self, session_id: str, shard_id: int, shard_count: int, client: str | None):
        self.session_id = session_id
        self.shard_id = shard_id
        self.shard_count = shard_count
        self.client = client
        self.seq = 0
        self.sent: list[dict[str, Any]] = []  # every dispatch, in order
        self.ws: web.WebSocketResponse | None = None
        self.invalid = False

    def next(self, event: str, data: Any) -> dict[str, Any]:
        self.seq += 1
        frame = {"op": DISPATCH, "t": event, "s": self.seq, "d": data}
        self.sent.append(frame)
        return frame


# --------------------------------------------------------------------------- rate limits


@dataclass(slots=True)
class RouteLimit:
    """``limit`` requests per ``per`` seconds for requests matching ``method`` and ``pattern``
    (a regular expression searched in the path), one bucket per value of the pattern's first
    group (the major parameter: a channel id ...), reported as ``bucket``."""

    method: str
    pattern: str
    limit: int
    per: float
    bucket: str

    def key(self, method: str, path: str) -> str | None:
        if method != self.method:
            return None
        match = re.search(self.pattern, path)
        if match is None:
            return None
        major = match.group(1) if match.groups() else ""
        return f"{self.bucket}:{major}"


#: Discord's limit for a bot's messages: 5 per 5 seconds per channel.
MESSAGES_PER_CHANNEL = RouteLimit("POST", r"^/channels/(\d+)/messages$", 5, 5.0, "messages")


@dataclass
class RateLimits:
    """Per-route buckets and an optional global limit (``(requests, seconds)``, Discord's is
    50 per second); interaction callbacks are exempt from the global limit, as on Discord."""

    routes: list[RouteLimit] = field(default_factory=lambda: [MESSAGES_PER_CHANNEL])
    global_limit: tuple[int, float] | None = None
    _windows: dict[str, tuple[float, int]] = field(default_factory=dict)
    #: Every 429 the limits answered: (method, path, "user" or "global", retry_after).
    hits: list[tuple[str, str, str, float]] = field(default_factory=list)

    def _take(self, key: str, limit: int, per: float, now: float) -> tuple[int, float] | None:
        """Count one request in ``key``'s window: ``(remaining, reset_after)``, or ``None``
        when the window is full."""
        start, count = self._windows.get(key, (now, 0))
        if now - start >= per:
            start, count = now, 0
        reset_after = max(0.0, per - (now - start))
        if count >= limit:
            self._windows[key] = (start, count)
            return None
        self._windows[key] = (start, count + 1)
        return limit - count - 1, reset_after

    def answer(
        self, method: str, path: str, now: float
    ) -> tuple[dict[str, str], tuple[int, dict[str, Any]] | None]:
        """The rate-limit headers for this request and, when it is over a limit, the 429."""
        if self.global_limit is not None and not path.startswith("/interactions/"):
            limit, per = self.global_limit
            if self._take("global", limit, per, now) is None:
                start, _ = self._windows["global"]
                retry = round(max(0.001, per - (now - start)), 3)
                self.hits.append((method, path, "global", retry))
                headers = {"X-RateLimit-Global": "true", "X-RateLimit-Scope": "global"}
                body = {"message": "You are being rate limited.", "retry_after": retry}
                return headers, (429, {**body, "global": True})
        for route in self.routes:
            key = route.key(method, path)
            if key is None:
                continue
            taken = self._take(key, route.limit, route.per, now)
            start, _ = self._windows[key]
            reset_after = max(0.001, route.per - (now - start))
            headers = {
                "X-RateLimit-Limit": str(route.limit),
                "X-RateLimit-Remaining": str(taken[0] if taken else 0),
                "X-RateLimit-Reset-After": f"{reset_after:.3f}",
                "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
                "X-RateLimit-Bucket": route.bucket,
            }
            if taken is None:
                retry = round(reset_after, 3)
                self.hits.append((method, path, "user", retry))
                headers["X-RateLimit-Scope"] = "user"
                body = {"message": "You are being rate limited.", "retry_after": retry}
                return headers, (429, {**body, "global": False})
            return headers, None
        return {}, None


# --------------------------------------------------------------------------- the server


class _Answer(Exception):
    """Raised by a route handler to answer with ``status`` and ``body``."""

    def __init__(self, status: int, body: Any = None) -> None:
        self.status = status
        self.body = body


def _not_found(what: str, code: int) -> _Answer:
    return _Answer(404, {"message": f"Unknown {what}", "code": code})


Handler = Callable[["_Request"], Awaitable[Any]]


@dataclass
class _Request:
    method: str
    path: str
    match: re.Match[str]
    query: dict[str, str]
    json: Any
    client: str | None

    def int(self, group: int) -> int:
        return int(self.match.group(group))


class DiscordServer:
    """A fake Discord (REST and gateway) on ``127.0.0.1`` for real bot processes."""

    def __init__(
        self,
        *,
        token: str | None = TOKEN,
        app_id: int = APP_ID,
        bot_user: dict[str, Any] | None = None,
        owner: dict[str, Any] | None = None,
        heartbeat_interval_ms: int = 41_250,
        rate_limits: RateLimits | None = None,
        recommended_shards: int = 1,
    ) -> None:
        #: The token every request must carry (``Bot <token>``); ``None`` accepts any.
        self.token = token
        self.app_id = app_id
        self.bot_user = bot_user or BOT_USER
        self.owner = owner or OWNER
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.rate_limits = rate_limits if rate_limits is not None else RateLimits()
        self.recommended_shards = recommended_shards
        #: Scripted 429s and 5xx bursts by route (paths below /api/v10).
        self.faults = Faults()
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, dict[str, Any]] = {}
        self._dm_users: dict[int, int] = {}  # DM channel id -> user id
        self.messages: list[SentMessage] = []
        self._by_id: dict[int, SentMessage] = {}
        self.calls: list[Call] = []
        #: Requests to routes the fake does not know (method, path): a test can assert none.
        self.unknown: list[tuple[str, str]] = []
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        self.identifies: list[Identify] = []
        self.resumes: list[Resume] = []
        self.heartbeats = 0
        self.sessions: dict[str, Session] = {}
        #: Answer every RESUME with INVALID_SESSION (``d: false``): the client must IDENTIFY.
        self.fail_resume = False
        #: Requests held after they took effect (see :meth:`stall`): (method, path).
        self.stalled: list[tuple[str, str]] = []
        self._stalls: list[tuple[str, re.Pattern[str], asyncio.Event]] = []
        #: Interactions sent through :meth:`interact`: token -> (channel id, interaction id).
        self._interactions: dict[str, tuple[int, int]] = {}
        self._original: dict[str, int] = {}
        #: Deferred interactions whose "thinking..." message the first followup replaces.
        self._loading: set[str] = set()
        self._last_snowflake = 0
        self._counter = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self.port = 0
        self._sockets: set[web.WebSocketResponse] = set()
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._add_routes()

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """What ``discord.http.Route.BASE`` is set to: ``http://127.0.0.1:PORT/api/v10``."""
        return f"{self.base_url}{API_PATH}"

    @property
    def gateway_url(self) -> str:
        """``ws://127.0.0.1:PORT/gateway`` (also the sessions' ``resume_gateway_url``)."""
        return f"ws://127.0.0.1:{self.port}{GATEWAY_PATH}"

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("GET", GATEWAY_PATH, self._gateway)
        app.router.add_route("GET", GATEWAY_PATH + "/", self._gateway)
        app.router.add_route("*", API_PATH + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await self._site.start()
        server = self._site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        for _, _, release in self._stalls:
            release.set()
        for ws in list(self._sockets):
            await ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> DiscordServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ world

    def snowflake(self) -> int:
        """A new id that encodes the current time, as Discord's do (history ``after`` a
        time works), strictly increasing."""
        value = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        self._last_snowflake = max(value, self._last_snowflake + 1)
        return self._last_snowflake

    def add_guild(
        self,
        guild_id: int,
        channel_ids: Iterable[int],
        *,
        owner_id: int = OWNER_ID,
        name: str | None = None,
        locale: str = "en-US",
    ) -> Guild:
        """A guild the bot is in, with text channels ``channel_ids`` (sent in GUILD_CREATE to
        the shard that owns it; also for guilds added after the shard connected, see
        :meth:`announce_guild`)."""
        guild = Guild(guild_id, list(channel_ids), owner_id, name or f"guild-{guild_id}", locale)
        self.guilds[guild_id] = guild
        for position, channel_id in enumerate(guild.channel_ids):
            self.channels[channel_id] = {
                "id": str(channel_id),
                "type": 0,
                "guild_id": str(guild_id),
                "name": f"channel-{channel_id}",
                "position": position,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
                "topic": None,
                "last_message_id": None,
                "rate_limit_per_user": 0,
            }
        return guild

    def guild_payload(self, guild: Guild) -> dict[str, Any]:
        everyone = {
            "id": str(guild.guild_id),
            "name": "@everyone",
            "permissions": "2147483647",
            "position": 0,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
        channels = []
        for channel_id in guild.channel_ids:
            channel = dict(self.channels[channel_id])
            channel.pop("guild_id", None)
            channels.append(channel)
        return {
            "id": str(guild.guild_id),
            "name": guild.name,
            "icon": None,
            "owner_id": str(guild.owner_id),
            "preferred_locale": guild.locale,
            "features": [],
            "roles": [everyone],
            "emojis": [],
            "stickers": [],
            "member_count": 2,
            "large": False,
            "unavailable": False,
            "joined_at": "2024-01-01T00:00:00+00:00",
            "channels": channels,
            "threads": [],
            "members": [],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "system_channel_flags": 0,
            "afk_timeout": 300,
        }

    def application_payload(self) -> dict[str, Any]:
        return {
            "id": str(self.app_id),
            "name": self.bot_user["username"],
            "icon": None,
            "description": "",
            "summary": "",
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": self.owner,
            "team": None,
            "verify_key": "0" * 64,
            "flags": 0,
            "bot": self.bot_user,
        }

    # ------------------------------------------------------------------ recorded messages

    def posts_in(self, channel_id: int, *, deleted: bool = False) -> list[SentMessage]:
        """The messages created in a channel, oldest first (without deleted ones, unless
        ``deleted``)."""
        return [
            m for m in self.messages if m.channel_id == channel_id and (deleted or not m.deleted)
        ]

    def dms_to(self, user_id: int, *, deleted: bool = False) -> list[SentMessage]:
        """The messages sent in the DM channel with ``user_id``, oldest first."""
        channels = {c for c, u in self._dm_users.items() if u == user_id}
        return [m for m in self.messages if m.channel_id in channels and (deleted or not m.deleted)]

    def dm_channel_of(self, user_id: int) -> int | None:
        return next((c for c, u in self._dm_users.items() if u == user_id), None)

    def calls_to(self, method: str, pattern: str) -> list[Call]:
        """The REST requests made to ``method`` and a path matching ``pattern``."""
        return [c for c in self.calls if c.method == method and re.search(pattern, c.path)]

    # ------------------------------------------------------------------ waiting

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(
        self, predicate: Callable[[], bool], *, within: float = 30.0, what: str = "condition"
    ) -> None:
        """Wait until ``predicate()`` holds (checked after every request and gateway frame,
        and every 0.1 s); ``TimeoutError`` naming ``what`` after ``within`` seconds."""

        async def wait() -> None:
            async with self._changed:
                while not predicate():
                    try:
                        await asyncio.wait_for(self._changed.wait(), 0.1)
                    except TimeoutError:
                        pass

        try:
            await asyncio.wait_for(wait(), within)
        except TimeoutError:
            raise TimeoutError(
                f"fake Discord: timed out after {within} s waiting for {what}"
            ) from None

    async def wait_identified(self, count: int = 1, *, within: float = 30.0) -> None:
        """Wait until ``count`` IDENTIFYs in all were answered with READY."""
        await self.wait_for(
            lambda: len(self.identifies) >= count, within=within, what=f"{count} IDENTIFY"
        )

    def live_sessions(self, shard: int | None = None) -> list[Session]:
        """Sessions with an open socket (of ``shard``, or all)."""
        return [
            s
            for s in self.sessions.values()
            if s.ws is not None and not s.ws.closed and (shard is None or s.shard_id == shard)
        ]

    def stall(self, method: str, pattern: str) -> asyncio.Event:
        """From now on, requests to ``method`` and a path matching ``pattern`` take effect
        (a message is created) but their answer is held until the returned event is set:
        a test can kill the bot while such a request is in flight (:attr:`stalled` lists
        them). Stalls end when the server stops."""
        release = asyncio.Event()
        self._stalls.append((method, re.compile(pattern), release))
        return release

    # ------------------------------------------------------------------ gateway faults

    async def disconnect(self, shard: int | None = None, code: int = 4000) -> int:
        """Close the sockets (of ``shard``, or all) with ``code``; the sessions stay resumable,
        so the clients RESUME. Returns how many were closed."""
        sessions = self.live_sessions(shard)
        for session in sessions:
            ws, session.ws = session.ws, None
            assert ws is not None
            await ws.close(code=code)
        return len(sessions)

    async def reconnect_request(self, shard: int | None = None) -> int:
        """Send op 7 RECONNECT (the clients reconnect and RESUME)."""
        sessions = self.live_sessions(shard)
        for session in sessions:
            await self._send(session.ws, {"op": RECONNECT, "d": None})
        return len(sessions)

    async def invalidate_session(self, shard: int | None = None, resumable: bool = False) -> int:
        """Send op 9 INVALID_SESSION with ``d: resumable``. Not resumable: the session is
        forgotten and the client must IDENTIFY again (READY, so ``on_ready``, again)."""
        sessions = self.live_sessions(shard)
        for session in sessions:
            if not resumable:
                session.invalid = True
                self.sessions.pop(session.session_id, None)
            await self._send(session.ws, {"op": INVALID_SESSION, "d": resumable})
        return len(sessions)

    def message_event(
        self, channel_id: int, content: str, *, author: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A MESSAGE_CREATE payload: ``author`` (a user) writes ``content`` in a channel."""
        channel = self._channel(channel_id)
        message_id = self.snowflake()
        payload: dict[str, Any] = {
            "id": str(message_id),
            "channel_id": str(channel_id),
            "type": 0,
            "content": content,
            "embeds": [],
            "components": [],
            "flags": 0,
            "author": author or user_payload(940_000_000_000_000_001, "alice"),
            "attachments": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": _iso(message_id),
            "edited_timestamp": None,
            "channel_type": channel["type"],
        }
        if "guild_id" in channel:
            payload["guild_id"] = channel["guild_id"]
            payload["member"] = {
                "roles": [],
                "joined_at": "2024-01-01T00:00:00+00:00",
                "deaf": False,
                "mute": False,
            }
        return payload

    async def dispatch(
        self, event: str, data: Any, *, shard: int | None = None, guild_id: int | None = None
    ) -> int:
        """Send a DISPATCH event to the sessions of ``shard`` (or the shard owning
        ``guild_id``, or every session). A session whose socket is closed keeps the event for
        its RESUME. Returns the number of sessions it went to."""
        count = 0
        for session in list(self.sessions.values()):
            if guild_id is not None and shard_of(guild_id, session.shard_count) != session.shard_id:
                continue
            if shard is not None and session.shard_id != shard:
                continue
            frame = session.next(event, data)
            if session.ws is not None and not session.ws.closed:
                await self._send(session.ws, frame)
            count += 1
        return count

    # ------------------------------------------------------------------ the gateway

    async def _send(self, ws: web.WebSocketResponse | None, frame: dict[str, Any]) -> None:
        if ws is None or ws.closed:
            return
        try:
            await ws.send_str(json.dumps(frame))
        except (ConnectionError, RuntimeError):
            pass

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        self._sockets.add(ws)
        client = client_tag(request.headers.get("User-Agent"))
        session: Session | None = None
        try:
            await self._send(
                ws, {"op": HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}}
            )
            async for message in ws:
                if message.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(message.data)
                op, data = frame.get("op"), frame.get("d")
                if op == HEARTBEAT:
                    self.heartbeats += 1
                    await self._send(ws, {"op": HEARTBEAT_ACK})
                elif op == IDENTIFY:
                    session = await self._identify(ws, data or {}, client)
                elif op == RESUME:
                    session = await self._resume(ws, data or {}, client)
                # PRESENCE (3), REQUEST_GUILD_MEMBERS (8) ...: nothing to answer
                await self._notify()
        finally:
            self._sockets.discard(ws)
            if session is not None and session.ws is ws:
                session.ws = None
            await self._notify()
        return ws

    async def _identify(
        self, ws: web.WebSocketResponse, data: dict[str, Any], client: str | None
    ) -> Session | None:
        if self.token is not None and data.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        shard_id, shard_count = data.get("shard") or [0, 1]
        if not 0 <= shard_id < shard_count:
            await ws.close(code=4010, message=b"Invalid shard.")
            return None
        session = Session(secrets.token_hex(16), shard_id, shard_count, client)
        session.ws = ws
        self.sessions[session.session_id] = session
        guilds = [g for g in self.guilds.values() if shard_of(g.guild_id, shard_count) == shard_id]
        ready = {
            "v": 10,
            "user": self.bot_user,
            "guilds": [{"id": str(g.guild_id), "unavailable": True} for g in guilds],
            "session_id": session.session_id,
            "resume_gateway_url": self.gateway_url,
            "shard": [shard_id, shard_count],
            "application": {"id": str(self.app_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
        }
        self.identifies.append(
            Identify(
                shard_id, shard_count, session.session_id, data.get("intents"), client, time.time()
            )
        )
        await self._send(ws, session.next("READY", ready))
        for guild in guilds:
            await self._send(ws, session.next("GUILD_CREATE", self.guild_payload(guild)))
        return session

    async def _resume(
        self, ws: web.WebSocketResponse, data: dict[str, Any], client: str | None
    ) -> Session | None:
        session = self.sessions.get(str(data.get("session_id")))
        seq = data.get("seq")
        if self.token is not None and data.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        if session is None or self.fail_resume or session.invalid:
            self.resumes.append(
                Resume(
                    session.shard_id if session else None,
                    data.get("session_id"),
                    seq,
                    False,
                    client,
                    time.time(),
                )
            )
            await self._send(ws, {"op": INVALID_SESSION, "d": False})
            return None
        old, session.ws = session.ws, ws
        if old is not None and old is not ws and not old.closed:
            await old.close(code=4000)
        self.resumes.append(
            Resume(session.shard_id, session.session_id, seq, True, client, time.time())
        )
        for frame in session.sent:
            if seq is None or frame["s"] > seq:
                await self._send(ws, frame)
        await self._send(ws, session.next("RESUMED", {}))
        return session

    # ------------------------------------------------------------------ REST plumbing

    def _route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        def add(handler: Handler) -> Handler:
            self._routes.append((method, re.compile(f"^{pattern}$"), handler))
            return handler

        return add

    async def _rest(self, request: web.Request) -> web.Response:
        path = request.path.removeprefix(API_PATH)
        method = request.method
        client = client_tag(request.headers.get("User-Agent"))
        body: Any = None
        if request.content_type == "application/json" and request.can_read_body:
            body = await request.json()
        elif request.content_type.startswith("multipart/"):
            body = await self._multipart(request)
        call = Call(
            method, path, dict(request.query), copy.deepcopy(body), client=client, at=time.time()
        )
        self.calls.append(call)
        try:
            response = await self._answer(request, call)
        finally:
            await self._notify()
        call.status = response.status
        return response

    async def _multipart(self, request: web.Request) -> Any:
        reader = await request.multipart()
        payload: Any = None
        async for part in reader:
            if getattr(part, "name", None) == "payload_json":
                payload = json.loads(await part.text())  # type: ignore[union-attr]
            else:
                await part.read()  # type: ignore[union-attr]
        return payload

    async def _answer(self, request: web.Request, call: Call) -> web.Response:
        method, path = call.method, call.path
        if self.token is not None and not path.startswith(("/interactions/", "/webhooks/")):
            if request.headers.get("Authorization") != f"Bot {self.token}":
                return self._json(401, {"message": "401: Unauthorized", "code": 0})
        fault = self.faults.take(method, path)
        if fault is not None:
            return self._fault(fault)
        headers, limited = self.rate_limits.answer(method, path, time.monotonic())
        if limited is not None:
            status, body = limited
            return self._json(status, body, {**headers, "Via": "1.1 google"})
        for route_method, pattern, handler in self._routes:
            if route_method != method:
                continue
            match = pattern.match(path)
            if match is None:
                continue
            try:
                result = await handler(
                    _Request(method, path, match, call.query, call.json, call.client)
                )
            except _Answer as answer:
                return self._json(answer.status, answer.body, headers)
            await self._hold(method, path)
            if result is None:
                return web.Response(status=204, headers=headers)
            return self._json(200, result, headers)
        self.unknown.append((method, path))
        return self._json(404, {"message": "404: Not Found", "code": 0}, headers)

    async def _hold(self, method: str, path: str) -> None:
        """Wait for the release of every stall matching the request (see :meth:`stall`)."""
        for stall_method, pattern, release in self._stalls:
            if stall_method == method and pattern.search(path) and not release.is_set():
                self.stalled.append((method, path))
                await self._notify()
                await release.wait()

    def _fault(self, fault: Fault) -> web.Response:
        if fault.status == 429:
            body = {
                "message": "You are being rate limited.",
                "retry_after": fault.retry_after,
                "global": fault.is_global,
            }
            headers = {
                "Via": "1.1 google",
                "Retry-After": str(max(1, round(fault.retry_after))),
                "X-RateLimit-Scope": "global" if fault.is_global else "user",
            }
            if fault.is_global:
                headers["X-RateLimit-Global"] = "true"
            return self._json(429, body, headers)
        return self._json(fault.status, {"message": "Server error", "code": 0})

    @staticmethod
    def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
        # Exactly "application/json", no charset: discord.py compares the header as a whole.
        return web.Response(
            status=status,
            body=json.dumps(body).encode(),
            headers={**(headers or {}), "Content-Type": "application/json"},
        )

    # ------------------------------------------------------------------ REST routes

    def _add_routes(self) -> None:
        route = self._route
        app = r"/applications/(\d+)"

        @route("GET", r"/gateway(?:/bot)?")
        async def gateway(_: _Request) -> Any:
            return {
                "url": self.gateway_url,
                "shards": self.recommended_shards,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000 - len(self.identifies),
                    "reset_after": 86_400_000,
                    "max_concurrency": 1,
                },
            }

        @route("GET", r"/users/@me")
        async def me(_: _Request) -> Any:
            return self.bot_user

        @route("GET", r"/oauth2/applications/@me")
        async def application(_: _Request) -> Any:
            return self.application_payload()

        @route("GET", r"/applications/@me")
        async def application_me(_: _Request) -> Any:
            return self.application_payload()

        @route("GET", app + r"/commands")
        async def global_commands(_: _Request) -> Any:
            return self.commands.get(None, [])

        @route("PUT", app + r"/commands")
        async def put_global_commands(r: _Request) -> Any:
            return self._put_commands(None, r.json or [])

        @route("GET", app + r"/guilds/(\d+)/commands")
        async def guild_commands(r: _Request) -> Any:
            return self.commands.get(r.int(2), [])

        @route("PUT", app + r"/guilds/(\d+)/commands")
        async def put_guild_commands(r: _Request) -> Any:
            return self._put_commands(r.int(2), r.json or [])

        @route("POST", r"/users/@me/channels")
        async def create_dm(r: _Request) -> Any:
            user_id = int((r.json or {})["recipient_id"])
            channel_id = self.dm_channel_of(user_id)
            if channel_id is None:
                channel_id = self.snowflake()
                self._dm_users[channel_id] = user_id
                self.channels[channel_id] = {
                    "id": str(channel_id),
                    "type": 1,
                    "last_message_id": None,
                    "recipients": [user_payload(user_id, f"user-{user_id}")],
                }
            return self.channels[channel_id]

        @route("GET", r"/channels/(\d+)")
        async def channel(r: _Request) -> Any:
            return self._channel(r.int(1))

        @route("POST", r"/channels/(\d+)/typing")
        async def typing(r: _Request) -> Any:
            self._channel(r.int(1))
            return None

        @route("POST", r"/channels/(\d+)/messages")
        async def send(r: _Request) -> Any:
            channel_id = r.int(1)
            self._channel(channel_id)
            return self._create(channel_id, r.json or {}, kind="channel", client=r.client)

        @route("GET", r"/channels/(\d+)/messages")
        async def history(r: _Request) -> Any:
            channel_id = r.int(1)
            self._channel(channel_id)
            return self._history(channel_id, r.query)

        @route("GET", r"/channels/(\d+)/messages/(\d+)")
        async def get_message(r: _Request) -> Any:
            return self._message(r.int(1), r.int(2)).payload

        @route("PATCH", r"/channels/(\d+)/messages/(\d+)")
        async def edit_message(r: _Request) -> Any:
            return self._edit(self._message(r.int(1), r.int(2)), r.json or {})

        @route("DELETE", r"/channels/(\d+)/messages/(\d+)")
        async def delete_message(r: _Request) -> Any:
            self._message(r.int(1), r.int(2)).deleted = True
            return None

        @route("GET", r"/guilds/(\d+)")
        async def guild(r: _Request) -> Any:
            return self.guild_payload(self._guild(r.int(1)))

        @route("GET", r"/guilds/(\d+)/channels")
        async def guild_channels(r: _Request) -> Any:
            guild = self._guild(r.int(1))
            return [self.channels[c] for c in guild.channel_ids]

        @route("GET", r"/guilds/(\d+)/members/(\d+)")
        async def member(r: _Request) -> Any:
            self._guild(r.int(1))
            return {
                "user": user_payload(r.int(2), f"user-{r.int(2)}"),
                "roles": [],
                "joined_at": "2024-01-01T00:00:00+00:00",
                "deaf": False,
                "mute": False,
                "flags": 0,
            }

        @route("POST", r"/interactions/(\d+)/([^/]+)/callback")
        async def callback(r: _Request) -> Any:
            return self._callback(r.int(1), r.match.group(2), r.json or {}, r.client, r.query)

        @route("POST", r"/webhooks/(\d+)/([^/]+)")
        async def followup(r: _Request) -> Any:
            token = r.match.group(2)
            channel_id = self._interaction_channel(token)
            if token in self._loading:  # the first followup after a deferral fills its message
                self._loading.discard(token)
                return self._edit(self._by_id[self._original[token]], r.json or {})
            return self._create(channel_id, r.json or {}, kind="followup", client=r.client)

        @route("GET", r"/webhooks/(\d+)/([^/]+)/messages/(@original|\d+)")
        async def get_webhook_message(r: _Request) -> Any:
            return self._webhook_message(r.match.group(2), r.match.group(3)).payload

        @route("PATCH", r"/webhooks/(\d+)/([^/]+)/messages/(@original|\d+)")
        async def edit_webhook_message(r: _Request) -> Any:
            message = self._webhook_message(r.match.group(2), r.match.group(3))
            self._loading.discard(r.match.group(2))
            return self._edit(message, r.json or {})

        @route("DELETE", r"/webhooks/(\d+)/([^/]+)/messages/(@original|\d+)")
        async def delete_webhook_message(r: _Request) -> Any:
            self._webhook_message(r.match.group(2), r.match.group(3)).deleted = True
            return None

    # ------------------------------------------------------------------ REST behaviour

    def _channel(self, channel_id: int) -> dict[str, Any]:
        channel = self.channels.get(channel_id)
        if channel is None:
            raise _not_found("Channel", 10003)
        return channel

    def _guild(self, guild_id: int) -> Guild:
        guild = self.guilds.get(guild_id)
        if guild is None:
            raise _not_found("Guild", 10004)
        return guild

    def _message(self, channel_id: int, message_id: int) -> SentMessage:
        message = self._by_id.get(message_id)
        if message is None or message.deleted or message.channel_id != channel_id:
            raise _not_found("Message", 10008)
        return message

    def _put_commands(self, guild_id: int | None, commands: list[dict[str, Any]]) -> Any:
        registered = []
        for command in commands:
            item = {
                "id": str(self.snowflake()),
                "application_id": str(self.app_id),
                "version": str(self.snowflake()),
                "type": 1,
                "description": "",
                "dm_permission": True,
                "default_member_permissions": None,
                "nsfw": False,
                **command,
            }
            if guild_id is not None:
                item["guild_id"] = str(guild_id)
            registered.append(item)
        self.commands[guild_id] = registered
        return registered

    def _create(
        self, channel_id: int, data: dict[str, Any], *, kind: str, client: str | None
    ) -> dict[str, Any]:
        message_id = self.snowflake()
        channel = self.channels.get(channel_id, {})
        payload: dict[str, Any] = {
            "id": str(message_id),
            "channel_id": str(channel_id),
            "type": 0,
            "content": data.get("content") or "",
            "embeds": data.get("embeds") or [],
            "components": data.get("components") or [],
            "flags": data.get("flags") or 0,
            "author": self.bot_user,
            "attachments": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": _iso(message_id),
            "edited_timestamp": None,
        }
        if "guild_id" in channel:
            payload["guild_id"] = channel["guild_id"]
        if data.get("nonce") is not None:
            payload["nonce"] = data["nonce"]
        if data.get("message_reference"):
            payload["type"] = 19
            payload["message_reference"] = data["message_reference"]
        if kind != "channel":
            payload.update(type=20, application_id=str(self.app_id), webhook_id=str(self.app_id))
        message = SentMessage(
            channel_id=channel_id,
            message_id=message_id,
            content=payload["content"],
            embeds=copy.deepcopy(payload["embeds"]),
            components=copy.deepcopy(payload["components"]),
            allowed_mentions=copy.deepcopy(data.get("allowed_mentions")),
            nonce=data.get("nonce"),
            sent_at=time.time(),
            kind=kind,
            client=client,
            flags=payload["flags"],
            payload=payload,
        )
        self.messages.append(message)
        self._by_id[message_id] = message
        if channel:
            channel["last_message_id"] = str(message_id)
        return copy.deepcopy(payload)

    def _edit(self, message: SentMessage, data: dict[str, Any]) -> dict[str, Any]:
        payload = message.payload
        for key in ("content", "embeds", "components", "flags"):
            if key in data and data[key] is not None:
                payload[key] = data[key]
        payload["edited_timestamp"] = _iso(self.snowflake())
        message.content = payload["content"]
        message.embeds = copy.deepcopy(payload["embeds"])
        message.components = copy.deepcopy(payload["components"])
        if "allowed_mentions" in data:
            message.allowed_mentions = copy.deepcopy(data["allowed_mentions"])
        message.edits += 1
        return copy.deepcopy(payload)

    def _history(self, channel_id: int, query: dict[str, str]) -> list[dict[str, Any]]:
        """Messages newest first, as Discord returns them (``after``: the ``limit`` oldest
        after it; ``before``: the ``limit`` newest before it)."""
        limit = max(1, min(100, int(query.get("limit", 50))))
        found = [m for m in self.messages if m.channel_id == channel_id and not m.deleted]
        found.sort(key=lambda m: m.message_id)
        if "after" in query:
            after = int(query["after"])
            found = [m for m in found if m.message_id > after][:limit]
        else:
            if "before" in query:
                before = int(query["before"])
                found = [m for m in found if m.message_id < before]
            found = found[-limit:]
        return [copy.deepcopy(m.payload) for m in reversed(found)]

    # interactions -------------------------------------------------------------------------

    def _interaction_channel(self, token: str) -> int:
        known = self._interactions.get(token)
        if known is None:
            raise _not_found("Webhook", 10015)
        return known[0]

    def _webhook_message(self, token: str, which: str) -> SentMessage:
        channel_id = self._interaction_channel(token)
        message_id = self._original.get(token) if which == "@original" else int(which)
        if message_id is None:
            raise _not_found("Message", 10008)
        return self._message(channel_id, message_id)

    def _callback(
        self,
        interaction_id: int,
        token: str,
        payload: dict[str, Any],
        client: str | None,
        query: dict[str, str],
    ) -> Any:
        channel_id = self._interaction_channel(token)
        kind = payload.get("type")
        data = payload.get("data") or {}
        interaction: dict[str, Any] = {
            "id": str(interaction_id),
            "type": 2,
            "response_message_loading": kind == 5,
            "response_message_ephemeral": bool((data.get("flags") or 0) & EPHEMERAL),
        }
        response: dict[str, Any] = {"interaction": interaction}
        if token in self._original and kind in (4, 5):
            raise _Answer(
                400, {"message": "Interaction has already been acknowledged.", "code": 40060}
            )
        if kind in (4, 5):
            message = self._create(channel_id, data, kind="interaction", client=client)
            self._original[token] = int(message["id"])
            if kind == 5:
                self._loading.add(token)
            interaction["response_message_id"] = message["id"]
            response["resource"] = {"type": kind, "message": message}
        else:
            self._original.setdefault(token, 0)
        if query.get("with_response", "true").lower() in ("false", "0"):
            return None
        return response

    def interaction_payload(
        self,
        name: str,
        *,
        guild_id: int,
        channel_id: int,
        user: dict[str, Any] | None = None,
        options: list[dict[str, Any]] | None = None,
        locale: str = "en-US",
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE for the slash command ``/name`` (options as Discord sends
        them: ``{"name", "type", "value"}``) in a guild's text channel; the token is known to
        the callback and webhook routes."""
        user = user or user_payload(940_000_000_000_000_001, "alice")
        interaction_id = self.snowflake()
        token = f"token-{interaction_id}-{next(self._counter)}"
        self._interactions[token] = (channel_id, interaction_id)
        channel = dict(self._channel(channel_id))
        guild = self._guild(guild_id)
        return {
            "id": str(interaction_id),
            "application_id": str(self.app_id),
            "type": 2,
            "token": token,
            "version": 1,
            "data": {
                "id": str(self.snowflake()),
                "name": name,
                "type": 1,
                "options": options or [],
            },
            "locale": locale,
            "guild_locale": guild.locale,
            "app_permissions": str((1 << 11) | (1 << 14) | (1 << 16)),
            "entitlements": [],
            "attachment_size_limit": 8 * 1024 * 1024,
            "context": 0,
            "guild_id": str(guild_id),
            "guild": {"id": str(guild_id), "locale": guild.locale, "features": []},
            "channel_id": str(channel_id),
            "channel": channel,
            "member": {
                "user": user,
                "roles": [],
                "joined_at": "2024-01-01T00:00:00+00:00",
                "deaf": False,
                "mute": False,
                "flags": 0,
                "permissions": "0",
            },
            "authorizing_integration_owners": {"0": str(guild_id)},
        }

    async def interact(
        self,
        name: str,
        *,
        guild_id: int,
        channel_id: int,
        within: float = 30.0,
        **options: Any,
    ) -> SentMessage:
        """Send ``/name`` as an INTERACTION_CREATE to the shard owning ``guild_id`` and wait
        for the reply (the interaction's first message, after a deferral its edit or
        followup); return it."""
        payload = self.interaction_payload(
            name, guild_id=guild_id, channel_id=channel_id, **options
        )
        token = payload["token"]
        sent = await self.dispatch("INTERACTION_CREATE", payload, guild_id=guild_id)
        if not sent:
            raise AssertionError(f"no gateway session owns guild {guild_id}")

        def answered() -> bool:
            message_id = self._original.get(token)
            if not message_id:
                return False
            message = self._by_id[message_id]
            return bool(message.embeds or message.content)

        await self.wait_for(answered, within=within, what=f"a reply to /{name}")
        return self._by_id[self._original[token]]


def _iso(snowflake: int) -> str:
    """The ISO timestamp a snowflake encodes."""
    ms = (snowflake >> 22) + DISCORD_EPOCH_MS
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + f".{ms % 1000:03d}+00:00"
