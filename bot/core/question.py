"""Questions in plain language (Korean or English), read without any external service.

:func:`parse_question` turns text such as ``이번 주 에이전트 논문 top 5``, ``papers by Yejin Choi
this month`` or ``diffusion video yesterday`` into a :class:`Question`: pure, no I/O, never
raises. :func:`execute` answers a question with :mod:`bot.core.answers` (the code behind the
commands), so the result is exactly what the matching command would give, and
:func:`ask` does both, anchoring relative time words the way :func:`answers.top` anchors its
periods (min(today in UTC, the newest digest day)).

What is understood:

- time: today / yesterday / this week / this month / last week / last month, 오늘 / 어제 /
  이번 주 / 이번 달 / 지난주 / 지난달, or a date ``YYYY-MM-DD``. "This week" and "this month"
  are ``answers.top``'s week and month (the last 7 and 30 days up to the anchor); "last week"
  is the 7 days before that, "last month" the 30 before.
- how many: ``top N``, ``상위 N``, ``N개`` (the page size, as ``count`` is for the commands).
- who: ``by <author>``, ``papers by <author>``, ``<Author Name> 논문`` (a capitalised Latin
  name of two or more words; when no such author exists it is searched for as a topic).
- what: the remaining words, without filler (papers, 논문, about, on, the, 관련, 에 대한, ...).

A topic is searched (``answers.search`` with the time as since/until); no topic but a time
gives the day (``answers.today``/``answers.day``) or the top papers (``answers.top``); an author
gives the author card (``answers.author``; the period is applied when ``answers.author`` takes
one, otherwise :attr:`Answered.period_ignored` says it was ignored). ``help`` (or nothing) asks
for the guide. How a question was read, and the guide, are put into words by the front ends
(:func:`bot.i18n.phrases.reading`, :func:`bot.i18n.phrases.guide`).
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
import re
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Final, Literal

from bot.core import answers
from bot.core.answers import AuthorAnswer, DayAnswer, SearchAnswer, TopAnswer
from bot.core.errors import InvalidDate

if TYPE_CHECKING:
    from storage.ports import Store

log = logging.getLogger(__name__)

__all__ = [
    "Answer",
    "Answered",
    "Ignored",
    "Question",
    "When",
    "WhyIgnored",
    "ask",
    "execute",
    "parse_question",
]

Kind = Literal["help", "search", "today", "day", "top", "author"]
Answer = SearchAnswer | TopAnswer | DayAnswer | AuthorAnswer

#: Results per page for a search when the question names no count (``/search`` shows 5).
SEARCH_PER_PAGE: Final = 5
#: The longest question read; the rest is ignored (a search query is at most 200 characters).
MAX_TEXT: Final = 500
TOPIC_MAX: Final = 200

_HELP_WORDS: Final = frozenset(
    {"help", "/help", "?", "h", "commands", "도움", "도움말", "사용법", "명령어"}
)


class When(StrEnum):
    """A time word as understood (the value is its English spelling)."""

    TODAY = "today"
    YESTERDAY = "yesterday"
    THIS_WEEK = "this week"
    THIS_MONTH = "this month"
    LAST_WEEK = "last week"
    LAST_MONTH = "last month"


class WhyIgnored(StrEnum):
    """Why words that read as a time were not used as one."""

    NOT_A_DATE = "not_a_date"  # shaped like a date, but no such day
    OUT_OF_RANGE = "out_of_range"  # the time word falls outside the calendar


@dataclass(frozen=True, slots=True)
class Ignored:
    """Words understood but not used (``why`` is ``None`` for a second time or a topic next to
    an author)."""

    text: str
    why: WhyIgnored | None = None


#: Optional Korean particles after a time word (이번 주에, 오늘의, 어제부터).
_KO_TAIL: Final = r"(?:에는|에|의|은|는|부터|까지)?"
_TIME_WORDS: Final[tuple[tuple[str, When], ...]] = (
    (r"this\s+week", When.THIS_WEEK),
    (r"this\s+month", When.THIS_MONTH),
    (r"last\s+week", When.LAST_WEEK),
    (r"last\s+month", When.LAST_MONTH),
    (r"today(?:'s)?", When.TODAY),
    (r"yesterday(?:'s)?", When.YESTERDAY),
    (rf"이번\s*주{_KO_TAIL}", When.THIS_WEEK),
    (rf"이번\s*달{_KO_TAIL}", When.THIS_MONTH),
    (rf"지난\s*주{_KO_TAIL}", When.LAST_WEEK),
    (rf"지난\s*달{_KO_TAIL}", When.LAST_MONTH),
    (rf"오늘{_KO_TAIL}", When.TODAY),
    (rf"어제{_KO_TAIL}", When.YESTERDAY),
)
_DATE: Final = r"\d{4}-\d{1,2}-\d{1,2}"
_TIME_RE: Final = re.compile(
    "|".join(
        [rf"(?<![\w-])(?P<date>{_DATE})(?![\w-])"]
        + [rf"(?<!\w)(?P<t{i}>{pattern})(?!\w)" for i, (pattern, _) in enumerate(_TIME_WORDS)]
    ),
    re.IGNORECASE,
)
_COUNT_RE: Final = re.compile(
    r"(?<!\w)(?:top\s*-?\s*(?P<a>\d{1,6})|상위\s*(?P<b>\d{1,6})\s*(?:개|편)?(?:의)?"
    r"|(?P<c>\d{1,6})\s*(?:개|편)(?:의)?)(?!\w)",
    re.IGNORECASE,
)
_ABOUT_KO_RE: Final = re.compile(r"(?<=\S)\s*(?:에\s*(?:대한|관한)|관련(?:된)?)(?!\w)")
#: Words that end an author name after "by" (the topic may follow them).
_BY_STOP: Final = frozenset({"about", "on", "regarding", "in", "with", "관련", "논문", "papers"})
_NAME_WORD_RE: Final = re.compile(r"^[^\W\d_][\w'’.\-]*$")
_PUNCT: Final = "?!.,;:()[]{}\"'“”‘’「」『』<>…~·"

FILLER: Final = frozenset(
    {
        # English
        "a",
        "about",
        "an",
        "any",
        "are",
        "best",
        "find",
        "for",
        "me",
        "of",
        "on",
        "paper",
        "papers",
        "please",
        "popular",
        "regarding",
        "search",
        "show",
        "the",
        "top",
        "what",
        "whats",
        "what's",
        # Korean
        "관련",
        "관련된",
        "관한",
        "논문",
        "논문들",
        "논문을",
        "논문은",
        "논문이",
        "대한",
        "보여줘",
        "알려줘",
        "찾아줘",
        "검색",
        "인기",
        "좀",
        "상위",
        "에",
        "의",
        "나온",
    }
)


@dataclass(frozen=True, slots=True)
class Question:
    """What a plain-language question asks for.

    ``kind`` is ``help``, ``search`` (``topic`` within ``since``..``until``), ``today``,
    ``day`` (``since`` == ``until``), ``top`` (``period`` week/month, or ``since``/``until``,
    or neither for the default week) or ``author`` (``author``). ``when`` is the time words as
    read (``yesterday``, ``this week``, ...; ``None`` for a bare date or no time at all);
    ``count`` is the page size asked for (clamped to 1..25). ``author_guess`` marks an author
    read from ``<Name> 논문``, which is searched as a topic when no such author exists.
    ``ignored`` lists words that were understood but not used (a second time, a topic next to
    an author, a date that does not exist).
    """

    kind: Kind
    text: str = ""
    topic: str = ""
    author: str = ""
    count: int | None = None
    when: When | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    period: str | None = None
    author_guess: bool = False
    ignored: tuple[Ignored, ...] = ()


@dataclass(frozen=True, slots=True)
class Answered:
    """A question and its answer (``None`` for ``help``), plus how the question was read.

    ``question`` is the question actually answered: an author guess that matched no one comes
    back as a search. ``period_ignored`` is true when an author question named a period that
    the author card cannot apply.
    """

    question: Question
    answer: Answer | None
    period_ignored: bool = False


# --------------------------------------------------------------------------- parsing


def _clean_word(word: str) -> str:
    return word.strip(_PUNCT)


def _ranges(when: When, anchor: dt.date) -> tuple[dt.date, dt.date, str | None]:
    """``(since, until, top period)`` of a time word, ending on ``anchor``."""
    one = dt.timedelta(days=1)
    week = answers.PERIODS["week"] or 7
    month = answers.PERIODS["month"] or 30
    if when is When.TODAY:
        return anchor, anchor, None
    if when is When.YESTERDAY:
        return anchor - one, anchor - one, None
    if when is When.THIS_WEEK:
        return anchor - (week - 1) * one, anchor, "week"
    if when is When.THIS_MONTH:
        return anchor - (month - 1) * one, anchor, "month"
    if when is When.LAST_WEEK:
        return anchor - (2 * week - 1) * one, anchor - week * one, None
    return anchor - (2 * month - 1) * one, anchor - month * one, None


def _take_time(
    text: str, anchor: dt.date, ignored: list[Ignored]
) -> tuple[str, When | None, dt.date | None, dt.date | None, str | None]:
    """Remove every time expression; the first one that reads as a time is the one used."""
    when: When | None = None
    since = until = None
    period: str | None = None
    found = False

    def take(match: re.Match[str]) -> str:
        nonlocal when, since, until, period, found
        raw = match.group(0)
        if match.group("date"):
            try:
                date = answers.parse_date(raw)
            except InvalidDate:
                ignored.append(Ignored(raw, WhyIgnored.NOT_A_DATE))
                return " "
            if found:
                ignored.append(Ignored(raw))
                return " "
            found, when, since, until = True, None, date, date
            return " "
        index = next(i for i in range(len(_TIME_WORDS)) if match.group(f"t{i}"))
        if found:
            ignored.append(Ignored(raw))
            return " "
        found, when = True, _TIME_WORDS[index][1]
        try:
            since, until, period = _ranges(when, anchor)
        except OverflowError:
            ignored.append(Ignored(raw, WhyIgnored.OUT_OF_RANGE))
            found, when, since, until, period = False, None, None, None, None
        return " "

    rest = _TIME_RE.sub(take, text)
    return rest, when, since, until, period


def _take_count(text: str, ignored: list[Ignored]) -> tuple[str, int | None]:
    count: int | None = None

    def take(match: re.Match[str]) -> str:
        nonlocal count
        number = match.group("a") or match.group("b") or match.group("c")
        if count is not None:
            ignored.append(Ignored(match.group(0)))
        else:
            count = answers.clamp_count(int(number))
        return " "

    return _COUNT_RE.sub(take, text), count


def _take_author(words: list[str]) -> tuple[list[str], str, bool]:
    """``(other words, author, guessed)`` from ``by <name>`` or ``<Name Name> 논문``."""
    for i, word in enumerate(words):
        if word.casefold() == "by" and i + 1 < len(words):
            name: list[str] = []
            j = i + 1
            while j < len(words) and _clean_word(words[j]).casefold() not in _BY_STOP:
                name.append(words[j])
                j += 1
            author = " ".join(_clean_word(w) for w in name).strip()
            if author:
                return words[:i] + words[j:], author, False
    for i, word in enumerate(words):
        bare = _clean_word(word)
        if bare not in ("논문", "논문들", "논문을", "논문은", "논문이"):
            continue
        name = []
        j = i
        # "Yejin Choi의 논문": the possessive is attached to the last name part.
        if j > 0 and _clean_word(words[j - 1]) == "의":
            j -= 1
        while j > 0 and len(name) < 4:
            candidate = _clean_word(words[j - 1])
            if candidate.endswith("의") and not name:
                candidate = candidate[:-1]
            if not candidate or not _NAME_WORD_RE.match(candidate):
                break
            if not (candidate[0].isupper() and candidate[0].isascii()):
                break
            name.insert(0, candidate)
            j -= 1
        if len(name) >= 2:
            return words[:j] + words[i + 1 :], " ".join(name), True
    return words, "", False


def parse_question(text: str, *, today: dt.date) -> Question:
    """Read a plain-language question; never raises.

    ``today`` is the day relative time words count from: pass
    ``answers.anchor_day(now, latest_digest_day)`` (what :func:`ask` does) so "this week"
    means what ``/top period:week`` means.
    """
    try:
        return _parse(text, today)
    except Exception:  # pragma: no cover - a parser bug must not cost the user an answer
        log.exception("Could not read the question %r", text[:MAX_TEXT])
        topic = " ".join(str(text).split())[:TOPIC_MAX]
        return Question("search", text=topic, topic=topic) if topic else Question("help")


def _parse(text: str, today: dt.date) -> Question:
    text = " ".join((text or "").split())[:MAX_TEXT]
    if not text or _clean_word(text).casefold() in _HELP_WORDS or text.strip() == "?":
        return Question("help", text=text)
    if answers.looks_like_paper_ref(text):
        return Question("search", text=text, topic=text[:TOPIC_MAX])

    ignored: list[Ignored] = []
    rest, when, since, until, period = _take_time(text, today, ignored)
    rest, count = _take_count(rest, ignored)
    rest = _ABOUT_KO_RE.sub(" ", rest)
    words = rest.split()
    words, author, guessed = _take_author(words)
    topic_words = [w for w in (_clean_word(w) for w in words) if w and w.casefold() not in FILLER]
    topic = " ".join(topic_words)[:TOPIC_MAX].strip()
    common = {"text": text, "count": count, "when": when, "since": since, "until": until}

    if author:
        if topic:
            ignored.append(Ignored(topic))
        return Question(
            "author",
            author=author[:TOPIC_MAX],
            author_guess=guessed,
            period=period,
            ignored=tuple(ignored),
            **common,  # type: ignore[arg-type]
        )
    if topic:
        return Question("search", topic=topic, ignored=tuple(ignored), **common)  # type: ignore[arg-type]
    if when is When.TODAY:
        return Question("today", ignored=tuple(ignored), **common)  # type: ignore[arg-type]
    if since is not None and since == until:
        return Question("day", ignored=tuple(ignored), **common)  # type: ignore[arg-type]
    return Question("top", period=period, ignored=tuple(ignored), **common)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- answering


def author_takes_period() -> bool:
    """Whether :func:`answers.author` can restrict a card to a period (``since``/``until``)."""
    parameters = inspect.signature(answers.author).parameters
    return "since" in parameters and "until" in parameters


async def execute(
    store: Store,
    question: Question,
    *,
    now: dt.datetime,
    search_per_page: int = SEARCH_PER_PAGE,
) -> Answered:
    """Answer ``question`` with :mod:`bot.core.answers`, exactly as the matching command would.

    Raises :class:`~bot.core.errors.UserError` like the commands do (e.g. a range that ends
    before it starts cannot happen here, but an empty query can).
    """
    count = question.count
    if question.kind == "help":
        return Answered(question, None)
    if question.kind == "search":
        answer = await answers.search(
            store,
            question.topic,
            since=question.since,
            until=question.until,
            limit=count or search_per_page,
        )
        return Answered(question, answer)
    if question.kind == "today":
        return Answered(
            question, await answers.today(store, count or answers.DEFAULT_COUNT, now=now)
        )
    if question.kind == "day":
        assert question.since is not None
        day = await answers.day(store, question.since, count or answers.DEFAULT_COUNT)
        return Answered(question, day)
    if question.kind == "top":
        limit = count or answers.DEFAULT_COUNT
        if question.period is not None or question.since is None:
            top = await answers.top(store, question.period, None, None, limit, now=now)
        else:
            top = await answers.top(store, None, question.since, question.until, limit, now=now)
        return Answered(question, top)
    # author
    limit = count or answers.DEFAULT_COUNT
    timed = question.since is not None
    if timed and author_takes_period():
        card = await answers.author(  # type: ignore[call-arg]
            store, question.author, limit=limit, since=question.since, until=question.until
        )
        ignored = False
    else:
        card = await answers.author(store, question.author, limit=limit)
        ignored = timed
    if not card.found and question.author_guess:
        as_topic = replace(question, kind="search", topic=question.author, author="")
        return await execute(store, as_topic, now=now, search_per_page=search_per_page)
    return Answered(question, card, period_ignored=ignored)


async def ask(
    store: Store, text: str, *, now: dt.datetime, search_per_page: int = SEARCH_PER_PAGE
) -> Answered:
    """Read ``text`` (relative time anchored like ``answers.top``) and answer it."""
    anchor = answers.anchor_day(now, await store.latest_day())
    question = parse_question(text, today=anchor)
    return await execute(store, question, now=now, search_per_page=search_per_page)
