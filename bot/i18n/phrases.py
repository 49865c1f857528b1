"""The core's typed values in words, in the current language (:mod:`bot.i18n.catalog`).

The core (:mod:`bot.core`) and storage return typed values and raise typed errors: no words.
The Discord adapter (:mod:`bot.discord_ui`, ``cogs``) and the terminal (:mod:`bot.console`)
turn them into sentences here, each sentence a catalogue message picked by the value's fields.

Text is plain (no markup of either front end), except command names in backticks, which both
show as they are. Untrusted text (what a user typed) is quoted with ``repr`` where a sentence
quotes it; a caller that needs more (Discord markdown) escapes before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
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
from bot.core.coordination import DatabaseInUse, ShardsTaken
from bot.core.digests import RunCode, RunDetail
from bot.core.errors import (
    BadNumber,
    BadPage,
    BadUsage,
    ChartTimeout,
    DateProblem,
    EmptyQuery,
    InvalidDate,
    ReversedRange,
    TooManyTerms,
    UnknownCommand,
    UnknownFormat,
    UnknownPeriod,
    UnknownSort,
    UserError,
    Wanted,
)
from bot.core.question import Answered, Ignored, Question, When, WhyIgnored
from bot.core.reading import Removed, Saved
from bot.core.research import RisingAnswer, RisingNote, TrendNote, TrendsAnswer, peak
from bot.core.status import ClusterStatus
from bot.i18n.catalog import date, date_in, number, tr, trn
from storage.errors import (
    AlertError,
    AlertExists,
    AlertLimitReached,
    EmptyAlertQuery,
    ReadingListError,
    SavedLimitReached,
    UnknownPaper,
)
from storage.ingest.importer import SAMPLE_LICENSE, SAMPLE_SOURCE
from storage.models import Paper, SimilarPaper, SimilarReason

Answer = DayAnswer | TopAnswer | AuthorAnswer | SearchAnswer
#: A link as ``(label, url)``.
Link = tuple[str, str]

# --------------------------------------------------------------------------- daily digest

_DIGEST_PROBLEMS: Final[dict[RunCode, str]] = {
    RunCode.CHANNEL_MISSING: "digest.problem.channel_missing",
    RunCode.FORBIDDEN: "digest.problem.forbidden",
    RunCode.POST_FAILED: "digest.problem.post_failed",
    RunCode.NOTHING_NEW: "digest.problem.nothing_new",
    RunCode.NO_SLOT: "digest.problem.no_slot",
    RunCode.FOUND_IN_HISTORY: "digest.problem.found_in_history",
    RunCode.IN_FLIGHT: "digest.problem.in_flight",
    RunCode.ELSEWHERE: "digest.problem.elsewhere",
}


def digest_detail(detail: RunDetail) -> str:
    """What a digest run's detail (or a server's last error) means, for the server's admins."""
    if detail.code is RunCode.HTTP_ERROR:
        if detail.status is None:
            return tr("digest.problem.http_error")
        return tr("digest.problem.http_status", status=detail.status)
    if detail.code is RunCode.MISSED:
        return missed_slot(detail)
    return tr(_DIGEST_PROBLEMS[detail.code])


def missed_slot(detail: RunDetail) -> str:
    """``Missed: the bot was not running at 2024-06-14 09:00 KST and the 6:00:00 grace window
    has passed`` (the slot's fire time in the server's zone, as recorded)."""
    when = tr("digest.missed.post_time")
    if detail.fired_at is not None:
        local = detail.fired_at
        if detail.timezone:
            try:
                local = local.astimezone(zone(detail.timezone))
            except Exception:  # a zone this machine does not know: keep UTC
                local = local.astimezone(dt.UTC)
        when = f"{local:%Y-%m-%d %H:%M %Z}"
    if detail.grace is None:
        return tr("digest.missed", when=when)
    return tr("digest.missed.grace", when=when, grace=detail.grace)


def recorded_detail(text: str | None) -> str:
    """A stored run detail or last error in words: a code (:meth:`RunDetail.decode`) is
    described; anything else (a sentence an older version stored) is shown as it is."""
    detail = RunDetail.decode(text)
    return digest_detail(detail) if detail is not None else (text or "")


def sending_digest(day: dt.date) -> str:
    """A slot in flight: its messages are being sent."""
    return tr("digest.sending", day=day.isoformat())


# --------------------------------------------------------------------------- dates and ranges


def range_text(since: dt.date | None, until: dt.date | None) -> str:
    """``from 2024-06-01 to 2024-06-13``, ``since ...``, ``until ...`` or ``of all time``."""
    if since and until:
        return tr("range.between", since=since.isoformat(), until=until.isoformat())
    if since:
        return tr("range.since", since=since.isoformat())
    if until:
        return tr("range.until", until=until.isoformat())
    return tr("range.all")


# --------------------------------------------------------------------------- errors

_DATE_PROBLEMS: Final[dict[DateProblem, str]] = {
    DateProblem.FORMAT: "error.date.format",
    DateProblem.YEAR: "error.date.year",
    DateProblem.MONTH: "error.date.month",
    DateProblem.DAY: "error.date.day",
}

_EMPTY_QUERIES: Final[dict[Wanted, str]] = {
    Wanted.PAPER: "error.empty.paper",
    Wanted.AUTHOR: "error.empty.author",
    Wanted.SEARCH: "error.empty.search",
    Wanted.ALERT_KEYWORDS: "error.empty.alert_keywords",
    Wanted.TRENDS: "error.empty.trends",
}

#: How each console command is used (``{option}``: the option given without its value).
_USAGES: Final[dict[str, str]] = {
    "today": "error.usage.today",
    "day": "error.usage.day",
    "top": "error.usage.top",
    "search": "error.usage.search",
    "page": "error.usage.page",
    "saved": "error.usage.saved",
    "similar": "error.usage.similar",
    "trends": "error.usage.trends",
}


def describe_error(error: UserError | AlertError | ReadingListError) -> str:
    """The message for the person whose input failed (a core, alert or reading list error)."""
    match error:
        case InvalidDate(text=text, problem=problem):
            return tr("error.date", text=repr(text), problem=tr(_DATE_PROBLEMS[problem]))
        case UnknownPeriod(text=text, choices=choices):
            return tr("error.period", text=repr(text), choices=", ".join(choices))
        case UnknownSort(text=text, choices=choices):
            return tr("error.sort", text=repr(text), choices=", ".join(choices))
        case UnknownFormat(text=text, choices=choices):
            return tr("error.format", text=repr(text), choices=", ".join(choices))
        case ReversedRange(since=since, until=until):
            return tr("error.reversed", since=since, until=until)
        case EmptyQuery(what=what):
            return tr(_EMPTY_QUERIES[what])
        case BadNumber(text=text, what=what):
            return tr("error.number", what=what, text=repr(text))
        case BadUsage(command=command, option=option):
            return tr(_USAGES[command], option=option)
        case UnknownCommand(name=name):
            return tr("error.unknown_command", name=repr(name))
        case BadPage():
            return tr("error.bad_page")
        case TooManyTerms(count=count, maximum=maximum):
            return tr("error.too_many_terms", count=count, maximum=maximum)
        case ChartTimeout():
            return tr("error.chart_timeout")
        case AlertExists(existing=existing):
            return tr("error.alert_exists", id=existing.id)
        case AlertLimitReached(limit=limit):
            return tr("error.alert_limit", limit=limit)
        case EmptyAlertQuery():
            return tr("error.alert_empty")
        case UnknownPaper(arxiv_id=ref):
            return f"{unknown_paper(repr(ref))} {tr('paper.check_id')}"
        case SavedLimitReached(limit=limit):
            return tr("error.saved_limit", limit=limit)
    return str(error)


# --------------------------------------------------------------------------- answers

_TIPS: Final[dict[SearchTip, str]] = {
    SearchTip.FEWER_WORDS: "tip.fewer_words",
    SearchTip.ENGLISH_TERM: "tip.english_term",
    SearchTip.KOREAN_TERM: "tip.korean_term",
    SearchTip.NO_DATE_RANGE: "tip.no_date_range",
    SearchTip.TITLE_WORDS: "tip.title_words",
}


def search_tip(tip: SearchTip) -> str:
    """What to try, as one sentence."""
    return tr(_TIPS[tip])


def unknown_paper(shown: str) -> str:
    """``No paper '2406.99999' in the archive.`` (``shown`` quoted or escaped by the caller)."""
    return tr("paper.unknown", shown=shown)


def unknown_author(shown: str) -> str:
    """``No author named 'Yejin Cho'.`` (``shown`` quoted or escaped by the caller)."""
    return tr("author.unknown", shown=shown)


def did_you_mean(names: Sequence[str]) -> str:
    """``Did you mean: A, B?``"""
    return tr("author.did_you_mean", names=", ".join(names))


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
    if before is not None and after is not None:
        return tr("note.nearest.both", before=date(before), after=date(after))
    if before is not None:
        return tr("note.nearest.before", before=date(before))
    if after is not None:
        return tr("note.nearest.after", after=date(after))
    return tr("note.nearest.none")


_TODAY_NOTES: Final[dict[TodayGap, str]] = {
    TodayGap.DATED_AFTER_TODAY: "today.note.dated_after_today",
    TodayGap.WEEKEND: "today.note.weekend",
    TodayGap.NOT_OUT_YET: "today.note.not_out_yet",
    TodayGap.WEEKEND_NOT_OUT_YET: "today.note.weekend_not_out_yet",
    TodayGap.ARCHIVE_ENDS: "today.note.archive_ends",
}


def _day_note(answer: DayAnswer) -> str:
    why, requested, shown = answer.why, answer.requested, answer.date
    if why is None or requested is None:
        return ""
    if why is TodayGap.NO_DATA:
        return tr("note.no_data")
    nearest = _nearest(answer.before, answer.after)
    if why is DayGap.NO_DIGEST:
        return tr("day.note.no_digest", day=date(requested), nearest=nearest)
    if why is DayGap.EMPTY_DIGEST:
        return tr("day.note.empty_digest", day=date(requested), nearest=nearest)
    assert shown is not None
    return tr(_TODAY_NOTES[why], day=date(shown), today=requested.isoformat())


def _top_note(answer: TopAnswer) -> str:
    why, since, until = answer.why, answer.since, answer.until
    if why is TopNote.RANGE:
        return tr("top.note.range", range=range_text(since, until))
    if why is TopNote.RANGE_EMPTY:
        note = tr("top.note.range_empty", range=range_text(since, until))
        if answer.latest is not None:
            note += " " + tr("top.note.newest", day=answer.latest.isoformat())
        return note
    if why is TopNote.ALL_TIME:
        return tr("top.note.all_time")
    if why is TopNote.NO_DATA or since is None or until is None:
        return tr("note.no_data")
    key = "top.note.anchored" if why is TopNote.PERIOD_ANCHORED else "top.note.period"
    return tr(key, days=answer.days, since=since.isoformat(), until=until.isoformat())


def _author_note(answer: AuthorAnswer) -> str:
    if answer.why is AuthorNote.NOT_FOUND:
        note = unknown_author(repr(answer.query))
        if answer.suggestions:
            note += " " + did_you_mean([a.name for a in answer.suggestions])
        return note
    if answer.why is AuthorNote.SEVERAL and answer.author is not None:
        key = "author.note.matches_capped" if answer.matches_capped else "author.note.matches"
        note = tr(key, count=len(answer.matches), query=repr(answer.query), name=answer.author.name)
        others = ", ".join(a.name for a in answer.named_others)
        more = answer.unnamed_others
        if more > 0:
            return note + " " + tr("author.note.others_more", others=others, more=more)
        return note + " " + tr("author.note.others", others=others)
    return ""


def _search_note(answer: SearchAnswer) -> str:
    if answer.why is SearchNote.UNKNOWN_PAPER:
        return unknown_paper(repr(answer.query))
    if answer.why is SearchNote.PAST_THE_END:
        return trn("search.note.past_the_end", answer.hits.total)
    if answer.why is SearchNote.NO_MATCH:
        since, until = answer.since, answer.until
        if since or until:
            return tr(
                "search.note.no_match_range",
                query=repr(answer.query),
                range=range_text(since, until),
            )
        return tr("search.note.no_match", query=repr(answer.query))
    return ""


# --------------------------------------------------------------------------- reading lists


def saved(result: Saved, shown: str) -> str:
    """What saving did to the list (``shown``: the paper's title, escaped by the caller)."""
    key = "saved.added" if result.added else "saved.already"
    return tr(key, title=shown, count=result.count, limit=result.limit)


def removed(result: Removed, shown: str) -> str:
    """What removing did (``shown``: the paper's title, escaped by the caller)."""
    return tr("saved.removed" if result.removed else "saved.not_saved", title=shown)


# --------------------------------------------------------------------------- questions


def guide() -> str:
    """How to ask in plain words (the answer to ``help`` or an empty question)."""
    return tr("ask.guide")


_WHY_IGNORED: Final[dict[WhyIgnored, str]] = {
    WhyIgnored.NOT_A_DATE: "ask.ignored.not_a_date",
    WhyIgnored.OUT_OF_RANGE: "ask.ignored.out_of_range",
}

_WHEN: Final[dict[When, str]] = {
    When.TODAY: "when.today",
    When.YESTERDAY: "when.yesterday",
    When.THIS_WEEK: "when.this_week",
    When.THIS_MONTH: "when.this_month",
    When.LAST_WEEK: "when.last_week",
    When.LAST_MONTH: "when.last_month",
}


def when_text(when: When) -> str:
    """``this week`` / ``이번 주``."""
    return tr(_WHEN[when])


def ignored_text(ignored: Ignored) -> str:
    """``2025-13-40 (not a date)``, or the words alone."""
    if ignored.why is None:
        return ignored.text
    return tr("ask.ignored.why", text=ignored.text, why=tr(_WHY_IGNORED[ignored.why]))


def _span(question: Question) -> str:
    since, until, when = question.since, question.until, question.when
    if since is None or until is None:
        return ""
    if since == until:
        text = tr("ask.span.on", day=since)
    else:
        text = tr("ask.span.between", since=since, until=until)
    return tr("ask.span.when", span=text, when=when_text(when)) if when else text


def _what(question: Question, span: str, period_ignored: bool) -> str:
    kind = question.kind
    if kind == "search":
        if span:
            return tr("ask.read.search_span", topic=question.topic, span=span)
        return tr("ask.read.search", topic=question.topic)
    if kind == "today":
        return tr("ask.read.today")
    if kind == "day":
        return tr("ask.read.day", span=span)
    if kind == "top":
        if question.period is not None and question.when is not None:
            days = PERIODS[question.period]
            return tr("ask.read.top_period", when=when_text(question.when), days=days)
        if question.since is not None:
            return tr("ask.read.top_span", span=span)
        return tr("ask.read.top_default", days=PERIODS[DEFAULT_PERIOD])
    if span and not period_ignored:
        return tr("ask.read.author_span", author=question.author, span=span)
    return tr("ask.read.author", author=question.author)


def reading(question: Question, *, period_ignored: bool = False) -> str:
    """How the question was read, e.g. ``Read as: search 'diffusion video' on 2025-05-08
    (yesterday)``."""
    if question.kind == "help":
        return tr("ask.read_as", reading=tr("ask.read.help"))
    text = _what(question, _span(question), period_ignored)
    if question.count is not None:
        text = tr("ask.read.count", reading=text, count=question.count)
    if period_ignored:
        if question.when:
            what = when_text(question.when)
        elif question.since:
            what = str(question.since)
        else:
            what = tr("ask.read.the_period")
        text = tr("ask.read.period_ignored", reading=text, what=what)
    if question.ignored:
        words = ", ".join(f"'{ignored_text(w)}'" for w in question.ignored)
        text = tr("ask.read.ignored", reading=text, words=words)
    return tr("ask.read_as", reading=text)


def reading_of(answered: Answered) -> str:
    """How an answered question was read (:func:`reading`)."""
    return reading(answered.question, period_ignored=answered.period_ignored)


# --------------------------------------------------------------------------- papers and data

#: Where the summaries come from, and under which licence (the bundled samples' data facts).
DATA_SOURCE: Final = SAMPLE_SOURCE
DATA_SOURCE_URL: Final = f"https://github.com/{SAMPLE_SOURCE}"
DATA_LICENCE: Final = SAMPLE_LICENSE
DATA_LICENCE_URL: Final = "https://creativecommons.org/licenses/by-nc/4.0/"


def credit() -> str:
    """The credit under every list of papers."""
    return tr("credit", source=DATA_SOURCE, licence=DATA_LICENCE)


def samples_credit() -> str:
    """The credit of the console and ``help``."""
    return tr("credit.samples", source=DATA_SOURCE, licence=DATA_LICENCE)


def paper_links(paper: Paper, *, abstract: bool = True, extras: bool = True) -> list[Link]:
    """A paper's links as ``(label, url)``, in the order every renderer shows them: the
    abstract (``abstract``), the PDF and the Hugging Face page (arXiv papers), then (``extras``)
    GitHub with its stars and the project page."""
    links: list[Link] = [(tr("link.abstract"), paper.abs_url)] if abstract else []
    if paper.pdf_url:
        links.append((tr("link.pdf"), paper.pdf_url))
    if paper.hf_url:
        links.append((tr("link.hugging_face"), paper.hf_url))
    if extras and paper.github_repo:
        if paper.github_stars is not None:
            label = tr("link.github_stars", stars=number(paper.github_stars))
        else:
            label = tr("link.github")
        links.append((label, paper.github_repo))
    if extras and paper.project_page:
        links.append((tr("link.project_page"), paper.project_page))
    return links


# --------------------------------------------------------------------------- several processes

_JOB_NAMES: Final = {"fetch": "status.job_name.fetch", "alerts": "status.job_name.alerts"}


def _moment(moment: dt.datetime) -> str:
    """A moment for operators: UTC, to the second."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _seconds(delta: dt.timedelta) -> str:
    return number(max(0, round(delta.total_seconds())))


def _ids(ids: Sequence[int]) -> str:
    return ",".join(str(i) for i in ids) if ids else tr("status.nothing")


def shards_taken(error: ShardsTaken, *, now: dt.datetime) -> str:
    """Why ``run`` refuses: live processes hold some of its shards."""
    conflicts = error.conflicts
    until = max(c.expires_at for c in conflicts)
    lease = max(0.0, (until - now).total_seconds())
    return tr(
        "coord.shards_taken",
        shards=_ids(sorted({c.shard_id for c in conflicts})),
        holders=", ".join(sorted({c.holder for c in conflicts})),
        until=_moment(until),
        lease=number(round(lease)),
    )


def database_in_use(error: DatabaseInUse, *, now: dt.datetime) -> str:
    """Why ``run`` refuses: another process runs on this SQLite database."""
    return tr(
        "coord.database_in_use",
        process=error.process.process_id,
        ago=_seconds(now - error.process.last_beat),
    )


def job_name(job: str) -> str:
    """A global job's name in words (an unknown one as it is stored)."""
    key = _JOB_NAMES.get(job)
    return tr(key) if key else job


def status_lines(status: ClusterStatus) -> list[str]:
    """``papers-bot status`` in words: processes, jobs, queues (headings end with a colon)."""
    lines = [tr("status.heading.processes", lease=_seconds(status.lease)) + ":"]
    if not status.processes:
        lines.append("  " + tr("status.none"))
    for state in status.processes:
        proc = state.process
        adopted = tr("status.adopted", shards=_ids(state.adopted)) if state.adopted else ""
        lines.append(
            "  "
            + tr(
                "status.process",
                process=proc.process_id,
                shards=_ids(state.shards),
                adopted=adopted,
                jobs=", ".join(job_name(j) for j in state.jobs) or tr("status.nothing"),
                ago=_seconds(status.now - proc.last_beat),
                state=tr("status.alive") if state.alive else tr("status.expired"),
                started=_moment(proc.started_at),
                version=proc.version,
            )
        )
    if status.unheld_shards:
        lines.append("  " + tr("status.unheld", shards=_ids(status.unheld_shards)))
    lines.append(tr("status.heading.jobs") + ":")
    for job in status.jobs:
        if job.expired or job.holder is None or job.expires_at is None:
            lines.append("  " + tr("status.job.free", job=job_name(job.job)))
        else:
            lines.append(
                "  "
                + tr(
                    "status.job.held",
                    job=job_name(job.job),
                    holder=job.holder,
                    until=_moment(job.expires_at),
                )
            )
    lines.append(tr("status.heading.queue") + ":")
    lines.append(
        "  "
        + tr(
            "status.queue.digests",
            waiting=number(status.digests_waiting),
            sending=number(status.digests_sending),
            later=number(status.digests_later),
        )
    )
    lines.append("  " + trn("status.queue.alerts", status.alerts_waiting))
    if status.summaries_waiting is None:
        lines.append("  " + tr("status.queue.summaries_off"))
    else:
        lines.append("  " + trn("status.queue.summaries", status.summaries_waiting))
    return lines


# --------------------------------------------------------------------------- research


def similar_reasons(item: SimilarPaper, *, shown: Callable[[str], str] = str) -> str:
    """Why a paper is like the other, in a few words: ``Shared terms: diffusion, video ·
    Shared authors: Bo Kim · Same day``; ``shown`` escapes authors' names for the front end."""
    parts: list[str] = []
    for reason in item.reasons:
        if reason is SimilarReason.TERMS:
            parts.append(tr("similar.reason.terms", terms=", ".join(item.terms)))
        elif reason is SimilarReason.SUMMARY:
            parts.append(tr("similar.reason.summary"))
        elif reason is SimilarReason.AUTHORS:
            names = ", ".join(shown(name) for name in item.authors)
            parts.append(trn("similar.reason.authors", len(item.authors), authors=names))
        elif reason is SimilarReason.SAME_DAY and item.day is not None:
            parts.append(tr("similar.reason.same_day", day=date(item.day)))
    return " · ".join(parts)


def trend_unit(answer: TrendsAnswer) -> str:
    """``week`` / ``month`` (the chart's bucket) in words."""
    return tr("chart.unit.month") if answer.bucket == "month" else tr("chart.unit.week")


def trends_summary(answer: TrendsAnswer) -> str:
    """The chart in one line, for people who cannot see it: the range, and per term its papers
    and its busiest week or month."""
    parts = []
    for trend in answer.series:
        best = peak(trend)
        if best is None:
            parts.append(tr("trends.summary.none", term=trend.term))
            continue
        parts.append(
            tr(
                "trends.summary.term",
                term=trend.term,
                papers=trn("count.papers", trend.papers),
                votes=number(trend.votes),
                peak=(
                    tr("trends.peak.month", month=date_in(best.start, "chart.format.month"))
                    if answer.bucket == "month"
                    else tr("trends.peak.week", day=date(best.start))
                ),
                peak_papers=number(best.papers),
            )
        )
    first = answer.since or (answer.starts[0] if answer.starts else None)
    span = (
        tr("top.label.span", since=first.isoformat(), until=answer.until.isoformat())
        if first is not None and answer.until is not None
        else ""
    )
    return tr("trends.summary", unit=trend_unit(answer), span=span, terms="; ".join(parts))


def trends_note(answer: TrendsAnswer) -> str:
    """Why there is no chart (``""`` when there is one)."""
    if answer.why is TrendNote.NO_DATA:
        return tr("trends.none.no_data")
    if answer.why is TrendNote.NO_PAPERS:
        return tr("trends.none.no_papers", terms=", ".join(repr(t) for t in answer.terms))
    return ""


def span_label(since: dt.date | None, until: dt.date | None) -> str:
    """``2024-06-07 to 2024-06-13``, ``since 2024-01-01``, ``until ...`` or ``""``."""
    if since and until:
        return tr("top.label.span", since=since.isoformat(), until=until.isoformat())
    if since:
        return tr("range.since", since=since.isoformat())
    if until:
        return tr("range.until", until=until.isoformat())
    return ""


def rising_label(answer: RisingAnswer) -> str:
    """``last 7 days (2025-05-03 to 2025-05-09)``, ``all time``, ``since 2025-05-01``."""
    span = span_label(answer.since, answer.until)
    if answer.period == "all" or not span:
        return tr("top.label.all")
    days = answer.days
    if answer.period != "custom" and days is not None:
        return tr("top.label.with_span", label=tr("top.label.last_days", days=days), span=span)
    return span


def rising_gain(start_votes: int, end_votes: int) -> str:
    """``+20 votes (10 → 30)``."""
    return trn(
        "rising.gain", end_votes - start_votes, start=number(start_votes), end=number(end_votes)
    )


def rising_note(answer: RisingAnswer) -> str:
    """Why nothing rose, or what the range was (``""`` when there is nothing to add)."""
    if answer.why is RisingNote.NONE:
        return tr("rising.none", label=rising_label(answer))
    if answer.why is RisingNote.PERIOD:
        return tr("rising.note.period")
    return ""
