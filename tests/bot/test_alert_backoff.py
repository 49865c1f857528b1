"""Alert DM retries: per-user exponential backoff with jitter and a cap, on an injected clock."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import discord
import pytest
from digests import import_day

from bot.core.alerts import AlertMatch, AlertService, DmFailed
from bot.core.backoff import Backoff
from bot.discord_ui.alerts import ClientMessenger
from storage.sqlite.store import Store

START = dt.datetime(2025, 6, 3, tzinfo=dt.UTC)
ALICE, BOB = 1, 2
DAY_A = [("2506.00001", "Diffusion warmup", "Ann Lee")]
DAY_B = [("2506.00011", "Diffusion models again", "Ann Lee")]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


class FlakyMessenger:
    """Fails the first ``failures`` DMs of each user in ``flaky`` (DmFailed with
    ``retry_after``), then sends; records every attempt and every DM sent."""

    def __init__(self, failures: int, flaky: set[int], retry_after: float | None = None) -> None:
        self.failures = failures
        self.flaky = flaky
        self.retry_after = retry_after
        self.attempts: list[tuple[int, dt.datetime]] = []
        self.sent: list[tuple[int, tuple[str, ...]]] = []
        self.clock: Clock | None = None

    async def send_alerts(self, user_id: int, matches: Sequence[AlertMatch]) -> None:
        assert self.clock is not None
        self.attempts.append((user_id, self.clock()))
        tries = sum(1 for u, _ in self.attempts if u == user_id)
        if user_id in self.flaky and tries <= self.failures:
            raise DmFailed(retry_after=self.retry_after)
        self.sent.append((user_id, tuple(p.arxiv_id for m in matches for p in m.papers)))


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """Alice and Bob each have a keyword alert with one new match waiting."""
    async with await Store.open(tmp_path / "alerts.db") as opened:
        await import_day(opened, "2025-06-02", DAY_A)
        for user in (ALICE, BOB):
            await opened.add_alert(user, "keywords", "diffusion", now=START)
        await import_day(opened, "2025-06-03", DAY_B)
        yield opened


def service_for(store: Store, messenger: FlakyMessenger, clock: Clock) -> AlertService:
    messenger.clock = clock
    backoff: Backoff[int] = Backoff(base=30.0, cap=300.0, rng=random.Random(7))
    return AlertService(store=store, messenger=messenger, clock=clock, backoff=backoff)


async def run_for(service: AlertService, clock: Clock, seconds: float) -> None:
    """Tick every 30 s (the service's interval) for ``seconds``."""
    for _ in range(int(seconds // 30)):
        await service.tick()
        clock.advance(30)


def gaps(attempts: list[tuple[int, dt.datetime]], user: int) -> list[float]:
    times = [t for u, t in attempts if u == user]
    return [(b - a).total_seconds() for a, b in itertools.pairwise(times)]


async def test_failing_dms_back_off_exponentially_up_to_the_cap(store: Store) -> None:
    """Eight failures in a row are retried ever more rarely, never more often than every
    30 s and never less often than the cap (300 s) plus one tick."""
    clock = Clock()
    messenger = FlakyMessenger(8, {ALICE})
    await run_for(service_for(store, messenger, clock), clock, 3 * 3600)
    waits = gaps(messenger.attempts, ALICE)
    assert len(waits) == 8
    assert waits[:4] == sorted(waits[:4]) and waits[3] > waits[0]
    assert all(30 <= w <= 300 + 30 for w in waits)
    assert max(waits) > 150  # it did grow towards the cap


async def test_a_failing_dm_is_sent_once_in_the_end(store: Store) -> None:
    """After its failures the DM goes out exactly once, with the papers, and is not sent
    again on later ticks."""
    clock = Clock()
    messenger = FlakyMessenger(3, {ALICE})
    await run_for(service_for(store, messenger, clock), clock, 3600)
    assert [s for s in messenger.sent if s[0] == ALICE] == [(ALICE, ("2506.00011",))]


async def test_one_users_backoff_does_not_delay_others(store: Store) -> None:
    """Bob's DM goes out on the first tick while Alice's keeps failing."""
    clock = Clock()
    messenger = FlakyMessenger(5, {ALICE})
    await service_for(store, messenger, clock).tick()
    assert messenger.sent == [(BOB, ("2506.00011",))]


async def test_a_retry_after_is_waited_at_least(store: Store) -> None:
    """A DM refused with retry_after 120 s (a 429) is not tried again before 120 s."""
    clock = Clock()
    messenger = FlakyMessenger(1, {ALICE}, retry_after=120.0)
    await run_for(service_for(store, messenger, clock), clock, 600)
    assert gaps(messenger.attempts, ALICE)[0] >= 120


def test_success_resets_the_backoff() -> None:
    """After a success the next failure waits the base delay again, not the grown one."""
    backoff: Backoff[int] = Backoff(base=10.0, cap=1000.0, rng=random.Random(1))
    for _ in range(5):
        grown = backoff.failed(ALICE, START)
    backoff.succeeded(ALICE)
    assert grown > 10 >= backoff.failed(ALICE, START) >= 5


def test_jitter_spreads_users_apart() -> None:
    """Users failing at the same moment get different waits (jitter), each within
    [delay/2, delay]."""
    backoff: Backoff[int] = Backoff(base=60.0, cap=600.0, rng=random.Random(3))
    waits = {backoff.failed(user, START) for user in range(20)}
    assert len(waits) == 20
    assert all(30 <= w <= 60 for w in waits)


async def test_a_long_rate_limit_becomes_a_retry_after() -> None:
    """A 429 longer than discord.py waits by itself (discord.RateLimited) reaches the service as
    DmFailed with Discord's retry_after, so the backoff waits at least that long."""

    class LimitedClient:
        async def create_dm(self, user: object) -> object:
            raise discord.RateLimited(600.0)

    messenger = ClientMessenger(LimitedClient())  # type: ignore[arg-type]
    with pytest.raises(DmFailed) as failed:
        await messenger.send_alerts(ALICE, [])
    assert failed.value.retry_after == 600.0
