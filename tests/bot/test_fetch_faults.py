"""Hugging Face API faults end to end: a stand-in API on loopback answers 429 with
``Retry-After`` (seconds or an HTTP date), 5xx bursts, timeouts, bodies cut off mid-transfer and
malformed JSON, then recovers. The fetch job backs off exponentially with jitter and a cap,
waits what the API asked, reports each failure clearly, asks again for every day that failed
(however long the outage), and imports nothing twice. Sleeps are recorded, never slept."""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import random
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from backends import NewDatabase, raw_rows

from bot.cli import describe_fetch_outcome
from bot.config import Config
from bot.core.fetch import Fetcher, FetchNote, fetch_job_for, retry_after_seconds
from storage.backends import open_store
from storage.ports import Store

NOW = dt.datetime(2026, 3, 6, 12, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 3, 6)

Answer = Callable[[web.Request], Awaitable[web.StreamResponse]]


def item(arxiv_id: str, votes: int) -> dict[str, Any]:
    return {
        "paper": {
            "id": arxiv_id,
            "title": f"Paper {arxiv_id}",
            "authors": [{"name": "Ada Lovelace"}],
            "summary": f"Abstract of {arxiv_id}.",
            "upvotes": votes,
        }
    }


class FaultyApi:
    """``/api/daily_papers?date=D``: the faults queued for D first (one per request), then the
    day's papers (``[]`` for a day without any). Records every date asked."""

    def __init__(self) -> None:
        self.papers: dict[str, list[Any]] = {}
        self.faults: dict[str, deque[Answer]] = defaultdict(deque)
        self.requests: list[str] = []
        self.down = False  # every request answers 503 while set

    async def daily(self, request: web.Request) -> web.StreamResponse:
        date = request.query.get("date", "")
        self.requests.append(date)
        if self.down:
            return web.Response(status=503, text="down")
        if self.faults[date]:
            return await self.faults[date].popleft()(request)
        return web.json_response(self.papers.get(date, []))


def status(code: int, retry_after: str | None = None) -> Answer:
    async def answer(request: web.Request) -> web.StreamResponse:
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        return web.Response(status=code, text="busy", headers=headers)

    return answer


def malformed(request: web.Request) -> Awaitable[web.StreamResponse]:
    async def answer() -> web.StreamResponse:
        return web.Response(text='[{"paper": {"id": "26', content_type="application/json")

    return answer()


async def cut_off(request: web.Request) -> web.StreamResponse:
    """Promises 10,000 bytes, sends 20, then drops the connection."""
    response = web.StreamResponse(headers={"Content-Length": "10000"})
    response.content_type = "application/json"
    await response.prepare(request)
    await response.write(b'[{"paper": {"id": "2')
    assert request.transport is not None
    request.transport.close()
    return response


async def too_slow(request: web.Request) -> web.StreamResponse:
    await asyncio.sleep(5)
    return web.json_response([])


@pytest.fixture
async def api() -> AsyncIterator[tuple[FaultyApi, str]]:
    state = FaultyApi()
    app = web.Application()
    app.router.add_get("/api/daily_papers", state.daily)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield state, str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


#: Where each test's store is (a file or a URL), for counting rows beside it.
WHERE: dict[int, str] = {}


@pytest.fixture
async def store(new_database: NewDatabase) -> AsyncIterator[Store]:
    """A new, empty store on the test's backend (each test runs on SQLite and PostgreSQL)."""
    where = await new_database()
    async with await open_store(where) as s:
        WHERE[id(s)] = where
        yield s
        del WHERE[id(s)]


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


class Clock:
    def __init__(self, now: dt.datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def fetcher(store: Store, base: str, sleeps: Sleeps, **kwargs: Any) -> Fetcher:
    kwargs.setdefault("clock", lambda: NOW)
    kwargs.setdefault("attempts", 3)
    return Fetcher(store, hf_api_base=base, backoff=1.0, sleep=sleeps, **kwargs)


async def counts(store: Store) -> dict[str, int]:
    """How many rows the store holds of what a fetch writes (doubling would show here)."""
    where = WHERE[id(store)]
    tables = ("papers", "appearances", "digests", "vote_history", "paper_authors")
    return {
        table: (await raw_rows(where, f"SELECT count(*) FROM {table}"))[0][0] for table in tables
    }


# ------------------------------------------------------------------------------ Retry-After


async def test_429_retry_after_seconds_is_waited_then_imported(
    api: tuple[FaultyApi, str], store: Store
) -> None:
    """A 429 with ``Retry-After: 7`` waits 7 s (not the 1 s backoff), then imports the day."""
    state, base = api
    state.papers[DAY.isoformat()] = [item("2603.00001", 5)]
    state.faults[DAY.isoformat()].append(status(429, "7"))
    sleeps = Sleeps()
    (outcome,) = await fetcher(store, base, sleeps).run([DAY])
    assert outcome.ok and outcome.papers == 1
    assert sleeps.delays == [7.0]
    assert state.requests == [DAY.isoformat()] * 2


async def test_503_retry_after_http_date_is_waited(
    api: tuple[FaultyApi, str], store: Store
) -> None:
    """A 503 whose ``Retry-After`` is an HTTP date waits until then (by the injected clock)."""
    state, base = api
    when = email.utils.format_datetime(NOW + dt.timedelta(seconds=12), usegmt=True)
    state.faults[DAY.isoformat()].append(status(503, when))
    state.papers[DAY.isoformat()] = [item("2603.00001", 5)]
    sleeps = Sleeps()
    (outcome,) = await fetcher(store, base, sleeps).run([DAY])
    assert outcome.ok and sleeps.delays == [12.0]


def test_retry_after_values() -> None:
    """Seconds, HTTP dates (past ones are 0) and nonsense (ignored)."""
    past = email.utils.format_datetime(NOW - dt.timedelta(hours=1), usegmt=True)
    assert retry_after_seconds("30", NOW) == 30.0
    assert retry_after_seconds(past, NOW) == 0.0
    assert retry_after_seconds("soon", NOW) is None
    assert retry_after_seconds(None, NOW) is None


async def test_retry_after_longer_than_the_cap_is_left_to_a_later_run(
    api: tuple[FaultyApi, str], store: Store
) -> None:
    """``Retry-After: 3600`` (beyond the 60 s cap) is not slept through: the day is reported
    with the wait asked, and the next scheduled run asks for it again and imports it."""
    state, base = api
    state.faults[DAY.isoformat()].append(status(429, "3600"))
    state.papers[DAY.isoformat()] = [item("2603.00001", 5)]
    sleeps = Sleeps()
    f = fetcher(store, base, sleeps, backoff_cap=60.0)
    (outcome,) = await f.run([DAY])
    assert not outcome.ok and outcome.note is FetchNote.GAVE_UP
    assert outcome.retry_after == 3600.0 and sleeps.delays == []
    assert describe_fetch_outcome(outcome) == (
        "2026-03-06 hf: failed: HTTP 429 after 1 attempt, asked to retry after 3,600 s "
        "(asked for again on the next run)"
    )
    assert await store.is_empty()
    outcomes = await f.run()  # the scheduled run: the last three days, and the missed one
    assert [(o.date, o.ok, o.papers) for o in outcomes if o.papers] == [(DAY, True, 1)]
    assert f.missed == set()


# ------------------------------------------------------------------------------ backoff


async def test_5xx_burst_backs_off_exponentially_with_jitter_and_a_cap(
    api: tuple[FaultyApi, str], store: Store
) -> None:
    """Six 5xx answers in a row: the waits grow 1, 2, 4, 8, then stay at the 10 s cap, each
    jittered into its upper half; the seventh attempt imports the day."""
    state, base = api
    for code in (500, 502, 503, 504, 500, 503):
        state.faults[DAY.isoformat()].append(status(code))
    state.papers[DAY.isoformat()] = [item("2603.00001", 5)]
    sleeps = Sleeps()
    f = fetcher(store, base, sleeps, attempts=7, backoff_cap=10.0, rng=random.Random(3))
    (outcome,) = await f.run([DAY])
    assert outcome.ok and outcome.papers == 1
    for delay, step in zip(sleeps.delays, [1, 2, 4, 8, 10, 10], strict=True):
        assert step / 2 <= delay <= step
    assert max(sleeps.delays) <= 10.0


async def test_jitter_spreads_the_retries(api: tuple[FaultyApi, str], store: Store) -> None:
    """Two fetchers meeting the same burst do not retry in lockstep."""
    state, base = api
    delays = []
    for seed in (1, 2):
        for _ in range(3):
            state.faults[DAY.isoformat()].append(status(503))
        sleeps = Sleeps()
        await fetcher(store, base, sleeps, attempts=4, rng=random.Random(seed)).run([DAY])
        delays.append(sleeps.delays)
    assert delays[0] != delays[1]


# ------------------------------------------------------------------------------ bad bodies


async def test_cut_off_body_and_malformed_json_are_retried_then_imported_once(
    api: tuple[FaultyApi, str], store: Store
) -> None:
    """A body cut off mid-transfer and then truncated JSON are retried; the good answer that
    follows imports the day once (one paper, one appearance, one vote point)."""
    state, base = api
    state.faults[DAY.isoformat()].extend([cut_off, malformed])
    state.papers[DAY.isoformat()] = [item("2603.00001", 5), item("2603.00002", 9)]
    sleeps = Sleeps()
    (outcome,) = await fetcher(store, base, sleeps).run([DAY])
    assert outcome.ok and outcome.papers == 2 and len(sleeps.delays) == 2
    assert await counts(store) == {
        "papers": 2,
        "appearances": 2,
        "digests": 1,
        "vote_history": 2,
        "paper_authors": 2,
    }


async def test_timeouts_reported_then_recovered_on_the_next_run(
    api: tuple[FaultyApi, str], store: Store
) -> None:
    """An API slower than the timeout on every attempt: the day is reported (gave up after
    the attempts, a timeout) and the next run, the API back, imports it."""
    state, base = api
    state.faults[DAY.isoformat()].extend([too_slow, too_slow])
    state.papers[DAY.isoformat()] = [item("2603.00001", 5)]
    f = fetcher(store, base, Sleeps(), attempts=2, timeout=0.2)
    (outcome,) = await f.run([DAY])
    assert not outcome.ok and outcome.note is FetchNote.GAVE_UP and outcome.attempts == 2
    assert describe_fetch_outcome(outcome).startswith("2026-03-06 hf: failed: ")
    assert "after 2 attempts" in describe_fetch_outcome(outcome)
    assert (DAY in await f.missed_days()) and await store.is_empty()
    outcomes = await f.run()
    assert [o.papers for o in outcomes if o.date == DAY] == [1]


# ------------------------------------------------------------------------------ long outages


async def test_an_outage_longer_than_days_back_loses_no_day_and_doubles_nothing(
    api: tuple[FaultyApi, str], store: Store
) -> None:
    """The API is down (503) for five scheduled runs, a day apart, while five days of papers
    appear (more than the three days a run asks for). Once it recovers, one run imports every
    one of them; runs after that change no row."""
    state, base = api
    clock = Clock(NOW)
    f = fetcher(store, base, Sleeps(), clock=clock)
    days = [NOW.date() + dt.timedelta(days=i) for i in range(5)]
    state.down = True
    for i, day in enumerate(days):
        state.papers[day.isoformat()] = [item(f"2603.{i:05d}", 10 + i)]
        clock.now = NOW + dt.timedelta(days=i)
        assert not any(o.ok for o in await f.run())
    assert await store.is_empty()
    state.down = False
    clock.now = NOW + dt.timedelta(days=5)
    outcomes = await f.run()
    assert sorted(o.date for o in outcomes if o.papers) == days
    settled = await counts(store)
    assert settled == {
        "papers": 5,
        "appearances": 5,
        "digests": 5,
        "vote_history": 5,
        "paper_authors": 5,
    }
    await f.run()
    await f.run()
    assert await counts(store) == settled
    assert f.missed == set()


async def test_a_restart_during_an_outage_forgets_no_missed_day(
    api: tuple[FaultyApi, str], store: Store
) -> None:
    """The API is down for five daily runs and the process restarts (a new fetcher on the same
    store) before it recovers: the new process asks for every missed day too, from the store,
    though they are older than the days a run asks for; once read they are forgotten there."""
    state, base = api
    clock = Clock(NOW)
    days = [NOW.date() + dt.timedelta(days=i) for i in range(5)]
    state.down = True
    first = fetcher(store, base, Sleeps(), clock=clock)
    for i, day in enumerate(days):
        state.papers[day.isoformat()] = [item(f"2603.{i:05d}", 10 + i)]
        clock.now = NOW + dt.timedelta(days=i)
        assert not any(o.ok for o in await first.run())
    assert set(days) <= {day for _source, day in await store.fetch_misses()}
    state.down = False
    clock.now = NOW + dt.timedelta(days=5)
    restarted = fetcher(store, base, Sleeps(), clock=clock)  # nothing in its memory
    outcomes = await restarted.run()
    assert sorted(o.date for o in outcomes if o.papers) == days
    assert await store.fetch_misses() == set()
    assert (await counts(store))["papers"] == 5


async def test_the_scheduled_job_keeps_asking_for_a_missed_day(
    api: tuple[FaultyApi, str], store: Store, tmp_path: Path
) -> None:
    """The job the bot schedules (``fetch_job_for``) carries the missed days over to its
    next runs, the daily vote refresh included."""
    state, base = api
    config = Config(database_path=tmp_path / "papers.db", hf_api_base=base)
    clock = Clock(NOW - dt.timedelta(days=9))
    job = fetch_job_for(config, store, clock=clock, sleep=Sleeps())
    assert job is not None
    old = clock.now.date()
    state.faults[old.isoformat()].extend([status(503)] * 3)
    state.papers[old.isoformat()] = [item("2603.00001", 5)]
    first = await job()  # the first run of a day: the week's vote refresh
    assert [o.ok for o in first if o.date == old] == [False]
    clock.now = NOW  # nine days later: the missed day is outside both windows
    second = await job()
    assert [(o.ok, o.papers) for o in second if o.date == old] == [(True, 1)]
