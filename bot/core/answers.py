"""What each command finds and how it is ordered, written once for the console and the cogs.

Every function takes an open store (:mod:`storage.ports`), validates and clamps its input, asks
the store, and returns a frozen answer dataclass: the data (always as a :class:`Page`, so a
renderer can say "N in all"), plus a typed ``why`` for anything surprising (an anchored
period, a day without a digest, suggestions when nothing matched), which the front ends put
into words (:func:`bot.i18n.phrases.note_text`). Only the rendering differs between the terminal and
Discord.

Invalid input raises a typed :class:`~bot.core.errors.UserError` (:mod:`bot.core.errors`).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Final, cast, get_args

from bot.core.errors import (
    DateProblem,
    EmptyQuery,
    InvalidDate,
    ReversedRange,
    UnknownPeriod,
    UnknownSort,
    Wanted,
)
from storage.models import (
    Author,
    AuthorProfile,
    Page,
    Paper,
    SearchHit,
    SortOrder,
)

if TYPE_CHECKING:
    from storage.ports import Store

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_COUNT",
    "MAX_COUNT",
    "PERIODS",
    "SORT_ORDERS",
    "AuthorAnswer",
    "AuthorNote",
    "DayAnswer",
    "DayGap",
    "SearchAnswer",
    "SearchNote",
    "SearchTip",
    "TodayGap",
    "TopAnswer",
    "TopNote",
    "anchor_day",
    "author",
    "clamp_count",
    "clamp_offset",
    "day",
    "looks_like_paper_ref",
    "paper",
    "parse_date",
    "parse_period",
    "search",
    "today",
    "top",
]

#: Items per page when nobody says otherwise, and the most we ever show on one page.
DEFAULT_COUNT: Final = 10
MAX_COUNT: Final = 25
#: Most candidates/suggestions an answer carries.
MAX_SUGGESTIONS: Final = 10

#: Relative periods for ``top``: name -> number of days, ``None`` meaning everything.
PERIODS: Final[dict[str, int | None]] = {"week": 7, "month": 30, "year": 365, "all": None}
DEFAULT_PERIOD: Final = "week"

SORT_ORDERS: Final[tuple[str, ...]] = get_args(SortOrder)

_URL_RE: Final = re.compile(r"^(?:https?://|www\.|arxiv\.org/|huggingface\.co/)", re.IGNORECASE)
_PAPER_REF_RE: Final = re.compile(
    r"^(?:arxiv:\s*)?(?:\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?$", re.IGNORECASE
)
_DATE_RE: Final = re.compile(
    r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\s*$|^\s*(\d{4})(\d{2})(\d{2})\s*$"
)


# --------------------------------------------------------------------------- answers


class TodayGap(StrEnum):
    """Why ``today`` shows another day than today (UTC), or nothing."""

    NO_DATA = "no_data"  # there is no digest at all
    DATED_AFTER_TODAY = "dated_after_today"  # the newest digest is dated after today
    WEEKEND = "weekend"  # it is the weekend: none are published
    NOT_OUT_YET = "not_out_yet"  # today's is not out yet (made at 23:00 UTC)
    WEEKEND_NOT_OUT_YET = "weekend_not_out_yet"  # none at the weekend, and today's not out yet
    ARCHIVE_ENDS = "archive_ends"  # none for today and nothing newer: the archive ends there


class DayGap(StrEnum):
    """Why ``day`` shows no papers for the day asked for."""

    NO_DIGEST = "no_digest"  # no digest that day (``before``/``after`` are the nearest)
    EMPTY_DIGEST = "empty_digest"  # its digest lists no papers


class TopNote(StrEnum):
    """What the range of ``top`` was, and whether anything is in it."""

    RANGE = "range"  # an explicit since/until range
    RANGE_EMPTY = "range_empty"  # an explicit range with no papers (``latest`` says the newest)
    ALL_TIME = "all_time"
    PERIOD = "period"  # the last N days, up to today
    PERIOD_ANCHORED = "period_anchored"  # the last N days, up to the newest digest (before today)
    NO_DATA = "no_data"  # there is no digest at all


class AuthorNote(StrEnum):
    """What is surprising about an author answer."""

    NOT_FOUND = "not_found"  # no author by that name (``suggestions`` are near names)
    SEVERAL = "several"  # more than one author matched; the best one is shown


class SearchNote(StrEnum):
    """What is surprising about a search answer."""

    UNKNOWN_PAPER = "unknown_paper"  # an arXiv id or URL the archive does not have
    PAST_THE_END = "past_the_end"  # the page asked for is after the last result
    NO_MATCH = "no_match"  # nothing matched (``tips`` say what to try)


class SearchTip(StrEnum):
    """What to try when a search found nothing."""

    FEWER_WORDS = "fewer_words"
    ENGLISH_TERM = "english_term"  # titles are in English
    KOREAN_TERM = "korean_term"  # summaries are in Korean
    NO_DATE_RANGE = "no_date_range"
    TITLE_WORDS = "title_words"  # for an unknown paper: words from its title instead


@dataclass(frozen=True, slots=True)
class DayAnswer:
    """One day's papers (``today``/``day``).

    ``date`` is the day shown (``None`` when there is nothing to show: an empty store, or a day
    without a digest). ``requested`` is the day asked for (for ``today``: today in UTC).
    ``before``/``after`` are the nearest days with a digest when ``requested`` has none.
    ``why`` says why the day shown is not the one asked for, or why it shows nothing.
    """

    requested: dt.date | None
    date: dt.date | None
    papers: Page[Paper]
    why: TodayGap | DayGap | None = None
    before: dt.date | None = None
    after: dt.date | None = None

    @property
    def found(self) -> bool:
        return bool(self.papers.items)


@dataclass(frozen=True, slots=True)
class TopAnswer:
    """The most voted papers in an inclusive date range.

    ``period`` is ``"week"``, ``"month"``, ``"year"``, ``"all"`` or ``"custom"`` (explicit
    since/until); ``since``/``until`` are the range actually used (``None`` = open end);
    ``anchor`` is the day relative periods end on; ``latest`` the newest digest day.
    ``why`` says which kind of range that was (and whether there is any data).
    """

    period: str
    since: dt.date | None
    until: dt.date | None
    papers: Page[Paper]
    why: TopNote
    anchor: dt.date | None = None
    latest: dt.date | None = None

    @property
    def days(self) -> int | None:
        """How many days a relative period covers (``None`` for all time or a custom range)."""
        return PERIODS.get(self.period)

    @property
    def found(self) -> bool:
        return bool(self.papers.items)


@dataclass(frozen=True, slots=True)
class AuthorAnswer:
    """An author's profile.

    ``author`` is the one shown (the best match) and ``profile`` its card (``None`` when no
    author matched). ``matches`` are every author that matched, best first (the shown one
    included; see :attr:`other_matches`). ``suggestions`` are near names when none matched.
    ``papers`` is the profile's page of papers (an empty page when none matched).
    """

    query: str
    author: Author | None
    profile: AuthorProfile | None
    papers: Page[Paper]
    matches: tuple[Author, ...] = ()
    suggestions: tuple[Author, ...] = ()
    why: AuthorNote | None = None

    @property
    def found(self) -> bool:
        return self.author is not None

    @property
    def other_matches(self) -> tuple[Author, ...]:
        shown = self.author.id if self.author else None
        return tuple(a for a in self.matches if a.id != shown)

    @property
    def named_others(self) -> tuple[Author, ...]:
        """The other matches worth naming (at most :data:`MAX_SUGGESTIONS` - 1, best first)."""
        return self.matches[1:MAX_SUGGESTIONS]

    @property
    def unnamed_others(self) -> int:
        """How many other matches :attr:`named_others` leaves out."""
        return max(0, len(self.matches) - 1 - len(self.named_others))

    @property
    def matches_capped(self) -> bool:
        """Whether the matches stopped at the most asked for (there may be more)."""
        return len(self.matches) >= MAX_COUNT


@dataclass(frozen=True, slots=True)
class SearchAnswer:
    """Search results.

    When the query is an arXiv id or a paper URL that the store knows, ``paper`` is that paper
    and ``hits`` holds it as the single hit. ``tips`` say what to try when nothing matched.
    """

    query: str
    hits: Page[SearchHit]
    since: dt.date | None = None
    until: dt.date | None = None
    sort: str = "relevance"
    paper: Paper | None = None
    tips: tuple[SearchTip, ...] = ()
    why: SearchNote | None = None

    @property
    def found(self) -> bool:
        return bool(self.hits.items)


# --------------------------------------------------------------------------- input helpers


def clamp_count(
    count: int | None, *, default: int = DEFAULT_COUNT, maximum: int = MAX_COUNT
) -> int:
    """A page size within ``1..maximum``; ``None`` gives ``default``."""
    if count is None:
        return default
    return max(1, min(int(count), maximum))


def clamp_offset(offset: int | None) -> int:
    """An offset of at least 0."""
    return max(0, int(offset or 0))


def parse_date(text: str | dt.date) -> dt.date:
    """``YYYY-MM-DD`` (also ``/`` or ``.`` separators, or ``YYYYMMDD``) -> date, else
    :class:`~bot.core.errors.InvalidDate`."""
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    match = _DATE_RE.match(text or "")
    if not match:
        raise InvalidDate(text, DateProblem.FORMAT)
    year, month, day_ = (int(g) for g in match.groups() if g is not None)
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise InvalidDate(text, DateProblem.YEAR)
    if not 1 <= month <= 12:
        raise InvalidDate(text, DateProblem.MONTH)
    try:
        return dt.date(year, month, day_)
    except ValueError:
        raise InvalidDate(text, DateProblem.DAY) from None


def parse_period(text: str | None) -> str:
    """A period name for :func:`top` (case-insensitive), else
    :class:`~bot.core.errors.UnknownPeriod` listing the valid ones."""
    if text is None or not text.strip():
        return DEFAULT_PERIOD
    name = text.strip().lower()
    if name not in PERIODS:
        raise UnknownPeriod(text, tuple(PERIODS))
    return name


def looks_like_paper_ref(text: str) -> bool:
    """True for an arXiv id (``2406.06523``, ``arXiv:2406.06523v2``) or a URL."""
    text = text.strip()
    return bool(_PAPER_REF_RE.match(text) or _URL_RE.match(text))


def check_range(since: dt.date | None, until: dt.date | None) -> None:
    """Raise :class:`~bot.core.errors.ReversedRange` when ``since`` is after ``until``."""
    if since is not None and until is not None and since > until:
        raise ReversedRange(since, until)


def _utc_today(now: dt.datetime) -> dt.date:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    return now.astimezone(dt.UTC).date()


def anchor_day(now: dt.datetime, latest: dt.date | None) -> dt.date:
    """The day relative periods end on: min(today in UTC, the newest digest day)."""
    today_ = _utc_today(now)
    return min(today_, latest) if latest is not None else today_


def _empty_page(limit: int, offset: int = 0) -> Page:
    return Page(items=(), total=0, offset=offset, limit=limit)


# --------------------------------------------------------------------------- answers


async def today(store: Store, count: int, *, now: dt.datetime, offset: int = 0) -> DayAnswer:
    """The newest digest day's papers, by votes.

    When the newest digest is not today's (UTC), ``why`` says why (weekend, not published yet,
    or the archive ends there).
    """
    limit, offset = clamp_count(count), clamp_offset(offset)
    today_ = _utc_today(now)
    latest = await store.latest_day()
    if latest is None:
        return DayAnswer(today_, None, _empty_page(limit), why=TodayGap.NO_DATA)
    papers = await store.day_papers(latest, limit=limit, offset=offset)
    return DayAnswer(today_, latest, papers, why=_today_gap(latest, today_))


def _today_gap(latest: dt.date, today_: dt.date) -> TodayGap | None:
    """Why the newest digest day is shown instead of today (``None`` when it is today)."""
    gap = (today_ - latest).days
    if gap == 0:
        return None
    if gap < 0:
        return TodayGap.DATED_AFTER_TODAY
    missing_before_today = [latest + dt.timedelta(days=i) for i in range(1, gap)]
    if gap <= 3 and all(d.weekday() >= 5 for d in missing_before_today):
        if today_.weekday() >= 5:
            return TodayGap.WEEKEND
        if gap == 1:
            return TodayGap.NOT_OUT_YET
        return TodayGap.WEEKEND_NOT_OUT_YET
    return TodayGap.ARCHIVE_ENDS


async def day(store: Store, date: dt.date | str, count: int, *, offset: int = 0) -> DayAnswer:
    """One day's papers by votes; for a day without a digest, the nearest days that have one."""
    date = parse_date(date)
    limit, offset = clamp_count(count), clamp_offset(offset)
    papers = await store.day_papers(date, limit=limit, offset=offset)
    if papers.total:
        return DayAnswer(requested=date, date=date, papers=papers)
    has_digest = bool(await store.days(prefix=date.isoformat(), limit=1))
    before, after = await store.nearest_days(date)
    if has_digest:
        return DayAnswer(date, date, papers, DayGap.EMPTY_DIGEST, before=before, after=after)
    return DayAnswer(date, None, papers, DayGap.NO_DIGEST, before=before, after=after)


async def top(
    store: Store,
    period: str | None,
    since: dt.date | None,
    until: dt.date | None,
    count: int,
    *,
    now: dt.datetime,
    offset: int = 0,
) -> TopAnswer:
    """The most voted papers of a period, or of an explicit inclusive since/until range.

    Explicit dates win over ``period``. Relative periods (week = last 7 days, month = 30,
    year = 365) end on min(today UTC, newest digest day), so an archive that stopped long ago
    still gives useful answers; ``why`` says which range that was.
    """
    limit, offset = clamp_count(count), clamp_offset(offset)
    since = parse_date(since) if since is not None else None
    until = parse_date(until) if until is not None else None
    check_range(since, until)
    today_ = _utc_today(now)
    latest = await store.latest_day()

    if since is not None or until is not None:
        papers = await store.top_papers(since, until, limit=limit, offset=offset)
        why = TopNote.RANGE if papers.total else TopNote.RANGE_EMPTY
        return TopAnswer("custom", since, until, papers, why, latest=latest)

    name = parse_period(period)
    days = PERIODS[name]
    if days is None:
        papers = await store.top_papers(None, None, limit=limit, offset=offset)
        why = TopNote.ALL_TIME if papers.total else TopNote.NO_DATA
        return TopAnswer(name, None, None, papers, why, anchor=latest, latest=latest)

    anchor = anchor_day(now, latest)
    start = anchor - dt.timedelta(days=days - 1)
    papers = await store.top_papers(start, anchor, limit=limit, offset=offset)
    if latest is None:
        why = TopNote.NO_DATA
    elif anchor != today_:
        why = TopNote.PERIOD_ANCHORED
    else:
        why = TopNote.PERIOD
    return TopAnswer(name, start, anchor, papers, why, anchor=anchor, latest=latest)


async def paper(store: Store, ref: str) -> Paper | None:
    """A paper by arXiv id (with or without version), arXiv/HF URL; ``None`` if unknown."""
    ref = (ref or "").strip()
    if not ref:
        raise EmptyQuery(Wanted.PAPER)
    if ref.lower().startswith("arxiv:"):
        ref = ref[len("arxiv:") :].strip()
    return await store.paper(ref)


async def author(
    store: Store, name: str, *, limit: int = DEFAULT_COUNT, offset: int = 0
) -> AuthorAnswer:
    """The best matching author's profile, the other candidates, or suggestions for none."""
    query = " ".join((name or "").split())
    if not query:
        raise EmptyQuery(Wanted.AUTHOR)
    limit, offset = clamp_count(limit), clamp_offset(offset)
    matches = tuple(await store.find_authors(query, limit=MAX_COUNT))
    if not matches:
        suggestions = await _author_suggestions(store, query)
        return AuthorAnswer(
            query,
            None,
            None,
            _empty_page(limit, offset),
            suggestions=suggestions,
            why=AuthorNote.NOT_FOUND,
        )
    best = matches[0]
    profile = await store.author_profile(best.id, limit=limit, offset=offset)
    papers = profile.papers if profile is not None else _empty_page(limit, offset)
    why = AuthorNote.SEVERAL if len(matches) > 1 else None
    return AuthorAnswer(query, best, profile, papers, matches=matches, why=why)


async def _author_suggestions(store: Store, query: str) -> tuple[Author, ...]:
    """Authors whose name (or a name part) starts like the query or one of its words."""
    words = [w for w in re.split(r"[\s,.]+", query) if w]
    prefixes: list[str] = []
    for word in [*words[::-1], query]:
        for size in (4, 3, 2):
            if len(word) >= size:
                prefixes.append(word[:size])
    if len(query) == 1:
        prefixes.append(query)
    seen: dict[int, Author] = {}
    for prefix in dict.fromkeys(prefixes):
        for found in await store.suggest_authors(prefix, limit=MAX_SUGGESTIONS):
            seen.setdefault(found.id, found)
        if len(seen) >= MAX_SUGGESTIONS:
            break
    return tuple(list(seen.values())[:MAX_SUGGESTIONS])


_HANGUL_RE: Final = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")


async def search(
    store: Store,
    query: str,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    sort: str = "relevance",
    limit: int = DEFAULT_COUNT,
    offset: int = 0,
) -> SearchAnswer:
    """Full-text search over titles, authors and Korean summaries.

    An arXiv id or paper URL as the query opens that paper (``answer.paper``). When nothing
    matches, ``tips`` say what to try (fewer words, the other language, no date range).
    """
    text = " ".join((query or "").split())
    if not text:
        raise EmptyQuery(Wanted.SEARCH)
    if sort not in SORT_ORDERS:
        raise UnknownSort(sort, SORT_ORDERS)
    order = cast(SortOrder, sort)
    since = parse_date(since) if since is not None else None
    until = parse_date(until) if until is not None else None
    check_range(since, until)
    limit, offset = clamp_count(limit), clamp_offset(offset)

    if looks_like_paper_ref(text):
        found = await paper(store, text)
        if found is not None:
            hits = Page(items=(SearchHit(found, (), 0.0),), total=1, offset=0, limit=limit)
            return SearchAnswer(text, hits, since, until, sort, paper=found)
        return SearchAnswer(
            text,
            _empty_page(limit, offset),
            since,
            until,
            sort,
            tips=(SearchTip.TITLE_WORDS,),
            why=SearchNote.UNKNOWN_PAPER,
        )

    hits = await store.search(
        text, since=since, until=until, sort=order, limit=limit, offset=offset
    )
    if hits.total:
        why = SearchNote.PAST_THE_END if offset >= hits.total else None
        return SearchAnswer(text, hits, since, until, sort, why=why)

    tips: list[SearchTip] = []
    if len(text.split()) > 1:
        tips.append(SearchTip.FEWER_WORDS)
    if _HANGUL_RE.search(text):
        tips.append(SearchTip.ENGLISH_TERM)
    else:
        tips.append(SearchTip.KOREAN_TERM)
    if since is not None or until is not None:
        tips.append(SearchTip.NO_DATE_RANGE)
    return SearchAnswer(text, hits, since, until, sort, tips=tuple(tips), why=SearchNote.NO_MATCH)
