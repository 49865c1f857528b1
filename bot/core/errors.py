"""Typed failures of input the bot cannot answer: fields, never sentences.

Every one is a :class:`UserError`, the expected failure the front ends show to the person who
typed the input (the Discord error handler, the console) in words of
:func:`bot.i18n.phrases.describe_error`. ``str()`` of each is a short technical form for logs.
The first ones come from :mod:`bot.core.answers`; :class:`BadNumber`, :class:`BadUsage`,
:class:`UnknownCommand` and :class:`BadPage` from the console's command lines.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum


class UserError(ValueError):
    """Input that cannot be answered (see the subclasses for what and why)."""


class DateProblem(StrEnum):
    """What is wrong with a date."""

    FORMAT = "format"  # not YYYY-MM-DD (nor YYYYMMDD, nor with / or .)
    YEAR = "year"  # year 0 (four digits, before year 1)
    MONTH = "month"  # not 1..12
    DAY = "day"  # not a day of that month


class InvalidDate(UserError):
    """``text`` is not a date (``problem`` says why)."""

    def __init__(self, text: str, problem: DateProblem) -> None:
        super().__init__(f"invalid date {text!r}: {problem.value}")
        self.text = text
        self.problem = problem


class UnknownPeriod(UserError):
    """``text`` names no period; ``choices`` are the ones there are."""

    def __init__(self, text: str, choices: tuple[str, ...]) -> None:
        super().__init__(f"unknown period {text!r}")
        self.text = text
        self.choices = choices


class UnknownSort(UserError):
    """``text`` names no sort order; ``choices`` are the ones there are."""

    def __init__(self, text: str, choices: tuple[str, ...]) -> None:
        super().__init__(f"unknown sort {text!r}")
        self.text = text
        self.choices = choices


class UnknownFormat(UserError):
    """``text`` names no export format; ``choices`` are the ones there are."""

    def __init__(self, text: str, choices: tuple[str, ...]) -> None:
        super().__init__(f"unknown format {text!r}")
        self.text = text
        self.choices = choices


class ReversedRange(UserError):
    """A date range that starts (``since``) after it ends (``until``)."""

    def __init__(self, since: dt.date, until: dt.date) -> None:
        super().__init__(f"reversed range {since}..{until}")
        self.since = since
        self.until = until


class Wanted(StrEnum):
    """What an empty query should have named."""

    PAPER = "paper"
    AUTHOR = "author"
    SEARCH = "search"
    ALERT_KEYWORDS = "alert_keywords"  # keywords with nothing searchable in them
    TRENDS = "trends"  # no term to chart


class EmptyQuery(UserError):
    """A query with nothing in it (``what`` was wanted)."""

    def __init__(self, what: Wanted) -> None:
        super().__init__(f"empty query: {what.value}")
        self.what = what


class BadNumber(UserError):
    """``text`` was given for the number ``what`` and is not a whole number."""

    def __init__(self, text: str, what: str) -> None:
        super().__init__(f"not a number for {what}: {text!r}")
        self.text = text
        self.what = what


class BadUsage(UserError):
    """A console command given the wrong arguments; ``option`` is the one missing its value."""

    def __init__(self, command: str, option: str | None = None) -> None:
        super().__init__(f"usage: {command} {option or ''}".strip())
        self.command = command
        self.option = option


class UnknownCommand(UserError):
    """The first word of a console line (``name``) is not a command."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown command {name!r}")
        self.name = name


class BadPage(UserError):
    """A page number below 1."""

    def __init__(self, number: int) -> None:
        super().__init__(f"bad page {number}")
        self.number = number


class TooManyTerms(UserError):
    """More terms (``count``) than a chart shows (``maximum``)."""

    def __init__(self, count: int, maximum: int) -> None:
        super().__init__(f"too many terms: {count} > {maximum}")
        self.count = count
        self.maximum = maximum


class ChartTimeout(UserError):
    """Drawing the chart took longer than ``seconds``."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"chart not ready in {seconds} s")
        self.seconds = seconds
