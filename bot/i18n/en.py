"""Every English sentence built from the core's typed values, in one place.

The core (:mod:`bot.core`) and storage return typed values and raise typed errors: no words.
The Discord adapter (:mod:`bot.discord_ui`, ``cogs``) and the terminal (:mod:`bot.console`,
``bot.cli``) turn them into words here, so each sentence exists once and is built from fields
(a later step turns this module into translation catalogues).

Text is plain (no markup of either front end), except command names in backticks, which both
show as they are. Untrusted text (what a user typed) is quoted with ``repr`` where a sentence
quotes it, as it always was; a caller that needs more (Discord markdown) escapes before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final

from bot.config import zone
from bot.core.answers import (
    DEFAULT_PERIOD,
    PERIODS,
    AuthorAnswer,
    AuthorNote,
    DayAnswer,
    DayGap,
    SearchAnswer,
    SearchNote,
    SearchTip,
    TodayGap,
    TopAnswer,
    TopNote,
)
from bot.core.digests import RunCode, RunDetail
from bot.core.errors import (
    BadNumber,
    BadPage,
    BadUsage,
    DateProblem,
    EmptyQuery,
    InvalidDate,
    ReversedRange,
    UnknownCommand,
    UnknownPeriod,
    UnknownSort,
    UserError,
    Wanted,
)
from bot.core.fetch import FetchNote, FetchOutcome
from bot.core.question import Answered, Ignored, Question, WhyIgnored
from bot.i18n.problems import describe_problem
from bot.i18n.words import plural
from storage.errors import AlertError, AlertExists, AlertLimitReached, EmptyAlertQuery
from storage.ingest.importer import SAMPLE_LICENSE, SAMPLE_SOURCE
from storage.models import Paper

Answer = DayAnswer | TopAnswer | AuthorAnswer | SearchAnswer
#: A link as ``(label, url)``.
Link = tuple[str, str]

# --------------------------------------------------------------------------- daily digest

#: The words for each run code that has no fields.
_DIGEST_PROBLEMS: Final[dict[RunCode, str]] = {
    RunCode.CHANNEL_MISSING: (
        "The digest channel no longer exists (or the bot cannot see it): choose another "
        "with /digest set"
    ),
    RunCode.FORBIDDEN: (
        "The bot lost permission to post in the digest channel (it needs View Channel, "
        "Send Messages and Embed Links)"
    ),
    RunCode.POST_FAILED: "Posting failed",
    RunCode.NOTHING_NEW: "No new digest day since the last post",
    RunCode.NO_SLOT: "No slot since the settings were saved",
    RunCode.FOUND_IN_HISTORY: "Found in the channel's history",
}


def digest_detail(detail: RunDetail) -> str:
    """What a digest run's detail (or a server's last error) means, for the server's admins."""
    if detail.code is RunCode.HTTP_ERROR:
        status = f" ({detail.status})" if detail.status is not None else ""
        return f"Discord refused the post{status}"
    if detail.code is RunCode.MISSED:
        return missed_slot(detail)
    return _DIGEST_PROBLEMS[detail.code]


def missed_slot(detail: RunDetail) -> str:
    """``Missed: the bot was not running at 2024-06-14 09:00 KST and the 6:00:00 grace window
    has passed`` (the slot's fire time in the server's zone, as recorded)."""
    when = "its post time"
    if detail.fired_at is not None:
        local = detail.fired_at
        if detail.timezone:
            try:
                local = local.astimezone(zone(detail.timezone))
            except Exception:  # a zone this machine does not know: keep UTC
                local = local.astimezone(dt.UTC)
        when = f"{local:%Y-%m-%d %H:%M %Z}"
    grace = f"{detail.grace} " if detail.grace is not None else ""
    return f"Missed: the bot was not running at {when} and the {grace}grace window has passed"


def recorded_detail(text: str | None) -> str:
    """A stored run detail or last error in words: a code (:meth:`RunDetail.decode`) is
    described; anything else (a sentence an older version stored) is shown as it is."""
    detail = RunDetail.decode(text)
    return digest_detail(detail) if detail is not None else (text or "")


def sending_digest(day: dt.date) -> str:
    """A slot in flight: its messages are being sent."""
    return f"Sending the {day.isoformat()} digest"


# --------------------------------------------------------------------------- dates and ranges

_WEEKDAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def weekday(date: dt.date) -> str:
    """``Thursday``."""
    return _WEEKDAYS[date.weekday()]


def day_with_weekday(date: dt.date) -> str:
    """``2024-06-13 (Thursday)``."""
    return f"{date.isoformat()} ({weekday(date)})"


def range_text(since: dt.date | None, until: dt.date | None) -> str:
    """``from 2024-06-01 to 2024-06-13``, ``since ...``, ``until ...`` or ``of all time``."""
    if since and until:
        return f"from {since.isoformat()} to {until.isoformat()}"
    if since:
        return f"since {since.isoformat()}"
    if until:
        return f"until {until.isoformat()}"
    return "of all time"


# --------------------------------------------------------------------------- errors

_DATE_PROBLEMS: Final[dict[DateProblem, str]] = {
    DateProblem.FORMAT: "use YYYY-MM-DD, e.g. 2024-06-13",
    DateProblem.YEAR: "year 0 is out of range",
    DateProblem.MONTH: "month must be in 1..12",
    DateProblem.DAY: "day is out of range for month",
}

_EMPTY_QUERIES: Final[dict[Wanted, str]] = {
    Wanted.PAPER: "Which paper? Give an arXiv id such as 2406.06523 or a paper URL.",
    Wanted.AUTHOR: "Which author? Give a name, e.g. `author Yejin Choi`.",
    Wanted.SEARCH: "Search for what? e.g. `search diffusion` or `search 확산 모델`.",
    Wanted.ALERT_KEYWORDS: (
        "Those keywords have nothing to search for: use words in English or Korean "
        "(e.g. `diffusion`, `확산 모델`)."
    ),
}

#: How each console command is used (``{option}``: the option given without its value).
_USAGES: Final[dict[str, str]] = {
    "today": "Usage: today [N]",
    "day": "Usage: day DATE [N], e.g. day 2024-06-13",
    "top": "Usage: top {option} DATE",
    "search": "Usage: search QUERY {option} VALUE",
    "page": "Usage: page N",
}


def describe_error(error: UserError | AlertError) -> str:
    """The message for the person whose input failed (a core or an alert error)."""
    match error:
        case InvalidDate(text=text, problem=problem):
            return f"Not a date: {text!r} ({_DATE_PROBLEMS[problem]})"
        case UnknownPeriod(text=text, choices=choices):
            return f"Unknown period {text!r}: use one of {', '.join(choices)}"
        case UnknownSort(text=text, choices=choices):
            return f"Unknown sort {text!r}: use one of {', '.join(choices)}"
        case ReversedRange(since=since, until=until):
            return f"The start date {since} is after the end date {until}: swap them and try again."
        case EmptyQuery(what=what):
            return _EMPTY_QUERIES[what]
        case BadNumber(text=text, what=what):
            return f"{what} must be a whole number, got {text!r}"
        case BadUsage(command=command, option=option):
            return _USAGES[command].format(option=option)
        case UnknownCommand(name=name):
            return f"Unknown command {name!r}: type `help` for the commands"
        case BadPage():
            return "Pages start at 1"
        case AlertExists(existing=existing):
            return f"You already have this alert (#{existing.id})."
        case AlertLimitReached(limit=limit):
            return f"You have {limit} alerts, the most allowed: remove one first."
        case EmptyAlertQuery():
            return "Give some keywords or an author's name."
    return str(error)


#: A command ran while the database server could not be reached (it reconnects by itself).
DATABASE_UNAVAILABLE: Final = "The database is not reachable right now: try again in a moment."


# --------------------------------------------------------------------------- answers

NO_DATA: Final = "No digests yet: import some with `papers-bot import PATH`."

_TIPS: Final[dict[SearchTip, str]] = {
    SearchTip.FEWER_WORDS: "Use fewer words.",
    SearchTip.ENGLISH_TERM: "Try the English term (titles are in English).",
    SearchTip.KOREAN_TERM: "Try the Korean term too (summaries are in Korean).",
    SearchTip.NO_DATE_RANGE: "Remove the date range.",
    SearchTip.TITLE_WORDS: "Search for words from its title instead.",
}


def search_tip(tip: SearchTip) -> str:
    """What to try, as one sentence."""
    return _TIPS[tip]


def unknown_paper(shown: str) -> str:
    """``No paper '2406.99999' in the archive.`` (``shown`` quoted or escaped by the caller)."""
    return f"No paper {shown} in the archive."


def unknown_author(shown: str) -> str:
    """``No author named 'Yejin Cho'.`` (``shown`` quoted or escaped by the caller)."""
    return f"No author named {shown}."


def did_you_mean(names: Sequence[str]) -> str:
    """``Did you mean: A, B?``"""
    return f"Did you mean: {', '.join(names)}?"


def note_text(answer: Answer) -> str:
    """The note explaining anything surprising about an answer (``""`` when there is none)."""
    if isinstance(answer, DayAnswer):
        return _day_note(answer)
    if isinstance(answer, TopAnswer):
        return _top_note(answer)
    if isinstance(answer, AuthorAnswer):
        return _author_note(answer)
    return _search_note(answer)


def _nearest(before: dt.date | None, after: dt.date | None) -> str:
    parts = []
    if before is not None:
        parts.append(f"{day_with_weekday(before)} before")
    if after is not None:
        parts.append(f"{day_with_weekday(after)} after")
    if not parts:
        return "There are no digests at all yet."
    return "Nearest digests: " + " and ".join(parts) + "."


def _day_note(answer: DayAnswer) -> str:
    why, requested, date = answer.why, answer.requested, answer.date
    if why is None or requested is None:
        return ""
    if why is TodayGap.NO_DATA:
        return NO_DATA
    if why is DayGap.NO_DIGEST:
        return f"No digest for {day_with_weekday(requested)}. " + _nearest(
            answer.before, answer.after
        )
    if why is DayGap.EMPTY_DIGEST:
        nearest = _nearest(answer.before, answer.after)
        return f"The digest for {day_with_weekday(requested)} lists no papers. {nearest}"
    assert date is not None
    shown = f"Showing {day_with_weekday(date)}, the newest digest"
    today = requested.isoformat()
    if why is TodayGap.DATED_AFTER_TODAY:
        return f"{shown}; it is dated after today ({today}, UTC)."
    if why is TodayGap.WEEKEND:
        return f"{shown}: Daily Papers are not published at weekends."
    if why is TodayGap.NOT_OUT_YET:
        return (
            f"{shown}: today's digest ({today}, UTC) is not out yet; digests are made at 23:00 UTC."
        )
    if why is TodayGap.WEEKEND_NOT_OUT_YET:
        return (
            f"{shown}: there is none at the weekend, and today's ({today}, UTC) "
            "is not out yet; digests are made at 23:00 UTC."
        )
    return f"{shown}: none yet for {today} (UTC) and nothing newer in the archive."


def _top_note(answer: TopAnswer) -> str:
    why, since, until = answer.why, answer.since, answer.until
    if why is TopNote.RANGE:
        return f"Most voted papers {range_text(since, until)}."
    if why is TopNote.RANGE_EMPTY:
        note = f"No papers {range_text(since, until)}."
        if answer.latest is not None:
            note += f" The newest digest is {answer.latest.isoformat()}."
        return note
    if why is TopNote.ALL_TIME:
        return "Most voted papers of all time."
    if why is TopNote.NO_DATA or since is None or until is None:
        return NO_DATA
    note = (
        f"Most voted papers of the last {answer.days} days, "
        f"{since.isoformat()} to {until.isoformat()}"
    )
    if why is TopNote.PERIOD_ANCHORED:
        return f"{note} (ending on the newest digest, {until.isoformat()})."
    return f"{note}."


def _author_note(answer: AuthorAnswer) -> str:
    if answer.why is AuthorNote.NOT_FOUND:
        note = unknown_author(repr(answer.query))
        if answer.suggestions:
            note += " " + did_you_mean([a.name for a in answer.suggestions])
        return note
    if answer.why is AuthorNote.SEVERAL and answer.author is not None:
        count = len(answer.matches)
        counted = f"At least {count}" if answer.matches_capped else str(count)
        others = ", ".join(a.name for a in answer.named_others)
        more = answer.unnamed_others
        note = (
            f"{counted} authors match {answer.query!r}; showing {answer.author.name}. "
            f"Others: {others}"
        )
        return note + (f" and {more} more." if more > 0 else ".")
    return ""


def _search_note(answer: SearchAnswer) -> str:
    if answer.why is SearchNote.UNKNOWN_PAPER:
        return unknown_paper(repr(answer.query))
    if answer.why is SearchNote.PAST_THE_END:
        return f"Only {answer.hits.total} results; this page is past the end."
    if answer.why is SearchNote.NO_MATCH:
        since, until = answer.since, answer.until
        scope = f" {range_text(since, until)}" if since or until else ""
        return f"Nothing matches {answer.query!r}{scope}."
    return ""


# --------------------------------------------------------------------------- questions

GUIDE: Final = (
    "Ask in plain words, in English or Korean, and I answer like the commands do:\n"
    "• `diffusion video yesterday`: search, on one day\n"
    "• `이번 주 에이전트 논문 top 5`: search this week, 5 per page\n"
    "• `papers by Yejin Choi` or `Yejin Choi 논문`: an author's papers\n"
    "• `this week` / `이번 달` / `2025-05-08`: the top papers of a period, or one day\n"
    "Time words: today, yesterday, this week, this month, last week (오늘, 어제, 이번 주, "
    "이번 달, 지난주) or a date YYYY-MM-DD. How many: `top 5`, `상위 5`, `5개`.\n"
    "In a server, mention me with the question; anywhere, use `/ask`. `/help` lists every "
    "command."
)

_WHY_IGNORED: Final[dict[WhyIgnored, str]] = {
    WhyIgnored.NOT_A_DATE: "not a date",
    WhyIgnored.OUT_OF_RANGE: "out of range",
}


def ignored_text(ignored: Ignored) -> str:
    """``2025-13-40 (not a date)``, or the words alone."""
    return f"{ignored.text} ({_WHY_IGNORED[ignored.why]})" if ignored.why else ignored.text


def _span(question: Question) -> str:
    since, until, when = question.since, question.until, question.when
    if since is None or until is None:
        return ""
    text = f"on {since}" if since == until else f"from {since} to {until}"
    return f"{text} ({when})" if when else text


def reading(question: Question, *, period_ignored: bool = False) -> str:
    """How the question was read, e.g. ``Read as: search 'diffusion video' on 2025-05-08
    (yesterday)``."""
    kind = question.kind
    span = _span(question)
    if kind == "help":
        return "Read as: help"
    if kind == "search":
        text = f"search '{question.topic}'" + (f" {span}" if span else "")
    elif kind == "today":
        text = "today's papers (the newest digest)"
    elif kind == "day":
        text = f"the papers {span}"
    elif kind == "top":
        if question.period is not None:
            days = PERIODS[question.period]
            text = f"top papers of {question.when} (the last {days} days)"
        elif question.since is not None:
            text = f"top papers {span}"
        else:
            text = f"top papers of the last {PERIODS[DEFAULT_PERIOD]} days"
    else:
        text = f"papers by {question.author}"
        if span and not period_ignored:
            text += f" {span}"
    if question.count is not None:
        text += f", top {question.count}"
    if period_ignored:
        what = question.when or (str(question.since) if question.since else "the period")
        text += f"; {what} ignored (an author card covers every day)"
    if question.ignored:
        text += "; ignored: " + ", ".join(f"'{ignored_text(w)}'" for w in question.ignored)
    return f"Read as: {text}"


def reading_of(answered: Answered) -> str:
    """How an answered question was read (:func:`reading`)."""
    return reading(answered.question, period_ignored=answered.period_ignored)


# --------------------------------------------------------------------------- fetching


def _fetch_note(outcome: FetchOutcome) -> str:
    note, reason = outcome.note, outcome.reason
    if outcome.problem is not None:  # the parser's coded problem, in words
        reason = describe_problem(outcome.problem)
    if note is FetchNote.NO_PAPERS:
        return "no papers that day"
    if note is FetchNote.NOT_FOUND:
        return "no digest for that day (404)"
    if note is FetchNote.UNCHANGED:
        return "unchanged"
    if note is FetchNote.HTTP_STATUS:
        return f"HTTP {outcome.status} from {outcome.url}"
    if note is FetchNote.GAVE_UP:
        return f"{reason} after {outcome.attempts} attempts"
    if note is FetchNote.BAD_RESPONSE:
        return f"bad response: {reason}"
    if note is FetchNote.NOT_STORED:
        return f"could not store: {reason}"
    if note is FetchNote.UNREADABLE:
        return f"cannot read: {reason}"
    return reason  # NOT_A_DIGEST: the parser's own words, or nothing


def describe_fetch_outcome(outcome: FetchOutcome) -> str:
    """One line of ``papers-bot fetch``: ``2026-03-06 hf: 2 papers (2 new)``, or why not."""
    day = outcome.date.isoformat() if outcome.date else "-"
    if not outcome.ok:
        return f"{day} {outcome.source}: failed: {_fetch_note(outcome)}"
    if outcome.papers == 0:
        return f"{day} {outcome.source}: {_fetch_note(outcome) or 'nothing'}"
    papers = plural(outcome.papers, "paper")
    return f"{day} {outcome.source}: {papers} ({outcome.new_papers} new)"


# --------------------------------------------------------------------------- papers and data

#: Where the summaries come from, and under which licence (the bundled samples' data facts).
DATA_SOURCE: Final = SAMPLE_SOURCE
DATA_SOURCE_URL: Final = f"https://github.com/{SAMPLE_SOURCE}"
DATA_LICENCE: Final = SAMPLE_LICENSE
DATA_LICENCE_URL: Final = "https://creativecommons.org/licenses/by-nc/4.0/"
#: The credit under every list of papers.
CREDIT: Final = f"Summaries: {DATA_SOURCE} ({DATA_LICENCE})"
#: The credit of the console and ``help``.
SAMPLES_CREDIT: Final = (
    f"Sample digests: {DATA_SOURCE} ({DATA_LICENCE}); summaries are LLM-written, in Korean."
)


def paper_links(paper: Paper, *, abstract: bool = True, extras: bool = True) -> list[Link]:
    """A paper's links as ``(label, url)``, in the order every renderer shows them: the
    abstract (``abstract``), the PDF and the Hugging Face page (arXiv papers), then (``extras``)
    GitHub with its stars and the project page."""
    links: list[Link] = [("Abstract", paper.abs_url)] if abstract else []
    if paper.pdf_url:
        links.append(("PDF", paper.pdf_url))
    if paper.hf_url:
        links.append(("Hugging Face", paper.hf_url))
    if extras and paper.github_repo:
        stars = f" ★ {paper.github_stars:,}" if paper.github_stars is not None else ""
        links.append((f"GitHub{stars}", paper.github_repo))
    if extras and paper.project_page:
        links.append(("Project page", paper.project_page))
    return links
