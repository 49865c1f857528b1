"""The message catalogues: every sentence a person sees, in Korean and English.

Why gettext ``.po`` files read with Babel: ``.po`` is the format every translation tool and
translator knows (Poedit, Weblate, Crowdin), it carries plural forms per language
(``Plural-Forms``; Korean has one form, English two) and comments for a glossary; Babel,
which reads them, also brings CLDR's date and number formats (``2024년 6월 13일 (목)``,
``Thu, Jun 13, 2024``, ``1,234``). The files are read once at start-up and compiled to ``.mo``
in memory for :class:`gettext.GNUTranslations` (no build step, nothing compiled in the repo).

Every message is looked up by a stable key (``msgid``, e.g. ``today.note.weekend``); the
English text is the ``msgstr`` of ``locales/en``. Placeholders are named, ``{day}``, filled
with :meth:`str.format`. The language is the one of the current context
(:func:`use_locale`, set once per interaction, digest post, DM or console session), so a
renderer calls ``tr("key", name=value)`` without passing it along. English answers for any
language without a catalogue, and for a key a catalogue lacks (the tests keep both complete).

:data:`PSEUDO` is a test language made from the English catalogue with every message wrapped
in ``⟦…⟧``: text outside the markers was not looked up here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import io
import re
from collections.abc import Iterator
from contextvars import ContextVar
from gettext import GNUTranslations
from pathlib import Path
from typing import Final

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALES_DIR: Final = Path(__file__).parent / "locales"
#: The languages with a catalogue, the fallback first.
LANGUAGES: Final = ("en", "ko")
DEFAULT: Final = "en"
#: The pseudo-language of the tests (see the module docstring).
PSEUDO: Final = "qps"
OPEN, CLOSE = "⟦", "⟧"

_current: ContextVar[str] = ContextVar("papers_bot_language", default=DEFAULT)


# --------------------------------------------------------------------------- choosing


def supported(tag: object) -> str:
    """The catalogue for a language tag: ``ko``, ``ko-KR``, ``ko_KR.UTF-8`` -> ``ko``;
    ``en-US``, ``fr``, ``None``, anything else -> ``en``. Accepts a :class:`discord.Locale`
    (its ``value``) without importing discord."""
    value = str(getattr(tag, "value", tag) or "")
    base = re.split(r"[-_.@]", value.strip(), maxsplit=1)[0].lower()
    return base if base in LANGUAGES else DEFAULT


def locale_from_discord(locale: object) -> str:
    """``ko`` for a Korean Discord client (``interaction.locale``/``guild_locale``), else
    ``en``."""
    return supported(locale)


def locale_from_env(environ: dict[str, str]) -> str:
    """The console's language from ``LC_ALL``, ``LC_MESSAGES`` or ``LANG`` (first one set)."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if environ.get(name):
            return supported(environ[name])
    return DEFAULT


_HANGUL_RE: Final = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")


def language_of(text: str, *, otherwise: str = DEFAULT) -> str:
    """The language a question was asked in: ``ko`` when it has Hangul, ``en`` when it has
    Latin letters and no Hangul, else ``otherwise`` (digits alone: the asker's client)."""
    if _HANGUL_RE.search(text):
        return "ko"
    if re.search(r"[A-Za-z]", text):
        return "en"
    return otherwise


def current_locale() -> str:
    """The language of the current context."""
    return _current.get()


@contextlib.contextmanager
def use_locale(language: str) -> Iterator[str]:
    """Speak ``language`` inside the block (a supported tag, or :data:`PSEUDO`)."""
    token = _current.set(language if language == PSEUDO else supported(language))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def set_locale(language: object) -> str:
    """Speak ``language`` for the rest of the current task (one interaction's handling)."""
    chosen = str(language) if language == PSEUDO else supported(language)
    _current.set(chosen)
    return chosen


# --------------------------------------------------------------------------- catalogues


def po_path(language: str) -> Path:
    return LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"


@functools.cache
def catalogue(language: str) -> Catalog:
    """The parsed ``.po`` of ``language`` (:data:`PSEUDO`: English wrapped in markers)."""
    if language == PSEUDO:
        return _pseudo()
    with po_path(language).open("rb") as file:
        return read_po(file, locale=language)


def _pseudo() -> Catalog:
    english = catalogue(DEFAULT)
    pseudo = Catalog(locale="en")
    for message in english:
        if not message.id:
            continue
        string = message.string
        wrapped = (
            tuple(f"{OPEN}{s}{CLOSE}" for s in string)
            if isinstance(string, tuple | list)
            else f"{OPEN}{string}{CLOSE}"
        )
        pseudo.add(message.id, wrapped)
    return pseudo


@functools.cache
def _translations(language: str) -> GNUTranslations:
    buffer = io.BytesIO()
    write_mo(buffer, catalogue(language))
    buffer.seek(0)
    return GNUTranslations(buffer)


def keys(language: str = DEFAULT) -> set[str]:
    """Every key of a catalogue (a plural message by its singular key)."""
    found: set[str] = set()
    for message in catalogue(language):
        if message.id:
            found.add(str(message.id[0] if isinstance(message.id, tuple) else message.id))
    return found


def _lookup(key: str, language: str) -> str | None:
    message = catalogue(language).get(key)
    if message is None or not message.string or isinstance(message.string, tuple):
        return None
    return _translations(language).gettext(key)


def tr(key: str, /, **params: object) -> str:
    """The message ``key`` in the current language, its ``{placeholders}`` filled."""
    language = _current.get()
    text = _lookup(key, language)
    if text is None:
        text = _lookup(key, DEFAULT)
    if text is None:
        raise KeyError(f"no message {key!r}")
    return text.format(**params) if params else text


def trn(key: str, count: int, /, **params: object) -> str:
    """The plural message ``key`` for ``count`` (its ``{count}`` formatted as a number)."""
    language = _current.get()
    if catalogue(language).get(key) is None:
        language = DEFAULT
    message = catalogue(language).get(key)
    if message is None:
        raise KeyError(f"no plural message {key!r}")
    plural_id = message.id[1] if isinstance(message.id, tuple) else key
    text = _translations(language).ngettext(key, plural_id, count)
    return text.format(count=number(count), **params)


# --------------------------------------------------------------------------- dates, numbers


def _babel_locale() -> Locale:
    language = _current.get()
    return Locale.parse(DEFAULT if language == PSEUDO else language)


def number(value: int) -> str:
    """``1,234`` (the current language's grouping)."""
    return format_decimal(value, locale=_babel_locale())


def date_in(day: dt.date, pattern_key: str) -> str:
    """``day`` in the CLDR pattern the catalogue keeps under ``pattern_key`` (charts' short
    dates)."""
    return babel_format_date(day, format=tr(pattern_key), locale=_babel_locale())


def date(day: dt.date) -> str:
    """``Thu, Jun 13, 2024`` / ``2024년 6월 13일 (목)`` (the pattern is in the catalogue)."""
    return babel_format_date(day, format=tr("format.date"), locale=_babel_locale())
