"""bot.core.question: questions in plain words, read without any service, answered by answers.

How a question was read is typed; its English (bot.i18n.phrases.reading) is pinned here too.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import answers
from bot.core.question import (
    Ignored,
    Question,
    When,
    WhyIgnored,
    ask,
    execute,
    parse_question,
)
from bot.i18n.phrases import reading, reading_of
from storage.sqlite.store import Store

#: The bundled samples end on Friday 2025-05-09; "now" is the Saturday after (harness's).
NOW = dt.datetime(2025, 5, 10, 12, 0, tzinfo=dt.UTC)
ANCHOR = dt.date(2025, 5, 9)
D = dt.date


def parse(text: str) -> Question:
    return parse_question(text, today=ANCHOR)


# --------------------------------------------------------------------------- the examples


def test_korean_week_topic_top_n() -> None:
    """`이번 주 에이전트 논문 top 5`: search 에이전트 over /top's week, 5 per page."""
    q = parse("이번 주 에이전트 논문 top 5")
    assert (q.kind, q.topic, q.count, q.when) == ("search", "에이전트", 5, When.THIS_WEEK)
    assert (q.since, q.until) == (D(2025, 5, 3), ANCHOR)


def test_papers_by_author_this_month() -> None:
    """`papers by Yejin Choi this month`: the author, with the month as the period."""
    q = parse("papers by Yejin Choi this month")
    assert (q.kind, q.author, q.topic, q.when) == ("author", "Yejin Choi", "", "this month")
    assert (q.since, q.until) == (D(2025, 4, 10), ANCHOR)


def test_topic_yesterday() -> None:
    """`diffusion video yesterday`: search both words on the day before the anchor."""
    q = parse("diffusion video yesterday")
    assert (q.kind, q.topic, q.since, q.until) == (
        "search",
        "diffusion video",
        D(2025, 5, 8),
        D(2025, 5, 8),
    )


def test_reading_says_how_it_was_read() -> None:
    """The reading names the search, the day and the time word."""
    q = parse("diffusion video yesterday")
    assert reading(q) == "Read as: search 'diffusion video' on 2025-05-08 (yesterday)"


# --------------------------------------------------------------------------- time words


@pytest.mark.parametrize(
    ("text", "when", "since", "until"),
    [
        ("today", "today", ANCHOR, ANCHOR),
        ("오늘", "today", ANCHOR, ANCHOR),
        ("yesterday", "yesterday", D(2025, 5, 8), D(2025, 5, 8)),
        ("어제", "yesterday", D(2025, 5, 8), D(2025, 5, 8)),
        ("this week", "this week", D(2025, 5, 3), ANCHOR),
        ("이번주", "this week", D(2025, 5, 3), ANCHOR),
        ("this month", "this month", D(2025, 4, 10), ANCHOR),
        ("이번 달", "this month", D(2025, 4, 10), ANCHOR),
        ("last week", "last week", D(2025, 4, 26), D(2025, 5, 2)),
        ("지난주", "last week", D(2025, 4, 26), D(2025, 5, 2)),
        ("지난 주", "last week", D(2025, 4, 26), D(2025, 5, 2)),
    ],
)
def test_time_words(text: str, when: str, since: dt.date, until: dt.date) -> None:
    """English and Korean time words resolve to ranges ending on the anchor."""
    q = parse(f"robots {text}")
    assert (q.topic, q.when, q.since, q.until) == ("robots", when, since, until)


def test_korean_time_word_with_particle() -> None:
    """A particle on a Korean time word (이번 주에) is part of the time word, not the topic."""
    q = parse("이번 주에 나온 확산 모델 논문")
    assert (q.topic, q.when) == ("확산 모델", "this week")


def test_date_is_one_day() -> None:
    """A YYYY-MM-DD date alone asks for that day's papers."""
    q = parse("2024-06-13")
    assert (q.kind, q.since, q.until, q.when) == ("day", D(2024, 6, 13), D(2024, 6, 13), None)


def test_date_with_topic_limits_the_search() -> None:
    """A date next to a topic limits the search to that day."""
    q = parse("model 2024-06-13")
    assert (q.kind, q.topic, q.since, q.until) == (
        "search",
        "model",
        D(2024, 6, 13),
        D(2024, 6, 13),
    )


def test_impossible_date_is_ignored_and_said() -> None:
    """A date that does not exist is dropped and listed as ignored."""
    q = parse("diffusion 2025-13-40")
    assert (q.kind, q.topic, q.since) == ("search", "diffusion", None)
    assert q.ignored == (Ignored("2025-13-40", WhyIgnored.NOT_A_DATE),)
    assert "ignored: '2025-13-40 (not a date)'" in reading(q)


def test_second_time_word_ignored() -> None:
    """Only the first time expression counts; the next one is listed as ignored."""
    q = parse("agents today yesterday")
    assert (q.when, q.since) == ("today", ANCHOR)
    assert q.ignored == (Ignored("yesterday"),)
    assert reading(q).endswith("; ignored: 'yesterday'")


def test_time_word_inside_a_word_is_not_time() -> None:
    """`오늘날` (nowadays) and `todays` are words, not time."""
    assert parse("오늘날 로봇").when is None
    assert parse("todays robots").when is None


# --------------------------------------------------------------------------- count, author, filler


@pytest.mark.parametrize(
    ("text", "count"),
    [("top 5", 5), ("top5", 5), ("TOP 3", 3), ("상위 7", 7), ("상위 7개", 7), ("4개", 4)],
)
def test_count_forms(text: str, count: int) -> None:
    """`top N`, `상위 N` and `N개` set the page size."""
    q = parse(f"에이전트 {text}")
    assert (q.topic, q.count) == ("에이전트", count)


def test_count_is_clamped() -> None:
    """A count above the commands' maximum is clamped to 25."""
    assert parse("top 500 models").count == answers.MAX_COUNT


def test_korean_author_before_nonmun() -> None:
    """`<Name Name> 논문` (and `의 논문`) reads as an author."""
    assert parse("Yejin Choi 논문").author == "Yejin Choi"
    q = parse("Yejin Choi의 논문 이번 달")
    assert (q.kind, q.author, q.when, q.author_guess) == (
        "author",
        "Yejin Choi",
        "this month",
        True,
    )


def test_hangul_topic_before_nonmun_stays_a_topic() -> None:
    """`에이전트 논문` is a topic (agent papers), not an author."""
    q = parse("에이전트 논문")
    assert (q.kind, q.topic, q.author) == ("search", "에이전트", "")


def test_by_author_then_topic() -> None:
    """`by` takes the name up to a stop word; the topic next to an author is listed as ignored."""
    q = parse("papers by Yejin Choi about dialogue")
    assert (q.kind, q.author) == ("author", "Yejin Choi")
    assert q.ignored == (Ignored("dialogue"),)


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("에이전트에 대한 논문", "에이전트"),
        ("확산 모델 관련 논문", "확산 모델"),
        ("papers about the diffusion", "diffusion"),
        ("show me papers on robotics?", "robotics"),
    ],
)
def test_filler_words_dropped(text: str, topic: str) -> None:
    """Filler (papers, 논문, about, on, the, 관련, 에 대한) is not part of the topic."""
    assert parse(text).topic == topic


def test_no_topic_no_time_is_the_week() -> None:
    """Only a count (or only filler) asks for the week's top papers, like /top."""
    q = parse("top 5 papers")
    assert (q.kind, q.period, q.since, q.count) == ("top", None, None, 5)
    assert reading(q) == "Read as: top papers of the last 7 days, top 5"


def test_paper_id_is_a_search() -> None:
    """An arXiv id is searched as is (the search opens the paper)."""
    q = parse("2406.06523")
    assert (q.kind, q.topic) == ("search", "2406.06523")


@pytest.mark.parametrize("text", ["help", "HELP", "도움말", "?", "", "   "])
def test_help(text: str) -> None:
    """`help` (English or Korean) or nothing asks for the guide."""
    assert parse(text).kind == "help"


# --------------------------------------------------------------------------- never raises


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(max_size=300),
    today=st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)),
)
def test_never_raises_on_any_text(text: str, today: dt.date) -> None:
    """Any text, any anchor (even at the ends of the calendar): a well-formed Question."""
    q = parse_question(text, today=today)
    assert q.kind in ("help", "search", "today", "day", "top", "author")
    assert q.count is None or 1 <= q.count <= answers.MAX_COUNT
    if q.since is not None and q.until is not None:
        assert q.since <= q.until
    if q.kind == "search":
        assert q.topic.strip()
    if q.kind == "author":
        assert q.author.strip()
    assert reading(q).startswith("Read as: ")


_WORDS = st.sampled_from(
    [
        "top", "5", "상위", "3개", "by", "Yejin", "Choi", "논문", "의", "this", "week", "이번",
        "주", "어제", "today", "2025-05-08", "2025-02-30", "about", "diffusion", "에 대한",
        "관련", "?", "<@1>", "9999-12-31", "0001-01-01", "last", "month", "지난달",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(words=st.lists(_WORDS, max_size=12))
def test_never_raises_on_mixed_keywords(words: list[str]) -> None:
    """Every mix of the words the parser looks for reads into a consistent Question."""
    q = parse_question(" ".join(words), today=ANCHOR)
    if q.kind == "day":
        assert q.since == q.until is not None
    if q.when == "this week":
        assert (q.since, q.until) == (D(2025, 5, 3), ANCHOR)


# --------------------------------------------------------------------------- answering


def test_anchor_day_is_min_of_today_and_newest() -> None:
    """answers.anchor_day: today in UTC, unless the newest digest is older; today without one."""
    assert answers.anchor_day(NOW, D(2025, 5, 9)) == D(2025, 5, 9)
    assert answers.anchor_day(NOW, D(2030, 1, 1)) == D(2025, 5, 10)
    assert answers.anchor_day(NOW, None) == D(2025, 5, 10)


async def test_ask_korean_week_is_answers_search(store: Store) -> None:
    """The Korean example gets exactly answers.search over the week, 5 per page."""
    answered = await ask(store, "이번 주 에이전트 논문 top 5", now=NOW)
    expected = await answers.search(store, "에이전트", since=D(2025, 5, 3), until=ANCHOR, limit=5)
    assert answered.answer == expected
    assert expected.found


async def test_ask_author_is_answers_author(store: Store) -> None:
    """The author example gets exactly answers.author; the month is said to be ignored."""
    answered = await ask(store, "papers by Yejin Choi this month", now=NOW)
    assert answered.answer == await answers.author(store, "Yejin Choi", limit=10)
    assert answered.answer.found
    assert answered.period_ignored
    assert "this month ignored" in reading_of(answered)


async def test_ask_topic_yesterday_is_answers_search(store: Store) -> None:
    """The yesterday example gets exactly answers.search on 2025-05-08, 5 per page."""
    answered = await ask(store, "diffusion video yesterday", now=NOW)
    day = D(2025, 5, 8)
    assert answered.answer == await answers.search(
        store, "diffusion video", since=day, until=day, limit=5
    )
    assert reading_of(answered) == "Read as: search 'diffusion video' on 2025-05-08 (yesterday)"


async def test_ask_this_week_is_answers_top(store: Store) -> None:
    """A period without a topic is /top's answer for that period."""
    answered = await ask(store, "이번 주 상위 3개", now=NOW)
    assert answered.answer == await answers.top(store, "week", None, None, 3, now=NOW)


async def test_ask_last_week_is_a_custom_top(store: Store) -> None:
    """`last week` without a topic is /top over the 7 days before this week."""
    answered = await ask(store, "last week", now=NOW)
    assert answered.answer == await answers.top(
        store, None, D(2025, 4, 26), D(2025, 5, 2), 10, now=NOW
    )


async def test_ask_date_is_answers_day(store: Store) -> None:
    """A date alone is /day for that date."""
    answered = await ask(store, "2024-06-13", now=NOW)
    assert answered.answer == await answers.day(store, D(2024, 6, 13), 10)


async def test_ask_today_is_answers_today(store: Store) -> None:
    """`오늘` alone is /today."""
    answered = await ask(store, "오늘 논문", now=NOW)
    assert answered.answer == await answers.today(store, 10, now=NOW)


async def test_relative_words_anchor_on_the_newest_digest(store: Store) -> None:
    """Long after the archive ends, `yesterday` is the day before the newest digest."""
    later = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    answered = await ask(store, "model yesterday", now=later)
    assert answered.question.since == D(2025, 5, 8)


async def test_author_guess_without_such_author_is_searched(store: Store) -> None:
    """`<Capitalised Words> 논문` that names no author is searched as a topic instead."""
    answered = await ask(store, "Vision Language 논문", now=NOW)
    assert answered.question.kind == "search"
    assert answered.answer == await answers.search(store, "Vision Language", limit=5)


async def test_help_has_no_answer(store: Store) -> None:
    """`help` is answered with the guide, not with data."""
    answered = await execute(store, parse("help"), now=NOW)
    assert answered.answer is None
