"""bot.core.answers: what each command finds, its order, its notes, clamping and user errors.

The notes and errors are typed; their English (bot.i18n.phrases) is pinned here too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core import answers
from bot.core.answers import (
    AuthorNote,
    DayGap,
    SearchNote,
    SearchTip,
    TodayGap,
    TopNote,
)
from bot.core.errors import (
    DateProblem,
    EmptyQuery,
    InvalidDate,
    ReversedRange,
    UnknownPeriod,
    UnknownSort,
    UserError,
    Wanted,
)
from bot.i18n.phrases import describe_error, note_text, search_tip
from storage.ingest.importer import import_file
from storage.sqlite.store import Store

SAMPLES = Path(__file__).resolve().parents[2] / "storage" / "ingest" / "samples"
LATEST = dt.date(2025, 5, 9)  # newest sample digest, a Friday


def at(year: int, month: int, day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)


@pytest.fixture
async def one_day_store(tmp_path: Path) -> AsyncIterator[Store]:
    """A store holding only 2024-06-13 (a Thursday)."""
    store = await Store.open(tmp_path / "one.db")
    outcome = await import_file(store, SAMPLES / "2024-06-13.md")
    assert outcome.ok
    try:
        yield store
    finally:
        await store.close()


# --------------------------------------------------------------------------- input helpers


@pytest.mark.parametrize(
    ("count", "expected"), [(None, 10), (0, 1), (-3, 1), (1, 1), (25, 25), (26, 25), (10**6, 25)]
)
def test_clamp_count(count: int | None, expected: int) -> None:
    """Page sizes are kept within 1..25 (10 by default)."""
    assert answers.clamp_count(count) == expected


@pytest.mark.parametrize(
    "text", ["2024-06-13", "2024/06/13", "2024.6.13", "20240613", " 2024-06-13 "]
)
def test_parse_date_accepts(text: str) -> None:
    """Common date spellings give the same date."""
    assert answers.parse_date(text) == dt.date(2024, 6, 13)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", DateProblem.FORMAT),
        ("june", DateProblem.FORMAT),
        ("0000-01-01", DateProblem.YEAR),
        ("2024-13-01", DateProblem.MONTH),
        ("2024-02-30", DateProblem.DAY),
        ("13-06-2024", DateProblem.FORMAT),
    ],
)
def test_parse_date_rejects(text: str, problem: DateProblem) -> None:
    """Anything else is InvalidDate with the input and what is wrong with it."""
    with pytest.raises(InvalidDate) as raised:
        answers.parse_date(text)
    assert (raised.value.text, raised.value.problem) == (text, problem)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("june", "Not a date: 'june' (use YYYY-MM-DD, e.g. 2024-06-13)"),
        ("0000-01-01", "Not a date: '0000-01-01' (year 0 is out of range)"),
        ("2024-13-01", "Not a date: '2024-13-01' (month must be in 1..12)"),
        ("2024-02-30", "Not a date: '2024-02-30' (day is out of range for month)"),
    ],
)
def test_invalid_date_in_words(text: str, message: str) -> None:
    """A bad date is told in words that quote the input and say what is wrong."""
    with pytest.raises(InvalidDate) as raised:
        answers.parse_date(text)
    assert describe_error(raised.value) == message


def test_parse_period() -> None:
    """Periods are case-insensitive, default to week, and unknown ones are refused."""
    assert answers.parse_period("MONTH") == "month"
    assert answers.parse_period(None) == "week"
    with pytest.raises(UnknownPeriod) as raised:
        answers.parse_period("decade")
    assert raised.value.choices == ("week", "month", "year", "all")
    assert describe_error(raised.value) == (
        "Unknown period 'decade': use one of week, month, year, all"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2406.06523", True),
        ("arXiv:2406.06523v2", True),
        ("hep-th/9901001", True),
        ("https://huggingface.co/papers/2406.06523", True),
        ("diffusion models", False),
        ("2406", False),
    ],
)
def test_looks_like_paper_ref(text: str, expected: bool) -> None:
    """Ids and URLs are recognised; ordinary words and bare numbers are not."""
    assert answers.looks_like_paper_ref(text) is expected


# --------------------------------------------------------------------------- today


async def test_today_orders_newest_day_by_votes(store: Store) -> None:
    """`today` lists the newest digest day, most voted first, and counts the whole day."""
    answer = await answers.today(store, 5, now=at(2025, 5, 9))
    assert answer.date == LATEST
    assert answer.papers.total == 20
    votes = [p.votes for p in answer.papers.items]
    assert votes == [75, 54, 34, 16, 16]
    assert answer.why is None and note_text(answer) == ""


async def test_today_note_when_archive_is_old(store: Store) -> None:
    """Long after the last digest, the note names the day shown and today's date."""
    answer = await answers.today(store, 3, now=at(2026, 11, 22))
    assert answer.date == LATEST
    assert answer.requested == dt.date(2026, 11, 22)
    assert answer.why is TodayGap.ARCHIVE_ENDS
    assert note_text(answer) == (
        "Showing Fri, May 9, 2025, the newest digest: none yet for 2026-11-22 (UTC) "
        "and nothing newer in the archive."
    )


async def test_today_note_at_weekend(store: Store) -> None:
    """On the Saturday after a Friday digest, the note says there are none at weekends."""
    answer = await answers.today(store, 3, now=at(2025, 5, 10))
    assert answer.why is TodayGap.WEEKEND
    assert note_text(answer).endswith("Daily Papers are not published at weekends.")


async def test_today_note_monday_morning(store: Store) -> None:
    """On Monday before the run, the note mentions the weekend and the 23:00 UTC run."""
    answer = await answers.today(store, 3, now=at(2025, 5, 12, 9))
    assert answer.why is TodayGap.WEEKEND_NOT_OUT_YET
    assert note_text(answer) == (
        "Showing Fri, May 9, 2025, the newest digest: there is none at the weekend, and "
        "today's (2025-05-12, UTC) is not out yet; digests are made at 23:00 UTC."
    )


async def test_today_note_not_out_yet(one_day_store: Store) -> None:
    """The weekday after a digest, the note says today's digest is not out yet."""
    answer = await answers.today(one_day_store, 3, now=at(2024, 6, 14, 10))
    assert answer.date == dt.date(2024, 6, 13)
    assert answer.why is TodayGap.NOT_OUT_YET
    assert "today's digest (2024-06-14, UTC) is not out yet" in note_text(answer)


async def test_today_note_dated_after_today(store: Store) -> None:
    """A newest digest dated after today (UTC) is shown and said to be so."""
    answer = await answers.today(store, 3, now=at(2025, 5, 8))
    assert answer.why is TodayGap.DATED_AFTER_TODAY
    assert note_text(answer) == (
        "Showing Fri, May 9, 2025, the newest digest; it is dated after today (2025-05-08, UTC)."
    )


async def test_today_uses_utc_date(store: Store) -> None:
    """`now` in another time zone is converted to the UTC date first."""
    seoul = dt.timezone(dt.timedelta(hours=9))
    answer = await answers.today(store, 1, now=dt.datetime(2025, 5, 10, 8, tzinfo=seoul))
    assert answer.requested == LATEST
    assert answer.why is None


async def test_today_rejects_naive_now(store: Store) -> None:
    """A naive datetime is a programming error, not silently local time."""
    with pytest.raises(ValueError, match="timezone-aware"):
        await answers.today(store, 1, now=dt.datetime(2025, 5, 9))


async def test_today_on_empty_store(empty_store: Store) -> None:
    """With no digests, the answer is empty and says how to import."""
    answer = await answers.today(empty_store, 5, now=at(2025, 5, 9))
    assert answer.date is None
    assert answer.papers.total == 0
    assert answer.why is TodayGap.NO_DATA
    assert note_text(answer) == "No digests yet: import some with `papers-bot import PATH`."


async def test_today_clamps_count(store: Store) -> None:
    """A huge count is clamped to 25 per page."""
    answer = await answers.today(store, 500, now=at(2025, 5, 9))
    assert answer.papers.limit == 25
    assert len(answer.papers.items) == 20


# --------------------------------------------------------------------------- day


async def test_day_lists_by_votes_then_position(store: Store) -> None:
    """A day's papers come most voted first."""
    answer = await answers.day(store, dt.date(2024, 6, 13), 25)
    votes = [p.votes or 0 for p in answer.papers.items]
    assert votes == sorted(votes, reverse=True)
    assert answer.papers.items[0].arxiv_id == "2406.06523"
    assert answer.date == dt.date(2024, 6, 13)


async def test_day_offset_pages(store: Store) -> None:
    """offset moves to the next page without overlap."""
    first = await answers.day(store, "2024-06-13", 10)
    second = await answers.day(store, "2024-06-13", 10, offset=10)
    assert second.papers.offset == 10
    assert {p.arxiv_id for p in first.papers.items}.isdisjoint(
        p.arxiv_id for p in second.papers.items
    )


async def test_day_without_digest_gives_nearest_days(store: Store) -> None:
    """A day with no digest answers with the nearest days before and after."""
    answer = await answers.day(store, dt.date(2024, 6, 14), 5)
    assert answer.date is None
    assert (answer.before, answer.after) == (dt.date(2024, 6, 13), dt.date(2024, 10, 18))
    assert answer.why is DayGap.NO_DIGEST
    assert note_text(answer) == (
        "No digest for Fri, Jun 14, 2024. Nearest digests: Thu, Jun 13, 2024 before "
        "and Fri, Oct 18, 2024 after."
    )


async def test_day_after_archive_has_only_before(store: Store) -> None:
    """After the last digest there is only a nearest day before."""
    answer = await answers.day(store, dt.date(2026, 1, 1), 5)
    assert (answer.before, answer.after) == (LATEST, None)


async def test_empty_digest_day(store: Store) -> None:
    """A digest that lists no papers is told apart from a missing digest."""
    answer = await answers.day(store, dt.date(2023, 11, 22), 5)
    assert answer.date == dt.date(2023, 11, 22)
    assert answer.why is DayGap.EMPTY_DIGEST
    assert note_text(answer).startswith("The digest for Wed, Nov 22, 2023 lists no papers.")


async def test_day_bad_date(store: Store) -> None:
    """A bad date string is a UserError."""
    with pytest.raises(UserError):
        await answers.day(store, "2024-02-31", 5)


# --------------------------------------------------------------------------- top


async def test_top_week_anchored_at_newest_digest(store: Store) -> None:
    """`top week` long after the archive ends covers its last 7 days and says so."""
    answer = await answers.top(store, "week", None, None, 5, now=at(2026, 11, 22))
    assert (answer.since, answer.until) == (dt.date(2025, 5, 3), LATEST)
    assert answer.anchor == LATEST
    assert answer.why is TopNote.PERIOD_ANCHORED
    assert note_text(answer) == (
        "Most voted papers of the last 7 days, 2025-05-03 to 2025-05-09 (ending on the newest "
        "digest, 2025-05-09)."
    )
    assert answer.papers.total == 20


async def test_top_anchored_at_today_inside_archive(store: Store) -> None:
    """When today is inside the archive the period ends today."""
    answer = await answers.top(store, "month", None, None, 5, now=at(2024, 6, 13))
    assert (answer.since, answer.until) == (dt.date(2024, 5, 15), dt.date(2024, 6, 13))
    assert answer.why is TopNote.PERIOD
    assert note_text(answer) == ("Most voted papers of the last 30 days, 2024-05-15 to 2024-06-13.")


async def test_top_orders_by_votes(store: Store) -> None:
    """`top all` is ordered by votes, highest first, over every paper."""
    answer = await answers.top(store, "all", None, None, 25, now=at(2026, 1, 1))
    votes = [p.votes or 0 for p in answer.papers.items]
    assert votes == sorted(votes, reverse=True)
    assert answer.papers.total == await store.paper_count()
    assert votes[0] == 75
    assert answer.why is TopNote.ALL_TIME
    assert note_text(answer) == "Most voted papers of all time."


async def test_top_explicit_range(store: Store) -> None:
    """Explicit since/until win over the period."""
    answer = await answers.top(
        store, "year", dt.date(2023, 12, 1), dt.date(2023, 12, 31), 25, now=at(2026, 1, 1)
    )
    assert answer.period == "custom"
    assert answer.papers.total == 33
    assert answer.why is TopNote.RANGE
    assert note_text(answer) == "Most voted papers from 2023-12-01 to 2023-12-31."
    assert all(
        any(dt.date(2023, 12, 1) <= a.date <= dt.date(2023, 12, 31) for a in p.days)
        for p in answer.papers.items
    )


async def test_top_since_after_until(store: Store) -> None:
    """since > until is ReversedRange, told with both dates."""
    with pytest.raises(ReversedRange) as raised:
        await answers.top(
            store, None, dt.date(2024, 2, 1), dt.date(2024, 1, 1), 5, now=at(2026, 1, 1)
        )
    assert (raised.value.since, raised.value.until) == (dt.date(2024, 2, 1), dt.date(2024, 1, 1))
    assert describe_error(raised.value) == (
        "The start date 2024-02-01 is after the end date 2024-01-01: swap them and try again."
    )


async def test_top_empty_range_note(store: Store) -> None:
    """An empty explicit range says so and names the newest digest."""
    answer = await answers.top(store, None, dt.date(2030, 1, 1), None, 5, now=at(2026, 1, 1))
    assert answer.papers.total == 0
    assert (answer.why, answer.latest) == (TopNote.RANGE_EMPTY, LATEST)
    assert note_text(answer) == "No papers since 2030-01-01. The newest digest is 2025-05-09."


async def test_top_on_empty_store(empty_store: Store) -> None:
    """With no digests at all, top says how to import."""
    answer = await answers.top(empty_store, "week", None, None, 5, now=at(2026, 1, 1))
    assert answer.why is TopNote.NO_DATA
    assert note_text(answer) == "No digests yet: import some with `papers-bot import PATH`."


async def test_top_unknown_period(store: Store) -> None:
    """An unknown period is UnknownPeriod."""
    with pytest.raises(UnknownPeriod):
        await answers.top(store, "fortnight", None, None, 5, now=at(2026, 1, 1))


# --------------------------------------------------------------------------- paper


async def test_paper_by_id_and_url(store: Store) -> None:
    """A paper is found by id, versioned id, arXiv: prefix or URL."""
    for ref in (
        "2406.06523",
        "2406.06523v1",
        "arXiv:2406.06523",
        "https://arxiv.org/abs/2406.06523",
    ):
        found = await answers.paper(store, ref)
        assert found is not None and found.arxiv_id == "2406.06523", ref


async def test_paper_unknown_and_empty(store: Store) -> None:
    """Unknown -> None; empty -> EmptyQuery(PAPER)."""
    assert await answers.paper(store, "9999.99999") is None
    with pytest.raises(EmptyQuery) as raised:
        await answers.paper(store, "  ")
    assert raised.value.what is Wanted.PAPER
    assert describe_error(raised.value) == (
        "Which paper? Give an arXiv id such as 2406.06523 or a paper URL."
    )


# --------------------------------------------------------------------------- author


async def test_author_exact(store: Store) -> None:
    """An exact name shows that author's profile and papers."""
    answer = await answers.author(store, "Yejin Choi")
    assert answer.author is not None and answer.author.name == "Yejin Choi"
    assert answer.profile is not None
    assert answer.papers.total == answer.author.paper_count
    assert answer.other_matches == ()


async def test_author_diacritics(store: Store) -> None:
    """Case and diacritics do not matter."""
    answer = await answers.author(store, "matthias niessner")
    assert answer.author is not None and answer.author.name == "Matthias Nießner"


async def test_author_several_matches(store: Store) -> None:
    """A surname shared by many gives the best one's profile and the other candidates."""
    answer = await answers.author(store, "Wang")
    assert answer.author is not None
    assert len(answer.matches) > 1
    assert answer.matches[0] == answer.author
    assert answer.author not in answer.other_matches
    assert answer.why is AuthorNote.SEVERAL
    note = note_text(answer)
    count = len(answer.matches)
    counted = f"At least {count}" if answer.matches_capped else str(count)
    assert note.startswith(f"{counted} authors match 'Wang'; showing {answer.author.name}. ")
    assert ", ".join(a.name for a in answer.named_others) in note


async def test_author_none_suggests(store: Store) -> None:
    """No match: suggestions from the first letters of the name."""
    answer = await answers.author(store, "Yejon Chxi")
    assert answer.author is None
    assert answer.papers.total == 0
    assert "Yejin Choi" in [a.name for a in answer.suggestions]
    assert answer.why is AuthorNote.NOT_FOUND
    names = ", ".join(a.name for a in answer.suggestions)
    assert note_text(answer) == f"No author named 'Yejon Chxi'. Did you mean: {names}?"


async def test_author_limit_clamped(store: Store) -> None:
    """The page size for an author's papers is clamped too."""
    answer = await answers.author(store, "Yejin Choi", limit=0)
    assert answer.papers.limit == 1


async def test_author_empty(store: Store) -> None:
    """An empty name is EmptyQuery(AUTHOR)."""
    with pytest.raises(EmptyQuery) as raised:
        await answers.author(store, " ")
    assert raised.value.what is Wanted.AUTHOR
    assert describe_error(raised.value) == "Which author? Give a name, e.g. `author Yejin Choi`."


# --------------------------------------------------------------------------- search


async def test_search_id_opens_paper(store: Store) -> None:
    """An arXiv id or URL as the query opens that paper."""
    answer = await answers.search(store, "https://huggingface.co/papers/2406.06523")
    assert answer.paper is not None and answer.paper.arxiv_id == "2406.06523"
    assert answer.hits.total == 1


async def test_search_finds_and_pages(store: Store) -> None:
    """Full-text search returns a page and the total of all matches."""
    answer = await answers.search(store, "diffusion", limit=5)
    assert answer.hits.total > 5
    assert len(answer.hits.items) == 5
    assert answer.paper is None


async def test_search_sort_by_votes(store: Store) -> None:
    """sort='votes' orders hits by votes."""
    answer = await answers.search(store, "diffusion", sort="votes", limit=25)
    votes = [h.paper.votes or 0 for h in answer.hits.items]
    assert votes == sorted(votes, reverse=True)


async def test_search_nothing_suggests(store: Store) -> None:
    """No match: tips for fewer words, the other language and removing the date range."""
    answer = await answers.search(
        store, "qqzzx vvwwy", since=dt.date(2024, 1, 1), until=dt.date(2024, 2, 1)
    )
    assert answer.hits.total == 0
    assert answer.why is SearchNote.NO_MATCH
    assert answer.tips == (SearchTip.FEWER_WORDS, SearchTip.KOREAN_TERM, SearchTip.NO_DATE_RANGE)
    assert [search_tip(t) for t in answer.tips] == [
        "Use fewer words.",
        "Try the Korean term too (summaries are in Korean).",
        "Remove the date range.",
    ]
    assert "Nothing matches 'qqzzx vvwwy' from 2024-01-01 to 2024-02-01." == note_text(answer)


async def test_search_nothing_korean_suggests_english(store: Store) -> None:
    """A Korean query with no match suggests the English term."""
    answer = await answers.search(store, "뷁뷁뷁")
    assert answer.tips == (SearchTip.ENGLISH_TERM,)
    assert search_tip(SearchTip.ENGLISH_TERM) == "Try the English term (titles are in English)."


async def test_search_unknown_paper(store: Store) -> None:
    """An id the archive does not have says so and suggests title words."""
    answer = await answers.search(store, "2406.99999")
    assert (answer.why, answer.tips) == (SearchNote.UNKNOWN_PAPER, (SearchTip.TITLE_WORDS,))
    assert note_text(answer) == "No paper '2406.99999' in the archive."
    assert search_tip(SearchTip.TITLE_WORDS) == "Search for words from its title instead."


async def test_search_past_the_end(store: Store) -> None:
    """A page after the last result says how many there are."""
    answer = await answers.search(store, "diffusion", limit=5, offset=10_000)
    assert answer.why is SearchNote.PAST_THE_END
    assert note_text(answer) == (f"Only {answer.hits.total} results; this page is past the end.")


@pytest.mark.parametrize(
    ("query", "kwargs", "error", "message"),
    [
        ("", {}, EmptyQuery, "Search for what? e.g. `search diffusion` or `search 확산 모델`."),
        (
            "diffusion",
            {"sort": "random"},
            UnknownSort,
            "Unknown sort 'random': use one of relevance, votes, newest",
        ),
        (
            "diffusion",
            {"since": dt.date(2024, 2, 1), "until": dt.date(2024, 1, 1)},
            ReversedRange,
            "The start date 2024-02-01 is after the end date 2024-01-01: swap them and try again.",
        ),
    ],
)
async def test_search_user_errors(
    store: Store, query: str, kwargs: dict[str, object], error: type[UserError], message: str
) -> None:
    """Empty query, unknown sort and since > until are typed UserErrors, told in words."""
    with pytest.raises(error) as raised:
        await answers.search(store, query, **kwargs)  # type: ignore[arg-type]
    assert describe_error(raised.value) == message


async def test_search_hostile_text_is_safe(store: Store) -> None:
    """FTS syntax characters in the query are plain text, not an error."""
    answer = await answers.search(store, 'NOT "( * ^ OR NEAR')
    assert answer.hits.total >= 0


def test_answers_are_frozen() -> None:
    """Answer objects cannot be changed after they are made."""
    import dataclasses

    from storage.models import Page

    answer = answers.DayAnswer(None, None, Page(items=(), total=0))
    with pytest.raises(dataclasses.FrozenInstanceError):
        answer.why = None  # type: ignore[misc]
