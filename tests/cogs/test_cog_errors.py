"""Error paths: expected failures are clear and ephemeral; unexpected ones apologise and log."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from harness import Harness

import bot.core.answers
from bot.core.errors import UnknownSort


def boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("database on fire")


async def test_unexpected_failure_after_defer_apologises_and_logs(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A crash after defer(): thinking message removed, ephemeral apology sent, error logged."""
    monkeypatch.setattr(bot.core.answers, "today", boom)
    with caplog.at_level(logging.ERROR, logger="bot.discord_ui.client"):
        result = await harness.command("today", count=3)
    assert result.requests[0].callback_type == 5
    assert result.ephemeral
    assert result.embed["title"] == "Something went wrong"
    assert result.last.allowed_mentions == {"parse": []}
    record = next(r for r in caplog.records if r.name == "bot.discord_ui.client")
    assert "/today" in record.getMessage()
    assert "'count': 3" in record.getMessage()
    assert record.exc_info is not None and "database on fire" in str(record.exc_info[1])


async def test_unexpected_failure_before_response_apologises(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A crash before any response: the apology is the (ephemeral) response itself."""
    monkeypatch.setattr(bot.core.answers, "paper", boom)
    with caplog.at_level(logging.ERROR, logger="bot.discord_ui.client"):
        result = await harness.command("paper", id="2406.06523")
    assert len(result.requests) == 1
    assert result.requests[0].callback_type == 4
    assert result.ephemeral
    assert "Sorry" in result.embed["description"]
    assert any(
        "/paper" in r.getMessage() and "2406.06523" in r.getMessage() for r in caplog.records
    )


async def test_user_error_after_defer_is_ephemeral_not_logged_as_error(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A core UserError is an expected failure: in words, ephemeral, no error log."""

    async def refuse(*args: Any, **kwargs: Any) -> Any:
        raise UnknownSort("random", ("relevance", "votes", "newest"))

    monkeypatch.setattr(bot.core.answers, "search", refuse)
    with caplog.at_level(logging.ERROR):
        result = await harness.command("search", query="anything")
    assert result.ephemeral
    assert result.embed["description"] == (
        "Unknown sort 'random': use one of relevance, votes, newest"
    )
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_button_failure_apologises_and_logs(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A crash while turning a page: an ephemeral apology, logged with the command name."""
    result = await harness.command("search", query="model")
    monkeypatch.setattr(bot.core.answers, "search", boom)
    with caplog.at_level(logging.ERROR):
        pressed = await harness.press(result.message_id, "pager:next")
    assert pressed.ephemeral
    assert pressed.embed["title"] == "Something went wrong"
    assert any("/search" in r.getMessage() for r in caplog.records)


async def test_autocomplete_failure_offers_no_choices(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A failing autocomplete answers with no choices (not "loading options failed") and logs."""
    monkeypatch.setattr(harness.bot.store, "suggest_authors", boom)
    with caplog.at_level(logging.ERROR):
        choices = await harness.autocomplete("author", "name", name="wa")
    assert choices == []
    assert any("authors" in r.getMessage() for r in caplog.records)


async def test_bad_date_in_search_is_ephemeral(harness: Harness) -> None:
    """A bad since/until date is an ephemeral message with the expected format."""
    result = await harness.command("search", query="model", since="yesterday")
    assert result.ephemeral
    assert "YYYY-MM-DD" in result.embed["description"]
