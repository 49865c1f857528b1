"""Bot benchmark: command reply latency through the real command tree, against the bare query.

Run:  .venv/bin/python -m bench.bench_bot                       (100k papers, 50 reps)
      .venv/bin/python -m bench.bench_bot --papers 10000         (quick, for iteration)
      .venv/bin/python -m bench.bench_bot --db /tmp/bench-100k.db (build once, then reuse)
      .venv/bin/python -m bench.bench_bot --db postgresql://user@/papers?host=/run/pg (PostgreSQL)
      .venv/bin/python -m bench.bench_bot --papers 10000 --profile "/search model"

It builds a store from synthetic digests (bench/synth.py, or ``--corpus DIR`` of them) with the
importer ``papers-bot import`` runs, or reuses ``--db`` (an SQLite file or a ``postgresql://``
URL) when it already holds papers. At the end it prints the process's peak RSS: the bot, its
store and the fake Discord (build the store in another run, or with ``papers-bot import``, for
a figure without the import in it). Then, for each command,
it times ``--reps`` interactions dispatched through the real ``CommandTree`` / ``ViewStore`` by
:mod:`harness` (real ``discord.Interaction`` objects; only the network is fake), from the
dispatch to the moment discord.py hands the reply (the message with the embed, or the
autocomplete choices) to the fake Discord HTTP layer. Interleaved with those, it times the same
request asked of :mod:`bot.core.answers` / the store directly (the "bare" query).

Columns:
- ``reply``: dispatch -> reply sent, through the bot;
- ``bare``: the same answer/store call made directly;
- ``d p50`` / ``d p99``: reply minus bare, percentile by percentile (what the issue asks for,
  but the difference of two noisy p99s can even go negative);
- ``adds``: per interaction, reply time minus the time that interaction spent awaiting the
  store (measured by a timing proxy around the bot's store): what the bot itself adds (parsing
  the interaction, transformers, answers' logic, rendering, paging, Discord objects, the
  deferral round trip to the fake HTTP layer). The 20 ms target is judged on its p99;
- ``gc max``: the most garbage-collection time that fell inside one timed reply (a full
  collection walks the whole heap, discord.py's included: it shows up as a lone slow rep).

Targets: what the bot adds p99 < 20 ms, every reply p99 < 100 ms, paper-title autocomplete
p99 < 20 ms (issue 17 item 6, at 100k papers).

Between reps the fake Discord's record of past requests and messages is dropped (harness
bookkeeping, not the bot's), and each command's live paging views are stopped after its reps.

p99 is the sample at index round(0.99 * (n - 1)) of the sorted reps: the slowest one for
n <= 50. Figures on a shared machine are noisy; rerun on a quiet one to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import gc
import inspect
import io
import os
import pstats
import resource
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.synth import write_corpus
from bot.core import answers, question, research
from storage.backends import open_store
from storage.ingest.importer import import_files
from storage.ports import Store
from tests.harness import Harness, Request, Result, command_data, interaction_payload

#: The issue's targets (milliseconds, p99): issue 17 item 6 raised the reply bar from 500 ms
#: to 100 ms at 100k papers, and asks paper-title suggestions under 20 ms.
BOT_ADDS_TARGET_MS = 20.0
REPLY_TARGET_MS = 100.0
TITLE_AUTOCOMPLETE_TARGET_MS = 20.0
#: Issue 16: a trends chart ready in under 1 s at 100k papers; issue 12: every command under 1 s
#: at a million (reported, not part of the exit status: the million is not the default corpus).
CHART_TARGET_MS = 1000.0
COMMAND_TARGET_MS = 1000.0

ENGLISH_WORD = "model"
KOREAN_WORD = "모델"
SEARCH_PER_PAGE = 5  # cogs.search.PER_PAGE
COUNT = 10  # the commands' default count
TREND_TERMS = "model 모델"  # a common English and Korean term: the most rows to count
QUESTION = "top papers about model this week"  # a plain-language question: search + period
#: A word Korean summaries hold and titles do not, typed into the paper autocomplete.
KOREAN_TITLE_WORD = "모델"


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


class TimedStore:
    """The store, with the time spent awaiting each of its coroutine methods added up."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.spent = 0.0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._store, name)
        if not inspect.iscoroutinefunction(attr):
            return attr

        async def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return await attr(*args, **kwargs)
            finally:
                self.spent += time.perf_counter() - start

        return timed


class GcWatch:
    """Remembers when the garbage collector ran, to say which timed replies it landed in."""

    def __init__(self) -> None:
        self.pauses: list[tuple[float, float]] = []
        self._started = 0.0

    def __enter__(self) -> GcWatch:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append((self._started, time.perf_counter()))

    def within(self, start: float, end: float) -> float:
        """Seconds of garbage collection between ``start`` and ``end``."""
        return sum(max(0.0, min(b, end) - max(a, start)) for a, b in self.pauses)


@dataclass
class Case:
    """One command: how to run it through the bot, and the same request asked directly."""

    name: str
    #: Dispatches the interaction; returns (perf_counter at dispatch, what the bot sent).
    bot: Callable[[], Awaitable[tuple[float, Result]]]
    bare: Callable[[], Awaitable[object]]
    check: Callable[[Result], str]


@dataclass
class Row:
    name: str
    reply: list[float]
    bare: list[float]
    adds: list[float]
    gc: list[float]
    detail: str


def reply_request(result: Result) -> Request:
    """The request that showed the user the answer: the last message, or the choices."""
    for request in reversed(result.requests):
        if request.sends_message or request.callback_type == 8:
            return request
    raise AssertionError(f"no reply was sent; requests: {result.requests!r}")


def describe(result: Result) -> str:
    """A short description of what was sent, failing loudly on an error reply."""
    request = reply_request(result)
    if request.callback_type == 8:
        if not request.choices:
            raise AssertionError("the autocomplete offered no choices")
        return f"{len(request.choices)} choices"
    title = request.embed.get("title", "")
    if request.ephemeral or title in ("Something went wrong", "Can't do that"):
        raise AssertionError(f"the command failed: {request.embed!r}")
    buttons = "with buttons" if request.components else "no buttons"
    return f"{title[:38]!r} ({buttons})"


def describe_no_choices(result: Result) -> str:
    """:func:`describe` for an autocomplete that must offer nothing (no title holds the word)."""
    request = reply_request(result)
    if request.callback_type != 8 or request.choices:
        raise AssertionError(f"expected an autocomplete with no choices: {request!r}")
    return "no choices"


# --------------------------------------------------------------------------- the store


async def build_store(db: str, papers: int, workdir: Path, corpus: Path | None) -> Store:
    store = await open_store(db)
    if not await store.is_empty():
        print(f"reusing {db}: {await store.paper_count():,} papers")
        return store
    global IMPORTED_HERE
    IMPORTED_HERE = True
    start = time.perf_counter()
    found = sorted(corpus.glob("*.md")) if corpus is not None else []  # noqa: ASYNC240
    if found:
        paths = found
    else:
        paths = write_corpus(corpus or workdir / "corpus", papers)
    written = time.perf_counter() - start
    start = time.perf_counter()
    summary = await import_files(store, paths)
    assert summary.ok, summary.failed[:3]
    took = time.perf_counter() - start
    count = await store.paper_count()
    print(
        f"built {db}: {len(paths):,} synthetic digests ready in {written:.1f} s, imported "
        f"{count:,} papers (papers-bot import's importer) in {took:.1f} s = "
        f"{count / took:,.0f} papers/s"
    )
    return store


#: Whether this process imported the papers (its peak RSS then includes the import's).
IMPORTED_HERE = False


def peak_rss_mb() -> float:
    """This process's peak resident set size (Linux reports ``ru_maxrss`` in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- the cases


async def make_cases(
    harness: Harness, store: Store, timed_store: TimedStore, now: dt.datetime
) -> list[Case]:
    """Pick real values from the store (a mid-archive day, one of its papers, the busiest
    author) and build each command's bot and bare calls."""
    days = await store.days()
    day = days[len(days) // 2].date
    paper = (await store.day_papers(day, limit=1)).items[0]
    author = (await store.suggest_authors("", limit=1))[0]
    author_prefix = author.name[:3].lower()
    title_prefix = paper.title.split()[0][:4].lower()
    print(
        f"real values: day {day}, paper {paper.arxiv_id}, author {author.name!r} "
        f"({author.paper_count} papers), autocomplete {author_prefix!r} / {title_prefix!r}"
    )

    def command(name: str, /, **options: Any) -> Callable[[], Awaitable[tuple[float, Result]]]:
        async def run() -> tuple[float, Result]:
            payload = interaction_payload(2, command_data(harness.tree, name, options))
            timed_store.spent = 0.0
            start = time.perf_counter()
            return start, await harness.dispatch(payload)

        return run

    def autocomplete(
        name: str, focused: str, text: str
    ) -> Callable[[], Awaitable[tuple[float, Result]]]:
        async def run() -> tuple[float, Result]:
            data = command_data(harness.tree, name, {focused: text}, focused=focused)
            payload = interaction_payload(4, data)
            timed_store.spent = 0.0
            start = time.perf_counter()
            return start, await harness.dispatch(payload)

        return run

    async def press_next() -> tuple[float, Result]:
        # A fresh /search each time (untimed), so every press fetches page 2 uncached.
        shown = await harness.command("search", query=ENGLISH_WORD)
        assert shown.message_id is not None, "the /search reply has no message"
        timed_store.spent = 0.0
        start = time.perf_counter()
        return start, await harness.press(shown.message_id, "pager:next")

    def page_two(result: Result) -> str:
        footer = (reply_request(result).embed.get("footer") or {}).get("text", "")
        return f"{describe(result)} {footer[:30]!r}"

    return [
        Case(
            "/today",
            command("today"),
            lambda: answers.today(store, COUNT, now=now),
            describe,
        ),
        Case(
            f"/day {day}",
            command("day", date=day.isoformat()),
            lambda: answers.day(store, day, COUNT),
            describe,
        ),
        Case(
            "/top period:week",
            command("top", period="week"),
            lambda: answers.top(store, "week", None, None, COUNT, now=now),
            describe,
        ),
        Case(
            "/top period:all",
            command("top", period="all"),
            lambda: answers.top(store, "all", None, None, COUNT, now=now),
            describe,
        ),
        Case(
            f"/paper {paper.arxiv_id}",
            command("paper", id=paper.arxiv_id),
            lambda: answers.paper(store, paper.arxiv_id),
            describe,
        ),
        Case(
            f"/author {author.name}",
            command("author", name=author.name),
            lambda: answers.author(store, author.name, limit=COUNT),
            describe,
        ),
        Case(
            f"/search {ENGLISH_WORD}",
            command("search", query=ENGLISH_WORD),
            lambda: answers.search(store, ENGLISH_WORD, limit=SEARCH_PER_PAGE),
            describe,
        ),
        Case(
            f"/search {KOREAN_WORD}",
            command("search", query=KOREAN_WORD),
            lambda: answers.search(store, KOREAN_WORD, limit=SEARCH_PER_PAGE),
            describe,
        ),
        Case(
            f"/search {ENGLISH_WORD} sort:votes",
            command("search", query=ENGLISH_WORD, sort="votes"),
            lambda: answers.search(store, ENGLISH_WORD, sort="votes", limit=SEARCH_PER_PAGE),
            describe,
        ),
        Case(
            "/search: press next",
            press_next,
            lambda: answers.search(
                store, ENGLISH_WORD, limit=SEARCH_PER_PAGE, offset=SEARCH_PER_PAGE
            ),
            page_two,
        ),
        Case(
            f"/similar {paper.arxiv_id}",
            command("similar", paper=paper.arxiv_id),
            lambda: research.similar(store, paper.arxiv_id),
            describe,
        ),
        Case(
            f"/trends {TREND_TERMS}",
            command("trends", terms=TREND_TERMS),
            lambda: research.trends(store, TREND_TERMS),
            describe,
        ),
        Case(
            "/top rank:rising",
            command("top", rank="rising"),
            lambda: research.rising(store, None, None, None, COUNT, now=now),
            describe,
        ),
        Case(
            f"/ask {QUESTION!r}",
            command("ask", question=QUESTION),
            lambda: question.ask(store, QUESTION, now=now),
            describe,
        ),
        Case(
            f"autocomplete author {author_prefix!r}",
            autocomplete("author", "name", author_prefix),
            lambda: store.suggest_authors(author_prefix, limit=25),
            describe,
        ),
        Case(
            f"autocomplete paper {title_prefix!r}",
            autocomplete("paper", "id", title_prefix),
            lambda: store.suggest_papers(title_prefix, limit=25),
            describe,
        ),
        # A Korean user's word: in many summaries, in no title (PostgreSQL read every paper
        # for it, 1.3 s at a million, before the title words had an index of their own).
        Case(
            f"autocomplete paper {KOREAN_TITLE_WORD!r}",
            autocomplete("paper", "id", KOREAN_TITLE_WORD),
            lambda: store.suggest_papers(KOREAN_TITLE_WORD, limit=25),
            describe_no_choices,
        ),
    ]


def forget(harness: Harness) -> None:
    """Drop the fake Discord's record of past requests and messages (the bot never sees it),
    so the harness's own bookkeeping does not grow the heap the garbage collector walks."""
    harness.discord.requests.clear()
    harness.discord.messages.clear()


async def measure(
    case: Case, harness: Harness, timed_store: TimedStore, reps: int, *, warmup: int = 2
) -> Row:
    """Time ``reps`` bot runs, each followed by one bare run (so both see the same load)."""
    detail = ""
    for _ in range(warmup):
        _, result = await case.bot()
        detail = case.check(result)
        await case.bare()
        forget(harness)
    reply: list[float] = []
    bare: list[float] = []
    adds: list[float] = []
    collected: list[float] = []
    with GcWatch() as watch:
        for _ in range(reps):
            start, result = await case.bot()  # resets timed_store.spent as it dispatches
            end = reply_request(result).at
            reply.append((end - start) * 1000)
            adds.append((end - start - timed_store.spent) * 1000)
            collected.append(watch.within(start, end) * 1000)
            forget(harness)
            start = time.perf_counter()
            await case.bare()
            bare.append((time.perf_counter() - start) * 1000)
    # Paging buttons stay live for view_timeout; stop this case's before the next one.
    for view in harness.live_views():
        view.stop()
    return Row(case.name, reply, bare, adds, collected, detail)


def print_table(rows: list[Row], reps: int) -> None:
    header = (
        f"{'command':<34}{'reply p50':>10}{'p99':>8}{'bare p50':>10}{'p99':>8}"
        f"{'d p50':>8}{'d p99':>8}{'adds p50':>10}{'p99':>8}{'gc max':>8}   what was sent"
    )
    print(f"\nmilliseconds over {reps} reps each (p99 of {reps} = the slowest)")
    print(header)
    print("-" * len(header))
    for row in rows:
        r50, r99 = statistics.median(row.reply), percentile(row.reply, 99)
        b50, b99 = statistics.median(row.bare), percentile(row.bare, 99)
        a50, a99 = statistics.median(row.adds), percentile(row.adds, 99)
        print(
            f"{row.name[:33]:<34}{r50:>10.2f}{r99:>8.2f}{b50:>10.2f}{b99:>8.2f}"
            f"{r50 - b50:>8.2f}{r99 - b99:>8.2f}{a50:>10.2f}{a99:>8.2f}{max(row.gc):>8.2f}"
            f"   {row.detail}"
        )


def print_verdict(every: list[Row]) -> bool:
    # A chart's reply draws a PNG (tens of ms of matplotlib, off the loop): it has its own
    # target, and the text replies' targets leave it out.
    charts = [r for r in every if r.name.startswith("/trends")]
    rows = [r for r in every if r not in charts]
    worst_adds = max(rows, key=lambda r: percentile(r.adds, 99))
    worst_diff = max(rows, key=lambda r: percentile(r.reply, 99) - percentile(r.bare, 99))
    worst_reply = max(rows, key=lambda r: percentile(r.reply, 99))
    adds99 = percentile(worst_adds.adds, 99)
    adds99_gc = worst_adds.gc[worst_adds.adds.index(adds99)]
    diff99 = percentile(worst_diff.reply, 99) - percentile(worst_diff.bare, 99)
    reply99 = percentile(worst_reply.reply, 99)
    adds_ok = adds99 < BOT_ADDS_TARGET_MS
    reply_ok = reply99 < REPLY_TARGET_MS
    print(
        f"\nTARGET what the bot adds p99 < {BOT_ADDS_TARGET_MS:.0f} ms: "
        f"{'MET' if adds_ok else 'NOT MET'} (worst {adds99:.2f} ms, {worst_adds.name}, "
        f"of which garbage collection {adds99_gc:.2f} ms; "
        f"worst reply p99 - bare p99: {diff99:.2f} ms, {worst_diff.name})"
    )
    print(
        f"TARGET every reply p99 < {REPLY_TARGET_MS:.0f} ms: "
        f"{'MET' if reply_ok else 'NOT MET'} (worst {reply99:.2f} ms, {worst_reply.name})"
    )
    titles = [r for r in rows if r.name.startswith("autocomplete paper")]
    title99 = max((percentile(r.reply, 99) for r in titles), default=0.0)
    title_ok = title99 < TITLE_AUTOCOMPLETE_TARGET_MS
    print(
        f"TARGET paper-title autocomplete p99 < {TITLE_AUTOCOMPLETE_TARGET_MS:.0f} ms: "
        f"{'MET' if title_ok else 'NOT MET'} ({title99:.2f} ms)"
    )
    chart99 = max((percentile(r.reply, 99) for r in charts), default=0.0)
    chart_ok = chart99 < CHART_TARGET_MS
    print(
        f"TARGET trends chart reply p99 < {CHART_TARGET_MS:.0f} ms: "
        f"{'MET' if chart_ok else 'NOT MET'} ({chart99:.2f} ms)"
    )
    slowest = max(every, key=lambda r: percentile(r.reply, 99))
    slowest99 = percentile(slowest.reply, 99)
    print(
        f"TARGET every command p99 < {COMMAND_TARGET_MS:.0f} ms (at a million papers): "
        f"{'MET' if slowest99 < COMMAND_TARGET_MS else 'NOT MET'} "
        f"(worst {slowest99:.2f} ms, {slowest.name})"
    )
    return adds_ok and reply_ok and title_ok and chart_ok


async def run(args: argparse.Namespace, workdir: Path) -> bool:
    db = args.db or str(workdir / f"bench-bot-{args.papers}.db")
    corpus = Path(args.corpus) if args.corpus else None
    store = await build_store(db, args.papers, workdir, corpus)
    timed_store = TimedStore(store)
    harness: Harness | None = None
    try:
        latest = await store.latest_day()
        assert latest is not None, "the store is empty"
        # "Now" is the day after the newest digest, at noon UTC.
        now = dt.datetime.combine(latest + dt.timedelta(days=1), dt.time(12), tzinfo=dt.UTC)
        harness = await Harness.create(timed_store, clock=lambda: now)
        cases = await make_cases(harness, store, timed_store, now)
        if args.profile:
            chosen = [c for c in cases if args.profile.lower() in c.name.lower()]
            if not chosen:
                raise SystemExit(f"no case matches {args.profile!r}: {[c.name for c in cases]}")
            for case in chosen:
                await profile(case, args.reps)
            return True
        rows = []
        for case in cases:
            rows.append(await measure(case, harness, timed_store, args.reps))
        print_table(rows, args.reps)
        ok = print_verdict(rows)
        where = "including the import" if IMPORTED_HERE else "store opened, not imported here"
        print(f"peak RSS of the bot process: {peak_rss_mb():,.0f} MB ({where})")
        return ok
    finally:
        if harness is not None:
            await harness.close()
        await store.close()


async def profile(case: Case, reps: int) -> None:
    """cProfile ``reps`` bot runs of one case (the reply path and everything after it)."""
    await case.bot()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(reps):
        await case.bot()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(30)
    print(f"\n== profile of {case.name}, {reps} runs (sorted by own time)\n{out.getvalue()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000, help="corpus size to build")
    parser.add_argument("--reps", type=int, default=50, help="timed runs per command")
    parser.add_argument(
        "--db", help="database to reuse, a file or postgresql:// URL (built there first if empty)"
    )
    parser.add_argument("--corpus", help="directory of synthetic digests to import (else made)")
    parser.add_argument("--profile", help="cProfile the commands whose name contains this")
    args = parser.parse_args()
    print(
        f"sqlite {sqlite3.sqlite_version}, {os.cpu_count()} cores, "
        + (f"{args.papers:,} papers" if not args.db else "the database given")
        + f", {args.reps} reps"
    )
    with tempfile.TemporaryDirectory(prefix="papers-bench-bot-") as tmp:
        ok = asyncio.run(run(args, Path(tmp)))
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
