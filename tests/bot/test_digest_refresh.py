"""A posted digest is edited once when the Korean summaries of its papers arrive after it."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.core.digests import DigestContent, DigestScheduler
from bot.discord_ui.poster import ChannelPoster
from storage.ingest.hfapi import parse_daily_papers
from storage.models import Bullet
from storage.sqlite.store import Store

DAY = dt.date(2026, 3, 6)
NOW = dt.datetime(2026, 3, 6, 12, 0, tzinfo=dt.UTC)
GUILD = 1001
CHANNEL = 7
IDS = ("2603.00001", "2603.00002")
KOREAN = (Bullet(None, "한국어 요약 첫째"), Bullet(None, "둘째"), Bullet(None, "셋째"))


class Message:
    def __init__(self, channel: Channel, message_id: int) -> None:
        self.channel = channel
        self.id = message_id

    async def edit(self, *, embeds: list[discord.Embed], allowed_mentions: Any) -> None:
        self.channel.edits.append((self.id, embeds, allowed_mentions))


class Channel:
    def __init__(self) -> None:
        self.sent: list[list[discord.Embed]] = []
        self.edits: list[tuple[int, list[discord.Embed], Any]] = []

    async def send(
        self, *, embeds: list[discord.Embed], allowed_mentions: Any, view: Any = None
    ) -> Message:
        self.sent.append(embeds)
        return Message(self, 500 + len(self.sent))

    def get_partial_message(self, message_id: int) -> Message:
        return Message(self, message_id)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(tmp_path / "papers.db") as s:
        items: list[Any] = [
            {"paper": {"id": i, "title": f"Paper {i}", "summary": "An abstract.", "upvotes": 3}}
            for i in IDS
        ]
        await s.import_api_digest(parse_daily_papers(items, DAY))
        await s.set_digest_settings(
            GUILD, channel_id=CHANNEL, post_time=dt.time(9), timezone="UTC", count=10, now=NOW
        )
        yield s


async def post_digest(store: Store, channel: Channel) -> DigestScheduler:
    """Post the day as the scheduler would, and record it; the scheduler to refresh it."""

    async def resolve(channel_id: int) -> Channel:
        return channel

    poster = ChannelPoster(resolve)
    page = await store.day_papers(DAY)
    ids = await poster.send(CHANNEL, DigestContent(DAY, page.items, page.total))
    await store.record_digest_post(GUILD, DAY, channel_id=CHANNEL, message_ids=ids, at=NOW)
    return DigestScheduler(store=store, poster=poster, clock=lambda: NOW)


async def summarise(store: Store, arxiv_id: str) -> None:
    await store.claim_summary(arxiv_id, at=NOW, max_attempts=3, stale_before=NOW)
    await store.record_summary(arxiv_id, KOREAN, model="m", at=NOW)


async def test_post_edited_once_when_every_summary_is_in(store: Store) -> None:
    """Once all its papers have Korean bullets, the post's message is edited to show them,
    without pings; a second refresh edits nothing."""
    channel = Channel()
    scheduler = await post_digest(store, channel)
    for arxiv_id in IDS:
        await summarise(store, arxiv_id)
    assert await scheduler.refresh_summaries() == 1
    assert await scheduler.refresh_summaries() == 0
    ((message_id, embeds, mentions),) = channel.edits
    assert message_id == 501 and "한국어 요약 첫째" in (embeds[0].description or "")
    assert mentions.to_dict() == {"parse": []}


async def test_post_waits_for_all_its_summaries(store: Store) -> None:
    """While a paper of the post still has no Korean bullets, the post is left alone (and its
    one edit is still to come)."""
    channel = Channel()
    scheduler = await post_digest(store, channel)
    await summarise(store, IDS[0])
    assert await scheduler.refresh_summaries() == 0
    assert channel.edits == []
    assert await store.claim_digest_refresh(GUILD, DAY, at=NOW)
