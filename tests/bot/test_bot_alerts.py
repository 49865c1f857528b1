"""bot/alerts.py end to end: imports -> matching -> one DM per user through discord.py's HTTP.

The bot is the real :class:`PapersBot` (``harness.Harness``: commands dispatched through the
real CommandTree from payloads); direct messages go through discord.py's real ``create_dm`` and
``DMChannel.send`` with only ``HTTPClient.request`` replaced by :class:`FakeRest`, which records
each request and can answer an error. Nothing sleeps: the watcher's tick is called directly.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord
import pytest
from digests import digest_text, import_day
from harness import (
    ALICE,
    BOB,
    BOT_USER,
    FIXED_NOW,
    Harness,
    interaction_payload,
    message_body,
    snowflake,
)

from bot.config import Config
from bot.core.alerts import AlertMatch, AlertService, DmClosed, DmFailed, check_keywords
from bot.core.errors import EmptyQuery, Wanted
from bot.discord_ui.alerts import MAX_LINES_PER_ALERT, alert_dm_embed
from bot.discord_ui.client import PapersBot
from bot.i18n.phrases import describe_error
from storage.errors import AlertError, AlertLimitReached, EmptyAlertQuery
from storage.ingest.importer import import_paths
from storage.models import Alert
from storage.sqlite.store import Store

ALICE_ID = int(ALICE["id"])
BOB_ID = int(ALICE["id"]) + 1
assert int(BOB["id"]) == BOB_ID
ARXIV_RE = re.compile(r"arxiv\.org/abs/(\d{4}\.\d{5})")

#: (arXiv id, title, authors) per day. Day A is imported before any alert exists.
DAY_A = [
    ("2506.00001", "Diffusion Models for Video", "Ann Lee, Bo Kim"),
    ("2506.00002", "확산 모델 기반 이미지 생성", "Chul Park"),
]
DAY_B = [
    ("2506.00011", "Faster Diffusion Sampling", "Dana Cho"),
    ("2506.00012", "Agents That Plan", "Ann Lee"),
    ("2506.00013", "Speech Recognition at Scale", "Eun Seo"),
]
DAY_C = [
    ("2506.00021", "확산 모델을 이용한 음성 합성", "Fay Wu"),
    ("2506.00022", "Retrieval for Code", "Gil Han"),
]


class _Response:
    def __init__(self, status: int, reason: str) -> None:
        self.status = status
        self.reason = reason


class FakeRest:
    """Stands in for ``HTTPClient.request``: records (method, path, json) and answers like
    Discord; ``fail[(method, path-pattern)] = (status, code)`` makes a route answer an error."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, Any] | None]] = []
        self.fail: dict[tuple[str, str], tuple[int, int]] = {}
        self._dm_of: dict[int, int] = {}

    async def request(self, route: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(0)
        payload = kwargs.get("json")
        self.requests.append((route.method, route.path, payload))
        for (method, pattern), (status, code) in self.fail.items():
            if method == route.method and pattern == route.path:
                error = {"code": code, "message": "Cannot send messages to this user"}
                response = _Response(status, "Forbidden" if status == 403 else "Error")
                if status == 403:
                    raise discord.Forbidden(response, error)  # type: ignore[arg-type]
                if status == 404:
                    raise discord.NotFound(response, error)  # type: ignore[arg-type]
                raise discord.DiscordServerError(response, error)  # type: ignore[arg-type]
        if route.path == "/users/@me/channels":
            user_id = int(payload["recipient_id"])
            channel_id = self._dm_of.setdefault(user_id, snowflake())
            recipient = {
                "id": str(user_id),
                "username": f"user{user_id}",
                "discriminator": "0",
                "avatar": None,
            }
            return {"id": str(channel_id), "type": 1, "recipients": [recipient]}
        if route.path == "/channels/{channel_id}/messages":
            embeds = (payload or {}).get("embeds")
            return message_body(snowflake(), route.channel_id, BOT_USER, embeds=embeds)
        raise AssertionError(f"unexpected request {route.method} {route.path}")

    def sent(self) -> list[dict[str, Any]]:
        """Every message payload that was sent (in order)."""
        return [
            p or {}
            for m, path, p in self.requests
            if m == "POST" and path == "/channels/{channel_id}/messages"
        ]

    def opened_for(self) -> list[int]:
        """The users a DM channel was opened for (in order)."""
        return [
            int(p["recipient_id"])
            for m, path, p in self.requests
            if m == "POST" and path == "/users/@me/channels" and p
        ]


def arxiv_ids(message: dict[str, Any]) -> set[str]:
    text = " ".join(e.get("description", "") for e in message.get("embeds", []))
    return set(ARXIV_RE.findall(text))


def section_ids(message: dict[str, Any]) -> dict[str, set[str]]:
    """arXiv ids per alert header (``**“diffusion”** · 2 new papers``) of a DM."""
    description = message["embeds"][0]["description"]
    out: dict[str, set[str]] = {}
    for block in description.split("\n\n"):
        header, _, rest = block.partition("\n")
        out[header.split("**")[1]] = set(ARXIV_RE.findall(rest))
    return out


def alerts_payload(
    sub: str, user: dict[str, Any], context: str, locale: str = "en-US", **options: Any
) -> dict[str, Any]:
    data = {
        "id": str(snowflake()),
        "name": "alerts",
        "type": 1,
        "options": [
            {
                "name": sub,
                "type": 1,
                "options": [{"name": k, "type": 3, "value": v} for k, v in options.items()],
            }
        ],
    }
    return interaction_payload(2, data, user=user, context=context, locale=locale)


async def alerts(
    harness: Harness,
    sub: str,
    *,
    user: dict[str, Any] = ALICE,
    context: str = "guild",
    locale: str = "en-US",
    **o: Any,
) -> Any:
    return await harness.dispatch(alerts_payload(sub, user, context, locale, **o))


async def completion_notes(harness: Harness) -> None:
    """Wait for the bot's on_app_command_completion handlers (the paused-alerts notice)."""
    pending = [
        t
        for t in asyncio.all_tasks()
        if t.get_name() == "discord.py: on_app_command_completion" and not t.done()
    ]
    await asyncio.gather(*pending)


def paused_notes(harness: Harness, start: int) -> list[Any]:
    """The "Alerts paused" notes sent since request number ``start``."""
    return [
        r
        for r in harness.discord.requests[start:]
        if r.sends_message and r.embed.get("title") == "Alerts paused"
    ]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "papers.db"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(db_path) as opened:
        yield opened


@pytest.fixture
async def rest() -> FakeRest:
    return FakeRest()


async def make_harness(store: Store, rest: FakeRest) -> Harness:
    harness = await Harness.create(store)
    harness.bot.http.request = rest.request  # type: ignore[method-assign]
    return harness


@pytest.fixture
async def harness(store: Store, rest: FakeRest) -> AsyncIterator[Harness]:
    made = await make_harness(store, rest)
    try:
        yield made
    finally:
        await made.close()


@pytest.fixture
async def subscribed(harness: Harness, store: Store) -> Harness:
    """Day A imported, then alerts added through the real tree (guild and DM contexts)."""
    await import_day(store, "2025-06-02", DAY_A)
    await alerts(harness, "add", keywords="diffusion")
    await alerts(harness, "add", author="Ann Lee", context="dm")
    await alerts(harness, "add", user=BOB, keywords="확산 모델")
    assert len(await store.alerts(ALICE_ID)) == 2
    return harness


def service(harness: Harness) -> Any:
    assert harness.bot.alerts is not None
    return harness.bot.alerts


# --------------------------------------------------------------------------- delivery


async def test_one_dm_per_user_grouped_by_alert_with_only_new_matches(
    subscribed: Harness, store: Store, rest: FakeRest
) -> None:
    """Days B and C imported after the alerts: each user gets one DM, grouped by alert, listing
    exactly the new matches (nothing from day A)."""
    await import_day(store, "2025-06-03", DAY_B)
    await import_day(store, "2025-06-04", DAY_C)
    results = await service(subscribed).tick()
    assert sorted((r.user_id, r.outcome) for r in results) == [
        (ALICE_ID, "sent"),
        (BOB_ID, "sent"),
    ]
    assert sorted(rest.opened_for()) == [ALICE_ID, BOB_ID]
    messages = rest.sent()
    assert len(messages) == 2
    by_user = dict(zip(rest.opened_for(), messages, strict=True))
    assert section_ids(by_user[ALICE_ID]) == {
        "“diffusion”": {"2506.00011"},
        "author Ann Lee": {"2506.00012"},
    }
    assert section_ids(by_user[BOB_ID]) == {"“확산 모델”": {"2506.00021"}}
    assert all(m["allowed_mentions"] == {"parse": []} for m in messages)


async def test_same_paper_never_sent_twice(
    subscribed: Harness, store: Store, rest: FakeRest
) -> None:
    """Re-importing day C, or a sent paper listed again on a later day, sends nothing more."""
    await import_day(store, "2025-06-03", DAY_B)
    await import_day(store, "2025-06-04", DAY_C)
    await service(subscribed).tick()
    sent = len(rest.sent())
    await import_day(store, "2025-06-04", DAY_C)
    await import_day(store, "2025-06-05", [DAY_B[0], DAY_C[0]])  # listed again
    await service(subscribed).tick()
    assert len(rest.sent()) == sent


async def test_no_dm_when_nothing_matched(
    subscribed: Harness, store: Store, rest: FakeRest
) -> None:
    """A new day with no match for anyone sends no DM (and opens no DM channel)."""
    await import_day(store, "2025-06-03", [("2506.00031", "Tabular Learning", "Han Yu")])
    results = await service(subscribed).tick()
    assert {r.outcome for r in results} == {"nothing"}
    assert rest.requests == []


async def test_new_papers_on_a_known_day_count(
    subscribed: Harness, store: Store, rest: FakeRest
) -> None:
    """A day refreshed with more papers (the API's hourly fetch) alerts on the added ones."""
    await import_day(store, "2025-06-02", [*DAY_A, ("2506.00041", "Diffusion Again", "Io Ra")])
    await service(subscribed).tick()
    (message,) = rest.sent()
    assert arxiv_ids(message) == {"2506.00041"}


async def test_failed_send_is_not_recorded_and_retried(
    subscribed: Harness, store: Store, rest: FakeRest
) -> None:
    """A 500 from Discord records nothing: the first tick after the backoff (at most 30 s
    after a first failure) sends the same DM."""
    await import_day(store, "2025-06-03", DAY_B)
    rest.fail[("POST", "/channels/{channel_id}/messages")] = (500, 0)
    results = await service(subscribed).tick()
    assert {r.user_id: r.outcome for r in results} == {ALICE_ID: "failed", BOB_ID: "nothing"}
    assert all(not a.paused for a in await store.alerts(ALICE_ID))
    rest.fail.clear()
    service(subscribed).clock = lambda: FIXED_NOW + dt.timedelta(seconds=30)
    await service(subscribed).tick()
    assert len(rest.sent()) == 2  # the failed attempt records its request too
    assert arxiv_ids(rest.sent()[-1]) == {"2506.00011", "2506.00012"}


# --------------------------------------------------------------------------- closed DMs


@pytest.mark.parametrize(
    "route", ["/users/@me/channels", "/channels/{channel_id}/messages"], ids=["open", "send"]
)
async def test_closed_dms_pause_and_the_next_command_says_so(
    subscribed: Harness, store: Store, rest: FakeRest, route: str
) -> None:
    """403/50007 (open or send): alerts kept but paused; the next command adds a private note,
    once; /alerts turns them back on."""
    await import_day(store, "2025-06-03", DAY_B)
    rest.fail[("POST", route)] = (403, 50007)
    results = await service(subscribed).tick()
    assert {r.outcome for r in results if r.user_id == ALICE_ID} == {"paused"}
    kept = await store.alerts(ALICE_ID)
    assert len(kept) == 2 and all(a.paused for a in kept)

    before = len(subscribed.discord.requests)
    result = await subscribed.command("today")
    await completion_notes(subscribed)
    notes = paused_notes(subscribed, before)
    assert result.sent and result.sent[0].embed["title"] != "Alerts paused"  # answered first
    assert len(notes) == 1 and notes[0].ephemeral and notes[0].kind == "followup"
    assert "2 alerts" in notes[0].embed["description"]

    before = len(subscribed.discord.requests)
    await subscribed.command("today")
    await completion_notes(subscribed)
    assert paused_notes(subscribed, before) == []  # told once

    listed = await alerts(subscribed, "list", context="dm")
    assert "on again" in listed.embed["description"]
    assert all(not a.paused for a in await store.alerts(ALICE_ID))


async def test_paused_user_does_not_block_others(
    subscribed: Harness, store: Store, rest: FakeRest
) -> None:
    """Alice's closed DMs do not stop Bob's DM."""
    await import_day(store, "2025-06-04", [*DAY_C, ("2506.00051", "Diffusion X", "Jo Lim")])
    rest.fail[("POST", "/users/@me/channels")] = (403, 50007)
    results = {r.user_id: r.outcome for r in await service(subscribed).tick()}
    assert results == {ALICE_ID: "paused", BOB_ID: "paused"}  # the route fails for everyone
    rest.fail.clear()
    await alerts(subscribed, "list", user=BOB)
    await import_day(store, "2025-06-05", [("2506.00061", "확산 모델 요약", "Ko Min")])
    results = {r.user_id: r.outcome for r in await service(subscribed).tick()}
    assert results == {BOB_ID: "sent"}
    assert all(a.paused for a in await store.alerts(ALICE_ID))


# --------------------------------------------------------------------------- restarts, imports


async def test_restart_sends_nothing_again(
    subscribed: Harness, store: Store, rest: FakeRest, db_path: Path
) -> None:
    """A new Store and a new bot on the same file send nothing already sent."""
    await import_day(store, "2025-06-03", DAY_B)
    await service(subscribed).tick()
    assert len(rest.sent()) == 1
    again = await Store.open(db_path)
    rest2 = FakeRest()
    bot2 = await make_harness(again, rest2)
    try:
        assert await service(bot2).tick() == []
        assert rest2.requests == []
    finally:
        await bot2.close()
        await again.close()


async def test_external_import_is_noticed(
    subscribed: Harness, rest: FakeRest, db_path: Path, tmp_path: Path
) -> None:
    """`papers-bot import` in another process (another Store on the file) is seen by the tick."""
    day_file = tmp_path / "2025-06-03.md"
    day_file.write_text(digest_text("2025-06-03", DAY_B), encoding="utf-8")
    other = await Store.open(db_path)
    try:
        summary = await import_paths(other, [day_file])
        assert summary is not None
    finally:
        await other.close()
    results = await service(subscribed).tick()
    assert {r.user_id: r.outcome for r in results} == {ALICE_ID: "sent", BOB_ID: "nothing"}
    assert arxiv_ids(rest.sent()[0]) == {"2506.00011", "2506.00012"}


async def test_watcher_started_and_stopped_with_the_bot(store: Store) -> None:
    """setup_hook starts the alerts watcher; close stops it; `sync` logins never start it."""
    bot = PapersBot(config=Config(), store=store, extensions=())
    await bot._async_setup_hook()
    await bot.setup_hook()
    assert bot.alerts is not None and bot.alerts.running
    watcher = bot.alerts
    await bot.close()
    assert not watcher.running
    quiet = PapersBot(config=Config(), store=store, extensions=(), run_scheduler=False)
    await quiet._async_setup_hook()
    await quiet.setup_hook()
    assert quiet.alerts is None
    await quiet.close()


# --------------------------------------------------------------------------- rendering


def _paper(n: int) -> Any:
    from storage.models import Appearance, Paper

    return Paper(
        arxiv_id=f"2506.{n:05d}",
        title=f"Paper {n} " + "x" * 150,
        url=f"https://arxiv.org/abs/2506.{n:05d}",
        authors=("A",),
        authors_truncated=False,
        votes=n,
        media=None,
        summary=(),
        days=(Appearance(dt.date(2025, 6, 3), n, n),),
    )


def test_dm_embed_stays_within_limits() -> None:
    """Many alerts with many papers: one embed within Discord's limits, the rest counted."""
    now = dt.datetime(2025, 6, 3, tzinfo=dt.UTC)
    matches = [
        AlertMatch(
            Alert(i, ALICE_ID, "keywords", f"topic {i} @everyone", f"topic {i}", now, 0),
            tuple(_paper(i * 100 + j) for j in range(30)),
        )
        for i in range(1, 26)
    ]
    embed = alert_dm_embed(matches)
    assert len(embed) <= 6000 and len(embed.description or "") <= 4096
    assert "… and" in (embed.description or "")
    first = (embed.description or "").split("\n\n")[0]
    assert first.count("arxiv.org/abs/") <= MAX_LINES_PER_ALERT


# --------------------------------------------------------------------------- the core alone


class FakeMessenger:
    """A core Messenger: records the matches it was given, or raises ``error``."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.sent: list[tuple[int, tuple[str, ...]]] = []

    async def send_alerts(self, user_id: int, matches: Any) -> None:
        if self.error is not None:
            raise self.error
        self.sent.append((user_id, tuple(p.arxiv_id for m in matches for p in m.papers)))


async def core_service(store: Store, messenger: FakeMessenger) -> AlertService:
    """An AlertService without Discord: one keyword alert, then day B imported."""
    now = dt.datetime(2025, 6, 3, tzinfo=dt.UTC)
    await import_day(store, "2025-06-02", DAY_A)
    await store.add_alert(ALICE_ID, "keywords", "diffusion", now=now)
    await import_day(store, "2025-06-03", DAY_B)
    return AlertService(store=store, messenger=messenger, clock=lambda: now)


async def test_core_sends_typed_matches(store: Store) -> None:
    """The service hands the messenger typed matches (papers), not rendered messages."""
    messenger = FakeMessenger()
    results = await (await core_service(store, messenger)).tick()
    assert [(r.user_id, r.outcome) for r in results] == [(ALICE_ID, "sent")]
    assert messenger.sent == [(ALICE_ID, ("2506.00011",))]


async def test_core_dm_closed_pauses(store: Store) -> None:
    """DmClosed from the messenger pauses the user's alerts."""
    results = await (await core_service(store, FakeMessenger(DmClosed()))).tick()
    assert [r.outcome for r in results] == ["paused"]
    assert all(a.paused for a in await store.alerts(ALICE_ID))


async def test_core_dm_failed_is_retried(store: Store) -> None:
    """DmFailed records nothing: the first tick after the backoff offers the same matches."""
    messenger = FakeMessenger(DmFailed())
    service = await core_service(store, messenger)
    assert [r.outcome for r in await service.tick()] == ["failed"]
    assert not any(a.paused for a in await store.alerts(ALICE_ID))
    messenger.error = None
    later = service.clock() + dt.timedelta(seconds=30)
    service.clock = lambda: later
    await service.tick()
    assert messenger.sent == [(ALICE_ID, ("2506.00011",))]


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (AlertLimitReached(25), "You have 25 alerts, the most allowed: remove one first."),
        (EmptyAlertQuery(), "Give some keywords or an author's name."),
    ],
)
def test_alert_errors_in_words(error: AlertError, words: str) -> None:
    """The store's typed alert errors are told in the /alerts words."""
    assert describe_error(error) == words


def test_keywords_without_words_are_empty_query() -> None:
    """Keywords that are only punctuation are EmptyQuery(ALERT_KEYWORDS)."""
    with pytest.raises(EmptyQuery) as raised:
        check_keywords(" ?! ")
    assert raised.value.what is Wanted.ALERT_KEYWORDS


# --------------------------------------------------------------------------- languages


async def test_dm_speaks_the_language_of_the_users_last_command(
    harness: Harness, store: Store, rest: FakeRest
) -> None:
    """An alert added from a Korean client is DMed in Korean; after a command from an English
    client, the next DM is in English."""
    await import_day(store, "2025-06-02", DAY_A)
    await alerts(harness, "add", keywords="diffusion", locale="ko")
    await import_day(store, "2025-06-03", DAY_B)
    await service(harness).tick()
    korean = rest.sent()[-1]["embeds"][0]
    assert korean["title"].startswith("알림에 맞는 새 논문")
    assert "새 논문 1편" in korean["description"]
    await harness.command("help", locale="en-US")
    await import_day(store, "2025-06-05", [("2506.00031", "Diffusion Again", "Hana Yu")])
    await service(harness).tick()
    english = rest.sent()[-1]["embeds"][0]
    assert english["title"].startswith("New papers for your alerts")


async def test_a_503_burst_on_the_dm_route_backs_off_and_delivers_once(
    subscribed: Harness, store: Store, rest: FakeRest
) -> None:
    """While the DM route answers 503, Alice's DM is tried ever more rarely (not every tick);
    when Discord recovers it goes out once, and later ticks send nothing more."""
    await import_day(store, "2025-06-03", DAY_B)
    watcher = service(subscribed)
    now = [FIXED_NOW]
    watcher.clock = lambda: now[0]
    rest.fail[("POST", "/channels/{channel_id}/messages")] = (503, 0)
    for _ in range(20):  # ten minutes of ticks
        await watcher.tick()
        now[0] += dt.timedelta(seconds=30)
    failed_tries = len(rest.sent())  # only Alice has new matches (Bob: nothing)
    assert 2 <= failed_tries <= 6
    rest.fail.clear()
    for _ in range(240):  # two hours: past the one-hour cap
        await watcher.tick()
        now[0] += dt.timedelta(seconds=30)
    delivered = rest.sent()[failed_tries:]
    assert len(delivered) == 1
    assert arxiv_ids(delivered[0]) == {"2506.00011", "2506.00012"}
