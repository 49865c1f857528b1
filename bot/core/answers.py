"""What each command finds and how it is ordered, written once for the console and the cogs.

Every function takes an open store (:mod:`storage.ports`), validates and clamps its input, asks
the store, and returns a frozen answer dataclass: the data (always as a :class:`Page`, so a
renderer can say "N in all"), plus a human ``note`` that explains anything surprising (an
anchored period, a day without a digest, suggestions when nothing matched). Only the rendering
differs between the terminal and Discord.

Invalid input raises :class:`UserError` with a message meant for the person who typed it.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, get_args

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
    "DayAnswer",
    "SearchAnswer",
    "TopAnswer",
    "UserError",
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

_WEEKDAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_URL_RE: Final = re.compile(r"^(?:https?://|www\.|arxiv\.org/|huggingface\.co/)", re.IGNORECASE)
_PAPER_REF_RE: Final = re.compile(
    r"^(?:arxiv:\s*)?(?:\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?$", re.IGNORECASE
)
_DATE_RE: Final = re.compile(
    r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\s*$|^\s*(\d{4})(\d{2})(\d{2})\s*$"
)


class UserError(ValueError):
    """Input that cannot be answered; ``str(error)`` is a message meant for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --------------------------------------------------------------------------- answers


@dataclass(frozen=True, slots=True)
class DayAnswer:
    """One day's papers (``today``/``day``).

    ``date`` is the day shown (``None`` when there is nothing to show: an empty store, or a day
    without a digest). ``requested`` is the day asked for (for ``today``: today in UTC).
    ``before``/``after`` are the nearest days with a digest when ``requested`` has none.
    """

    requested: dt.date | None
    date: dt.date | None
    papers: Page[Paper]
    note: str = ""
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
    ``anchor`` is the day relative periods end on.
    """

    period: str
    since: dt.date | None
    until: dt.date | None
    papers: Page[Paper]
    note: str = ""
    anchor: dt.date | None = None

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
    note: str = ""

    @property
    def found(self) -> bool:
        return self.author is not None

    @property
    def other_matches(self) -> tuple[Author, ...]:
        shown = self.author.id if self.author else None
        return tuple(a for a in self.matches if a.id != shown)


@dataclass(frozen=True, slots=True)
class SearchAnswer:
    """Search results.

    When the query is an arXiv id or a paper URL that the store knows, ``paper`` is that paper
    and ``hits`` holds it as the single hit. ``suggestions`` are plain-text tips when nothing
    matched.
    """

    query: str
    hits: Page[SearchHit]
    since: dt.date | None = None
    until: dt.date | None = None
    sort: str = "relevance"
    paper: Paper | None = None
    suggestions: tuple[str, ...] = field(default_factory=tuple)
    note: str = ""

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
    """``YYYY-MM-DD`` (also ``/`` or ``.`` separators, or ``YYYYMMDD``) -> date, else UserError."""
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    match = _DATE_RE.match(text or "")
    if not match:
        raise UserError(f"Not a date: {text!r} (use YYYY-MM-DD, e.g. 2024-06-13)")
    year, month, day_ = (int(g) for g in match.groups() if g is not None)
    try:
        return dt.date(year, month, day_)
    except ValueError as exc:
        raise UserError(f"Not a date: {text!r} ({exc})") from None


def parse_period(text: str | None) -> str:
    """A period name for :func:`top` (case-insensitive), else UserError listing the valid ones."""
    if text is None or not text.strip():
        return DEFAULT_PERIOD
    name = text.strip().lower()
    if name not in PERIODS:
        raise UserError(f"Unknown period {text!r}: use one of {', '.join(PERIODS)}")
    return name


def looks_like_paper_ref(text: str) -> bool:
    """True for an arXiv id (``2406.06523``, ``arXiv:2406.06523v2``) or a URL."""
    text = text.strip()
    return bool(_PAPER_REF_RE.match(text) or _URL_RE.match(text))


def check_range(since: dt.date | None, until: dt.date | None) -> None:
    """Raise :class:`UserError` when ``since`` is after ``until``."""
    if since is not None and until is not None and since > until:
        raise UserError(
            f"The start date {since} is after the end date {until}: swap them and try again."
        )


def _utc_today(now: dt.datetime) -> dt.date:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    return now.astimezone(dt.UTC).date()


def anchor_day(now: dt.datetime, latest: dt.date | None) -> dt.date:
    """The day relative periods end on: min(today in UTC, the newest digest day)."""
    today_ = _utc_today(now)
    return min(today_, latest) if latest is not None else today_


def _weekday(date: dt.date) -> str:
    return _WEEKDAYS[date.weekday()]


def _describe(date: dt.date) -> str:
    return f"{date.isoformat()} ({_weekday(date)})"


def _empty_page(limit: int, offset: int = 0) -> Page:
    return Page(items=(), total=0, offset=offset, limit=limit)


def _nearest_text(before: dt.date | None, after: dt.date | None) -> str:
    parts = []
    if before is not None:
        parts.append(f"{_describe(before)} before")
    if after is not None:
        parts.append(f"{_describe(after)} after")
    if not parts:
        return "There are no digests at all yet."
    return "Nearest digests: " + " and ".join(parts) + "."


_NO_DATA = "No digests yet: import some with `papers-bot import PATH`."


# --------------------------------------------------------------------------- answers


async def today(store: Store, count: int, *, now: dt.datetime, offset: int = 0) -> DayAnswer:
    """The newest digest day's papers, by votes.

    When the newest digest is not today's (UTC), the note says which day is shown and why
    (weekend, not published yet, or the archive ends there).
    """
    limit, offset = clamp_count(count), clamp_offset(offset)
    today_ = _utc_today(now)
    latest = await store.latest_day()
    if latest is None:
        return DayAnswer(requested=today_, date=None, papers=_empty_page(limit), note=_NO_DATA)
    papers = await store.day_papers(latest, limit=limit, offset=offset)
    return DayAnswer(requested=today_, date=latest, papers=papers, note=_today_note(latest, today_))


def _today_note(latest: dt.date, today_: dt.date) -> str:
    """Why the newest digest day is shown instead of today (empty when it is today)."""
    gap = (today_ - latest).days
    if gap == 0:
        return ""
    shown = f"Showing {_describe(latest)}, the newest digest"
    if gap < 0:
        return f"{shown}; it is dated after today ({today_.isoformat()}, UTC)."
    missing_before_today = [latest + dt.timedelta(days=i) for i in range(1, gap)]
    if gap <= 3 and all(d.weekday() >= 5 for d in missing_before_today):
        if today_.weekday() >= 5:
            return f"{shown}: Daily Papers are not published at weekends."
        if gap == 1:
            return (
                f"{shown}: today's digest ({today_.isoformat()}, UTC) is not out yet; "
                "digests are made at 23:00 UTC."
            )
        return (
            f"{shown}: there is none at the weekend, and today's ({today_.isoformat()}, UTC) "
            "is not out yet; digests are made at 23:00 UTC."
        )
    return f"{shown}: none yet for {today_.isoformat()} (UTC) and nothing newer in the archive."


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
        note = f"The digest for {_describe(date)} lists no papers. " + _nearest_text(before, after)
        return DayAnswer(date, date, papers, note=note.strip(), before=before, after=after)
    note = f"No digest for {_describe(date)}. " + _nearest_text(before, after)
    return DayAnswer(date, None, papers, note=note, before=before, after=after)


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
    still gives useful answers; the note says which range that was.
    """
    limit, offset = clamp_count(count), clamp_offset(offset)
    since = parse_date(since) if since is not None else None
    until = parse_date(until) if until is not None else None
    check_range(since, until)
    today_ = _utc_today(now)
    latest = await store.latest_day()

    if since is not None or until is not None:
        papers = await store.top_papers(since, until, limit=limit, offset=offset)
        what = _range_text(since, until)
        note = f"Most voted papers {what}."
        if not papers.total:
            note = f"No papers {what}."
            if latest is not None:
                note += f" The newest digest is {latest.isoformat()}."
        return TopAnswer("custom", since, until, papers, note=note)

    name = parse_period(period)
    days = PERIODS[name]
    if days is None:
        papers = await store.top_papers(None, None, limit=limit, offset=offset)
        note = "Most voted papers of all time." if papers.total else _NO_DATA
        return TopAnswer(name, None, None, papers, note=note, anchor=latest)

    anchor = anchor_day(now, latest)
    start = anchor - dt.timedelta(days=days - 1)
    papers = await store.top_papers(start, anchor, limit=limit, offset=offset)
    note = f"Most voted papers of the last {days} days, {start.isoformat()} to {anchor.isoformat()}"
    if latest is None:
        note = _NO_DATA
    elif anchor != today_:
        note += f" (ending on the newest digest, {anchor.isoformat()})."
    else:
        note += "."
    return TopAnswer(name, start, anchor, papers, note=note, anchor=anchor)


def _range_text(since: dt.date | None, until: dt.date | None) -> str:
    if since and until:
        return f"from {since.isoformat()} to {until.isoformat()}"
    if since:
        return f"since {since.isoformat()}"
    if until:
        return f"until {until.isoformat()}"
    return "of all time"


async def paper(store: Store, ref: str) -> Paper | None:
    """A paper by arXiv id (with or without version), arXiv/HF URL; ``None`` if unknown."""
    ref = (ref or "").strip()
    if not ref:
        raise UserError("Which paper? Give an arXiv id such as 2406.06523 or a paper URL.")
    if ref.lower().startswith("arxiv:"):
        ref = ref[len("arxiv:") :].strip()
    return await store.paper(ref)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


async def author(
    store: Store, name: str, *, limit: int = DEFAULT_COUNT, offset: int = 0
) -> AuthorAnswer:
    """The best matching author's profile, the other candidates, or suggestions for none."""
    query = " ".join((name or "").split())
    if not query:
        raise UserError("Which author? Give a name, e.g. `author Yejin Choi`.")
    limit, offset = clamp_count(limit), clamp_offset(offset)
    matches = tuple(await store.find_authors(query, limit=MAX_COUNT))
    if not matches:
        suggestions = await _author_suggestions(store, query)
        note = f"No author named {query!r}."
        if suggestions:
            note += " Did you mean: " + ", ".join(a.name for a in suggestions) + "?"
        return AuthorAnswer(
            query, None, None, _empty_page(limit, offset), suggestions=suggestions, note=note
        )
    best = matches[0]
    profile = await store.author_profile(best.id, limit=limit, offset=offset)
    papers = profile.papers if profile is not None else _empty_page(limit, offset)
    note = ""
    if len(matches) > 1:
        others = ", ".join(a.name for a in matches[1:MAX_SUGGESTIONS])
        more = len(matches) - 1 - len(matches[1:MAX_SUGGESTIONS])
        counted = f"At least {len(matches)}" if len(matches) >= MAX_COUNT else str(len(matches))
        note = f"{counted} authors match {query!r}; showing {best.name}. Others: {others}"
        note += f" and {more} more." if more > 0 else "."
    return AuthorAnswer(query, best, profile, papers, matches=matches, note=note)


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
    matches, ``suggestions`` say what to try (fewer words, the other language, no date range).
    """
    text = " ".join((query or "").split())
    if not text:
        raise UserError("Search for what? e.g. `search diffusion` or `search 확산 모델`.")
    if sort not in SORT_ORDERS:
        raise UserError(f"Unknown sort {sort!r}: use one of {', '.join(SORT_ORDERS)}")
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
            note=f"No paper {text!r} in the archive.",
            suggestions=("Search for words from its title instead.",),
        )

    hits = await store.search(text, since=since, until=until, sort=sort, limit=limit, offset=offset)
    if hits.total:
        note = ""
        if offset >= hits.total:
            note = f"Only {hits.total} results; this page is past the end."
        return SearchAnswer(text, hits, since, until, sort, note=note)

    tips: list[str] = []
    if len(text.split()) > 1:
        tips.append("Use fewer words.")
    if _HANGUL_RE.search(text):
        tips.append("Try the English term (titles are in English).")
    else:
        tips.append("Try the Korean term too (summaries are in Korean).")
    if since is not None or until is not None:
        tips.append("Remove the date range.")
    scope = f" {_range_text(since, until)}" if since or until else ""
    note = f"Nothing matches {text!r}{scope}."
    return SearchAnswer(text, hits, since, until, sort, suggestions=tuple(tips), note=note)
