"""``/digest now`` claims the day's slot like the scheduled post (issue 17): a crash while it
sends is recovered without posting again, and the scheduled post of the same day does not
repost. A digest dated in the future is never posted. Time is injected; nothing sleeps."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from storage.ingest.parser import parse_digest
from storage.sqlite.store import Store
from tests.bot.test_scheduler import (
    GUILD_A,
    Channels,
    Clock,
    Crash,
    FakeChannel,
    configure,
    digest_text,
    make,
    seoul,
)

pytest_plugins = ["tests.bot.test_scheduler"]  # its store and channels fixtures

TODAY = dt.date(2024, 6, 14)


async def test_digest_now_claims_the_slot_so_the_scheduled_post_does_not_repost(
    store: Store, channels: Channels
) -> None:
    """Posted by hand at 08:00, the 09:00 post of the same day finds the slot posted."""
    await configure(store)
    channel = channels.add(FakeChannel(7))
    clock = Clock(seoul(2024, 6, 14, 8, 0))
    scheduler = make(store, channels, clock)
    result = await scheduler.post(GUILD_A)
    assert (result.outcome, result.digest_date) == ("posted", dt.date(2024, 6, 13))
    run = await store.digest_run(GUILD_A, TODAY)
    assert run is not None and run.outcome == "posted"
    # A newer day arrives before the scheduled time: the slot is still taken for today.
    await store.import_digest(parse_digest(digest_text("2024-06-14"), "2024-06-14"))
    clock.now = seoul(2024, 6, 14, 9, 0)
    assert (await scheduler.run_due(GUILD_A)).outcome == "settled"
    assert len(channel.sent) == 1


async def test_crash_during_digest_now_does_not_post_the_day_again(
    store: Store, channels: Channels
) -> None:
    """``/digest now`` dies after sending, before recording: the scheduled post (a restart
    later that day) finds the post in the channel, records it and sends nothing."""
    await configure(store)
    channel = channels.add(FakeChannel(7))
    clock = Clock(seoul(2024, 6, 14, 8, 0))

    async def die(*args: Any, **kwargs: Any) -> bool:
        raise Crash

    original = store.record_digest_post
    store.record_digest_post = die  # type: ignore[method-assign]
    try:
        with pytest.raises(Crash):
            await make(store, channels, clock).post(GUILD_A)
    finally:
        store.record_digest_post = original  # type: ignore[method-assign]
    assert len(channel.sent) == 1
    in_flight = await store.digest_run(GUILD_A, TODAY)
    assert in_flight is not None and in_flight.outcome == "sending"

    clock.now = seoul(2024, 6, 14, 9, 0)
    results = await make(store, channels, clock).catch_up()
    assert [(r.outcome, r.digest_date) for r in results] == [("posted", dt.date(2024, 6, 13))]
    assert len(channel.sent) == 1
    # and /digest now again finds nothing new to post
    assert (await make(store, channels, clock).post(GUILD_A)).outcome == "skipped"
    assert len(channel.sent) == 1


async def test_digest_now_again_after_a_crash_does_not_repost(
    store: Store, channels: Channels
) -> None:
    """Pressing ``/digest now`` again after the crash (not waiting for the schedule) also
    recovers the post from the channel instead of sending it a second time."""
    await configure(store)
    channel = channels.add(FakeChannel(7))
    clock = Clock(seoul(2024, 6, 14, 8, 0))

    async def die(*args: Any, **kwargs: Any) -> bool:
        raise Crash

    original = store.record_digest_post
    store.record_digest_post = die  # type: ignore[method-assign]
    try:
        with pytest.raises(Crash):
            await make(store, channels, clock).post(GUILD_A)
    finally:
        store.record_digest_post = original  # type: ignore[method-assign]
    clock.now = seoul(2024, 6, 14, 8, 5)
    result = await make(store, channels, clock).post(GUILD_A)
    assert (result.outcome, result.digest_date) == ("posted", dt.date(2024, 6, 13))
    assert len(channel.sent) == 1


async def test_digest_now_with_nothing_new_leaves_the_slot_to_the_schedule(
    store: Store, channels: Channels
) -> None:
    """Nothing new at 08:00 by hand: the slot is not settled, so a day arriving before 09:00
    is still posted by the schedule."""
    await configure(store)
    channel = channels.add(FakeChannel(7))
    clock = Clock(seoul(2024, 6, 14, 8, 0))
    scheduler = make(store, channels, clock)
    assert (await scheduler.post(GUILD_A)).outcome == "posted"  # 06-13
    assert (await scheduler.post(GUILD_A)).outcome == "skipped"  # nothing newer
    clock.now = seoul(2024, 6, 15, 7, 0)
    assert (await scheduler.post(GUILD_A)).outcome == "skipped"  # nothing new on the 15th
    await store.import_digest(parse_digest(digest_text("2024-06-14"), "2024-06-14"))
    clock.now = seoul(2024, 6, 15, 9, 0)
    result = await scheduler.run_due(GUILD_A)
    assert (result.outcome, result.digest_date) == ("posted", dt.date(2024, 6, 14))
    assert len(channel.sent) == 2


async def test_a_future_day_is_never_posted(store: Store, channels: Channels) -> None:
    """A digest dated 2099-12-31 in the store: the scheduled post and ``/digest now`` post the
    newest real day instead, and a later real day is still posted the next day."""
    await configure(store)
    channel = channels.add(FakeChannel(7))
    await store.import_digest(parse_digest(digest_text("2099-12-31"), "2099-12-31"))
    clock = Clock(seoul(2024, 6, 14, 9, 0))
    scheduler = make(store, channels, clock)
    result = await scheduler.run_due(GUILD_A)
    assert (result.outcome, result.digest_date) == ("posted", dt.date(2024, 6, 13))
    await store.import_digest(parse_digest(digest_text("2024-06-15"), "2024-06-15"))
    clock.now = seoul(2024, 6, 15, 9, 0)
    result = await scheduler.run_due(GUILD_A)
    assert (result.outcome, result.digest_date) == ("posted", dt.date(2024, 6, 15))
    assert len(channel.sent) == 2
    assert all("2099" not in (m["embeds"][0].title or "") for m in channel.sent)
