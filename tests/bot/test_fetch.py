"""Fetching new days: the HF API parser, the fetcher against a local HTTP server, the watched
directory, and `papers-bot fetch`. Never the network; backoff sleeps are recorded, not slept."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot import cli
from bot.cli import describe_fetch_outcome
from bot.config import Config
from bot.core.fetch import Fetcher, FetchNote, FetchOutcome
from storage.ingest.hfapi import ApiDataError, parse_daily_papers
from storage.sqlite.store import Store

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "hf_daily_papers_sample.json"
NOW = dt.datetime(2026, 3, 6, 12, 0, tzinfo=dt.UTC)
GOOD_DAY = "2026-03-06"


def sample() -> list[dict[str, Any]]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def item(arxiv_id: str, votes: int, title: str = "A paper") -> dict[str, Any]:
    return {
        "paper": {
            "id": arxiv_id,
            "title": title,
            "authors": [{"name": "Ada Lovelace"}, {"name": "Alan Turing"}],
            "summary": f"Abstract of {arxiv_id}.",
            "upvotes": votes,
        },
        "title": title,
    }


# -------------------------------------------------------------------------------- parser


def test_parse_real_item_keeps_abstract_and_extras() -> None:
    """The real sample item: abstract as summary, votes, authors, and the API's extras."""
    digest = parse_daily_papers(sample(), dt.date(2026, 3, 6), source="x")
    (paper,) = digest.papers
    assert paper.arxiv_id == "2602.23229" and paper.votes == 10
    assert paper.title == "Large Multimodal Models as General In-Context Classifiers"
    assert paper.authors[:2] == ("Marco Garosi", "Matteo Farina") and len(paper.authors) == 5
    assert paper.summary[0].label is None
    assert paper.summary[0].text.startswith("Which multimodal model")
    assert paper.ai_summary and paper.ai_summary.startswith("Large Multimodal Models demonstrate")
    assert "in-context learning" in paper.keywords
    assert paper.github_repo == "https://github.com/marco-garosi/CIRCLE"
    assert paper.github_stars == 9
    assert paper.project_page == "https://circle-lmm.github.io/"
    assert paper.media is not None and paper.media.is_embeddable_image
    assert digest.date == dt.date(2026, 3, 6) and digest.problems == ()


def test_parse_reports_bad_items_and_keeps_the_rest() -> None:
    """Items without id/title or not objects are problems; good ones keep their order."""
    data = [item("2603.00001", 5), {"paper": {"title": "no id"}}, 7, item("2603.00002", 9)]
    digest = parse_daily_papers(data, dt.date(2026, 3, 6), source="x")
    assert [p.arxiv_id for p in digest.papers] == ["2603.00001", "2603.00002"]
    assert [p.position for p in digest.papers] == [1, 2]
    assert [problem.line for problem in digest.problems] == [2, 3]


def test_parse_rejects_non_list() -> None:
    """A response that is not a list at all raises ApiDataError."""
    with pytest.raises(ApiDataError):
        parse_daily_papers({"error": "nope"}, dt.date(2026, 3, 6))


# -------------------------------------------------------------------------------- server


class Api:
    """A local stand-in for huggingface.co: answers per date, counts requests."""

    def __init__(self) -> None:
        self.answers: dict[str, Callable[[], Any]] = {}
        self.requests: list[str] = []

    async def daily(self, request: web.Request) -> web.StreamResponse:
        date = request.query.get("date", "")
        self.requests.append(date)
        answer = self.answers.get(date)
        if answer is None:
            return web.json_response([])
        return await answer()


@pytest.fixture
async def api() -> AsyncIterator[tuple[Api, str]]:
    state = Api()
    app = web.Application()
    app.router.add_get("/api/daily_papers", state.daily)
    app.router.add_get("/digests/{name}", digest_file)
    server = TestServer(app)
    await server.start_server()
    try:
        yield state, str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


MARKDOWN = {
    "2026-03-05.md": (
        "## Daily Papers (2026-03-05)\n\n### [Markdown paper](https://arxiv.org/abs/2603.00009)\n"
        "\nVote: 3\n\n- ***What's New***: 요약\n"
    )
}


async def digest_file(request: web.Request) -> web.StreamResponse:
    text = MARKDOWN.get(request.match_info["name"])
    if text is None:
        raise web.HTTPNotFound()
    return web.Response(text=text, content_type="text/markdown")


def good(data: Any) -> Callable[[], Any]:
    async def answer() -> web.StreamResponse:
        return web.json_response(data)

    return answer


def status(code: int) -> Callable[[], Any]:
    async def answer() -> web.StreamResponse:
        return web.Response(status=code, text="oops")

    return answer


def malformed() -> Callable[[], Any]:
    async def answer() -> web.StreamResponse:
        return web.Response(text='[{"paper": {"id": "2603.', content_type="application/json")

    return answer


def slow(seconds: float) -> Callable[[], Any]:
    async def answer() -> web.StreamResponse:
        await asyncio.sleep(seconds)
        return web.json_response([])

    return answer


def assert_jittered(delays: list[float], nominal: list[float]) -> None:
    """Each delay is its nominal exponential step, jittered down to no less than half of it."""
    assert len(delays) == len(nominal)
    for delay, step in zip(delays, nominal, strict=True):
        assert step / 2 <= delay <= step


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = await Store.open(tmp_path / "papers.db")
    try:
        yield s
    finally:
        await s.close()


def fetcher(store: Store, base: str, sleeps: Sleeps, **kwargs: Any) -> Fetcher:
    kwargs.setdefault("attempts", 3)
    return Fetcher(store, clock=lambda: NOW, hf_api_base=base, backoff=1.0, sleep=sleeps, **kwargs)


async def test_good_day_is_imported_with_votes(api: tuple[Api, str], store: Store) -> None:
    """A good day from the API is imported: its papers, their votes, the abstract."""
    state, base = api
    state.answers[GOOD_DAY] = good([*sample(), item("2603.00001", 42)])
    outcomes = await fetcher(store, base, Sleeps()).run([dt.date(2026, 3, 6)])
    assert [(o.ok, o.papers, o.new_papers) for o in outcomes] == [(True, 2, 2)]
    page = await store.day_papers(dt.date(2026, 3, 6))
    assert [p.votes for p in page.items] == [42, 10]
    paper = await store.paper("2602.23229")
    assert paper is not None and paper.summary[0].text.startswith("Which multimodal")


async def test_refetch_updates_votes(api: tuple[Api, str], store: Store) -> None:
    """Fetching the same day again records that day's new votes."""
    state, base = api
    state.answers[GOOD_DAY] = good([item("2603.00001", 1)])
    f = fetcher(store, base, Sleeps())
    await f.run([dt.date(2026, 3, 6)])
    state.answers[GOOD_DAY] = good([item("2603.00001", 30)])
    await f.run([dt.date(2026, 3, 6)])
    paper = await store.paper("2603.00001")
    assert paper is not None and paper.votes == 30 and paper.days[0].votes == 30


async def test_recent_days_fetched_by_default(api: tuple[Api, str], store: Store) -> None:
    """A scheduled run asks for the last three days (UTC), oldest first."""
    state, base = api
    await fetcher(store, base, Sleeps()).run()
    assert state.requests == ["2026-03-04", "2026-03-05", "2026-03-06"]


async def test_malformed_day_retried_then_failed_nothing_stored(
    api: tuple[Api, str], store: Store
) -> None:
    """Truncated JSON is retried with backoff, then reported; nothing reaches the store."""
    state, base = api
    state.answers[GOOD_DAY] = malformed()
    sleeps = Sleeps()
    outcomes = await fetcher(store, base, sleeps).run([dt.date(2026, 3, 6)])
    assert [o.ok for o in outcomes] == [False]
    assert outcomes[0].note is FetchNote.BAD_RESPONSE
    assert describe_fetch_outcome(outcomes[0]).startswith("2026-03-06 hf: failed: bad response: ")
    assert state.requests.count(GOOD_DAY) == 3
    assert_jittered(sleeps.delays, [1.0, 2.0])
    assert await store.is_empty()


async def test_server_error_retried_with_backoff_then_failed(
    api: tuple[Api, str], store: Store
) -> None:
    """HTTP 500 is retried a bounded number of times with growing delays, then reported."""
    state, base = api
    state.answers[GOOD_DAY] = status(500)
    sleeps = Sleeps()
    outcomes = await fetcher(store, base, sleeps).run([dt.date(2026, 3, 6)])
    assert not outcomes[0].ok
    assert (outcomes[0].note, outcomes[0].reason, outcomes[0].attempts) == (
        FetchNote.GAVE_UP,
        "HTTP 500",
        3,
    )
    assert describe_fetch_outcome(outcomes[0]) == "2026-03-06 hf: failed: HTTP 500 after 3 attempts"
    assert state.requests.count(GOOD_DAY) == 3
    assert_jittered(sleeps.delays, [1.0, 2.0])
    assert await store.is_empty()


async def test_server_error_then_good_succeeds(api: tuple[Api, str], store: Store) -> None:
    """A 500 followed by a good answer imports the day on the retry."""
    state, base = api
    answers = iter([status(500), good([item("2603.00001", 4)])])
    state.answers[GOOD_DAY] = lambda: next(answers)()
    outcomes = await fetcher(store, base, Sleeps()).run([dt.date(2026, 3, 6)])
    assert outcomes[0].ok and outcomes[0].papers == 1


async def test_timeout_is_retried_then_reported(api: tuple[Api, str], store: Store) -> None:
    """A server slower than the timeout is retried, then reported; other days still import."""
    state, base = api
    state.answers["2026-03-05"] = slow(5)
    state.answers[GOOD_DAY] = good([item("2603.00001", 4)])
    f = fetcher(store, base, Sleeps(), attempts=2, timeout=0.2)
    outcomes = await f.run([dt.date(2026, 3, 5), dt.date(2026, 3, 6)])
    assert [o.ok for o in outcomes] == [False, True]
    assert state.requests.count("2026-03-05") == 2
    assert await store.latest_day() == dt.date(2026, 3, 6)


async def test_not_found_is_no_digest(api: tuple[Api, str], store: Store) -> None:
    """A 404 means no digest that day: not a failure, not retried."""
    state, base = api
    state.answers[GOOD_DAY] = status(404)
    outcomes = await fetcher(store, base, Sleeps()).run([dt.date(2026, 3, 6)])
    assert outcomes[0].ok and outcomes[0].papers == 0
    assert state.requests.count(GOOD_DAY) == 1


async def test_markdown_url_template(api: tuple[Api, str], store: Store) -> None:
    """DIGEST_URL_TEMPLATE days are parsed as markdown digests; a missing day is a 404."""
    _state, base = api
    f = Fetcher(store, clock=lambda: NOW, url_template=base + "/digests/{date}.md", sleep=Sleeps())
    outcomes = await f.run([dt.date(2026, 3, 5), dt.date(2026, 3, 6)])
    assert [(o.ok, o.papers) for o in outcomes] == [(True, 1), (True, 0)]
    assert await store.latest_day() == dt.date(2026, 3, 5)


# -------------------------------------------------------------------------------- watch dir


async def test_watch_dir_imports_new_and_changed_files_once(tmp_path: Path, store: Store) -> None:
    """New files are imported; unchanged ones are skipped; a changed one is imported again."""
    watch = tmp_path / "watch"
    watch.mkdir()
    path = watch / "2026-03-05.md"
    path.write_text(MARKDOWN["2026-03-05.md"], encoding="utf-8")
    f = Fetcher(store, clock=lambda: NOW, watch_dir=watch)
    first = await f.run([])
    assert [(o.ok, o.papers) for o in first] == [(True, 1)]
    assert await f.run([]) == []
    path.write_text(MARKDOWN["2026-03-05.md"].replace("Vote: 3", "Vote: 8"), encoding="utf-8")
    again = await f.run([])
    assert [(o.ok, o.papers) for o in again] == [(True, 1)]
    paper = await store.paper("2603.00009")
    assert paper is not None and paper.votes == 8


async def test_watch_dir_bad_file_reported_once(tmp_path: Path, store: Store) -> None:
    """A file that is not a digest is reported, and not read again until it changes."""
    watch = tmp_path / "watch"
    watch.mkdir()
    (watch / "notes.md").write_text("# just notes\n", encoding="utf-8")
    f = Fetcher(store, clock=lambda: NOW, watch_dir=watch)
    assert [o.ok for o in await f.run([])] == [False]
    assert await f.run([]) == []


# -------------------------------------------------------------------------------- cli


async def test_cli_fetch_date(
    api: tuple[Api, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`papers-bot fetch --date D` imports that day and prints what it did; exit 0."""
    state, base = api
    state.answers[GOOD_DAY] = good([item("2603.00001", 4)])
    config = Config(database_path=tmp_path / "cli.db", hf_api_base=base)
    args = argparse.Namespace(date=dt.date(2026, 3, 6), since=None)
    assert await cli._fetch(args, config) == 0
    out = capsys.readouterr().out
    assert "2026-03-06 hf: 1 paper (1 new)" in out
    assert state.requests == [GOOD_DAY]


async def test_cli_fetch_failure_exits_1(
    api: tuple[Api, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A day that cannot be fetched makes `papers-bot fetch` exit 1."""
    state, base = api
    state.answers[GOOD_DAY] = status(403)
    config = Config(database_path=tmp_path / "cli.db", hf_api_base=base)
    args = argparse.Namespace(date=dt.date(2026, 3, 6), since=None)
    assert await cli._fetch(args, config) == 1
    assert "failed" in capsys.readouterr().out


def test_cli_fetch_is_registered() -> None:
    """`fetch` is a subcommand with --date and --since (mutually exclusive)."""
    parser = cli.build_parser()
    args = parser.parse_args(["fetch", "--since", "2026-03-01"])
    assert args.handler is cli.cmd_fetch and args.since == dt.date(2026, 3, 1)
    with pytest.raises(SystemExit):
        parser.parse_args(["fetch", "--since", "2026-03-01", "--date", "2026-03-02"])


async def test_api_extras_reach_the_store(api: tuple[Api, str], store: Store) -> None:
    """A day fetched from the API keeps the GitHub repository, stars and project page."""
    state, base = api
    state.answers[GOOD_DAY] = good(sample())
    await fetcher(store, base, Sleeps()).run([dt.date(2026, 3, 6)])
    paper = await store.paper("2602.23229")
    assert paper is not None
    assert paper.github_stars == 9 and paper.project_page == "https://circle-lmm.github.io/"


D = dt.date(2026, 3, 6)


@pytest.mark.parametrize(
    ("outcome", "line"),
    [
        (FetchOutcome("hf", D, True, papers=2, new_papers=1), "2026-03-06 hf: 2 papers (1 new)"),
        (
            FetchOutcome("hf", D, True, note=FetchNote.NO_PAPERS),
            "2026-03-06 hf: no papers that day",
        ),
        (
            FetchOutcome("url", D, True, note=FetchNote.NOT_FOUND),
            "2026-03-06 url: no digest for that day (404)",
        ),
        (FetchOutcome("/w/a.md", None, True, note=FetchNote.UNCHANGED), "- /w/a.md: unchanged"),
        (FetchOutcome("/w/a.md", None, True), "- /w/a.md: nothing"),
        (
            FetchOutcome("hf", D, False, note=FetchNote.HTTP_STATUS, status=403, url="https://x"),
            "2026-03-06 hf: failed: HTTP 403 from https://x",
        ),
        (
            FetchOutcome.failed("hf", D, FetchNote.NOT_STORED, "disk full"),
            "2026-03-06 hf: failed: could not store: disk full",
        ),
        (
            FetchOutcome.failed("/w/a.md", None, FetchNote.UNREADABLE, "denied"),
            "- /w/a.md: failed: cannot read: denied",
        ),
        (
            FetchOutcome.failed("/w/a.md", None, FetchNote.NOT_A_DIGEST, "a.md:1: no heading"),
            "- /w/a.md: failed: a.md:1: no heading",
        ),
    ],
)
def test_fetch_outcome_in_words(outcome: FetchOutcome, line: str) -> None:
    """`papers-bot fetch` prints each typed outcome as one line."""
    assert describe_fetch_outcome(outcome) == line
