"""Per-user rate limits: /search, /ask, DM questions and paging buttons, through the real tree."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from harness import ALICE, BOB, Harness

from bot.config import Config, Rate
from bot.discord_ui.limits import Limits, UserLimiter
from storage.sqlite.store import Store


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def limited(store: Store, clock: Clock) -> AsyncIterator[Harness]:
    """The bot allowing two questions and two button presses per user in 30 seconds."""
    made = await Harness.create(store)
    made.bot.limits = Limits(
        questions=UserLimiter(Rate(2, 30.0), clock=clock),
        buttons=UserLimiter(Rate(2, 30.0), clock=clock),
    )
    try:
        yield made
    finally:
        await made.close()


async def test_a_search_burst_is_told_when_to_retry(limited: Harness) -> None:
    """The third search in 30 seconds is refused privately, saying when to try again."""
    for _ in range(2):
        assert not (await limited.command("search", query="diffusion")).ephemeral
    refused = await limited.command("search", query="diffusion")
    assert refused.ephemeral
    assert refused.embed["description"] == "Slow down: try again in 30 seconds."
    assert refused.last.allowed_mentions == {"parse": []}


async def test_another_user_is_not_limited(limited: Harness) -> None:
    """One user's burst does not limit anyone else."""
    for _ in range(3):
        await limited.command("search", query="diffusion", user=ALICE)
    assert not (await limited.command("search", query="diffusion", user=BOB)).ephemeral


async def test_the_limit_lifts_after_the_wait(limited: Harness, clock: Clock) -> None:
    """Once the window has passed, the user is answered again."""
    for _ in range(3):
        await limited.command("search", query="diffusion")
    clock.now += 30.5
    assert not (await limited.command("search", query="diffusion")).ephemeral


async def test_ask_shares_the_question_limit(limited: Harness) -> None:
    """/search and /ask draw on the same per-user question limit."""
    await limited.command("search", query="diffusion")
    await limited.command("ask", question="diffusion papers")
    refused = await limited.command("ask", question="diffusion papers")
    assert refused.ephemeral
    assert "try again in 30 seconds" in refused.embed["description"]


async def test_similar_and_trends_share_the_question_limit(limited: Harness) -> None:
    """/similar and /trends cost a few queries (and a chart): they draw on the same limit."""
    await limited.command("similar", paper="2406.06523")
    await limited.command("trends", terms="diffusion")
    refused = await limited.command("trends", terms="diffusion")
    assert refused.ephemeral and not refused.last.files
    assert "try again in 30 seconds" in refused.embed["description"]


async def test_dm_questions_are_limited(limited: Harness) -> None:
    """A burst of questions in DMs gets "try again" for the third; the first two are answered."""
    answered = [await limited.message("diffusion papers") for _ in range(2)]
    assert all("try again" not in r.embed.get("description", "") for r in answered)
    refused = await limited.message("diffusion papers")
    assert refused.embed["description"] == "Slow down: try again in 30 seconds."
    assert refused.last.allowed_mentions == {"parse": [], "replied_user": False}


async def test_a_dm_flood_is_told_once(limited: Harness, clock: Clock) -> None:
    """Past the limit, the first question in DMs is told when to retry and the rest of the flood
    gets no reply (no reply storm); after the wait, questions are answered again."""
    for _ in range(2):
        await limited.message("diffusion papers")
    told = await limited.message("diffusion papers")
    assert told.embed["description"] == "Slow down: try again in 30 seconds."
    flood = [await limited.message("diffusion papers") for _ in range(5)]
    assert all(not r.sent for r in flood)
    clock.now += 30.5
    answered = await limited.message("diffusion papers")
    assert answered.sent and "try again" not in answered.embed.get("description", "")


async def test_button_presses_are_limited(limited: Harness) -> None:
    """Paging faster than the button limit is refused privately; the page stays."""
    message = (await limited.command("search", query="model")).message_id
    assert message is not None
    for _ in range(2):
        assert not (await limited.press(message, "pager:next")).ephemeral
    refused = await limited.press(message, "pager:next")
    assert refused.ephemeral
    assert refused.embed["description"] == "Slow down: try again in 30 seconds."


async def test_korean_users_are_told_in_korean(limited: Harness) -> None:
    """The refusal speaks the user's language."""
    for _ in range(2):
        await limited.command("search", query="diffusion", locale="ko")
    refused = await limited.command("search", query="diffusion", locale="ko")
    assert refused.embed["description"] == "요청이 너무 잦습니다: 30초 뒤에 다시 시도하십시오."


async def test_the_bot_takes_its_limits_from_the_config(store: Store) -> None:
    """QUESTION_RATE_LIMIT and BUTTON_RATE_LIMIT (Config) set the bot's limiters."""
    made = await Harness.create(store, config=Config(question_rate=Rate(1, 60.0)))
    try:
        assert made.bot.limits.questions.rate == Rate(1, 60.0)
        await made.command("search", query="diffusion")
        assert (await made.command("search", query="diffusion")).ephemeral
    finally:
        await made.close()
