"""Research answers: papers like a paper, term trends, papers whose votes rose.

Typed values only, as :mod:`bot.core.answers`; the words are :mod:`bot.i18n.phrases`', the
chart :mod:`bot.i18n.charts`'. Bad input raises a :class:`~bot.core.errors.UserError` (or
:class:`~storage.errors.UnknownPaper` for an id the store does not hold).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from bot.core import answers
from bot.core.errors import EmptyQuery, TooManyTerms, UnknownPeriod, Wanted
from storage.errors import UnknownPaper
from storage.models import (
    Page,
    RisingPaper,
    SimilarPapers,
    TermTrend,
    TrendBucket,
    TrendPoint,
)

if TYPE_CHECKING:
    from storage.ports import Store

#: Papers shown by ``similar``.
SIMILAR_COUNT: Final = 8
#: Most terms on one chart, and the longest term kept.
MAX_TERMS: Final = 3
MAX_TERM_CHARS: Final = 60
#: Ranges of ``trends``: name -> days back from the newest digest (``None``: everything).
TREND_PERIODS: Final[dict[str, int | None]] = {
    "month": 30,
    "quarter": 91,
    "year": 365,
    "all": None,
}
DEFAULT_TREND_PERIOD: Final = "year"
#: Ranges longer than this many days are counted per month, shorter ones per week.
WEEKLY_UP_TO_DAYS: Final = 190

_QUOTED_RE: Final = re.compile(r'"([^"]*)"|(\S+)')


async def similar(store: Store, ref: str, *, limit: int = SIMILAR_COUNT) -> SimilarPapers:
    """The papers most like the one ``ref`` names (an id or a link)."""
    ref = (ref or "").strip()
    if not ref:
        raise EmptyQuery(Wanted.PAPER)
    if ref.lower().startswith("arxiv:"):
        ref = ref[len("arxiv:") :].strip()
    found = await store.similar_papers(ref, limit=max(1, min(limit, answers.MAX_COUNT)))
    if found is None:
        raise UnknownPaper(ref)
    return found


# --------------------------------------------------------------------------- trends


def parse_terms(text: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The terms of ``text``: comma-separated when it has a comma (``language model, agent``),
    otherwise words and ``"quoted phrases"``; a list is taken as its items. Empty terms are
    dropped, the same term (any case) is kept once; none is :class:`EmptyQuery`, more than
    :data:`MAX_TERMS` :class:`TooManyTerms`."""
    if isinstance(text, str):
        if "," in text:
            parts = text.split(",")
        else:
            parts = [
                m.group(1) if m.group(1) is not None else m.group(2)
                for m in _QUOTED_RE.finditer(text)
            ]
    else:
        parts = list(text)
    terms: dict[str, str] = {}
    for part in parts:
        term = " ".join(part.replace('"', " ").split())[:MAX_TERM_CHARS].strip()
        if term:
            terms.setdefault(term.casefold(), term)
    if not terms:
        raise EmptyQuery(Wanted.TRENDS)
    if len(terms) > MAX_TERMS:
        raise TooManyTerms(len(terms), MAX_TERMS)
    return tuple(terms.values())


def parse_trend_period(text: str | None) -> str:
    """A range name for ``trends`` (any case; :data:`DEFAULT_TREND_PERIOD` when empty)."""
    if text is None or not text.strip():
        return DEFAULT_TREND_PERIOD
    name = text.strip().lower()
    if name not in TREND_PERIODS:
        raise UnknownPeriod(text, tuple(TREND_PERIODS))
    return name


class TrendNote(StrEnum):
    """Why a chart has nothing to show."""

    NO_DATA = "no_data"  # the store is empty
    NO_PAPERS = "no_papers"  # no paper in the range mentions any term


@dataclass(frozen=True, slots=True)
class TrendsAnswer:
    """Papers per week or month mentioning each term, over every bucket of the range.

    ``series`` has one :class:`TermTrend` per term whose points cover every bucket of
    ``starts`` (zeros included), so a chart and a table line up.
    """

    terms: tuple[str, ...]
    period: str
    since: dt.date | None
    until: dt.date | None
    bucket: TrendBucket
    starts: tuple[dt.date, ...]
    series: tuple[TermTrend, ...]
    why: TrendNote | None = None

    @property
    def found(self) -> bool:
        return any(t.papers for t in self.series)


def bucket_start(day: dt.date, bucket: TrendBucket) -> dt.date:
    """The Monday of ``day``'s week, or the 1st of its month."""
    if bucket == "week":
        return day - dt.timedelta(days=day.weekday())
    return day.replace(day=1)


def _next_start(start: dt.date, bucket: TrendBucket) -> dt.date:
    if bucket == "week":
        return start + dt.timedelta(days=7)
    return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def bucket_starts(first: dt.date, last: dt.date, bucket: TrendBucket) -> tuple[dt.date, ...]:
    """Every bucket from the one holding ``first`` to the one holding ``last``."""
    out = []
    start = bucket_start(first, bucket)
    while start <= last:
        out.append(start)
        start = _next_start(start, bucket)
    return tuple(out)


async def trends(
    store: Store, terms: str | list[str] | tuple[str, ...], period: str | None = None
) -> TrendsAnswer:
    """Papers per week (per month past :data:`WEEKLY_UP_TO_DAYS` days) mentioning each term,
    over the last ``period`` counted back from the newest digest."""
    wanted = parse_terms(terms)
    name = parse_trend_period(period)
    latest = await store.latest_day()
    if latest is None:
        return TrendsAnswer(wanted, name, None, None, "week", (), (), TrendNote.NO_DATA)
    days = TREND_PERIODS[name]
    since = latest - dt.timedelta(days=days - 1) if days is not None else None
    bucket: TrendBucket = "week" if days is not None and days <= WEEKLY_UP_TO_DAYS else "month"
    found = await store.term_trends(wanted, since=since, until=latest, bucket=bucket)
    firsts = [t.points[0].start for t in found if t.points]
    if not firsts:
        return TrendsAnswer(
            wanted, name, since, latest, bucket, (), tuple(found), TrendNote.NO_PAPERS
        )
    starts = bucket_starts(since or min(firsts), latest, bucket)
    series = tuple(
        TermTrend(
            t.term,
            tuple(next((p for p in t.points if p.start == s), TrendPoint(s, 0, 0)) for s in starts),
        )
        for t in found
    )
    return TrendsAnswer(wanted, name, since, latest, bucket, starts, series)


def peak(trend: TermTrend) -> TrendPoint | None:
    """The bucket with the most papers (the latest of equals), or ``None`` when it has none."""
    best: TrendPoint | None = None
    for point in trend.points:
        if point.papers and (best is None or point.papers >= best.papers):
            best = point
    return best


# --------------------------------------------------------------------------- rising


class RisingNote(StrEnum):
    """Which range ``rising`` covered, or why it found nothing."""

    PERIOD = "period"  # the last N days up to today (UTC)
    RANGE = "range"  # an explicit since/until
    ALL_TIME = "all_time"
    NONE = "none"  # no paper's votes rose in the range (or no vote history at all)


@dataclass(frozen=True, slots=True)
class RisingAnswer:
    """Papers whose votes grew most in the range (from their vote history)."""

    period: str
    since: dt.date | None
    until: dt.date | None
    papers: Page[RisingPaper]
    why: RisingNote

    @property
    def found(self) -> bool:
        return bool(self.papers.items)

    @property
    def days(self) -> int | None:
        return answers.PERIODS.get(self.period)


async def rising(
    store: Store,
    period: str | None,
    since: dt.date | str | None,
    until: dt.date | str | None,
    count: int,
    *,
    now: dt.datetime,
    offset: int = 0,
) -> RisingAnswer:
    """Papers whose votes grew most in a period (the last 7, 30 or 365 days up to today, UTC:
    votes keep coming after a paper's day) or an explicit inclusive range."""
    limit, offset = answers.clamp_count(count), answers.clamp_offset(offset)
    first = answers.parse_date(since) if since is not None else None
    last = answers.parse_date(until) if until is not None else None
    answers.check_range(first, last)
    if first is not None or last is not None:
        name, why = "custom", RisingNote.RANGE
    else:
        name = answers.parse_period(period)
        days = answers.PERIODS[name]
        if days is None:
            why = RisingNote.ALL_TIME
        else:
            last = now.astimezone(dt.UTC).date()
            first = last - dt.timedelta(days=days - 1)
            why = RisingNote.PERIOD
    page = await store.rising_papers(first, last, limit=limit, offset=offset)
    if not page.total:
        why = RisingNote.NONE
    return RisingAnswer(name, first, last, page, why)
