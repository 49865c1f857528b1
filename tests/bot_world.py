"""Databases for tests with real bot processes (tests/gateway): a digest day, servers whose
digest is due, alerts, and days imported while the bot runs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from digests import PaperSpec, import_day

from storage.backends import open_store

DAY = "2025-05-09"
PAPERS: list[PaperSpec] = [
    ("2505.00001", "Loopback Diffusion", "Ada Lovelace"),
    ("2505.00002", "Gateway Transformers", "Alan Turing"),
]


async def prepare_database(
    path: str | Path,
    *,
    guilds: Mapping[int, int],
    days: Iterable[tuple[str, Sequence[PaperSpec]]] = ((DAY, PAPERS),),
    alerts: Iterable[tuple[int, str]] = (),
    after_alerts: Iterable[tuple[str, Sequence[PaperSpec]]] = (),
) -> None:
    """The database at ``path`` (a SQLite file, or a PostgreSQL URL of the ``database``
    fixture) with ``days`` imported; for each guild a digest in its channel whose time
    (UTC) passed an hour ago, saved two hours ago, so the bot's start-up catch-up posts it;
    keyword ``alerts`` (user, keywords) added after those days, then ``after_alerts`` days
    imported (their matches are what the alerts DM)."""
    now = dt.datetime.now(dt.UTC)
    store = await open_store(path)
    try:
        for day, papers in days:
            await import_day(store, day, papers)
        for guild_id, channel_id in guilds.items():
            await store.set_digest_settings(
                guild_id,
                channel_id=channel_id,
                post_time=(now - dt.timedelta(hours=1)).time().replace(second=0, microsecond=0),
                timezone="UTC",
                count=10,
                now=now - dt.timedelta(hours=2),
            )
        for user_id, keywords in alerts:
            await store.add_alert(user_id, "keywords", keywords, now=now, language="en")
        for day, papers in after_alerts:
            await import_day(store, day, papers)
    finally:
        await store.close()


async def import_more(path: str | Path, day: str, papers: Sequence[PaperSpec]) -> None:
    """Import one more day into the bot's database while it runs (as ``papers-bot import``)."""
    store = await open_store(path)
    try:
        await import_day(store, day, papers)
    finally:
        await store.close()
