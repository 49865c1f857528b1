"""The Discord messenger finds an alert DM its process sent before it died (by the papers' links
in the bot's own DMs after the claim), and says when the DM channel cannot be read."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import discord
import pytest

from bot.core.alerts import AlertMatch, DmClosed
from bot.discord_ui.alerts import ClientMessenger, alert_dm_embed
from bot.i18n.catalog import use_locale
from storage.models import Alert, Paper

BOT_ID = 77
AFTER = dt.datetime(2025, 5, 10, tzinfo=dt.UTC)


def match(arxiv_id: str) -> AlertMatch:
    alert = Alert(
        id=1,
        user_id=5,
        kind="keywords",
        query="diffusion",
        match_key="diffusion",
        created_at=AFTER,
        seen_seq=0,
    )
    paper = Paper(
        arxiv_id=arxiv_id,
        title=f"Paper {arxiv_id}",
        url=f"https://arxiv.org/abs/{arxiv_id}",
        authors=("Ada",),
        authors_truncated=False,
        votes=3,
        media=None,
        summary=(),
    )
    return AlertMatch(alert, (paper,), (1,))


class Channel:
    def __init__(self, messages: list[Any], error: Exception | None = None) -> None:
        self.messages = messages
        self.error = error
        self.after: list[dt.datetime] = []

    async def history(self, *, limit: int, after: dt.datetime) -> AsyncIterator[Any]:
        self.after.append(after)
        if self.error is not None:
            raise self.error
        for message in self.messages[:limit]:
            yield message


def client(channel: Channel) -> Any:
    async def create_dm(user: Any) -> Channel:
        return channel

    return SimpleNamespace(user=SimpleNamespace(id=BOT_ID), create_dm=create_dm)


def message(author: int, embed: discord.Embed) -> Any:
    return SimpleNamespace(author=SimpleNamespace(id=author), embeds=[embed])


async def test_the_bots_own_dm_listing_the_papers_is_found() -> None:
    """A DM by the bot listing the match's paper counts; one by someone else, or listing other
    papers, does not."""
    with use_locale("en"):
        sent = alert_dm_embed([match("2505.00002")])
        other = alert_dm_embed([match("2505.00009")])
    channel = Channel([message(BOT_ID + 1, sent), message(BOT_ID, other)])
    messenger = ClientMessenger(client(channel))  # type: ignore[arg-type]
    assert not await messenger.find_sent(5, [match("2505.00002")], after=AFTER)
    channel.messages.append(message(BOT_ID, sent))
    assert await messenger.find_sent(5, [match("2505.00002")], after=AFTER)
    assert channel.after == [AFTER, AFTER]


async def test_an_unreadable_dm_channel_is_a_typed_failure() -> None:
    """A DM channel the bot may not read any more pauses, like a failed DM."""
    error = discord.Forbidden(
        SimpleNamespace(status=403, reason="no"), {"code": 50007, "message": "no"}
    )
    messenger = ClientMessenger(client(Channel([], error)))  # type: ignore[arg-type]
    with pytest.raises(DmClosed):
        await messenger.find_sent(5, [match("2505.00002")], after=AFTER)
