"""Test support: drive the real bot through discord.py's real machinery, offline.

Used by the cog tests (``tests/cogs``) and the benchmarks (``bench/``); it is not part of the
installed packages, needs no pytest and opens no connection.

The technique of discord.py's own tests: build real :class:`discord.Interaction` objects from
gateway payloads and dispatch them through the real ``ConnectionState`` ->
``CommandTree`` / ``ViewStore`` path, with only the network replaced.

Everything an interaction sends (responses, deferrals, followups, edits, deletes, autocomplete)
goes through discord.py's webhook adapter (``discord.webhook.async_.async_context``). The
:class:`FakeDiscord` adapter stands in for it: it records each request (route and JSON payload)
and answers with what Discord would (message objects with ids), remembering every message so a
later button press can be built from the message the bot actually sent.

    harness = await Harness.create(store)
    result = await harness.command("search", query="diffusion")
    result.embed["title"]; result.ephemeral; result.allowed_mentions == {"parse": []}
    await harness.press(result.message_id, "pager:next")

:func:`run_command` is the one-call entry the benchmarks time.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import itertools
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import discord
from discord import app_commands
from discord.webhook.async_ import AsyncWebhookAdapter, async_context

from bot.config import Config
from bot.discord_ui.client import PapersBot

from .discord_server import user_payload
from .faults import Faults, FaultSession

if TYPE_CHECKING:
    from discord.types.user import User as UserPayload

APP_ID = 900_000_000_000_000_001
BOT_ID = APP_ID
GUILD_ID = 910_000_000_000_000_001
CHANNEL_ID = 920_000_000_000_000_001
DM_CHANNEL_ID = 920_000_000_000_000_002
GROUP_DM_CHANNEL_ID = 920_000_000_000_000_003
OWNER_ID = 930_000_000_000_000_001

#: The newest bundled sample is Friday 2025-05-09; "now" is the Saturday after it, in UTC.
FIXED_NOW = dt.datetime(2025, 5, 10, 12, 0, tzinfo=dt.UTC)

#: Task names discord.py gives the work an interaction starts (what "done" waits for).
WATCHED_TASKS = (
    "CommandTree-invoker",
    "discord-ui-view-dispatch",
    "discord-ui-view-timeout",
    "discord-ui-dynamic-item",
)

EPHEMERAL = 1 << 6

#: The harness's default settings: no per-user rate limits, so tests may repeat a command as
#: often as they like (the rate limit tests pass their own).
UNLIMITED = Config(question_rate=None, button_rate=None)

CONTEXTS = {"guild": 0, "dm": 1, "private": 2}

_ids = itertools.count(1_000_000_000_000_000_000)


def snowflake() -> int:
    return next(_ids)


ALICE = user_payload(940_000_000_000_000_001, "alice")
BOB = user_payload(940_000_000_000_000_002, "bob")
OWNER = user_payload(OWNER_ID, "owner")
BOT_USER = user_payload(BOT_ID, "papers-bot", bot=True)


# --------------------------------------------------------------------------- recording


@dataclass
class Request:
    """One HTTP request discord.py made, with its JSON body."""

    method: str
    path: str  # e.g. /interactions/{id}/{token}/callback
    payload: dict[str, Any] | None
    params: dict[str, Any] | None
    #: ``time.perf_counter()`` when discord.py made the request (what ``bench/`` times to).
    at: float = 0.0
    #: Attached files by name (a multipart request's parts besides its JSON).
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """``callback``, ``followup``, ``edit_original``, ``edit_message``, ..."""
        if self.path.endswith("/callback"):
            return "callback"
        if self.path.endswith("/messages/@original"):
            return {"PATCH": "edit_original", "DELETE": "delete_original"}.get(
                self.method, "get_original"
            )
        if "/messages/" in self.path:
            return "edit_message" if self.method == "PATCH" else "message"
        if self.path.startswith("/channels/"):
            return "send"  # a message the bot sends as itself (``channel.send``)
        return "followup"

    @property
    def callback_type(self) -> int | None:
        return self.payload.get("type") if self.kind == "callback" and self.payload else None

    @property
    def body(self) -> dict[str, Any]:
        """The message part: ``data`` of a callback, else the payload itself."""
        if self.payload is None:
            return {}
        if self.kind == "callback":
            return self.payload.get("data") or {}
        return self.payload

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return list(self.body.get("embeds") or [])

    @property
    def embed(self) -> dict[str, Any]:
        return self.embeds[0] if self.embeds else {}

    @property
    def ephemeral(self) -> bool:
        return bool((self.body.get("flags") or 0) & EPHEMERAL)

    @property
    def allowed_mentions(self) -> dict[str, Any] | None:
        return self.body.get("allowed_mentions")

    @property
    def components(self) -> list[dict[str, Any]] | None:
        return self.body.get("components")

    @property
    def content(self) -> str:
        return self.body.get("content") or ""

    @property
    def custom_ids(self) -> list[str]:
        return [c["custom_id"] for row in self.components or [] for c in row.get("components", [])]

    @property
    def choices(self) -> list[dict[str, Any]]:
        return list(self.body.get("choices") or [])

    @property
    def sends_message(self) -> bool:
        """A request that shows the user something (not a deferral, delete or fetch)."""
        if self.kind == "callback":
            return self.callback_type in (4, 7)
        return self.kind in ("followup", "edit_original", "edit_message", "send")


class FakeDiscord(AsyncWebhookAdapter):
    """A webhook adapter that records requests and answers like Discord, without a network."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[Request] = []
        self.messages: dict[int, dict[str, Any]] = {}
        self.deleted: set[int] = set()
        self._original: dict[str, int] = {}  # interaction token -> original response id
        self._component_message: dict[str, int] = {}  # token -> message the component is on
        self._channel: dict[str, int] = {}  # token -> channel id
        self._interaction: dict[str, int] = {}  # token -> interaction id
        #: Scripted 429s and 5xx by route (see tests/harness/faults.py).
        self.faults = Faults()
        #: The bot's HTTP client, for routing faulty requests through its real request code.
        self.http: discord.http.HTTPClient | None = None

    def expect(self, payload: dict[str, Any]) -> None:
        """Learn about an interaction before it is dispatched (its channel, its message)."""
        token = payload["token"]
        self._channel[token] = int(payload["channel"]["id"])
        self._interaction[token] = int(payload["id"])
        if "message" in payload:
            self._component_message[token] = int(payload["message"]["id"])

    async def request(  # type: ignore[override]
        self,
        route: Any,
        session: Any = None,
        *,
        payload: dict[str, Any] | None = None,
        multipart: Any = None,
        files: Any = None,
        params: dict[str, Any] | None = None,
        **_: Any,
    ) -> Any:
        at = time.perf_counter()
        await asyncio.sleep(0)  # a real request always yields to the loop
        path = route.url.removeprefix(route.BASE)
        attached: dict[str, bytes] = {}
        for part in multipart or []:  # files: the JSON is one part, each file another
            if part.get("name") == "payload_json":
                payload = json.loads(part["value"])
            elif "filename" in part:  # the value is the discord.File's open file
                attached[part["filename"]] = part["value"].read()
                part["value"].seek(0)
        request = Request(route.method, path, copy.deepcopy(payload), params, at, attached)
        self.requests.append(request)
        if self.faults.pending(route.method, path):  # discord.py's own retrying, for real
            session = FaultSession(self.faults, path, lambda: self._answer(route, path, payload))
            return await AsyncWebhookAdapter.request(
                self, route, session, payload=payload, multipart=multipart, files=files
            )
        return self._answer(route, path, payload)

    def _answer(self, route: Any, path: str, payload: dict[str, Any] | None) -> Any:
        """Discord's answer to an interaction request (a callback, a followup, an edit)."""
        token = route.webhook_token
        if path.endswith("/callback"):
            return self._callback(route, token, payload or {})
        if path.endswith("/messages/@original"):
            message_id = self._original.get(token) or self._component_message.get(token)
            if route.method == "DELETE":
                if message_id is not None:
                    self.deleted.add(message_id)
                return None
            if message_id is None:
                raise AssertionError(f"{route.method} @original before any response")
            return self._on_message(route.method, message_id, payload)
        if "/messages/" in path:
            return self._on_message(route.method, int(path.rsplit("/", 1)[-1]), payload)
        # Followup: a new message.
        return self._create(token, payload or {})

    async def http_request(self, route: Any, **kwargs: Any) -> Any:
        """Stand-in for ``HTTPClient.request``: messages the bot sends, edits and deletes as
        itself (``channel.send``, ``message.edit``), recorded like the webhook requests."""
        at = time.perf_counter()
        await asyncio.sleep(0)
        path = route.url.removeprefix(route.BASE)
        payload = kwargs.get("json")
        if payload is None and kwargs.get("form"):
            payload = next(
                (json.loads(f["value"]) for f in kwargs["form"] if f.get("name") == "payload_json"),
                None,
            )
        self.requests.append(
            Request(route.method, path, copy.deepcopy(payload), kwargs.get("params"), at)
        )
        if self.http is not None and self.faults.pending(route.method, path):
            return await self._faulty_http_request(self.http, route, path, payload, kwargs)
        return self._http_answer(route, path, payload)

    async def _faulty_http_request(
        self,
        http: discord.http.HTTPClient,
        route: Any,
        path: str,
        payload: dict[str, Any] | None,
        kwargs: dict[str, Any],
    ) -> Any:
        """``route`` through discord.py's real ``HTTPClient.request`` over a fault session."""
        session = FaultSession(self.faults, path, lambda: self._http_answer(route, path, payload))
        saved = http._HTTPClient__session  # type: ignore[attr-defined]
        http._HTTPClient__session = session  # type: ignore[attr-defined]
        try:
            return await discord.http.HTTPClient.request(http, route, **kwargs)
        finally:
            http._HTTPClient__session = saved  # type: ignore[attr-defined]

    def _http_answer(self, route: Any, path: str, payload: dict[str, Any] | None) -> Any:
        """Discord's answer to a request the bot makes as itself."""
        parts = path.strip("/").split("/")
        if parts[:1] != ["channels"] or len(parts) < 3 or parts[2] != "messages":
            return None  # typing, reactions, ...: nothing to answer
        channel_id = int(parts[1])
        if len(parts) == 3 and route.method == "POST":
            message_id = snowflake()
            data = payload or {}
            message = self._message("", message_id, data)
            message.update(
                channel_id=str(channel_id), type=19 if data.get("message_reference") else 0
            )
            message.pop("application_id")
            message.pop("webhook_id")
            if data.get("message_reference"):
                message["message_reference"] = data["message_reference"]
            self.messages[message_id] = message
            return copy.deepcopy(message)
        return self._on_message(route.method, int(parts[3]), payload)

    def _on_message(
        self, method: str, message_id: int, payload: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        """An existing message edited (PATCH), deleted (DELETE) or fetched."""
        if method == "PATCH":
            return self._update(message_id, payload or {})
        if method == "DELETE":
            self.deleted.add(message_id)
            return None
        return copy.deepcopy(self.messages[message_id])

    # Discord's side ----------------------------------------------------------------------

    def _message(self, token: str, message_id: int, data: dict[str, Any]) -> dict[str, Any]:
        message = message_body(
            message_id, self._channel.get(token, CHANNEL_ID), BOT_USER, type_=20, **data
        )
        message.update(application_id=str(APP_ID), webhook_id=str(APP_ID))
        return message

    def _create(self, token: str, data: dict[str, Any]) -> dict[str, Any]:
        message_id = snowflake()
        self.messages[message_id] = self._message(token, message_id, data)
        return copy.deepcopy(self.messages[message_id])

    def _update(self, message_id: int, data: dict[str, Any]) -> dict[str, Any]:
        message = self.messages[message_id]
        for key in ("content", "embeds", "components", "flags"):
            if key in data:
                message[key] = data[key] if data[key] is not None else message[key]
        message["edited_timestamp"] = discord.utils.utcnow().isoformat()
        return copy.deepcopy(message)

    def _callback(self, route: Any, token: str, payload: dict[str, Any]) -> dict[str, Any]:
        kind = payload.get("type")
        data = payload.get("data") or {}
        interaction: dict[str, Any] = {
            "id": str(route.webhook_id),
            "type": 2,
            "response_message_loading": kind == 5,
            "response_message_ephemeral": bool((data.get("flags") or 0) & EPHEMERAL),
        }
        response: dict[str, Any] = {"interaction": interaction}
        if kind in (4, 5):  # a new message (or its "thinking..." placeholder)
            message = self._create(token, data)
            self._original[token] = int(message["id"])
        elif kind == 7 and token in self._component_message:  # edit the component's message
            message = self._update(self._component_message[token], data)
        else:  # 6 deferred update, 8 autocomplete result
            return response
        interaction["response_message_id"] = message["id"]
        response["resource"] = {"type": kind, "message": message}
        return response


# --------------------------------------------------------------------------- payloads


def _option_types(tree: app_commands.CommandTree, name: str) -> dict[str, int]:
    command = tree.get_command(name)
    if not isinstance(command, app_commands.Command):
        raise KeyError(f"no slash command /{name}")
    return {p.display_name: p.type.value for p in command.parameters}


def interaction_payload(
    kind: int,
    data: dict[str, Any],
    *,
    user: dict[str, Any] = ALICE,
    context: str = "guild",
    message: dict[str, Any] | None = None,
    permissions: str = "0",
    locale: str = "en-US",
    guild_locale: str = "en-US",
) -> dict[str, Any]:
    """A gateway INTERACTION_CREATE payload, in a server channel, a DM or a group DM, from a
    client in ``locale`` (in a server whose language is ``guild_locale``)."""
    interaction_id = snowflake()
    payload: dict[str, Any] = {
        "id": str(interaction_id),
        "application_id": str(APP_ID),
        "type": kind,
        "token": f"token-{interaction_id}",
        "version": 1,
        "data": data,
        "locale": locale,
        "app_permissions": str(discord.Permissions(send_messages=True, embed_links=True).value),
        "entitlements": [],
        "attachment_size_limit": 8 * 1024 * 1024,
        "context": CONTEXTS[context],
    }
    if context == "guild":
        payload.update(
            guild_id=str(GUILD_ID),
            guild={"id": str(GUILD_ID), "locale": guild_locale, "features": []},
            guild_locale=guild_locale,
            channel_id=str(CHANNEL_ID),
            channel={
                "id": str(CHANNEL_ID),
                "type": 0,
                "guild_id": str(GUILD_ID),
                "name": "papers",
                "position": 0,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
            },
            member={
                "user": user,
                "roles": [],
                "joined_at": "2024-01-01T00:00:00+00:00",
                "deaf": False,
                "mute": False,
                "flags": 0,
                "permissions": permissions,
            },
            authorizing_integration_owners={"0": str(GUILD_ID)},
        )
    else:
        channel_id = DM_CHANNEL_ID if context == "dm" else GROUP_DM_CHANNEL_ID
        payload.update(
            channel_id=str(channel_id),
            channel={
                "id": str(channel_id),
                "type": 1 if context == "dm" else 3,
                "recipients": [user] if context == "dm" else [user, BOB],
            },
            user=user,
            authorizing_integration_owners={"1": user["id"]},
        )
    if message is not None:
        payload["message"] = message
    return payload


def message_body(
    message_id: int,
    channel_id: int,
    author: dict[str, Any],
    *,
    type_: int = 0,
    content: str | None = None,
    embeds: list[Any] | None = None,
    components: list[Any] | None = None,
    flags: int | None = None,
    **_: Any,
) -> dict[str, Any]:
    """A Discord message object as the API returns it (no mentions, attachments or pins);
    other keys of a send payload (``allowed_mentions``...) are ignored, as Discord does."""
    return {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "type": type_,
        "content": content or "",
        "embeds": embeds or [],
        "components": components or [],
        "flags": flags or 0,
        "author": author,
        "attachments": [],
        "mentions": [],
        "mention_roles": [],
        "mention_everyone": False,
        "pinned": False,
        "tts": False,
        "timestamp": discord.utils.utcnow().isoformat(),
        "edited_timestamp": None,
    }


def message_payload(
    content: str,
    *,
    user: dict[str, Any] = ALICE,
    context: str = "dm",
    mentions: Iterable[dict[str, Any]] = (),
) -> dict[str, Any]:
    """A gateway MESSAGE_CREATE payload: in the bot's DM (channel type 1, no ``guild_id``) or
    in a server channel (``context="guild"``, with the author's member and ``mentions``)."""
    payload = message_body(
        snowflake(), DM_CHANNEL_ID if context == "dm" else CHANNEL_ID, user, content=content
    )
    member = {"roles": [], "joined_at": "2024-01-01T00:00:00+00:00", "deaf": False, "mute": False}
    if context == "dm":
        payload["channel_type"] = 1
        payload["mentions"] = list(mentions)
    else:
        payload["guild_id"] = str(GUILD_ID)
        payload["channel_type"] = 0
        payload["member"] = dict(member)
        payload["mentions"] = [{**m, "member": dict(member)} for m in mentions]
    return payload


def mention(user: dict[str, Any]) -> str:
    """How a mention of ``user`` looks in message content."""
    return f"<@{user['id']}>"


def command_data(
    tree: app_commands.CommandTree,
    name: str,
    options: dict[str, Any],
    *,
    focused: str | None = None,
) -> dict[str, Any]:
    """``data`` of an APPLICATION_COMMAND (or, with ``focused``, an autocomplete) interaction."""
    types = _option_types(tree, name)
    rendered = []
    for key, value in options.items():
        option: dict[str, Any] = {"name": key, "type": types[key], "value": value}
        if key == focused:
            option["focused"] = True
        rendered.append(option)
    return {"id": str(snowflake()), "name": name, "type": 1, "options": rendered}


# --------------------------------------------------------------------------- the harness


@dataclass
class Result:
    """What one interaction made the bot send."""

    requests: list[Request]
    message_id: int | None = None  # the message holding the reply (for pressing its buttons)
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def sent(self) -> list[Request]:
        """Requests that showed the user something."""
        return [r for r in self.requests if r.sends_message]

    @property
    def last(self) -> Request:
        if not self.sent:
            raise AssertionError(f"nothing was sent; requests: {self.requests!r}")
        return self.sent[-1]

    @property
    def embed(self) -> dict[str, Any]:
        return self.last.embed

    @property
    def ephemeral(self) -> bool:
        return self.last.ephemeral

    @property
    def text(self) -> str:
        """Every string in the last embed (title, description, fields, footer), joined."""
        embed = self.embed
        parts = [embed.get("title", ""), embed.get("description", "")]
        for f in embed.get("fields", []):
            parts += [f.get("name", ""), f.get("value", "")]
        parts.append((embed.get("footer") or {}).get("text", ""))
        return "\n".join(p for p in parts if p)

    @property
    def choices(self) -> list[dict[str, Any]]:
        for request in self.requests:
            if request.callback_type == 8:
                return request.choices
        raise AssertionError(f"no autocomplete response; requests: {self.requests!r}")


class Harness:
    """A :class:`PapersBot` with its cogs loaded, and a fake Discord to talk to."""

    def __init__(self, bot: PapersBot, discord_: FakeDiscord) -> None:
        self.bot = bot
        self.discord = discord_
        discord_.http = bot.http
        bot.http.request = discord_.http_request  # type: ignore[method-assign]
        #: The client language of every interaction (Discord's ``interaction.locale``), and
        #: the server's (``guild_locale``), unless a call passes its own.
        self.locale = "en-US"
        self.guild_locale = "en-US"

    @classmethod
    async def create(
        cls,
        store: Any,
        *,
        config: Config | None = None,
        clock: Callable[[], dt.datetime] = lambda: FIXED_NOW,
        view_timeout: float = 180.0,
        extensions: Iterable[str] | None = None,
    ) -> Harness:
        options: dict[str, Any] = {}
        if extensions is not None:
            options["extensions"] = tuple(extensions)
        bot = PapersBot(
            config=config or UNLIMITED,
            store=store,
            clock=clock,
            view_timeout=view_timeout,
            **options,
        )
        # What login() does before setup_hook, minus the network: bind the loop, know who we are.
        await bot._async_setup_hook()
        bot._connection.application_id = APP_ID
        bot.http._global_over = asyncio.Event()  # static_login's: no global rate limit yet
        bot.http._global_over.set()
        me = cast("UserPayload", BOT_USER)
        bot._connection.user = discord.ClientUser(state=bot._connection, data=me)
        bot.owner_id = OWNER_ID
        await bot.setup_hook()
        return cls(bot, FakeDiscord())

    def live_views(self) -> list[discord.ui.View]:
        """Every view still listening for components (stored by message id)."""
        store = self.bot._connection._view_store
        views = {
            id(item.view): item.view
            for items in store._views.values()
            for item in items.values()
            if item.view is not None
        }
        return list(views.values())  # type: ignore[arg-type]

    async def close(self) -> None:
        """Stop every live view (cancelling its timeout task) and close the bot."""
        for view in self.live_views():
            view.stop()
        await self.bot.close()

    @property
    def tree(self) -> app_commands.CommandTree:
        return self.bot.tree

    async def dispatch(self, payload: dict[str, Any]) -> Result:
        """Feed one INTERACTION_CREATE to the client and wait until it has been handled."""
        self.discord.expect(payload)
        start = len(self.discord.requests)
        before = asyncio.all_tasks()
        reset = async_context.set(self.discord)
        try:
            self.bot._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
            await self._settle(before)
        finally:
            async_context.reset(reset)
        requests = self.discord.requests[start:]
        return Result(requests, self._message_of(payload, requests), payload)

    async def message(
        self,
        content: str,
        /,
        *,
        user: dict[str, Any] = ALICE,
        context: str = "dm",
        mentions: Iterable[dict[str, Any]] = (),
    ) -> Result:
        """Feed one MESSAGE_CREATE (a DM, or a server message with ``context="guild"``) through
        the real ``ConnectionState`` and wait until every ``on_message`` listener is done.

        ``result.message_id`` is the message the bot sent (to press its buttons), if any.
        """
        payload = message_payload(content, user=user, context=context, mentions=mentions)
        return await self.dispatch_message(payload)

    async def dispatch_message(self, payload: dict[str, Any]) -> Result:
        """Feed a MESSAGE_CREATE payload to the client; the bot's REST calls go to the fake."""
        self.bot.http.request = self.discord.http_request  # type: ignore[method-assign]
        start = len(self.discord.requests)
        before = asyncio.all_tasks()
        self.bot._connection.parse_message_create(payload)  # type: ignore[arg-type]
        await self._settle(before, names=(*WATCHED_TASKS, "discord.py: on_message"))
        requests = self.discord.requests[start:]
        sent = [r for r in requests if r.kind == "send"]
        message_id = None
        if sent:
            message_id = max(
                mid
                for mid, msg in self.discord.messages.items()
                if msg["channel_id"] == payload["channel_id"]
            )
        return Result(requests, message_id, payload)

    async def _settle(
        self, before: set[asyncio.Task[Any]], names: tuple[str, ...] = WATCHED_TASKS
    ) -> None:
        for _ in range(50):
            pending = [
                t
                for t in asyncio.all_tasks() - before
                if not t.done() and t.get_name().startswith(names)
            ]
            if not pending:
                return
            await asyncio.gather(*pending, return_exceptions=True)
        raise AssertionError("interaction handling did not settle")

    def _message_of(self, payload: dict[str, Any], requests: list[Request]) -> int | None:
        """The id of the message the bot's reply lives in (the latest one it wrote)."""
        token = payload["token"]
        found: int | None = None
        for request in requests:
            if request.kind == "followup" or request.callback_type == 4:
                # The adapter created a message for it: the newest one of this token.
                found = max(
                    (
                        mid
                        for mid, msg in self.discord.messages.items()
                        if msg["channel_id"] == str(self.discord._channel[token])
                    ),
                    default=found,
                )
            elif request.kind == "edit_original" or request.callback_type == 7:
                found = self.discord._original.get(token) or self.discord._component_message.get(
                    token
                )
        return found

    async def command(
        self,
        name: str,
        /,
        *,
        user: dict[str, Any] = ALICE,
        context: str = "guild",
        permissions: str = "0",
        locale: str | None = None,
        guild_locale: str | None = None,
        **options: Any,
    ) -> Result:
        """Run ``/name option=value ...`` as ``user`` in a server channel, a DM or a group DM,
        from a client in ``locale`` (default :attr:`locale`)."""
        data = command_data(self.tree, name, options)
        payload = interaction_payload(
            2,
            data,
            user=user,
            context=context,
            permissions=permissions,
            locale=locale or self.locale,
            guild_locale=guild_locale or self.guild_locale,
        )
        return await self.dispatch(payload)

    async def autocomplete(
        self,
        name: str,
        focused: str,
        /,
        *,
        user: dict[str, Any] = ALICE,
        locale: str | None = None,
        **options: Any,
    ) -> list[dict[str, Any]]:
        """The choices offered while typing ``options[focused]`` in ``/name``."""
        options.setdefault(focused, "")
        data = command_data(self.tree, name, options, focused=focused)
        payload = interaction_payload(
            4, data, user=user, locale=locale or self.locale, guild_locale=self.guild_locale
        )
        return (await self.dispatch(payload)).choices

    async def press(
        self,
        message_id: int,
        custom_id: str,
        *,
        user: dict[str, Any] = ALICE,
        values: list[str] | None = None,
        context: str = "guild",
        locale: str | None = None,
    ) -> Result:
        """Click a button (or pick ``values`` in a select menu) on a message the bot sent."""
        message = copy.deepcopy(self.discord.messages[message_id])
        component = next(
            (
                c
                for row in message["components"]
                for c in row.get("components", [])
                if c.get("custom_id") == custom_id
            ),
            None,
        )
        if component is None:
            raise AssertionError(f"no component {custom_id!r} on message {message_id}")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"]}
        if values is not None:
            data["values"] = values
        payload = interaction_payload(
            3,
            data,
            user=user,
            context=context,
            message=message,
            locale=locale or self.locale,
            guild_locale=self.guild_locale,
        )
        return await self.dispatch(payload)


async def run_command(harness: Harness, name: str, /, **options: Any) -> Result:
    """Dispatch one slash command through the real tree; return once the reply is sent.

    For ``bench/``: build a :class:`Harness` once (``await Harness.create(store)``), then time
    this call.
    """
    return await harness.command(name, **options)
