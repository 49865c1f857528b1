"""The message catalogues: complete in both languages, every key used, the pseudo-language,
and the language choice (Discord's locale, the environment, a question's own words)."""

from __future__ import annotations

import datetime as dt
import re
import string
from pathlib import Path

import pytest

from bot.i18n import catalog
from bot.i18n.catalog import (
    PSEUDO,
    keys,
    language_of,
    locale_from_discord,
    locale_from_env,
    tr,
    trn,
    use_locale,
)

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*ROOT.glob("bot/**/*.py"), *ROOT.glob("cogs/*.py")]


def placeholders(language: str, key: str) -> set[str]:
    """The ``{names}`` every form of one message uses."""
    message = catalog.catalogue(language).get(key)
    assert message is not None, (language, key)
    forms = message.string if isinstance(message.string, tuple) else (message.string,)
    return {name for form in forms for _, name, _, _ in string.Formatter().parse(form) if name}


def test_both_catalogues_have_the_same_keys() -> None:
    """Every key exists in English and in Korean."""
    assert keys("en") == keys("ko")


@pytest.mark.parametrize("key", sorted(keys("en")))
def test_same_placeholders_in_both_languages(key: str) -> None:
    """A message fills the same placeholders in both languages (and has text in both)."""
    assert placeholders("en", key) == placeholders("ko", key)
    for language in ("en", "ko"):
        text = catalog.catalogue(language)[key].string
        assert all(text) if isinstance(text, tuple) else text, (language, key)


def test_no_unused_keys() -> None:
    """Every key is named somewhere in the code (as a "literal"); none is left behind."""
    code = "\n".join(path.read_text(encoding="utf-8") for path in SOURCES)
    unused = sorted(key for key in keys("en") if f'"{key}"' not in code and f"'{key}'" not in code)
    assert not unused


def test_every_key_in_code_exists() -> None:
    """Every literal that looks like a message key names one (a typo is caught here)."""
    code = "\n".join(path.read_text(encoding="utf-8") for path in SOURCES)
    literal = r"""\(\s*["']([a-z_]+(?:\.[a-z0-9_]+)+)["']"""
    wanted = set(re.findall(r"\b(?:trn?|localized)" + literal, code))
    assert wanted - keys("en") == set()


def test_plural_forms_follow_each_language() -> None:
    """English says one and many apart; Korean has one form; counts are grouped."""
    with use_locale("en"):
        assert trn("count.papers", 1) == "1 paper"
        assert trn("count.papers", 1234) == "1,234 papers"
    with use_locale("ko"):
        assert trn("count.papers", 1) == "논문 1편"
        assert trn("count.papers", 1234) == "논문 1,234편"


def test_dates_in_each_language() -> None:
    """A day reads ``Thu, Jun 13, 2024`` in English and ``2024년 6월 13일 (목)`` in Korean."""
    day = dt.date(2024, 6, 13)
    with use_locale("en"):
        assert catalog.date(day) == "Thu, Jun 13, 2024"
    with use_locale("ko"):
        assert catalog.date(day) == "2024년 6월 13일 (목)"


def test_unknown_language_falls_back_to_english() -> None:
    """A language without a catalogue speaks English."""
    with use_locale("fr"):
        assert tr("error.title") == "Can't do that"


def test_pseudo_language_wraps_every_message() -> None:
    """The pseudo-language is English with each message in markers, placeholders filled."""
    with use_locale(PSEUDO):
        assert tr("search.title", query="x") == "⟦Search: x⟧"
        assert trn("count.papers", 2) == "⟦2 papers⟧"


@pytest.mark.parametrize(
    ("tag", "language"),
    [("ko", "ko"), ("en-US", "en"), ("en-GB", "en"), ("ja", "en"), (None, "en"), ("", "en")],
)
def test_locale_from_discord(tag: str | None, language: str) -> None:
    """Discord's Korean is ko; every other client language is English."""
    assert locale_from_discord(tag) == language


@pytest.mark.parametrize(
    ("environ", "language"),
    [
        ({"LANG": "ko_KR.UTF-8"}, "ko"),
        ({"LC_ALL": "en_US.UTF-8", "LANG": "ko_KR.UTF-8"}, "en"),
        ({"LC_MESSAGES": "ko_KR", "LANG": "C"}, "ko"),
        ({}, "en"),
    ],
)
def test_locale_from_env(environ: dict[str, str], language: str) -> None:
    """The console's default language: LC_ALL, then LC_MESSAGES, then LANG."""
    assert locale_from_env(environ) == language


@pytest.mark.parametrize(
    ("question", "client", "language"),
    [
        ("이번 주 에이전트 논문", "en", "ko"),
        ("papers by Yejin Choi", "ko", "en"),
        ("2025-05-08", "ko", "ko"),
    ],
)
def test_a_question_is_answered_in_its_own_language(
    question: str, client: str, language: str
) -> None:
    """Hangul means Korean, Latin letters English; digits alone keep the client's language."""
    assert language_of(question, otherwise=client) == language


def test_cooldown_counts_seconds_in_each_language() -> None:
    """'try again in 1 second' in English (not '1 seconds'), one form in Korean, in 합니다체."""
    from bot.i18n.catalog import trn, use_locale

    with use_locale("en"):
        assert trn("error.cooldown", 1) == "Slow down: try again in 1 second."
        assert trn("error.cooldown", 30) == "Slow down: try again in 30 seconds."
    with use_locale("ko"):
        assert trn("error.cooldown", 1) == "요청이 너무 잦습니다: 1초 뒤에 다시 시도하십시오."
