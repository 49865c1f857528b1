"""Config for the daily digest and the fetchers: defaults and validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import DEFAULT_QUESTION_RATE, VARIABLES, ConfigError, Rate, load_config

ROOT = Path(__file__).resolve().parents[2]


def test_digest_and_fetch_defaults() -> None:
    """Grace 6 h, fetch hourly, Hugging Face on, no watched directory, no URL template."""
    config = load_config({}, env_file=None)
    assert config.digest_grace_hours == 6
    assert config.fetch_interval_minutes == 60
    assert config.hf_api_base == "https://huggingface.co"
    assert config.watch_dir is None and config.digest_url_template is None


def test_digest_and_fetch_values(tmp_path: Path) -> None:
    """Values are converted; HF_API_BASE=off turns the API source off."""
    config = load_config(
        {
            "DIGEST_GRACE_HOURS": "1.5",
            "FETCH_INTERVAL_MINUTES": "15",
            "WATCH_DIR": str(tmp_path),
            "HF_API_BASE": "off",
            "DIGEST_URL_TEMPLATE": "https://example.org/{year}/{date}.md",
        },
        env_file=None,
    )
    assert config.digest_grace_hours == 1.5 and config.fetch_interval_minutes == 15
    assert config.watch_dir == tmp_path and config.hf_api_base is None
    assert config.digest_url_template == "https://example.org/{year}/{date}.md"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DIGEST_GRACE_HOURS", "-1"),
        ("FETCH_INTERVAL_MINUTES", "often"),
        ("WATCH_DIR", "/no/such/dir"),
        ("HF_API_BASE", "ftp://x"),
        ("DIGEST_URL_TEMPLATE", "https://x/{week}.md"),
    ],
)
def test_bad_digest_values_name_the_variable(name: str, value: str) -> None:
    """A bad value is a ConfigError naming its variable."""
    with pytest.raises(ConfigError) as info:
        load_config({name: value}, env_file=None)
    assert info.value.variable == name


def test_every_variable_in_env_example() -> None:
    """.env.example documents every variable the bot reads."""
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert [v for v in VARIABLES if f"\n{v}=" not in text] == []


@pytest.mark.parametrize(
    ("value", "rate"),
    [("3/10", Rate(3, 10.0)), ("off", None), ("0/30", None), (None, DEFAULT_QUESTION_RATE)],
)
def test_question_rate_limit(value: str | None, rate: Rate | None) -> None:
    """QUESTION_RATE_LIMIT is COUNT/SECONDS, off (or 0) for none, 5/30 by default."""
    environ = {} if value is None else {"QUESTION_RATE_LIMIT": value}
    assert load_config(environ, env_file=None).question_rate == rate


@pytest.mark.parametrize("value", ["5", "five/30", "5/0", "-1/30", "5/inf"])
def test_bad_rate_limit_names_the_variable(value: str) -> None:
    """A rate limit that is not COUNT/SECONDS is a ConfigError naming its variable."""
    with pytest.raises(ConfigError) as info:
        load_config({"BUTTON_RATE_LIMIT": value}, env_file=None)
    assert info.value.variable == "BUTTON_RATE_LIMIT"
