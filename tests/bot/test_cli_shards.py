"""Shards on the command line and in .env, the refusals of `run` (overlapping shards, a second
process on SQLite: one line, exit 1, before any login), the bot's jobs starting once per process
(a reconnect's on_ready again), and `papers-bot status` in words and JSON."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import discord
import pytest

from bot import cli
from bot.__main__ import main
from bot.config import Config, ConfigError, load_config
from bot.core.coordination import Coordinator
from bot.discord_ui.client import PapersBot
from storage.models import ProcessRecord
from storage.sqlite.store import Store

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.SECRET.do-not-print-this-token"


@pytest.fixture(autouse=True)
def own_log_handlers() -> Iterator[None]:
    """main() adds a root log handler on the captured stderr: removed after each test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


# --------------------------------------------------------------------------- settings


def test_shards_from_env_and_defaults() -> None:
    """SHARD_COUNT alone runs every shard; SHARDS picks some; neither: one logical shard."""
    config = load_config({"SHARD_COUNT": "3"}, env_file=None)
    assert (config.shard_count, config.shard_ids, config.total_shards) == (3, (0, 1, 2), 3)
    config = load_config({"SHARD_COUNT": "4", "SHARDS": "3, 1"}, env_file=None)
    assert config.shard_ids == (1, 3)
    config = load_config({}, env_file=None)
    assert (config.shard_count, config.shard_ids, config.total_shards) == (None, (0,), 1)
    assert config.lease_seconds == 30


@pytest.mark.parametrize(
    ("environ", "variable", "words"),
    [
        ({"SHARDS": "0,1"}, "SHARDS", "needs SHARD_COUNT"),
        ({"SHARD_COUNT": "2", "SHARDS": "2"}, "SHARDS", "outside SHARD_COUNT=2"),
        ({"SHARD_COUNT": "3", "SHARDS": "1,1"}, "SHARDS", "shard 1 twice"),
        ({"SHARD_COUNT": "3", "SHARDS": "a"}, "SHARDS", "separated by commas"),
        ({"SHARD_COUNT": "0"}, "SHARD_COUNT", "from 1 to"),
        ({"LEASE_SECONDS": "0.1"}, "LEASE_SECONDS", "at least 1"),
    ],
)
def test_bad_shard_settings_name_the_variable(
    environ: dict[str, str], variable: str, words: str
) -> None:
    """Each bad shard setting is one ConfigError naming the variable and what is wrong."""
    with pytest.raises(ConfigError) as info:
        load_config(environ, env_file=None)
    assert info.value.variable == variable and words in str(info.value)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["run", "--shards", "0,1"], "needs SHARD_COUNT"),
        (["run", "--shard-count", "2", "--shards", "0,5"], "shard 5, outside SHARD_COUNT=2"),
        (["run", "--shard-count", "3", "--shards", "0,0"], "shard 0 twice"),
    ],
)
def test_bad_shard_options_are_one_line_and_exit_2(
    env: Path, capsys: pytest.CaptureFixture[str], argv: list[str], words: str
) -> None:
    """`run --shards` without a count, a shard outside it, or twice: one line, exit 2."""
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("papers-bot: error: SHARDS") and words in err
    assert "\n" not in err and "Traceback" not in err


def test_options_override_the_environment(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--shard-count and --shards win over SHARD_COUNT and SHARDS."""
    monkeypatch.setenv("SHARD_COUNT", "2")
    monkeypatch.setenv("SHARDS", "1")
    seen: list[Config] = []

    def handler(args: Any, config: Config) -> int:
        seen.append(config)
        return 0

    run = cli.COMMANDS["run"]
    monkeypatch.setitem(cli.COMMANDS, "run", cli.Command(run.help, handler, run.add_arguments))
    assert main(["run", "--shard-count", "4", "--shards", "2,3"]) == 0
    assert seen[0].shard_count == 4 and seen[0].shard_ids == (2, 3)


# --------------------------------------------------------------------------- refusals


def test_run_beside_a_live_process_on_sqlite_is_refused(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`papers-bot run` on an SQLite file another live process uses: one line naming it, exit 1,
    and no login was tried."""
    db = env / "papers.db"

    async def prepare() -> None:
        async with await Store.open(db) as store:
            now = dt.datetime.now(dt.UTC)
            await store.register_process(ProcessRecord("elsewhere:42:ab", (0,), 1, now, now, "t"))

    asyncio.run(prepare())
    logins: list[str] = []

    async def static_login(self: Any, token: str) -> Any:
        logins.append(token)
        raise discord.LoginFailure("no")

    monkeypatch.setattr(discord.http.HTTPClient, "static_login", static_login)
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    monkeypatch.setenv("DATABASE_PATH", str(db))
    assert main(["run"]) == 1
    [err] = error_lines(capsys.readouterr().err)
    assert "elsewhere:42:ab" in err and "SQLite" in err and "Traceback" not in err
    assert TOKEN not in err and logins == []


def test_run_with_shards_a_live_process_holds_is_refused(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Overlapping shards: one line naming the shard and its process, exit 1, no login."""
    db = env / "papers.db"

    async def prepare() -> None:
        async with await Store.open(db) as store:
            now = dt.datetime.now(dt.UTC)
            await store.claim_shards(
                "elsewhere:42:ab", [1], 3, now=now, expires_at=now + dt.timedelta(minutes=5)
            )

    asyncio.run(prepare())
    monkeypatch.setattr(discord.http.HTTPClient, "static_login", _no_login)
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    monkeypatch.setenv("DATABASE_PATH", str(db))
    assert main(["run", "--shard-count", "3", "--shards", "1,2"]) == 1
    [err] = error_lines(capsys.readouterr().err)
    assert "shards 1 " in err and "elsewhere:42:ab" in err


def error_lines(err: str) -> list[str]:
    """The ``papers-bot: error:`` lines of stderr (log lines aside)."""
    assert "Traceback" not in err
    return [line for line in err.splitlines() if line.startswith("papers-bot: error:")]


async def _no_login(self: Any, token: str) -> Any:
    raise AssertionError("no login expected")


# --------------------------------------------------------------------------- once per process


async def test_jobs_start_once_whatever_the_gateway_does(empty_store: Store) -> None:
    """setup_hook starts the heartbeat, the scheduler and the alerts once; starting again (as a
    reconnect's on_ready might) and on_ready itself start no second copy."""
    now = dt.datetime(2025, 5, 10, tzinfo=dt.UTC)
    coordinator = Coordinator(empty_store, clock=lambda: now, lease=dt.timedelta(seconds=30))
    await coordinator.claim()
    bot = PapersBot(config=Config(), store=empty_store, extensions=(), coordinator=coordinator)
    await bot._async_setup_hook()
    await bot.setup_hook()
    assert bot.digests is not None and bot.alerts is not None
    await bot.digests.wait_started()
    scheduler, alerts, beat = bot.digests, bot.alerts, coordinator._task
    jobs = [j.id for j in scheduler.scheduler.get_jobs()]
    await bot.on_ready()
    await bot.start_jobs()
    await scheduler.start()
    assert bot.digests is scheduler and bot.alerts is alerts and coordinator._task is beat
    assert [j.id for j in scheduler.scheduler.get_jobs()] == jobs
    assert bot.jobs_started == 1
    await bot.close()
    assert not coordinator.running and await empty_store.processes() == []


def test_sharded_bot_runs_the_configured_shards(empty_store: Store) -> None:
    """SHARD_COUNT and SHARDS become the AutoShardedBot's shard_count and shard_ids."""
    config = Config(shard_count=4, shards=(1, 3))
    bot = PapersBot(config=config, store=empty_store, extensions=())
    assert isinstance(bot, discord.AutoShardedClient)
    assert bot.shard_count == 4 and bot.shard_ids == [1, 3]


# --------------------------------------------------------------------------- status


def test_status_in_words_and_json(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`papers-bot status` lists each process with its shards, jobs and last beat, and the
    queues; --json gives the same facts."""
    db = env / "papers.db"
    host = socket.gethostname()

    async def prepare() -> None:
        async with await Store.open(db) as store:
            now = dt.datetime.now(dt.UTC)
            coordinator = Coordinator(
                store, shards=(0, 1), shard_count=2, clock=lambda: now, process_id="elsewhere:7:c"
            )
            await coordinator.claim()
            await coordinator.take("fetch")

    asyncio.run(prepare())
    monkeypatch.setenv("DATABASE_PATH", str(db))
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "elsewhere:7:c: shards 0,1" in out and "alive" in out
    assert "fetching new days" in out and "Alert DMs: 0 users" in out
    assert "Summaries: off" in out and host not in out
    assert main(["status", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    [proc] = data["processes"]
    assert proc["process_id"] == "elsewhere:7:c" and proc["shards"] == [0, 1] and proc["alive"]
    assert proc["jobs"] == ["fetch"] and data["queue"]["alert_users"] == 0
    monkeypatch.setenv("LANG", "ko_KR.UTF-8")
    assert main(["status"]) == 0
    assert "샤드 0,1" in capsys.readouterr().out
