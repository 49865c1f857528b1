"""The digest scheduler: local times across DST, exactly once, grace window, broken channels.

Time is injected (a mutable clock); nothing sleeps. Posts go to fake channel objects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import discord
import pytest

from bot.core.digests import (
    DigestContent,
    DigestScheduler,
    PostFailed,
    PostProblem,
    RunCode,
    RunDetail,
    cron_trigger,
    job_id,
    last_fire_time,
)
from bot.discord_ui.digest import closes_digest, digest_messages, opens_digest, settings_embed
from bot.discord_ui.poster import ChannelPoster
from storage.ingest.parser import parse_digest
from storage.models import DigestRun, DigestSettings
from storage.sqlite.store import Store

SEOUL = "Asia/Seoul"
GUILD_A = 1001
GUILD_B = 1002
SAVED = dt.datetime(2024, 6, 1, 0, 0, tzinfo=dt.UTC)


def digest_text(day: str, count: int = 3, *, summary: str = "요약") -> str:
    blocks = []
    for n in range(1, count + 1):
        arxiv = f"2406.{int(day[-2:]):02d}{n:03d}"
        blocks.append(
            f"### [Paper {n} of {day} @everyone](https://arxiv.org/abs/{arxiv})\n\n"
            f"Vote: {n * 10}\n\nAuthors: A {n}, B {n}\n\n- ***What's New***: {summary} {n}\n"
        )
    return f"## Daily Papers ({day})\n\n" + "\n".join(blocks)


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


BOT_ID = 4242


class Crash(BaseException):
    """The process dying at that point (nothing after it runs)."""


class FakeMessage:
    def __init__(
        self, message_id: int, embeds: Sequence[discord.Embed] = (), author: int = BOT_ID
    ) -> None:
        self.id = message_id
        self.embeds = list(embeds)
        self.author = SimpleNamespace(id=author)
        self.deleted = False

    async def delete(self) -> None:
        self.deleted = True


def http_error(cls: type[discord.HTTPException], status: int, text: str) -> Exception:
    return cls(SimpleNamespace(status=status, reason=text), {"code": 0, "message": text})


class FakeChannel:
    """A text channel: records what was sent; can fail on the Nth message."""

    def __init__(
        self, channel_id: int, *, fail: BaseException | None = None, fail_at: int = 0
    ) -> None:
        self.id = channel_id
        self.fail = fail
        self.fail_at = fail_at
        self.sent: list[dict[str, Any]] = []
        self.messages: list[FakeMessage] = []
        self.history_error: Exception | None = None
        self.history_after: list[dt.datetime] = []
        self.on_send: Callable[[], Awaitable[None]] | None = None

    async def send(
        self, *, embeds: list[discord.Embed], allowed_mentions: Any, view: Any = None
    ) -> FakeMessage:
        if self.on_send is not None:
            await self.on_send()
        if self.fail is not None and len(self.sent) >= self.fail_at:
            raise self.fail
        self.sent.append({"embeds": embeds, "allowed_mentions": allowed_mentions})
        message = FakeMessage(self.id * 100 + len(self.sent), embeds)
        self.messages.append(message)
        return message

    async def history(
        self, *, limit: int, after: dt.datetime, oldest_first: bool
    ) -> AsyncIterator[FakeMessage]:
        """Like ``TextChannel.history``: the messages still there, oldest first."""
        self.history_after.append(after)
        if self.history_error is not None:
            raise self.history_error
        for message in [m for m in self.messages if not m.deleted][:limit]:
            yield message


class Channels:
    def __init__(self) -> None:
        self.by_id: dict[int, FakeChannel] = {}
        self.missing: set[int] = set()

    def add(self, channel: FakeChannel) -> FakeChannel:
        self.by_id[channel.id] = channel
        return channel

    async def resolve(self, channel_id: int) -> FakeChannel:
        if channel_id in self.missing:
            raise http_error(discord.NotFound, 404, "Unknown Channel")
        return self.by_id[channel_id]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = await Store.open(tmp_path / "papers.db")
    try:
        for day in ("2024-06-12", "2024-06-13"):
            await s.import_digest(parse_digest(digest_text(day), day))
        yield s
    finally:
        await s.close()


@pytest.fixture
def channels() -> Channels:
    return Channels()


def make(store: Store, channels: Channels, clock: Clock, **kwargs: Any) -> DigestScheduler:
    poster = ChannelPoster(channels.resolve, me=lambda: BOT_ID)
    return DigestScheduler(store=store, poster=poster, clock=clock, **kwargs)


async def configure(
    store: Store,
    guild: int = GUILD_A,
    *,
    channel: int = 7,
    at: dt.time = dt.time(9, 0),
    tz: str = SEOUL,
    count: int = 10,
    saved: dt.datetime = SAVED,
) -> DigestSettings:
    return await store.set_digest_settings(
        guild, channel_id=channel, post_time=at, timezone=tz, count=count, now=saved
    )


def seoul(y: int, m: int, d: int, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=ZoneInfo(SEOUL))


# -------------------------------------------------------------------------------- triggers


def fire_times(settings: DigestSettings, start: dt.datetime, n: int) -> list[dt.datetime]:
    trigger = cron_trigger(settings)
    found: list[dt.datetime] = []
    previous = None
    now = start
    for _ in range(n):
        fire = trigger.get_next_fire_time(previous, now)
        assert fire is not None
        found.append(fire)
        previous, now = fire, fire + dt.timedelta(seconds=1)
    return found


def test_trigger_keeps_local_time_across_dst_in_two_zones() -> None:
    """09:00 London and 18:00 New York stay at that local time when clocks go forward."""
    london = DigestSettings(1, 1, dt.time(9, 0), "Europe/London")
    utc = [
        f.astimezone(dt.UTC).hour
        for f in fire_times(london, dt.datetime(2025, 3, 29, tzinfo=dt.UTC), 3)
    ]
    assert utc == [9, 8, 8]  # BST starts 2025-03-30
    new_york = DigestSettings(2, 1, dt.time(18, 0), "America/New_York")
    fires = fire_times(new_york, dt.datetime(2025, 3, 8, tzinfo=dt.UTC), 3)
    assert [f.astimezone(ZoneInfo("America/New_York")).hour for f in fires] == [18, 18, 18]
    assert [f.astimezone(dt.UTC).hour for f in fires] == [23, 22, 22]  # EDT from 2025-03-09


def test_last_fire_time_is_today_or_yesterday() -> None:
    """Before today's time, the latest fire is yesterday's; after it, today's."""
    settings = DigestSettings(1, 1, dt.time(9, 0), SEOUL)
    assert last_fire_time(settings, seoul(2024, 6, 14, 8, 59)) == seoul(2024, 6, 13, 9)
    assert last_fire_time(settings, seoul(2024, 6, 14, 9, 0)) == seoul(2024, 6, 14, 9)


# -------------------------------------------------------------------------------- posting


async def test_due_run_posts_newest_day_once(store: Store, channels: Channels) -> None:
    """At the post time the newest day is posted, without pings, and recorded; a second fire
    the same day does nothing."""
    await configure(store)
    channel = channels.add(FakeChannel(7))
    clock = Clock(seoul(2024, 6, 14, 9, 0))
    scheduler = make(store, channels, clock)
    result = await scheduler.run_due(GUILD_A)
    assert (result.outcome, result.digest_date) == ("posted", dt.date(2024, 6, 13))
    assert len(channel.sent) == 1
    assert channel.sent[0]["allowed_mentions"].to_dict() == {"parse": []}
    assert "Jun 13, 2024" in channel.sent[0]["embeds"][0].title
    clock.now += dt.timedelta(hours=1)
    assert (await scheduler.run_due(GUILD_A)).outcome == "settled"
    assert len(channel.sent) == 1
    post = await store.last_digest_post(GUILD_A)
    assert post is not None and post.slot == dt.date(2024, 6, 14)


async def test_repeated_hour_when_clocks_go_back_posts_once(
    store: Store, channels: Channels
) -> None:
    """01:30 New York happens twice on 2025-11-02; the trigger fires twice, one post."""
    await configure(store, at=dt.time(1, 30), tz="America/New_York")
    channel = channels.add(FakeChannel(7))
    clock = Clock(dt.datetime(2025, 11, 2, 5, 31, tzinfo=dt.UTC))  # first 01:30 (EDT)
    scheduler = make(store, channels, clock)
    assert (await scheduler.run_due(GUILD_A)).outcome == "posted"
    clock.now = dt.datetime(2025, 11, 2, 6, 31, tzinfo=dt.UTC)  # second 01:30 (EST)
    assert (await scheduler.run_due(GUILD_A)).outcome == "settled"
    assert len(channel.sent) == 1


async def test_restart_after_posting_never_posts_again(store: Store, channels: Channels) -> None:
    """A new scheduler (a restart) later that day finds the slot posted and sends nothing."""
    await configure(store)
    channel = channels.add(FakeChannel(7))
    clock = Clock(seoul(2024, 6, 14, 9, 1))
    await make(store, channels, clock).run_due(GUILD_A)
    clock.now = seoul(2024, 6, 14, 10, 0)
    restarted = make(store, channels, clock)
    results = await restarted.catch_up()
    assert [r.outcome for r in results] == ["settled"]
    assert len(channel.sent) == 1


async def test_restart_within_grace_posts_on_start(store: Store, channels: Channels) -> None:
    """Down at 09:00, up at 11:00 with a 6 h grace window: the digest is posted at start-up."""
    await configure(store)
    channel = channels.add(FakeChannel(7))
    clock = Clock(seoul(2024, 6, 14, 11, 0))
    scheduler = make(store, channels, clock, grace=dt.timedelta(hours=6))
    await scheduler.start()
    try:
        await scheduler.wait_started()
    finally:
        await scheduler.stop()
    assert len(channel.sent) == 1
    run = await store.digest_run(GUILD_A, dt.date(2024, 6, 14))
    assert run is not None and run.outcome == "posted"


async def test_restart_after_grace_records_skip(store: Store, channels: Channels) -> None:
    """Up at 16:00 (7 h late, grace 6 h): nothing is posted and the skip is recorded."""
    await configure(store)
    channel = channels.add(FakeChannel(7))
    clock = Clock(seoul(2024, 6, 14, 16, 0))
    results = await make(store, channels, clock, grace=dt.timedelta(hours=6)).catch_up()
    assert [r.outcome for r in results] == ["skipped"]
    assert channel.sent == []
    run = await store.digest_run(GUILD_A, dt.date(2024, 6, 14))
    assert run is not None and run.outcome == "skipped"
    assert RunDetail.decode(run.detail) == RunDetail(
        RunCode.MISSED,
        fired_at=seoul(2024, 6, 14, 9),
        timezone=SEOUL,
        grace=dt.timedelta(hours=6),
    )
    # and a later restart the same day leaves it skipped
    clock.now += dt.timedelta(hours=1)
    assert [r.outcome for r in await make(store, channels, clock).catch_up()] == ["settled"]


async def test_slot_before_settings_saved_is_ignored(store: Store, channels: Channels) -> None:
    """Settings saved at 10:00 for 09:00: today's 09:00 is not caught up, nor skipped."""
    await configure(store, saved=seoul(2024, 6, 14, 10, 0))
    channels.add(FakeChannel(7))
    clock = Clock(seoul(2024, 6, 14, 10, 5))
    assert [r.outcome for r in await make(store, channels, clock).catch_up()] == ["settled"]
    assert await store.digest_run(GUILD_A, dt.date(2024, 6, 14)) is None


async def test_no_new_day_posts_nothing_and_records_skip(store: Store, channels: Channels) -> None:
    """The next day, with no new digest imported, nothing is posted; the skip is recorded."""
    await configure(store)
    channel = channels.add(FakeChannel(7))
    clock = Clock(seoul(2024, 6, 14, 9, 0))
    scheduler = make(store, channels, clock)
    await scheduler.run_due(GUILD_A)
    clock.now = seoul(2024, 6, 15, 9, 0)
    result = await scheduler.run_due(GUILD_A)
    assert result.outcome == "skipped"
    assert len(channel.sent) == 1
    run = await store.digest_run(GUILD_A, dt.date(2024, 6, 15))
    assert run is not None and run.outcome == "skipped" and run.detail == "nothing_new"


async def test_two_servers_one_lost_permission(store: Store, channels: Channels) -> None:
    """Server A's channel answers 403: A's error is recorded, B still gets its digest."""
    await configure(store, GUILD_A, channel=7)
    await configure(store, GUILD_B, channel=8)
    channels.add(FakeChannel(7, fail=http_error(discord.Forbidden, 403, "Missing Access")))
    good = channels.add(FakeChannel(8))
    clock = Clock(seoul(2024, 6, 14, 9, 0))
    results = await make(store, channels, clock).catch_up()
    assert [(r.guild_id, r.outcome) for r in results] == [(GUILD_A, "failed"), (GUILD_B, "posted")]
    assert len(good.sent) == 1
    settings = await store.digest_settings(GUILD_A)
    assert settings is not None and settings.last_error == "forbidden"
    run = await store.digest_run(GUILD_A, dt.date(2024, 6, 14))
    assert run is not None and run.outcome == "failed" and run.detail == "forbidden"
    assert await store.last_digest_post(GUILD_A) is None


async def test_deleted_channel_is_recorded_then_retried(store: Store, channels: Channels) -> None:
    """A deleted channel (404) is recorded; once fixed, a retry in the grace window posts."""
    await configure(store, channel=7)
    channels.missing.add(7)
    clock = Clock(seoul(2024, 6, 14, 9, 0))
    scheduler = make(store, channels, clock)
    assert (await scheduler.run_due(GUILD_A)).outcome == "failed"
    settings = await store.digest_settings(GUILD_A)
    assert settings is not None and settings.last_error == "channel_missing"
    channels.missing.clear()
    channel = channels.add(FakeChannel(7))
    clock.now += dt.timedelta(minutes=30)
    assert (await scheduler.run_due(GUILD_A)).outcome == "posted"
    assert len(channel.sent) == 1
    settings = await store.digest_settings(GUILD_A)
    assert settings is not None and settings.last_error is None


async def test_digest_failing_halfway_is_not_recorded(store: Store, channels: Channels) -> None:
    """A two-message digest whose second message fails: not recorded, first one deleted."""
    long = "긴 요약 " * 200
    await store.import_digest(parse_digest(digest_text("2024-06-14", 25, summary=long), "x"))
    await configure(store, count=25)
    channel = channels.add(
        FakeChannel(7, fail=http_error(discord.HTTPException, 500, "boom"), fail_at=1)
    )
    clock = Clock(seoul(2024, 6, 15, 9, 0))
    result = await make(store, channels, clock).run_due(GUILD_A)
    assert result.outcome == "failed"
    assert result.detail == RunDetail(RunCode.HTTP_ERROR, status=500)
    assert len(channel.sent) == 1 and channel.messages[0].deleted
    assert await store.last_digest_post(GUILD_A) is None
    assert await store.next_digest_day(GUILD_A) == dt.date(2024, 6, 14)


# ------------------------------------------------------------------ in flight across restarts


async def crash_after_send(store: Store, channels: Channels, clock: Clock) -> None:
    """Run the 09:00 slot in a process that dies after sending, before recording the post."""

    async def die(*args: Any, **kwargs: Any) -> bool:
        raise Crash

    first = make(store, channels, clock)
    original = store.record_digest_post
    store.record_digest_post = die  # type: ignore[method-assign]
    try:
        with pytest.raises(Crash):
            await first.run_due(GUILD_A)
    finally:
        store.record_digest_post = original  # type: ignore[method-assign]


async def test_normal_post_records_sending_before_and_posted_after(
    store: Store, channels: Channels
) -> None:
    """The slot is ``sending`` (day and time) while messages go out, then ``posted`` with the
    message ids; the last footer carries the digest marker."""
    await configure(store)
    channel = channels.add(FakeChannel(7))
    clock = Clock(seoul(2024, 6, 14, 9, 0))
    seen: list[Any] = []

    async def look() -> None:
        seen.append(await store.digest_run(GUILD_A, dt.date(2024, 6, 14)))

    channel.on_send = look
    assert (await make(store, channels, clock).run_due(GUILD_A)).outcome == "posted"
    assert [(r.outcome, r.digest_date, r.at) for r in seen] == [
        ("sending", dt.date(2024, 6, 13), clock.now)
    ]
    run = await store.digest_run(GUILD_A, dt.date(2024, 6, 14))
    assert run is not None and run.outcome == "posted"
    post = await store.last_digest_post(GUILD_A)
    assert post is not None and post.message_ids == (701,)
    footer = channel.sent[-1]["embeds"][-1].footer.text or ""
    assert footer.startswith("Daily Papers digest · 2024-06-13")
    assert channel.history_after == []  # nothing in flight: the history is not read


async def test_crash_after_send_restart_finds_post_and_does_not_repost(
    store: Store, channels: Channels
) -> None:
    """Died between sending and recording: the restart finds the bot's post in the channel's
    history (from shortly before the in-flight time), records it, and sends nothing."""
    await configure(store)
    channel = channels.add(FakeChannel(7))
    clock = Clock(seoul(2024, 6, 14, 9, 0))
    await crash_after_send(store, channels, clock)
    assert len(channel.sent) == 1
    in_flight = await store.digest_run(GUILD_A, dt.date(2024, 6, 14))
    assert in_flight is not None and in_flight.outcome == "sending"

    clock.now = seoul(2024, 6, 14, 9, 30)
    results = await make(store, channels, clock).catch_up()
    assert [(r.outcome, r.digest_date) for r in results] == [("posted", dt.date(2024, 6, 13))]
    assert len(channel.sent) == 1
    assert channel.history_after and channel.history_after[0] < seoul(2024, 6, 14, 9, 0)
    post = await store.last_digest_post(GUILD_A)
    assert post is not None and post.message_ids == (701,)
    run = await store.digest_run(GUILD_A, dt.date(2024, 6, 14))
    assert run is not None and run.outcome == "posted"
    clock.now += dt.timedelta(minutes=10)
    assert [r.outcome for r in await make(store, channels, clock).catch_up()] == ["settled"]
    assert len(channel.sent) == 1


async def test_crash_after_send_found_even_after_grace(store: Store, channels: Channels) -> None:
    """A restart past the grace window still records the post it finds, not a skip."""
    await configure(store)
    channel = channels.add(FakeChannel(7))
    clock = Clock(seoul(2024, 6, 14, 9, 0))
    await crash_after_send(store, channels, clock)
    clock.now = seoul(2024, 6, 14, 20, 0)
    scheduler = make(store, channels, clock, grace=dt.timedelta(hours=6))
    assert [r.outcome for r in await scheduler.catch_up()] == ["posted"]
    assert len(channel.sent) == 1
    run = await store.digest_run(GUILD_A, dt.date(2024, 6, 14))
    assert run is not None and run.outcome == "posted"


async def test_crash_before_any_send_restart_posts_once(store: Store, channels: Channels) -> None:
    """Died after marking the slot in flight but before anything was sent: the restart finds
    nothing in the channel and posts the digest once."""
    await configure(store)
    channel = channels.add(FakeChannel(7, fail=Crash()))
    clock = Clock(seoul(2024, 6, 14, 9, 0))
    with pytest.raises(Crash):
        await make(store, channels, clock).run_due(GUILD_A)
    assert channel.sent == []
    run = await store.digest_run(GUILD_A, dt.date(2024, 6, 14))
    assert run is not None and run.outcome == "sending"

    channel.fail = None
    clock.now = seoul(2024, 6, 14, 9, 30)
    results = await make(store, channels, clock).catch_up()
    assert [r.outcome for r in results] == ["posted"]
    assert len(channel.sent) == 1 and channel.history_after
    run = await store.digest_run(GUILD_A, dt.date(2024, 6, 14))
    assert run is not None and run.outcome == "posted"


async def test_someone_elses_copy_in_history_is_not_the_bots_post(
    store: Store, channels: Channels
) -> None:
    """Only the bot's own messages count: a copy of the digest by another user is ignored."""
    await configure(store)
    channel = channels.add(FakeChannel(7, fail=Crash()))
    clock = Clock(seoul(2024, 6, 14, 9, 0))
    with pytest.raises(Crash):
        await make(store, channels, clock).run_due(GUILD_A)
    copy = digest_messages(dt.date(2024, 6, 13), [])[0]
    channel.messages.append(FakeMessage(999, copy, author=1))
    channel.fail = None
    clock.now = seoul(2024, 6, 14, 9, 30)
    assert [r.outcome for r in await make(store, channels, clock).catch_up()] == ["posted"]
    assert len(channel.sent) == 1


async def test_history_forbidden_posts_once_and_logs(
    store: Store, channels: Channels, caplog: pytest.LogCaptureFixture
) -> None:
    """Without Read Message History the in-flight slot is posted anyway (at least once beats
    never), once, and the reason is logged."""
    await configure(store)
    channel = channels.add(FakeChannel(7, fail=Crash()))
    clock = Clock(seoul(2024, 6, 14, 9, 0))
    with pytest.raises(Crash):
        await make(store, channels, clock).run_due(GUILD_A)
    channel.fail = None
    channel.history_error = http_error(discord.Forbidden, 403, "Missing Access")
    clock.now = seoul(2024, 6, 14, 9, 30)
    with caplog.at_level("WARNING", logger="bot.core.digests"):
        results = await make(store, channels, clock).catch_up()
    assert [r.outcome for r in results] == ["posted"]
    assert len(channel.sent) == 1
    assert any("cannot read channel 7" in r.getMessage() for r in caplog.records)
    clock.now += dt.timedelta(minutes=10)
    assert [r.outcome for r in await make(store, channels, clock).catch_up()] == ["settled"]
    assert len(channel.sent) == 1


def test_digest_post_is_recognised_by_day() -> None:
    """The first message opens and the last closes the post of its own day only."""
    day = dt.date(2024, 6, 13)
    messages = digest_messages(day, [])
    assert opens_digest(messages[0], day) and closes_digest(messages[-1], day)
    other = dt.date(2024, 6, 12)
    assert not opens_digest(messages[0], other) and not closes_digest(messages[-1], other)


async def long_day(store: Store) -> None:
    """A 2024-06-14 digest whose 25 papers need two messages, posted 25 at a time."""
    long = "긴 요약 " * 200
    await store.import_digest(parse_digest(digest_text("2024-06-14", 25, summary=long), "x"))
    await configure(store, count=25)


async def test_whole_multi_message_post_found_with_every_id(
    store: Store, channels: Channels
) -> None:
    """A two-message post sent whole before the crash is recorded with both message ids."""
    await long_day(store)
    channel = channels.add(FakeChannel(7))
    clock = Clock(seoul(2024, 6, 15, 9, 0))
    await crash_after_send(store, channels, clock)
    assert len(channel.sent) == 2
    clock.now = seoul(2024, 6, 15, 9, 30)
    assert [r.outcome for r in await make(store, channels, clock).catch_up()] == ["posted"]
    assert len(channel.sent) == 2
    post = await store.last_digest_post(GUILD_A)
    assert post is not None and post.message_ids == (701, 702)


async def test_partly_sent_post_is_posted_again(store: Store, channels: Channels) -> None:
    """Died after the first of two messages: the post is not whole, so it is sent again, and
    the part left in the channel is deleted (only the whole post remains)."""
    await long_day(store)
    channel = channels.add(FakeChannel(7, fail=Crash(), fail_at=1))
    clock = Clock(seoul(2024, 6, 15, 9, 0))
    with pytest.raises(Crash):
        await make(store, channels, clock).run_due(GUILD_A)
    channel.messages[0].deleted = False  # a dead process deletes nothing
    channel.fail = None
    clock.now = seoul(2024, 6, 15, 9, 30)
    assert [r.outcome for r in await make(store, channels, clock).catch_up()] == ["posted"]
    assert len(channel.sent) == 3
    post = await store.last_digest_post(GUILD_A)
    assert post is not None and post.message_ids == (702, 703)
    assert [m.id for m in channel.messages if not m.deleted] == [702, 703]


async def test_start_builds_one_job_per_server_and_reschedules(
    store: Store, channels: Channels
) -> None:
    """start() adds a job per enabled server at its local time; reschedule() moves it at once;
    stop() stops the scheduler."""
    await configure(store, GUILD_A)
    await configure(store, GUILD_B, tz="Europe/London", at=dt.time(7, 15))
    await store.disable_digest(GUILD_B, now=SAVED)
    clock = Clock(seoul(2024, 6, 14, 8, 0))
    scheduler = make(store, channels, clock)
    await scheduler.start(catch_up=False)
    try:
        assert scheduler.scheduler.get_job(job_id(GUILD_A)) is not None
        assert scheduler.scheduler.get_job(job_id(GUILD_B)) is None
        next_run = scheduler.next_run(GUILD_A)
        assert next_run is not None
        assert next_run.astimezone(ZoneInfo(SEOUL)).time() == dt.time(9, 0)
        await configure(store, GUILD_A, at=dt.time(21, 45))
        moved = await scheduler.reschedule(GUILD_A)
        assert moved is not None and moved.astimezone(ZoneInfo(SEOUL)).time() == dt.time(21, 45)
        await store.disable_digest(GUILD_A, now=SAVED)
        assert await scheduler.reschedule(GUILD_A) is None
        assert scheduler.scheduler.get_job(job_id(GUILD_A)) is None
    finally:
        await scheduler.stop()
    assert not scheduler.running


# -------------------------------------------------------------------------------- rendering


def test_digest_messages_within_discord_limits() -> None:
    """25 papers with long summaries: every message <= 10 embeds and <= 6000 characters, every
    paper listed once, in order."""
    parsed = parse_digest(digest_text("2024-06-14", 25, summary="아주 긴 요약 " * 300), "x")
    from storage.models import Appearance, Paper

    papers = [
        Paper(
            p.arxiv_id,
            p.title,
            p.url,
            p.authors,
            False,
            p.votes,
            None,
            p.summary,
            (Appearance(parsed.date, p.position, p.votes),),
        )
        for p in parsed.papers
    ]
    messages = digest_messages(parsed.date, papers, total=30)
    text = ""
    for message in messages:
        assert 1 <= len(message) <= 10
        assert sum(len(e) for e in message) <= 6000
        for embed in message:
            assert len(embed.description or "") <= 4096
            text += embed.description or ""
    ranks = [int(r) for r in __import__("re").findall(r"\*\*(\d+)\.\*\*", text)]
    assert ranks == list(range(1, 26))
    assert "@everyone" not in text  # mentions are broken up
    assert "Top 25 of 30 papers" in (messages[-1][-1].footer.text or "")


async def test_channel_poster_sends_without_mentions() -> None:
    """ChannelPoster renders the digest, passes allowed_mentions=none and returns the ids."""
    channel = FakeChannel(3)

    async def resolve(channel_id: int) -> FakeChannel:
        return channel

    ids = await ChannelPoster(resolve).send(3, DigestContent(dt.date(2024, 6, 13), (), 0))
    assert ids == [301]
    assert all(s["allowed_mentions"].to_dict() == {"parse": []} for s in channel.sent)
    assert "Jun 13, 2024" in (channel.sent[0]["embeds"][0].title or "")


@pytest.mark.parametrize(
    ("error", "problem", "status"),
    [
        (http_error(discord.NotFound, 404, "Unknown Channel"), PostProblem.CHANNEL_MISSING, 404),
        (http_error(discord.Forbidden, 403, "Missing Access"), PostProblem.FORBIDDEN, 403),
        (http_error(discord.HTTPException, 503, "Unavailable"), PostProblem.REJECTED, 503),
        (discord.ClientException("closed"), PostProblem.OTHER, None),
    ],
)
async def test_channel_poster_maps_discord_errors(
    error: Exception, problem: PostProblem, status: int | None
) -> None:
    """A discord.py exception becomes PostFailed(problem, status), with it as the cause."""
    channel = FakeChannel(3, fail=error)

    async def resolve(channel_id: int) -> FakeChannel:
        return channel

    with pytest.raises(PostFailed) as raised:
        await ChannelPoster(resolve).send(3, DigestContent(dt.date(2024, 6, 13), (), 0))
    assert (raised.value.problem, raised.value.status) == (problem, status)
    assert raised.value.__cause__ is error


async def test_channel_poster_history_forbidden_is_post_failed() -> None:
    """An unreadable history is PostFailed(FORBIDDEN) from find_sent."""
    channel = FakeChannel(3)
    channel.history_error = http_error(discord.Forbidden, 403, "Missing Access")

    async def resolve(channel_id: int) -> FakeChannel:
        return channel

    with pytest.raises(PostFailed) as raised:
        await ChannelPoster(resolve).find_sent(3, dt.date(2024, 6, 13), after=SAVED)
    assert raised.value.problem is PostProblem.FORBIDDEN


@pytest.mark.parametrize(
    "detail",
    [
        RunDetail(RunCode.FORBIDDEN),
        RunDetail(RunCode.HTTP_ERROR, status=503),
        RunDetail(RunCode.MISSED, fired_at=SAVED, timezone=SEOUL, grace=dt.timedelta(hours=6)),
    ],
)
def test_run_detail_round_trips(detail: RunDetail) -> None:
    """What RunDetail.encode stores, decode reads back."""
    assert RunDetail.decode(detail.encode()) == detail


def test_run_detail_codes_are_short() -> None:
    """Stored details are codes, not sentences."""
    assert RunDetail(RunCode.HTTP_ERROR, status=503).encode() == "http_error:503"
    assert RunDetail(RunCode.CHANNEL_MISSING).encode() == "channel_missing"


def test_old_sentences_are_not_codes() -> None:
    """A sentence stored by an older version is not a code (it is shown as it is)."""
    assert RunDetail.decode("Discord refused the post (503: boom)") is None
    assert RunDetail.decode(None) is None


def show_text(settings: DigestSettings, run: DigestRun | None = None) -> str:
    embed = settings_embed(settings, tz=dt.UTC, next_run=None, last_post=None, last_run=run)
    return "\n".join(f"{f.name}: {f.value}" for f in embed.fields)


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (
            "channel_missing",
            "The digest channel no longer exists (or the bot cannot see it): choose another "
            "with /digest set",
        ),
        (
            "forbidden",
            "The bot lost permission to post in the digest channel (it needs View Channel, "
            "Send Messages and Embed Links)",
        ),
        ("http_error:503", "Discord refused the post (503)"),
        ("post_failed", "Posting failed"),
        ("an old sentence", "an old sentence"),
    ],
)
def test_show_says_last_error_in_words(code: str, words: str) -> None:
    """/digest show turns the stored error code into its sentence (old sentences as they are)."""
    settings = DigestSettings(1, 7, dt.time(9), SEOUL, last_error=code, last_error_at=SAVED)
    assert f"Last error: {words}\n" in show_text(settings)


def test_show_says_missed_slot_with_local_time_and_grace() -> None:
    """A missed slot reads as before: the local fire time with its zone, and the grace."""
    detail = RunDetail(
        RunCode.MISSED, fired_at=seoul(2024, 6, 14, 9), timezone=SEOUL, grace=dt.timedelta(hours=6)
    )
    run = DigestRun(1, dt.date(2024, 6, 14), "skipped", None, detail.encode(), SAVED)
    text = show_text(DigestSettings(1, 7, dt.time(9), SEOUL), run)
    assert (
        "Last run (2024-06-14): skipped: Missed: the bot was not running at 2024-06-14 09:00 KST "
        "and the 6:00:00 grace window has passed"
    ) in text


@pytest.mark.parametrize("detail", [None, "Sending the 2024-06-13 digest"])
def test_show_says_which_day_is_in_flight(detail: str | None) -> None:
    """A slot in flight names its digest day (with or without a stored detail)."""
    run = DigestRun(1, dt.date(2024, 6, 14), "sending", dt.date(2024, 6, 13), detail, SAVED)
    text = show_text(DigestSettings(1, 7, dt.time(9), SEOUL), run)
    assert "Last run (2024-06-14): sending: Sending the 2024-06-13 digest" in text


async def test_start_fetches_before_catching_up(store: Store, channels: Channels) -> None:
    """At start-up the fetch runs first, so a day it brings in is the one posted; the fetch
    job is scheduled on its interval."""
    await configure(store)
    channel = channels.add(FakeChannel(7))
    calls: list[str] = []

    async def fetch() -> None:
        calls.append("fetch")
        await store.import_digest(parse_digest(digest_text("2024-06-14"), "fetched"))

    clock = Clock(seoul(2024, 6, 14, 9, 30))
    scheduler = make(store, channels, clock, fetch=fetch, fetch_interval=dt.timedelta(hours=1))
    await scheduler.start()
    try:
        await scheduler.wait_started()
        assert scheduler.scheduler.get_job("fetch") is not None
        assert scheduler.scheduler.get_job("catch-up") is not None  # retries failed posts
    finally:
        await scheduler.stop()
    assert calls == ["fetch"]
    assert "Jun 14, 2024" in (channel.sent[0]["embeds"][0].title or "")


def test_summary_line_prefers_digest_bullet_then_ai_summary() -> None:
    """A digest's labelled bullet wins over the API's AI summary; an abstract-only paper shows
    the shorter AI summary."""
    import dataclasses

    from bot.discord_ui.digest import summary_line
    from storage.models import Bullet, Paper

    base = Paper("2406.00001", "T", "u", (), False, 1, None, (), ai_summary="Short AI text.")
    korean = dataclasses.replace(base, summary=(Bullet("What's New", "한국어"),))
    abstract = dataclasses.replace(base, summary=(Bullet(None, "Long abstract."),))
    assert summary_line(korean) == "한국어"
    assert summary_line(abstract) == "Short AI text."
