"""The bot owns the digest scheduler: started in setup_hook, stopped in close, not for sync."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.config import Config
from bot.discord_ui.client import PapersBot, sync_commands
from storage.sqlite.store import Store

TOKEN = "MTIzNDU2Nzg5.secret-token-value.XYZ"


async def test_setup_hook_starts_and_close_stops_scheduler(empty_store: Store) -> None:
    """setup_hook starts the digest scheduler (no fetch job without sources); close stops it."""
    bot = PapersBot(config=Config(), store=empty_store, extensions=())
    await bot._async_setup_hook()
    await bot.setup_hook()
    assert bot.digests is not None and bot.digests.running
    assert bot.digests.fetch is None
    await bot.digests.wait_started()
    await bot.close()
    assert not bot.digests.running


async def test_sync_never_starts_the_scheduler(
    empty_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`papers-bot sync` logs in only to sync: no digest is posted, nothing is fetched."""
    seen: list[Any] = []

    async def login(self: PapersBot, token: str) -> None:
        await self.setup_hook()
        seen.append(self.digests)

    async def sync(self: Any, *, guild: Any = None) -> list[Any]:
        return []

    monkeypatch.setattr(PapersBot, "login", login)
    monkeypatch.setattr("discord.app_commands.CommandTree.sync", sync)
    config = Config(database_path=tmp_path / "s.db", discord_token=TOKEN)
    assert await sync_commands(config, empty_store) == 0
    assert seen == [None]
