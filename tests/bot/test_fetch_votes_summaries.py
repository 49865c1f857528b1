"""Fetching with vote history and summaries: the HF API stand-in serves the fixture's real item
shape with votes changing across runs, missing fields and wrong types; the daily vote refresh;
`papers-bot fetch` summarising what it fetched; `papers-bot summarize`; the digest never waits."""

from __future__ import annotations

import argparse
import asyncio
import copy
import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot import cli
from bot.config import Config
from bot.core.fetch import VOTE_REFRESH_DAYS, Fetcher, fetch_job_for
from bot.core.summaries import BackgroundSummaries, Summariser, SummarySettings
from storage.sqlite.store import Store
from tests.harness.chat import Reply, chat_server

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "hf_daily_papers_sample.json"
NOW = dt.datetime(2026, 3, 6, 12, 0, tzinfo=dt.UTC)
DAY = "2026-03-06"


def real_item(votes: Any = 10, **changes: Any) -> dict[str, Any]:
    """The fixture's real item with ``upvotes`` and other paper fields changed."""
    data = copy.deepcopy(json.loads(FIXTURE.read_text(encoding="utf-8"))[0])
    data["paper"].update(upvotes=votes, **changes)
    return data


class HfApi:
    """Answers ``/api/daily_papers?date=`` from ``days``; records the dates asked."""

    def __init__(self) -> None:
        self.days: dict[str, list[Any]] = {}
        self.requests: list[str] = []

    async def daily(self, request: web.Request) -> web.Response:
        date = request.query.get("date", "")
        self.requests.append(date)
        return web.json_response(self.days.get(date, []))


@pytest.fixture
async def hf() -> AsyncIterator[tuple[HfApi, str]]:
    state = HfApi()
    app = web.Application()
    app.router.add_get("/api/daily_papers", state.daily)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield state, str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(tmp_path / "papers.db") as s:
        yield s


def fetcher(store: Store, base: str) -> Fetcher:
    return Fetcher(store, clock=lambda: NOW, hf_api_base=base)


async def test_changing_votes_become_a_vote_history(hf: tuple[HfApi, str], store: Store) -> None:
    """Votes rising then falling across fetches are each a point; a repeat adds none."""
    state, base = hf
    for votes in (10, 10, 14, 12):
        state.days[DAY] = [real_item(votes)]
        await fetcher(store, base).run([dt.date(2026, 3, 6)])
    points = await store.vote_history("2602.23229")
    paper = await store.paper("2602.23229")
    assert [p.votes for p in points] == [10, 14, 12]
    assert paper is not None and (paper.votes, paper.vote_rise) == (12, 2)


async def test_real_item_organisation_and_comments_stored(
    hf: tuple[HfApi, str], store: Store
) -> None:
    """The fixture's organisation and comment count reach the stored paper."""
    state, base = hf
    state.days[DAY] = [real_item()]
    await fetcher(store, base).run([dt.date(2026, 3, 6)])
    paper = await store.paper("2602.23229")
    assert paper is not None
    assert (paper.organization, paper.comments) == ("Multimedia and Human Understanding Group", 1)


async def test_missing_fields_and_wrong_types(hf: tuple[HfApi, str], store: Store) -> None:
    """Votes as text, keywords not a list, organisations not objects and no GitHub stars: the paper
    is stored without those values, and no vote point is invented."""
    state, base = hf
    broken = real_item("many", ai_keywords="not a list", organization="MHUG")
    del broken["paper"]["githubStars"]
    broken["numComments"] = None
    broken["organization"] = 7
    state.days[DAY] = [broken]
    await fetcher(store, base).run([dt.date(2026, 3, 6)])
    paper = await store.paper("2602.23229")
    assert paper is not None and paper.votes is None and paper.keywords == ()
    assert (paper.organization, paper.comments, paper.github_stars) == (None, None, None)
    assert await store.vote_history("2602.23229") == []


async def test_scheduled_job_refreshes_a_week_once_a_day(
    hf: tuple[HfApi, str], store: Store
) -> None:
    """The first scheduled fetch of a UTC day asks for the last 7 days; later ones the recent
    few; the ``after`` hook runs after each."""
    state, base = hf
    calls: list[int] = []
    config = Config(database_path=Path("unused.db"), hf_api_base=base)
    job = fetch_job_for(config, store, clock=lambda: NOW, after=lambda: calls.append(1))
    assert job is not None
    await job()
    first = len(state.requests)
    await job()
    assert first == VOTE_REFRESH_DAYS and len(state.requests) - first == 3
    assert calls == [1, 1]


async def test_cli_refresh_votes_asks_for_seven_days(
    hf: tuple[HfApi, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`papers-bot fetch --refresh-votes` fetches the last 7 days again."""
    state, base = hf
    config = Config(database_path=tmp_path / "cli.db", hf_api_base=base)
    args = argparse.Namespace(date=None, since=None, refresh_votes=True)
    assert await cli._fetch(args, config) == 0
    assert len(state.requests) == VOTE_REFRESH_DAYS


async def test_cli_fetch_summarises_what_it_fetched(
    hf: tuple[HfApi, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With a model configured, `papers-bot fetch` summarises the papers it fetched."""
    state, base = hf
    state.days[DAY] = [real_item()]
    async with chat_server(Reply()) as chat:
        config = Config(
            database_path=tmp_path / "cli.db",
            hf_api_base=base,
            summary_api_url=chat.url,
            summary_model="m-ko",
        )
        args = argparse.Namespace(date=dt.date(2026, 3, 6), since=None, refresh_votes=False)
        assert await cli._fetch(args, config) == 0
    assert "1 summarised with m-ko" in capsys.readouterr().out
    async with await Store.open(tmp_path / "cli.db") as s:
        paper = await s.paper("2602.23229")
    assert paper is not None and paper.generated is not None


async def test_cli_summarize_limit(
    store: Store, tmp_path: Path, hf: tuple[HfApi, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """`papers-bot summarize --limit 1` summarises one paper of those waiting."""
    state, base = hf
    second = real_item(3)
    second["paper"]["id"] = "2602.99999"
    state.days[DAY] = [real_item(), second]
    await fetcher(store, base).run([dt.date(2026, 3, 6)])
    async with chat_server(Reply()) as chat:
        config = Config(
            database_path=Path(store.path), summary_api_url=chat.url, summary_model="m-ko"
        )
        args = argparse.Namespace(since=None, limit=1)
        assert await cli._summarize_command(args, config) == 0
    assert len(chat.requests) == 1


def test_cli_summarize_without_model_exits_2(tmp_path: Path) -> None:
    """`papers-bot summarize` without SUMMARY_API_URL/SUMMARY_MODEL is an error, exit 2."""
    args = cli.build_parser().parse_args(["summarize", "--since", "2026-03-01", "--limit", "5"])
    assert args.handler is cli.cmd_summarize and args.limit == 5
    assert args.handler(args, Config(database_path=tmp_path / "x.db")) == 2


async def test_fetch_job_returns_before_slow_summaries(hf: tuple[HfApi, str], store: Store) -> None:
    """The fetch job (which the digest waits for at start-up) returns while a slow model is
    still summarising: the digest is never late because of the summariser."""
    state, base = hf
    state.days[DAY] = [real_item()]
    async with chat_server(Reply(delay=2.0)) as chat:
        settings = SummarySettings(url=chat.url, model="m-ko")
        background = BackgroundSummaries(Summariser(store, settings))
        config = Config(database_path=Path("unused.db"), hf_api_base=base)
        job = fetch_job_for(config, store, clock=lambda: NOW, after=background.kick)
        assert job is not None
        started = asyncio.get_running_loop().time()
        await job()
        assert asyncio.get_running_loop().time() - started < 1.5
        assert background.task is not None and not background.task.done()
        await background.stop()


async def test_votes_across_days_in_one_refresh(hf: tuple[HfApi, str], store: Store) -> None:
    """A paper listed on two days of one refresh, with votes rising from one day's answer to
    the next, gets one point per count, oldest day first; the rise counts from the first."""
    state, base = hf
    state.days["2026-03-05"] = [real_item(5)]
    state.days[DAY] = [real_item(9)]
    await fetcher(store, base).run([dt.date(2026, 3, 5), dt.date(2026, 3, 6)])
    paper = await store.paper("2602.23229")
    assert [p.votes for p in await store.vote_history("2602.23229")] == [5, 9]
    assert paper is not None and paper.vote_rise == 4
