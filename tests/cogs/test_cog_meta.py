"""/help and the owner-only /sync through the real CommandTree."""

from __future__ import annotations

from typing import Any

import pytest
from harness import OWNER, Harness


async def test_help_lists_every_command_with_examples(harness: Harness) -> None:
    """/help names every public command with an example, ephemerally."""
    result = await harness.command("help")
    assert result.ephemeral
    names = [f["name"] for f in result.embed["fields"]]
    for command in ("today", "day", "top", "paper", "author", "search", "help"):
        assert f"/{command}" in names
    assert all("e.g. `/" in f["value"] for f in result.embed["fields"] if f["name"] != "Data")


async def test_help_credits_the_data_source(harness: Harness) -> None:
    """/help credits l-yohai/daily_papers_ko and its licence, CC BY-NC 4.0."""
    result = await harness.command("help", context="dm")
    assert "l-yohai/daily_papers_ko" in result.text
    assert "CC BY-NC 4.0" in result.text
    assert result.last.allowed_mentions == {"parse": []}


async def test_sync_refused_for_non_owner(harness: Harness) -> None:
    """/sync by anyone but the owner is refused ephemerally, even with Administrator."""
    result = await harness.command("sync", permissions="8")
    assert result.ephemeral
    assert "owner" in result.embed["description"]


@pytest.mark.parametrize(("scope", "expected"), [("guild", "this server"), ("global", "globally")])
async def test_sync_by_owner(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, scope: str, expected: str
) -> None:
    """The owner can sync to this server or globally; the reply is ephemeral."""
    calls: list[Any] = []

    async def fake_sync(*, guild: Any = None) -> list[Any]:
        calls.append(guild)
        return []

    monkeypatch.setattr(harness.bot.tree, "sync", fake_sync)
    result = await harness.command("sync", user=OWNER, scope=scope)
    assert result.ephemeral
    assert expected in result.embed["description"]
    assert len(calls) == 1
    assert (calls[0] is None) == (scope == "global")
