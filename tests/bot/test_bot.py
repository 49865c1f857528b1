"""bot.discord_ui.client: the Bot subclass's lifecycle, and run and sync (no network)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import discord
import pytest
from discord import app_commands

from bot.__main__ import main
from bot.config import VARIABLES, Config
from bot.discord_ui.client import EXTENSIONS, PapersBot, interaction_options, run_bot, sync_commands
from storage.sqlite.store import Store

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.SECRET.do-not-print-this-token"
GUILD = 123_456_789_012_345_678


@pytest.fixture
def synced(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Record CommandTree.sync calls instead of calling Discord."""
    calls: list[Any] = []

    async def fake_sync(self: app_commands.CommandTree, *, guild: Any = None) -> list[Any]:
        calls.append(guild)
        return []

    monkeypatch.setattr(app_commands.CommandTree, "sync", fake_sync)
    return calls


@pytest.fixture
def rejected_login(monkeypatch: pytest.MonkeyPatch) -> None:
    """Discord answers the login with 401: discord.py raises LoginFailure."""

    async def static_login(self: Any, token: str) -> Any:
        raise discord.LoginFailure("Improper token has been passed.")

    monkeypatch.setattr(discord.http.HTTPClient, "static_login", static_login)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """No bot variables in the environment and no .env (cwd is an empty tmp_path).

    main() installs a root log handler on the (captured) stderr; it is removed afterwards so
    later tests do not log to a closed stream.
    """
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield tmp_path
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


async def make_bot(store: Store, config: Config | None = None, **options: Any) -> PapersBot:
    bot = PapersBot(config=config or Config(), store=store, **options)
    await bot._async_setup_hook()
    return bot


# -------------------------------------------------------------------------------- the Bot


async def test_no_privileged_intents(empty_store: Store) -> None:
    """The bot asks for no privileged intent (members, presences, message content)."""
    bot = await make_bot(empty_store)
    assert not bot.intents.members
    assert not bot.intents.presences
    assert not bot.intents.message_content
    await bot.close()


async def test_bot_pings_no_one_by_default(empty_store: Store) -> None:
    """The Bot-level allowed_mentions pings no one."""
    bot = await make_bot(empty_store)
    assert bot.allowed_mentions is not None
    assert bot.allowed_mentions.to_dict() == {"parse": []}
    await bot.close()


async def test_setup_hook_loads_every_cog(empty_store: Store, synced: list[Any]) -> None:
    """setup_hook loads every extension in the tuple and does not sync without a guild id."""
    bot = await make_bot(empty_store)
    await bot.setup_hook()
    assert set(bot.extensions) == set(EXTENSIONS)
    assert {c.name for c in bot.tree.get_commands()} >= {"today", "search", "author", "help"}
    assert synced == []
    await bot.close()


async def test_failing_extension_is_logged_and_skipped(
    empty_store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """A cog that fails to load is logged, and the others still load."""
    bot = await make_bot(
        empty_store, extensions=("cogs.papers", "cogs.does_not_exist", "cogs.meta")
    )
    with caplog.at_level(logging.ERROR, logger="bot.discord_ui.client"):
        await bot.setup_hook()
    assert set(bot.extensions) == {"cogs.papers", "cogs.meta"}
    assert "cogs.does_not_exist" in bot.failed_extensions
    assert any("cogs.does_not_exist" in r.getMessage() for r in caplog.records)
    await bot.close()


async def test_dev_guild_sync_only_when_configured(empty_store: Store, synced: list[Any]) -> None:
    """With DISCORD_GUILD_ID the commands are copied to that guild and synced there only."""
    bot = await make_bot(empty_store, Config(discord_guild_id=GUILD))
    await bot.setup_hook()
    assert [g.id for g in synced] == [GUILD]
    assert bot.tree.get_commands(guild=discord.Object(GUILD))
    await bot.close()


async def test_close_unloads_cogs(empty_store: Store) -> None:
    """close() undoes setup_hook: every extension and cog is unloaded."""
    bot = await make_bot(empty_store)
    await bot.setup_hook()
    await bot.close()
    assert not bot.extensions
    assert not bot.cogs
    assert bot.is_closed()


def test_interaction_options_flattens() -> None:
    """Logged options are the user's raw values, nested subcommand options flattened."""

    fake = SimpleNamespace(
        data={
            "options": [
                {"name": "query", "type": 3, "value": "llm"},
                {"name": "sub", "type": 1, "options": [{"name": "n", "type": 4, "value": 2}]},
            ]
        }
    )
    assert interaction_options(fake) == {"query": "llm", "sub n": 2}  # type: ignore[arg-type]


# -------------------------------------------------------------------------------- run / sync


async def test_run_without_token_is_one_line(
    empty_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    """run_bot without a token: exit status 2 and one line naming DISCORD_TOKEN."""
    assert await run_bot(Config(), empty_store) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "DISCORD_TOKEN" in err


async def test_run_with_rejected_token_is_one_line_without_the_token(
    empty_store: Store,
    rejected_login: None,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A rejected token: exit status 1, one line, no traceback, the token nowhere."""
    with caplog.at_level(logging.DEBUG):
        status = await run_bot(Config(discord_token=TOKEN), empty_store)
    assert status == 1
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1
    assert "rejected DISCORD_TOKEN" in captured.err
    assert "Traceback" not in captured.err
    assert TOKEN not in captured.err + captured.out + caplog.text
    assert "SECRET" not in caplog.text


def test_cli_run_seeds_an_empty_database(
    clean_env: Path, rejected_login: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """`papers-bot run` opens the configured database and seeds it when empty, before login."""
    (clean_env / ".env").write_text(f"DISCORD_TOKEN={TOKEN}\nDATABASE_PATH=./fresh.db\n")
    assert main(["run"]) == 1
    asyncio.run(_assert_not_empty(clean_env / "fresh.db"))


async def _assert_not_empty(path: Path) -> None:
    store = await Store.open(path)
    try:
        assert not await store.is_empty()
    finally:
        await store.close()


async def test_run_without_network_is_one_line(
    empty_store: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Discord unreachable: exit status 1 and one line, not a traceback."""

    async def static_login(self: Any, token: str) -> Any:
        raise OSError(101, "Network is unreachable")

    monkeypatch.setattr(discord.http.HTTPClient, "static_login", static_login)
    assert await run_bot(Config(discord_token=TOKEN), empty_store) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "could not reach Discord" in err


def test_cli_run_without_token(clean_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`papers-bot run` with no token anywhere: exit 2, one clear line, no traceback."""
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0
    assert "DISCORD_TOKEN" in err
    assert "Traceback" not in err


def test_cli_run_rejected_token(
    clean_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    rejected_login: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`papers-bot run` with a bad token from .env: exit 1, a clear line, never the token."""
    (clean_env / ".env").write_text(f"DISCORD_TOKEN={TOKEN}\nDATABASE_PATH=./p.db\n")
    assert main(["run"]) == 1
    captured = capsys.readouterr()
    assert "rejected DISCORD_TOKEN" in captured.err
    assert "Traceback" not in captured.err
    assert TOKEN not in captured.err + captured.out


async def test_sync_command_syncs_globally_once(
    empty_store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    synced: list[Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`papers-bot sync` logs in, loads the cogs and syncs globally once (not to the dev guild)."""

    async def login(self: PapersBot, token: str) -> None:
        await self.setup_hook()

    monkeypatch.setattr(PapersBot, "login", login)
    config = Config(database_path=tmp_path / "s.db", discord_token=TOKEN, discord_guild_id=GUILD)
    assert await sync_commands(config, empty_store) == 0
    assert synced == [None]
    assert "globally" in capsys.readouterr().out


async def test_sync_command_to_guild(
    empty_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, synced: list[Any]
) -> None:
    """`papers-bot sync --guild ID` syncs to that guild only."""

    async def login(self: PapersBot, token: str) -> None:
        await self.setup_hook()

    monkeypatch.setattr(PapersBot, "login", login)
    config = Config(database_path=tmp_path / "s.db", discord_token=TOKEN)
    assert await sync_commands(config, empty_store, guild_id=GUILD) == 0
    assert [g.id for g in synced] == [GUILD]


async def test_sync_command_rejected_token(
    empty_store: Store, tmp_path: Path, rejected_login: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """`papers-bot sync` with a rejected token: exit 1, one line."""
    config = Config(database_path=tmp_path / "s.db", discord_token=TOKEN)
    assert await sync_commands(config, empty_store) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert TOKEN not in err
