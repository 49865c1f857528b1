"""Discord faults through discord.py's real request code: 429s (per route, global) and 5xx."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from harness import CHANNEL_ID, Harness
from harness.faults import Fault

from bot.core.digests import DigestContent, PostFailed
from bot.discord_ui.poster import ChannelPoster

CALLBACK = r"/interactions/\d+/[^/]+/callback$"
FOLLOWUP = r"/webhooks/\d+/[^/]+$"
ORIGINAL = r"/messages/@original$"
CHANNEL_MESSAGES = rf"^/channels/{CHANNEL_ID}/messages$"
DAY = dt.date(2025, 5, 9)


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """discord.py's waits, recorded and shortened (the tests do not sleep for real)."""
    waits: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(delay: float, result: object = None) -> object:
        if delay > 0:
            waits.append(delay)
        return await real_sleep(0, result)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    yield waits


@pytest.mark.parametrize("is_global", [False, True], ids=["route", "global"])
async def test_a_reply_hitting_429_is_sent_after_retry_after(
    harness: Harness, slept: list[float], is_global: bool
) -> None:
    """The reply to /today gets a 429 (per route or global): discord.py waits retry_after and
    sends it again; the user sees the answer once."""
    harness.discord.faults.add("POST", CALLBACK, Fault(429, retry_after=2.5, is_global=is_global))
    result = await harness.command("today")
    assert harness.discord.faults.answered and harness.discord.faults.answered[0][2] == 429
    assert 2.5 in slept
    assert result.embed["title"].startswith("Daily Papers")


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_a_followup_in_a_5xx_burst_is_sent_once(
    harness: Harness, slept: list[float], status: int
) -> None:
    """/search defers, then its answer meets two 5xx in a row: discord.py backs off (1 s, 3 s)
    and the answer arrives once."""
    harness.discord.faults.add("PATCH", ORIGINAL, Fault(status, times=2))
    harness.discord.faults.add("POST", FOLLOWUP, Fault(status, times=2))
    result = await harness.command("search", query="diffusion")
    assert [s for _, _, s in harness.discord.faults.answered] == [status, status]
    assert slept[:2] == [1, 3]
    answers = [r for r in result.sent if r.embeds and "diffusion" in str(r.embeds).lower()]
    assert len(answers) == 1


async def digest_content(harness: Harness, count: int) -> DigestContent:
    """The newest sample day's top ``count`` papers, as the scheduler hands them to a poster
    (enough papers for a digest of several messages)."""
    page = await harness.bot.store.day_papers(DAY, limit=count)
    return DigestContent(DAY, tuple(page.items), page.total)


def posted(harness: Harness) -> list[dict[str, Any]]:
    """The messages standing in the digest channel (sent and not deleted)."""
    return [
        m
        for mid, m in harness.discord.messages.items()
        if m["channel_id"] == str(CHANNEL_ID) and mid not in harness.discord.deleted
    ]


async def test_a_digest_post_in_a_502_burst_is_posted_once(
    harness: Harness, slept: list[float]
) -> None:
    """The digest's first message meets two 502s: discord.py retries it, and every message
    of the digest stands in the channel exactly once."""
    harness.discord.faults.add("POST", CHANNEL_MESSAGES, Fault(502, times=2))
    poster = ChannelPoster(_partial(harness))
    ids = await poster.send(CHANNEL_ID, await digest_content(harness, 25))
    assert len(ids) == len(set(ids)) == len(posted(harness)) >= 2
    assert slept[:2] == [1, 3]


async def test_a_digest_post_failing_with_503_leaves_nothing_then_posts_once(
    harness: Harness, slept: list[float]
) -> None:
    """A 503 on the second message fails the post (PostFailed, for the scheduler to record and
    retry): the first message is taken back; the retry posts the digest once, whole."""
    content = await digest_content(harness, 25)
    poster = ChannelPoster(_partial(harness))
    real = harness.discord._http_answer
    calls = [0]

    def answer_then_fault(route: Any, path: str, payload: Any) -> Any:
        calls[0] += 1
        if calls[0] == 1:  # after the first message went out, Discord starts failing
            harness.discord.faults.add("POST", CHANNEL_MESSAGES, Fault(503))
        return real(route, path, payload)

    harness.discord._http_answer = answer_then_fault  # type: ignore[method-assign]
    with pytest.raises(PostFailed) as failed:
        await poster.send(CHANNEL_ID, content)
    assert failed.value.status == 503
    assert posted(harness) == []
    harness.discord._http_answer = real  # type: ignore[method-assign]
    ids = await poster.send(CHANNEL_ID, content)
    assert sorted(int(m["id"]) for m in posted(harness)) == sorted(ids)


def _partial(harness: Harness) -> Any:
    async def resolve(channel_id: int) -> Any:
        return harness.bot.get_partial_messageable(channel_id)

    return resolve
