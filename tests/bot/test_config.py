"""Config: defaults, .env handling, validation errors as one line, the token kept secret."""

from __future__ import annotations

import dataclasses
import logging
import re
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.config import ConfigError, load_config, setup_logging

SECRET = "MTIzNDU2Nzg5.secret-token-value.XYZ"


def test_defaults_with_nothing_set(env: Path) -> None:
    """With no variables and no .env every setting has its documented default."""
    config = load_config({}, env_file=None)
    assert config.database_path == Path("papers.db")
    assert config.log_level == "INFO"
    assert config.timezone_name == "UTC"
    assert config.discord_guild_id is None
    assert config.discord_token is None
    assert not config.has_token


def test_valid_values_are_converted(env: Path) -> None:
    """Guild id becomes an int, the time zone a ZoneInfo, the level upper case."""
    config = load_config(
        {
            "DISCORD_GUILD_ID": "123456789012345678",
            "DEFAULT_TIMEZONE": "Asia/Seoul",
            "LOG_LEVEL": "debug",
        },
        env_file=None,
    )
    assert config.discord_guild_id == 123456789012345678
    assert config.timezone_name == "Asia/Seoul"
    assert config.log_level == "DEBUG"


def test_dotenv_is_read(env: Path) -> None:
    """Values in .env are used when the environment does not set them."""
    (env / ".env").write_text("LOG_LEVEL=WARNING\nDEFAULT_TIMEZONE=Asia/Seoul\n", encoding="utf-8")
    config = load_config({}, env_file=env / ".env")
    assert config.log_level == "WARNING"
    assert config.timezone_name == "Asia/Seoul"


def test_real_environment_wins_over_dotenv(env: Path) -> None:
    """A real environment variable is not overridden by .env."""
    (env / ".env").write_text("LOG_LEVEL=WARNING\n", encoding="utf-8")
    config = load_config({"LOG_LEVEL": "ERROR"}, env_file=env / ".env")
    assert config.log_level == "ERROR"


def test_empty_value_counts_as_unset(env: Path) -> None:
    """`DISCORD_TOKEN=` copied from .env.example means no token, not an empty token."""
    config = load_config({"DISCORD_TOKEN": "", "DISCORD_GUILD_ID": "  "}, env_file=None)
    assert config.discord_token is None
    assert config.discord_guild_id is None


def test_config_is_frozen(env: Path) -> None:
    """Settings cannot change after validation."""
    config = load_config({}, env_file=None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.log_level = "DEBUG"  # type: ignore[misc]


def test_log_level_error_message(env: Path) -> None:
    """The message names the variable, the allowed values and the bad value."""
    with pytest.raises(ConfigError) as caught:
        load_config({"LOG_LEVEL": "LOUD"}, env_file=None)
    assert str(caught.value) == (
        "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got 'LOUD'"
    )
    assert caught.value.variable == "LOG_LEVEL"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("LOG_LEVEL", "LOUD"),
        ("DISCORD_GUILD_ID", "my-server"),
        ("DISCORD_GUILD_ID", "-5"),
        ("DEFAULT_TIMEZONE", "Mars/Olympus_Mons"),
        ("DEFAULT_TIMEZONE", "../etc/passwd"),
        ("DATABASE_PATH", "{tmp}"),
        ("DATABASE_PATH", "{tmp}/no/such/dir/papers.db"),
        ("DISCORD_TOKEN", "two words"),
    ],
)
def test_bad_value_is_one_line_and_exit_2(
    env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    value: str,
) -> None:
    """Each bad setting: exit 2, one stderr line naming the variable, no traceback."""
    monkeypatch.setenv(variable, value.format(tmp=env))
    assert main(["export"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"papers-bot: error: {variable} ")
    assert "Traceback" not in captured.err
    assert captured.out == ""


def test_bad_value_in_dotenv_is_reported(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A bad value read from .env (not the environment) is reported the same way."""
    (env / ".env").write_text("DEFAULT_TIMEZONE=Nowhere/Land\n", encoding="utf-8")
    assert main(["export"]) == 2
    assert capsys.readouterr().err.startswith("papers-bot: error: DEFAULT_TIMEZONE ")


def test_token_not_in_repr_or_str(env: Path) -> None:
    """The token never shows in repr() or str() of the config."""
    config = load_config({"DISCORD_TOKEN": SECRET}, env_file=None)
    assert config.discord_token == SECRET
    assert SECRET not in repr(config)
    assert SECRET not in str(config)
    assert "discord_token" not in repr(config)


def test_bad_token_error_does_not_echo_it(env: Path) -> None:
    """A rejected token is described, never printed."""
    with pytest.raises(ConfigError) as caught:
        load_config({"DISCORD_TOKEN": "Bot " + SECRET}, env_file=None)
    assert SECRET not in str(caught.value)
    assert caught.value.variable == "DISCORD_TOKEN"


def test_token_not_in_log_output(
    env: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    seeded_db: Path,
) -> None:
    """At DEBUG, main() logs the config; the token appears in no log record or stream."""
    monkeypatch.setenv("DISCORD_TOKEN", SECRET)
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    caplog.set_level(logging.DEBUG)
    assert main(["console", "-c", "today 1"]) == 0
    captured = capsys.readouterr()
    assert "Starting with Config(" in caplog.text
    assert SECRET not in caplog.text
    assert SECRET not in captured.err
    assert SECRET not in captured.out


#: A line of the log (bot.config.setup_logging's format), not of the command's own output.
LOG_RECORD = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [A-Z]+ ")


def test_dotenv_not_utf8_is_one_line(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A .env with a byte that is not UTF-8: one line naming .env and the line, exit 2, and
    nothing of the file's content (it holds the token) echoed."""
    (env / ".env").write_bytes(b"LOG_LEVEL=INFO\nDISCORD_TOKEN=" + SECRET.encode() + b"\xff\n")
    assert main(["console", "-c", "help"]) == 2
    err = capsys.readouterr().err
    # One line; a log record another test's leftover thread wrote meanwhile is not ours.
    assert len([line for line in err.splitlines() if not LOG_RECORD.match(line)]) == 1
    assert ".env" in err and "line 2" in err and "UTF-8" in err
    assert "Traceback" not in err and SECRET not in err


@pytest.mark.parametrize("variable", ["DATABASE_PATH", "LOG_LEVEL", "WATCH_DIR", "HF_API_BASE"])
def test_nul_byte_in_a_value_is_one_line(
    env: Path, variable: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A NUL byte in any setting (from .env or the environment) is refused by name, no traceback."""
    (env / ".env").write_bytes(f"{variable}=abc".encode() + b"\x00def\n")
    assert main(["console", "-c", "help"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"papers-bot: error: {variable} ") and "NUL" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("FETCH_INTERVAL_MINUTES", "inf"),
        ("FETCH_INTERVAL_MINUTES", "1e400"),
        ("FETCH_INTERVAL_MINUTES", "99999999999999999999"),
        ("DIGEST_GRACE_HOURS", "inf"),
        ("DIGEST_GRACE_HOURS", "1e308"),
    ],
)
def test_numbers_out_of_range_are_one_line(env: Path, variable: str, value: str) -> None:
    """Infinite or absurdly large numbers are refused by name (they overflowed later before)."""
    with pytest.raises(ConfigError) as caught:
        load_config({variable: value}, env_file=None)
    assert caught.value.variable == variable
    assert "at most" in str(caught.value)


@pytest.mark.parametrize(
    "template",
    ["https://example.org/{date.year}.md", "https://example.org/{day.real}.md", "https://x/{}"],
)
def test_url_template_with_attribute_or_index_is_refused(env: Path, template: str) -> None:
    """A template that would fail when formatted (attributes, indexes, positional fields) is
    refused at start-up, naming the variable."""
    with pytest.raises(ConfigError) as caught:
        load_config({"DIGEST_URL_TEMPLATE": template}, env_file=None)
    assert caught.value.variable == "DIGEST_URL_TEMPLATE"


@pytest.mark.parametrize(("level", "logged"), [("INFO", False), ("DEBUG", True)])
async def test_scheduler_job_lines_only_at_debug(
    env: Path, caplog: pytest.LogCaptureFixture, level: str, logged: bool
) -> None:
    """APScheduler's "Added job" line (one per server at start) is not logged at INFO; its
    warnings are, and at DEBUG everything is."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    root, aps = logging.getLogger(), logging.getLogger("apscheduler")
    saved = (root.level, list(root.handlers), aps.level)
    setup_logging(load_config({"LOG_LEVEL": level}, env_file=None))
    scheduler = AsyncIOScheduler()
    scheduler.start()
    try:
        scheduler.add_job(print, "interval", hours=1, id="guild-1")
        warns = aps.isEnabledFor(logging.WARNING)
    finally:
        scheduler.shutdown(wait=False)
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]
        aps.setLevel(saved[2])
    added = [
        r for r in caplog.records if r.name.startswith("apscheduler") and "Added job" in r.message
    ]
    assert bool(added) is logged
    assert warns
