"""The digest sender as a process of its own, for the crash tests: the real
:class:`~bot.core.digests.DigestScheduler` and :class:`~bot.discord_ui.poster.ChannelPoster`
posting into channels kept in a file (one JSON line per message sent or deleted, flushed and
synced before the call returns, like a message Discord has accepted), so the test can SIGKILL
this process anywhere and read what every channel shows afterwards.

    python -m tests.harness.digest_proc DATABASE CHANNELS_FILE NOW_ISO [PAUSE_SECONDS]

runs one catch-up (every due server's digest) at the moment ``NOW_ISO`` and exits.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord

from bot.core.digests import DigestScheduler
from bot.discord_ui.poster import ChannelPoster
from storage.sqlite.store import Store

BOT_ID = 4242


def read_channels(path: Path) -> dict[int, list[dict[str, Any]]]:
    """Every channel's messages still there (not deleted), in order: ``{"id", "embeds"}``."""
    channels: dict[int, list[dict[str, Any]]] = {}
    deleted: set[int] = set()
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:  # the last line of a process killed while writing it
                continue
            if "delete" in record:
                deleted.add(record["delete"])
            else:
                channels.setdefault(record["channel"], []).append(record)
    return {
        channel: [m for m in messages if m["id"] not in deleted]
        for channel, messages in channels.items()
    }


def _append(path: Path, record: dict[str, Any]) -> None:
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()
        os.fsync(out.fileno())


@dataclass
class FileMessage:
    path: Path
    id: int
    embeds: list[discord.Embed]
    author: Any = field(default_factory=lambda: type("Author", (), {"id": BOT_ID})())

    async def delete(self) -> None:
        _append(self.path, {"delete": self.id})


class FileChannel:
    """A channel whose messages live in ``path`` (shared by every channel)."""

    def __init__(self, path: Path, channel_id: int, pause: float) -> None:
        self.path = path
        self.id = channel_id
        self.pause = pause

    async def send(self, *, embeds: list[discord.Embed], allowed_mentions: Any) -> FileMessage:
        await asyncio.sleep(self.pause)  # the round trip to Discord
        message_id = time.time_ns()
        _append(
            self.path,
            {"channel": self.id, "id": message_id, "embeds": [e.to_dict() for e in embeds]},
        )
        return FileMessage(self.path, message_id, embeds)

    async def history(
        self, *, limit: int, after: dt.datetime, oldest_first: bool
    ) -> AsyncIterator[FileMessage]:
        for record in read_channels(self.path).get(self.id, [])[:limit]:
            embeds = [discord.Embed.from_dict(e) for e in record["embeds"]]
            yield FileMessage(self.path, record["id"], embeds)


async def main(database: str, channels_file: str, now_iso: str, pause: float) -> None:
    now = dt.datetime.fromisoformat(now_iso)
    path = Path(channels_file)

    async def resolve(channel_id: int) -> FileChannel:
        return FileChannel(path, channel_id, pause)

    async with await Store.open(database) as store:
        scheduler = DigestScheduler(
            store=store,
            poster=ChannelPoster(resolve, me=lambda: BOT_ID),
            clock=lambda: now,
        )
        for result in await scheduler.catch_up():
            print(result.guild_id, result.outcome, result.digest_date, flush=True)


if __name__ == "__main__":
    asyncio.run(
        main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]) if sys.argv[4:] else 0.02)
    )
