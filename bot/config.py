"""Settings from the environment and ``.env``, validated once into a frozen :class:`Config`.

Real environment variables win over ``.env`` (which is optional). An empty value counts as
unset. A bad value raises :class:`ConfigError` naming the variable; ``main()`` turns that into
one line on stderr and exit status 2.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

log = logging.getLogger(__name__)

LOG_LEVELS: Final = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_DATABASE_PATH: Final = "./papers.db"
DEFAULT_LOG_LEVEL: Final = "INFO"
DEFAULT_TIMEZONE: Final = "UTC"

#: Every variable the bot reads, for docs and tests.
VARIABLES: Final = (
    "DISCORD_TOKEN",
    "DATABASE_PATH",
    "LOG_LEVEL",
    "DISCORD_GUILD_ID",
    "DEFAULT_TIMEZONE",
)


class ConfigError(Exception):
    """A setting is missing or invalid; ``str(error)`` is one line that names the variable."""

    def __init__(self, variable: str, message: str) -> None:
        super().__init__(f"{variable} {message}")
        self.variable = variable


@dataclass(frozen=True, slots=True)
class Config:
    """Validated settings. The token is kept out of ``repr``/``str`` (and so out of logs)."""

    database_path: Path = Path(DEFAULT_DATABASE_PATH)
    log_level: str = DEFAULT_LOG_LEVEL
    default_timezone: dt.tzinfo = dt.UTC
    discord_guild_id: int | None = None
    discord_token: str | None = field(default=None, repr=False)
    #: True when LOG_LEVEL was set (not the default): quiet commands then log at that level too.
    log_level_explicit: bool = field(default=False, compare=False)

    @property
    def has_token(self) -> bool:
        return bool(self.discord_token)

    @property
    def log_level_number(self) -> int:
        return logging.getLevelNamesMapping()[self.log_level]

    @property
    def guild_id(self) -> int | None:
        """Alias of ``discord_guild_id``."""
        return self.discord_guild_id

    @property
    def timezone(self) -> dt.tzinfo:
        """Alias of ``default_timezone``."""
        return self.default_timezone

    @property
    def timezone_name(self) -> str:
        return getattr(self.default_timezone, "key", None) or str(self.default_timezone)


def _clean(environ: Mapping[str, str | None], name: str) -> str | None:
    value = environ.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _token(value: str | None) -> str | None:
    if value is None:
        return None
    # Never echo the value back: it is a secret.
    if any(c.isspace() for c in value):
        raise ConfigError("DISCORD_TOKEN", "must not contain spaces (check the line in .env)")
    if value.lower().startswith("bot "):
        raise ConfigError("DISCORD_TOKEN", "must be the bare token, without a 'Bot ' prefix")
    return value


def _database_path(value: str | None) -> Path:
    path = Path(value or DEFAULT_DATABASE_PATH).expanduser()
    if path.is_dir():
        raise ConfigError("DATABASE_PATH", f"must be a file, got the directory {str(path)!r}")
    parent = path.parent
    if not parent.is_dir():
        raise ConfigError("DATABASE_PATH", f"must be in an existing directory, got {str(path)!r}")
    return path


def _log_level(value: str | None) -> str:
    level = (value or DEFAULT_LOG_LEVEL).upper()
    if level == "WARN":
        level = "WARNING"
    if level not in LOG_LEVELS:
        raise ConfigError("LOG_LEVEL", f"must be one of {', '.join(LOG_LEVELS)}, got {value!r}")
    return level


def _guild_id(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or int(value) <= 0:
        raise ConfigError(
            "DISCORD_GUILD_ID", f"must be a server id (a positive whole number), got {value!r}"
        )
    return int(value)


def _timezone(value: str | None) -> dt.tzinfo:
    name = value or DEFAULT_TIMEZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        if name.upper() in ("UTC", "ETC/UTC", "Z"):
            return dt.UTC  # no tz database on this machine (pip install tzdata)
        raise ConfigError(
            "DEFAULT_TIMEZONE",
            f"must be an IANA time zone such as Asia/Seoul or UTC, got {value!r}",
        ) from None


def load_config(
    environ: Mapping[str, str] | None = None,
    *,
    env_file: str | os.PathLike[str] | None = ".env",
    overrides: Mapping[str, str | None] | None = None,
) -> Config:
    """Read ``env_file`` (if it exists) under ``environ`` (default ``os.environ``) and validate.

    ``overrides`` (from command-line options) win over both. Raises :class:`ConfigError`.
    """
    values: dict[str, str | None] = {}
    if env_file is not None and Path(env_file).is_file():
        values.update(dotenv_values(env_file))
    values.update(os.environ if environ is None else environ)
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    config = Config(
        database_path=_database_path(_clean(values, "DATABASE_PATH")),
        log_level=_log_level(_clean(values, "LOG_LEVEL")),
        default_timezone=_timezone(_clean(values, "DEFAULT_TIMEZONE")),
        discord_guild_id=_guild_id(_clean(values, "DISCORD_GUILD_ID")),
        discord_token=_token(_clean(values, "DISCORD_TOKEN")),
        log_level_explicit=_clean(values, "LOG_LEVEL") is not None,
    )
    log.debug("Loaded %r", config)
    return config


def setup_logging(config: Config, *, quiet: bool = False) -> None:
    """Configure the root logger once: stderr, the configured level.

    ``quiet`` (local commands whose output is the point) logs only warnings unless LOG_LEVEL
    was set explicitly.
    """
    level = config.log_level_number
    if quiet and not config.log_level_explicit:
        level = max(level, logging.WARNING)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_papers_bot", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)-8s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
    )
    handler._papers_bot = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # discord.py's HTTP layer is chatty at DEBUG; keep it at INFO unless asked for everything.
    logging.getLogger("discord.http").setLevel(max(level, logging.INFO))
