"""The summariser against a loopback chat-completions stand-in: answers, faults, untrusted text,
the claim (never twice), concurrency and the daily cap. Backoff sleeps are recorded, not slept."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import ConfigError, load_config
from bot.core.summaries import (
    BULLET_CHARS,
    RECENT_DAYS,
    TOTAL_CHARS,
    BackgroundSummaries,
    Summariser,
    SummaryFailure,
    SummarySettings,
    parse_bullets,
    retry_after,
)
from storage.ingest.hfapi import parse_daily_papers
from storage.sqlite.store import Store
from tests.harness.chat import GOOD_ANSWER, ChatStandIn, Reply, chat_server

DAY = dt.date(2026, 3, 6)
NOW = dt.datetime(2026, 3, 6, 12, 0, tzinfo=dt.UTC)
KEY = "sk-secret-key-123"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(tmp_path / "papers.db") as s:
        yield s


async def add_papers(store: Store, count: int) -> list[str]:
    ids = [f"2603.{n:05d}" for n in range(1, count + 1)]
    items: list[Any] = [
        {"paper": {"id": i, "title": f"Paper {i}", "summary": "An abstract.", "upvotes": 3}}
        for i in ids
    ]
    await store.import_api_digest(parse_daily_papers(items, DAY, source="hf"))
    return ids


class Sleeps(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def summariser(
    store: Store, chat: ChatStandIn, sleeps: Sleeps | None = None, **kw: Any
) -> Summariser:
    settings = SummarySettings(url=chat.url, model="m-ko", api_key=KEY, **kw)
    return Summariser(
        store, settings, clock=lambda: NOW, sleep=Sleeps() if sleeps is None else sleeps
    )


async def test_answer_stored_with_provenance(store: Store) -> None:
    """A normal answer becomes the paper's labelled bullets, with the model and the time."""
    (arxiv_id,) = await add_papers(store, 1)
    async with chat_server(Reply()) as chat:
        run = await summariser(store, chat).run()
    paper = await store.paper(arxiv_id)
    assert run.done == 1 and paper is not None and paper.generated is not None
    assert paper.generated.bullets[0].label == "What's New"
    assert (paper.generated.model, paper.generated.created_at) == ("m-ko", NOW)


async def test_request_carries_model_key_and_paper(store: Store) -> None:
    """The request names the model, sends the key as a Bearer token, and holds the abstract."""
    await add_papers(store, 1)
    async with chat_server(Reply()) as chat:
        await summariser(store, chat).run()
    assert chat.requests[0]["model"] == "m-ko"
    assert chat.headers[0]["Authorization"] == f"Bearer {KEY}"
    assert "An abstract." in chat.requests[0]["messages"][-1]["content"]


async def test_retry_after_honoured_on_429(store: Store) -> None:
    """A 429 with Retry-After waits that long, then the next request succeeds."""
    await add_papers(store, 1)
    sleeps = Sleeps()
    async with chat_server(Reply(status=429, headers={"Retry-After": "7"}), Reply()) as chat:
        run = await summariser(store, chat, sleeps).run()
    assert (run.done, sleeps) == (1, [7.0])


async def test_server_errors_back_off_exponentially(store: Store) -> None:
    """500s are retried after growing waits (with jitter) until an answer comes."""
    await add_papers(store, 1)
    sleeps = Sleeps()
    replies = [Reply(status=500), Reply(status=502), Reply()]
    async with chat_server(*replies) as chat:
        run = await summariser(store, chat, sleeps, backoff_seconds=1.0).run()
    assert run.done == 1 and len(sleeps) == 2
    assert 0.5 <= sleeps[0] <= 1.5 and 1.0 <= sleeps[1] <= 3.0


async def test_exhausted_retries_are_a_failed_attempt_retried_later(store: Store) -> None:
    """When every request fails the paper is not lost: a later run summarises it."""
    (arxiv_id,) = await add_papers(store, 1)
    async with chat_server(Reply(status=503)) as chat:
        first = await summariser(store, chat, requests=2).run()
    async with chat_server(Reply()) as chat:
        second = await summariser(store, chat).run()
    paper = await store.paper(arxiv_id)
    assert (first.failed, second.done) == (1, 1) and paper is not None and paper.generated


async def test_timeout_is_retried(store: Store) -> None:
    """An answer slower than the timeout is abandoned and asked again."""
    await add_papers(store, 1)
    async with chat_server(Reply(delay=1.0), Reply()) as chat:
        run = await summariser(store, chat, timeout_seconds=0.2).run()
    assert run.done == 1 and len(chat.requests) == 2


async def test_client_error_not_retried(store: Store) -> None:
    """A 401 (a wrong key) is one request, a failed attempt, no retry."""
    await add_papers(store, 1)
    async with chat_server(Reply(status=401)) as chat:
        run = await summariser(store, chat).run()
    assert run.failed == 1 and len(chat.requests) == 1


@pytest.mark.parametrize("body", ["not json", '{"choices": []}', '{"choices": [{"message": 3}]}'])
async def test_garbage_envelope_is_a_failed_attempt(store: Store, body: str) -> None:
    """An answer that is not the protocol's JSON is a failure, not a crash."""
    await add_papers(store, 1)
    async with chat_server(Reply(body=body, status=200)) as chat:
        run = await summariser(store, chat, requests=1).run()
    assert run.failed == 1


async def test_garbage_text_retried_a_bounded_number_of_times(store: Store) -> None:
    """Text without bullets fails the attempt; after ``attempts`` runs the paper is left."""
    await add_papers(store, 1)
    async with chat_server(Reply(content="I cannot help with that.")) as chat:
        for _ in range(4):
            await summariser(store, chat, attempts=2).run()
    assert len(chat.requests) == 2


async def test_mentions_and_links_are_neutralised(store: Store) -> None:
    """``@everyone``, user mentions and markdown links in the answer do not survive."""
    (arxiv_id,) = await add_papers(store, 1)
    hostile = (
        "- @everyone 보세요 [클릭](https://evil.example) <@123456789012345678>\n"
        "- **Label**: @here 둘째 `code` ~~strike~~\n- 셋째 ![img](https://x/y.png) 내용"
    )
    async with chat_server(Reply(content=hostile)) as chat:
        await summariser(store, chat).run()
    paper = await store.paper(arxiv_id)
    assert paper is not None and paper.generated is not None
    text = " ".join(b.text for b in paper.generated.bullets)
    for bad in ("@everyone", "@here", "<@", "](", "https://evil", "`", "~~"):
        assert bad not in text
    assert "클릭" in text


async def test_huge_answer_is_capped(store: Store) -> None:
    """A 20,000-character answer is stored within the per-bullet and total caps."""
    (arxiv_id,) = await add_papers(store, 1)
    huge = "\n".join(f"- {'가' * 4000}" for _ in range(5))
    async with chat_server(Reply(content=huge)) as chat:
        await summariser(store, chat).run()
    paper = await store.paper(arxiv_id)
    assert paper is not None and paper.generated is not None
    lengths = [len(b.text) for b in paper.generated.bullets]
    assert max(lengths) <= BULLET_CHARS and sum(lengths) <= TOTAL_CHARS


async def test_concurrent_runs_summarise_each_paper_once(store: Store, tmp_path: Path) -> None:
    """Two summarisers over the same database (two processes) ask for each paper once."""
    await add_papers(store, 6)
    async with (
        await Store.open(tmp_path / "papers.db") as other,
        chat_server(Reply(delay=0.05)) as chat,
    ):
        runs = await asyncio.gather(summariser(store, chat).run(), summariser(other, chat).run())
    assert sum(r.done for r in runs) == 6 and len(chat.requests) == 6


async def test_concurrency_is_bounded(store: Store) -> None:
    """No more requests are in flight than the configured concurrency."""
    await add_papers(store, 8)
    async with chat_server(Reply(delay=0.05)) as chat:
        await summariser(store, chat, concurrency=3).run()
    assert chat.most_in_flight == 3


async def test_daily_cap(store: Store) -> None:
    """Past the day's cap papers wait; the run says the cap was reached."""
    await add_papers(store, 3)
    async with chat_server(Reply()) as chat:
        run = await summariser(store, chat, daily_cap=2).run()
        again = await summariser(store, chat, daily_cap=2).run()
    assert (run.done, run.cap_reached, again.done) == (2, True, 0)


async def test_key_never_logged(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    """Failures and retries log reasons, never the API key."""
    await add_papers(store, 1)
    caplog.set_level(logging.DEBUG)
    async with chat_server(Reply(status=500), Reply(status=401)) as chat:
        await summariser(store, chat).run()
    assert caplog.records and KEY not in caplog.text


def test_fewer_than_three_bullets_is_garbage() -> None:
    """Two bullets are not a summary."""
    with pytest.raises(SummaryFailure):
        parse_bullets("- 하나\n- 둘")


def test_more_than_five_bullets_keeps_five() -> None:
    """Extra bullets beyond five are dropped."""
    assert len(parse_bullets("\n".join(f"- 항목 {n}" for n in range(8)))) == 5


def test_good_answer_labels_read() -> None:
    """``- **Label**: text`` lines keep their label apart from the text."""
    bullets = parse_bullets(GOOD_ANSWER)
    assert (
        bullets[2].label == "Performance Highlights" and bullets[2].text == "성능이 좋아졌습니다."
    )


def test_control_characters_stripped() -> None:
    """Control and invisible format characters (bidi overrides, zero-width) are removed."""
    (first, *_) = parse_bullets("- 가\u202e나\u200b다\x07\n- 둘째\n- 셋째")
    assert first.text == "가 나 다"


def test_retry_after_http_date() -> None:
    """Retry-After as an HTTP date is the seconds until then."""
    assert retry_after("Wed, 21 Oct 2015 07:28:10 GMT", 1445412480.0) == 10.0


def test_config_key_out_of_repr() -> None:
    """The API key is validated but never in the config's repr."""
    config = load_config(
        {"SUMMARY_API_URL": "http://x/v1", "SUMMARY_MODEL": "m", "SUMMARY_API_KEY": KEY},
        env_file=None,
    )
    assert config.summaries_enabled and KEY not in repr(config)


def test_config_url_needs_model() -> None:
    """A URL without a model is an error naming SUMMARY_MODEL."""
    with pytest.raises(ConfigError) as info:
        load_config({"SUMMARY_API_URL": "http://x/v1"}, env_file=None)
    assert info.value.variable == "SUMMARY_MODEL"


async def test_background_run_takes_recent_papers_only(store: Store) -> None:
    """The run after a fetch leaves papers listed more than a week ago to the backfill."""
    await add_papers(store, 1)
    later = NOW + dt.timedelta(days=RECENT_DAYS + 1)
    async with chat_server(Reply()) as chat:
        settings = SummarySettings(url=chat.url, model="m-ko")
        background = BackgroundSummaries(Summariser(store, settings, clock=lambda: later))
        background.kick()
        assert background.task is not None
        run = await background.task
    assert run is not None and run.done == 0 and chat.requests == []


async def test_background_run_then_refreshes_posts(store: Store) -> None:
    """After a run that summarised something, the ``then`` hook (the digest edit) runs."""
    await add_papers(store, 1)
    calls: list[int] = []

    async def then() -> None:
        calls.append(1)

    async with chat_server(Reply()) as chat:
        settings = SummarySettings(url=chat.url, model="m-ko")
        background = BackgroundSummaries(Summariser(store, settings, clock=lambda: NOW), then=then)
        background.kick()
        assert background.task is not None
        await background.task
    assert calls == [1]


def test_retry_after_that_is_no_ascii_number_is_not_read() -> None:
    """Digits of other scripts pass str.isdigit() but not float(): unreadable, no crash."""
    assert retry_after("³", 0.0) is None
    assert retry_after("٣", 0.0) is None
    assert retry_after("7", 0.0) == 7.0
