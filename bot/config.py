"""Settings from the environment and ``.env``, validated once into a frozen :class:`Config`.

Real environment variables win over ``.env`` (which is optional). An empty value counts as
unset. A bad value raises :class:`ConfigError` naming the variable; ``main()`` turns that into
one line on stderr and exit status 2.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, NamedTuple
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

log = logging.getLogger(__name__)

LOG_LEVELS: Final = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_DATABASE_PATH: Final = "./papers.db"
DEFAULT_DATABASE_POOL_SIZE: Final = 10
MAX_DATABASE_POOL_SIZE: Final = 100
#: DATABASE_URL schemes (the PostgreSQL backend).
DATABASE_URL_SCHEMES: Final = ("postgresql", "postgres")
DEFAULT_LOG_LEVEL: Final = "INFO"
DEFAULT_TIMEZONE: Final = "UTC"
DEFAULT_DIGEST_GRACE_HOURS: Final = 6.0
DEFAULT_FETCH_INTERVAL_MINUTES: Final = 60
#: Upper bounds: a grace window past a day would post a slot the next day's slot replaces; a
#: fetch interval past a week is a typo (0 turns the scheduled fetch off).
MAX_DIGEST_GRACE_HOURS: Final = 24.0
MAX_FETCH_INTERVAL_MINUTES: Final = 7 * 24 * 60
DEFAULT_HF_API_BASE: Final = "https://huggingface.co"
DEFAULT_SUMMARY_CONCURRENCY: Final = 4
MAX_SUMMARY_CONCURRENCY: Final = 64
DEFAULT_SUMMARY_DAILY_CAP: Final = 200
MAX_SUMMARY_DAILY_CAP: Final = 100_000
#: Several processes (see bot.core.coordination): the most shards, and the lease bounds.
MAX_SHARD_COUNT: Final = 10_000
DEFAULT_LEASE_SECONDS: Final = 30.0
MIN_LEASE_SECONDS: Final = 1.0
MAX_LEASE_SECONDS: Final = 3600.0
DEFAULT_ALERT_INTERVAL_SECONDS: Final = 30.0
#: HF_API_BASE values that turn the Hugging Face source off.
OFF_VALUES: Final = ("off", "none", "false", "0", "no")


class Rate(NamedTuple):
    """A per-user rate limit: at most ``requests`` in ``seconds``."""

    requests: int
    seconds: float


#: Searches, /ask and questions in DMs or mentions, per user (QUESTION_RATE_LIMIT).
DEFAULT_QUESTION_RATE: Final = Rate(5, 30.0)
#: Presses of paging buttons, per user (BUTTON_RATE_LIMIT).
DEFAULT_BUTTON_RATE: Final = Rate(20, 30.0)

#: Every variable the bot reads, for docs and tests.
VARIABLES: Final = (
    "DISCORD_TOKEN",
    "DATABASE_PATH",
    "DATABASE_URL",
    "DATABASE_POOL_SIZE",
    "LOG_LEVEL",
    "DISCORD_GUILD_ID",
    "DEFAULT_TIMEZONE",
    "DIGEST_GRACE_HOURS",
    "FETCH_INTERVAL_MINUTES",
    "WATCH_DIR",
    "HF_API_BASE",
    "DIGEST_URL_TEMPLATE",
    "QUESTION_RATE_LIMIT",
    "BUTTON_RATE_LIMIT",
    "SUMMARY_API_URL",
    "SUMMARY_MODEL",
    "SUMMARY_API_KEY",
    "SUMMARY_CONCURRENCY",
    "SUMMARY_DAILY_CAP",
    "SHARD_COUNT",
    "SHARDS",
    "LEASE_SECONDS",
    "ALERT_INTERVAL_SECONDS",
)


class ConfigError(Exception):
    """A setting is missing or invalid; ``str(error)`` is one line that names the variable."""

    def __init__(self, variable: str, message: str) -> None:
        super().__init__(f"{variable} {message}")
        self.variable = variable


@dataclass(frozen=True, slots=True)
class Config:
    """Validated settings. The token and the summary API key are kept out of ``repr``/``str``
    (and so out of logs)."""

    database_path: Path = Path(DEFAULT_DATABASE_PATH)
    #: A ``postgresql://`` URL: the PostgreSQL backend instead of the SQLite file. Kept out of
    #: ``repr`` (it may hold a password).
    database_url: str | None = field(default=None, repr=False)
    #: Connections the PostgreSQL backend keeps at most.
    database_pool_size: int = DEFAULT_DATABASE_POOL_SIZE
    log_level: str = DEFAULT_LOG_LEVEL
    default_timezone: dt.tzinfo = dt.UTC
    discord_guild_id: int | None = None
    discord_token: str | None = field(default=None, repr=False)
    #: True when LOG_LEVEL was set (not the default): quiet commands then log at that level too.
    log_level_explicit: bool = field(default=False, compare=False)
    #: A server's digest missed while the bot was down is still posted this long after its time.
    digest_grace_hours: float = DEFAULT_DIGEST_GRACE_HOURS
    #: How often new digests are fetched from the sources below (0: never on a schedule).
    fetch_interval_minutes: int = DEFAULT_FETCH_INTERVAL_MINUTES
    #: A directory of digest files, imported when new or changed.
    watch_dir: Path | None = None
    #: The Hugging Face daily papers API base URL; ``None``: not a source. ``load_config``
    #: defaults it to https://huggingface.co (HF_API_BASE=off turns it off).
    hf_api_base: str | None = None
    #: A URL of markdown digests with ``{date}``, ``{year}``, ``{month}``, ``{day}``.
    digest_url_template: str | None = None
    #: Per-user limits (``None``: unlimited), see :mod:`bot.discord_ui.limits`.
    question_rate: Rate | None = DEFAULT_QUESTION_RATE
    button_rate: Rate | None = DEFAULT_BUTTON_RATE
    #: A chat-completions endpoint's base URL and model for Korean summaries of new papers
    #: (both set: summaries on; see :mod:`bot.core.summaries`). The key stays out of repr.
    summary_api_url: str | None = None
    summary_model: str | None = None
    summary_api_key: str | None = field(default=None, repr=False)
    #: Requests to the model at once, and papers summarised per UTC day at most.
    summary_concurrency: int = DEFAULT_SUMMARY_CONCURRENCY
    summary_daily_cap: int = DEFAULT_SUMMARY_DAILY_CAP
    #: Discord shards in all (SHARD_COUNT; ``None``: one process runs every guild) and the ones
    #: this process runs (SHARDS; ``None``: all of them).
    shard_count: int | None = None
    shards: tuple[int, ...] | None = None
    #: A process that stops beating this long loses its shards and jobs to others.
    lease_seconds: float = DEFAULT_LEASE_SECONDS
    #: How often new imports are matched against alerts and DMed.
    alert_interval_seconds: float = DEFAULT_ALERT_INTERVAL_SECONDS

    @property
    def shard_ids(self) -> tuple[int, ...]:
        """The shards this process runs (all of SHARD_COUNT unless SHARDS says which)."""
        if self.shards is not None:
            return self.shards
        return tuple(range(self.shard_count or 1))

    @property
    def total_shards(self) -> int:
        """The shard count guilds are divided by (1 without SHARD_COUNT)."""
        return self.shard_count or 1

    @property
    def summaries_enabled(self) -> bool:
        return bool(self.summary_api_url and self.summary_model)

    @property
    def database(self) -> str | Path:
        """Where the store is: :attr:`database_url` when set, else :attr:`database_path`."""
        return self.database_url or self.database_path

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
    if "\x00" in value:  # never echo the value: it may be the token
        raise ConfigError(name, "contains a NUL byte (check the line in .env)")
    value = value.strip()
    return value or None


def _read_env_file(path: Path) -> dict[str, str | None]:
    """The variables of a ``.env`` file; a file that is not UTF-8 is one clear error naming the
    line (its content is never echoed: it holds the token)."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(
            str(path.name), f"is not UTF-8 text (line {line}): save it as UTF-8"
        ) from None
    return dotenv_values(stream=io.StringIO(text))


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


def zone(name: str) -> dt.tzinfo:
    """The time zone of an IANA name; ``UTC`` also on a machine without a tz database.

    Raises ``ZoneInfoNotFoundError`` (or ``ValueError`` for a malformed name) otherwise.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        if name.upper() in ("UTC", "ETC/UTC", "Z"):
            return dt.UTC  # no tz database on this machine (pip install tzdata)
        raise


def _timezone(value: str | None) -> dt.tzinfo:
    try:
        return zone(value or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            "DEFAULT_TIMEZONE",
            f"must be an IANA time zone such as Asia/Seoul or UTC, got {value!r}",
        ) from None


def _positive_number(name: str, value: str | None, default: float, maximum: float) -> float:
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if number < 0 or number != number:  # negative or NaN
        raise ConfigError(name, f"must be a number of 0 or more, got {value!r}")
    if number > maximum:  # infinity included
        raise ConfigError(name, f"must be at most {maximum:g}, got {value!r}")
    return number


def _rate(name: str, value: str | None, default: Rate) -> Rate | None:
    """``COUNT/SECONDS`` (``5/30``: five in 30 seconds); ``off`` (or a count of 0): no limit."""
    if value is None:
        return default
    if value.lower() in OFF_VALUES:
        return None
    count, _, seconds = value.partition("/")
    try:
        rate = Rate(int(count), float(seconds))
    except ValueError:
        rate = Rate(-1, 0.0)
    if rate.requests == 0:
        return None
    if rate.requests < 0 or not 0 < rate.seconds <= 24 * 3600:
        raise ConfigError(name, f"must be COUNT/SECONDS such as 5/30, or off, got {value!r}")
    return rate


def _watch_dir(value: str | None) -> Path | None:
    if value is None:
        return None
    path = Path(value).expanduser()
    if not path.is_dir():
        raise ConfigError("WATCH_DIR", f"must be an existing directory, got {value!r}")
    return path


def _url(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    if not value.lower().startswith(("http://", "https://")):
        raise ConfigError(name, f"must be an http(s) URL, got {value!r}")
    return value


def _hf_api_base(value: str | None) -> str | None:
    if value is not None and value.lower() in OFF_VALUES:
        return None
    return (_url("HF_API_BASE", value) or DEFAULT_HF_API_BASE).rstrip("/")


def _database_url(value: str | None, name: str = "DATABASE_URL") -> str | None:
    """A ``postgresql://`` URL, checked without ever echoing it (it may hold a password);
    ``name``: where it was given (the variable, or ``--database``), which an error names."""
    if value is None:
        return None
    hint = " (check the line in .env)" if name == "DATABASE_URL" else ""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - reading it validates it
    except ValueError:
        raise ConfigError(name, f"is not a valid URL{hint}") from None
    if parts.scheme.lower() not in DATABASE_URL_SCHEMES:
        raise ConfigError(
            name,
            "must start with postgresql:// (leave it unset to use the SQLite DATABASE_PATH)",
        )
    if any(c.isspace() for c in value):
        raise ConfigError(name, f"must not contain spaces{hint}")
    return value


def database_override(value: str | None) -> dict[str, str | None]:
    """The settings ``--database`` overrides: a ``postgresql://`` URL replaces DATABASE_URL, a
    file replaces DATABASE_PATH and turns DATABASE_URL off."""
    if value is None:
        return {}
    if value.lower().startswith(tuple(f"{scheme}://" for scheme in DATABASE_URL_SCHEMES)):
        return {"DATABASE_URL": value}
    return {"DATABASE_PATH": value, "DATABASE_URL": ""}


def _pool_size(value: str | None) -> int:
    if value is None:
        return DEFAULT_DATABASE_POOL_SIZE
    try:
        size = int(value)
    except ValueError:
        raise ConfigError("DATABASE_POOL_SIZE", f"must be a whole number, got {value!r}") from None
    if not 1 <= size <= MAX_DATABASE_POOL_SIZE:
        raise ConfigError(
            "DATABASE_POOL_SIZE", f"must be between 1 and {MAX_DATABASE_POOL_SIZE}, got {size}"
        )
    return size


def _url_template(value: str | None) -> str | None:
    url = _url("DIGEST_URL_TEMPLATE", value)
    if url is None:
        return None
    try:
        url.format(date="2024-01-02", year="2024", month="01", day="02")
    except (KeyError, IndexError, ValueError, AttributeError, TypeError) as exc:
        raise ConfigError(
            "DIGEST_URL_TEMPLATE",
            f"may only use {{date}}, {{year}}, {{month}} and {{day}}, got {value!r} ({exc})",
        ) from None
    return url


def _whole_number(name: str, value: str | None, default: int, lowest: int, highest: int) -> int:
    if value is None:
        return default
    if not value.isascii() or not value.isdigit() or not lowest <= int(value) <= highest:
        raise ConfigError(name, f"must be a whole number from {lowest} to {highest}, got {value!r}")
    return int(value)


def _summary_model(url: str | None, model: str | None) -> str | None:
    if url and not model:
        raise ConfigError("SUMMARY_MODEL", "must be set when SUMMARY_API_URL is")
    if model and not url:
        raise ConfigError("SUMMARY_API_URL", "must be set when SUMMARY_MODEL is")
    return model


def _api_key(value: str | None) -> str | None:
    # Never echo the value back: it is a secret.
    if value is not None and any(c.isspace() for c in value):
        raise ConfigError("SUMMARY_API_KEY", "must not contain spaces (check the line in .env)")
    return value


def _lease(value: str | None) -> float:
    return _at_least_one_second("LEASE_SECONDS", value, DEFAULT_LEASE_SECONDS)


def _at_least_one_second(name: str, value: str | None, default: float) -> float:
    seconds = _positive_number(name, value, default, MAX_LEASE_SECONDS)
    if seconds < MIN_LEASE_SECONDS:
        raise ConfigError(name, f"must be at least {MIN_LEASE_SECONDS:g}, got {value!r}")
    return seconds


def _shard_count(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= MAX_SHARD_COUNT:
        raise ConfigError(
            "SHARD_COUNT", f"must be a whole number from 1 to {MAX_SHARD_COUNT}, got {value!r}"
        )
    return int(value)


def _shards(value: str | None, count: int | None) -> tuple[int, ...] | None:
    """``0,1``: this process's shards, each below SHARD_COUNT, none twice."""
    if value is None:
        return None
    if count is None:
        raise ConfigError(
            "SHARDS", f"needs SHARD_COUNT (--shard-count) too, got SHARDS={value!r} alone"
        )
    shards: list[int] = []
    for part in value.split(","):
        text = part.strip()
        if not text.isascii() or not text.isdigit():
            raise ConfigError(
                "SHARDS", f"must be shard numbers separated by commas such as 0,1, got {value!r}"
            )
        shard = int(text)
        if shard >= count:
            raise ConfigError(
                "SHARDS",
                f"lists shard {shard}, outside SHARD_COUNT={count} (shards are 0 to {count - 1})",
            )
        if shard in shards:
            raise ConfigError("SHARDS", f"lists shard {shard} twice ({value!r})")
        shards.append(shard)
    return tuple(sorted(shards))


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
        values.update(_read_env_file(Path(env_file)))
    values.update(os.environ if environ is None else environ)
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    config = Config(
        database_path=_database_path(_clean(values, "DATABASE_PATH")),
        database_url=_database_url(
            _clean(values, "DATABASE_URL"),
            "--database" if (overrides or {}).get("DATABASE_URL") else "DATABASE_URL",
        ),
        database_pool_size=_pool_size(_clean(values, "DATABASE_POOL_SIZE")),
        log_level=_log_level(_clean(values, "LOG_LEVEL")),
        default_timezone=_timezone(_clean(values, "DEFAULT_TIMEZONE")),
        discord_guild_id=_guild_id(_clean(values, "DISCORD_GUILD_ID")),
        discord_token=_token(_clean(values, "DISCORD_TOKEN")),
        log_level_explicit=_clean(values, "LOG_LEVEL") is not None,
        digest_grace_hours=_positive_number(
            "DIGEST_GRACE_HOURS",
            _clean(values, "DIGEST_GRACE_HOURS"),
            DEFAULT_DIGEST_GRACE_HOURS,
            MAX_DIGEST_GRACE_HOURS,
        ),
        fetch_interval_minutes=int(
            _positive_number(
                "FETCH_INTERVAL_MINUTES",
                _clean(values, "FETCH_INTERVAL_MINUTES"),
                DEFAULT_FETCH_INTERVAL_MINUTES,
                MAX_FETCH_INTERVAL_MINUTES,
            )
        ),
        watch_dir=_watch_dir(_clean(values, "WATCH_DIR")),
        hf_api_base=_hf_api_base(_clean(values, "HF_API_BASE")),
        digest_url_template=_url_template(_clean(values, "DIGEST_URL_TEMPLATE")),
        question_rate=_rate(
            "QUESTION_RATE_LIMIT", _clean(values, "QUESTION_RATE_LIMIT"), DEFAULT_QUESTION_RATE
        ),
        button_rate=_rate(
            "BUTTON_RATE_LIMIT", _clean(values, "BUTTON_RATE_LIMIT"), DEFAULT_BUTTON_RATE
        ),
        summary_api_url=_url("SUMMARY_API_URL", _clean(values, "SUMMARY_API_URL")),
        summary_model=_summary_model(
            _clean(values, "SUMMARY_API_URL"), _clean(values, "SUMMARY_MODEL")
        ),
        summary_api_key=_api_key(_clean(values, "SUMMARY_API_KEY")),
        summary_concurrency=_whole_number(
            "SUMMARY_CONCURRENCY",
            _clean(values, "SUMMARY_CONCURRENCY"),
            DEFAULT_SUMMARY_CONCURRENCY,
            1,
            MAX_SUMMARY_CONCURRENCY,
        ),
        summary_daily_cap=_whole_number(
            "SUMMARY_DAILY_CAP",
            _clean(values, "SUMMARY_DAILY_CAP"),
            DEFAULT_SUMMARY_DAILY_CAP,
            0,
            MAX_SUMMARY_DAILY_CAP,
        ),
        shard_count=_shard_count(_clean(values, "SHARD_COUNT")),
        shards=_shards(_clean(values, "SHARDS"), _shard_count(_clean(values, "SHARD_COUNT"))),
        lease_seconds=_lease(_clean(values, "LEASE_SECONDS")),
        alert_interval_seconds=_at_least_one_second(
            "ALERT_INTERVAL_SECONDS",
            _clean(values, "ALERT_INTERVAL_SECONDS"),
            DEFAULT_ALERT_INTERVAL_SECONDS,
        ),
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
    # APScheduler logs a line per job added and per run at INFO: one per server and day. Its
    # warnings (a missed run) and errors stay; the rest only when everything was asked for.
    logging.getLogger("apscheduler").setLevel(
        level if level <= logging.DEBUG else max(level, logging.WARNING)
    )
