"""Load benchmark: a burst of interactions through the real command tree, at rest and while an
import and a digest fan-out run (issue 17, item 6).

Run:  .venv/bin/python -m bench.bench_load --db /tmp/load-100k.db     (100k papers; built once)
      .venv/bin/python -m bench.bench_load --papers 10000 --import-papers 2000 --guilds 50

The store is a copy of ``--db`` (built there first, like bench_bot, when it is empty), so every
run starts from the same 100k papers. One bot (:mod:`harness`: real ``discord.Interaction``
objects through the real ``CommandTree`` and ``ViewStore``; only the network is fake, and it
answers at once) takes two bursts of ``--burst`` interactions spread evenly over ``--seconds``:

1. **at rest**: nothing else running;
2. **busy**: while ``--import-papers`` new papers are imported (``import_files``, what
   ``papers-bot import`` runs, into the bot's own store) and ``--guilds`` servers' daily digests
   are posted at once (the bot's ``DigestScheduler`` with the real ``ChannelPoster`` over the fake
   HTTP layer: every server's job firing at the same minute, as APScheduler fires them).

Each burst mixes slash commands (``/search`` in English and Korean, ``/paper``, ``/top``,
``/ask``), autocomplete (author names, paper titles) and paging-button presses, from
``--users`` users (the harness's config has no per-user rate limits). For each interaction:
``first`` is the time from when it was due (Discord sent it) to the bot's first response (the
deferral, the message, the choices), ``final`` to its last message (the answer). A ticker
task that wants to wake every 10 ms measures the event loop's lag (how late it woke) for as
long as each burst runs. Targets: first p99 < 1 s, final p99 < 1.5 s, loop lag p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from discord.webhook.async_ import async_context

from bench.bench_bot import build_store
from bench.synth import write_corpus
from bot.discord_ui.poster import ChannelPoster
from storage.ingest.importer import import_files
from storage.sqlite.store import Store
from tests.harness import (
    BOT_ID,
    Harness,
    Request,
    command_data,
    interaction_payload,
    user_payload,
)

FIRST_TARGET_MS = 1000.0
FINAL_TARGET_MS = 1500.0
LAG_TARGET_MS = 50.0
TICK = 0.010

ENGLISH = ["model", "diffusion", "language", "video", "agent", "reasoning", "vision", "robot"]
KOREAN = ["모델", "데이터", "학습", "성능", "생성", "이미지", "언어", "에이전트"]
QUESTIONS = [
    "diffusion video this week",
    "이번 주 에이전트 논문 top 5",
    "language models",
    "어제 모델 논문",
    "reasoning this month",
]
#: (kind, how many of a burst of 200); scaled to ``--burst``.
MIX = [
    ("search en", 30),
    ("search ko", 30),
    ("paper", 25),
    ("top", 20),
    ("ask", 15),
    ("autocomplete author", 30),
    ("autocomplete title", 30),
    ("press next", 20),
]


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


@dataclass
class Shot:
    """One interaction of a burst: what it is, when it was due, its token."""

    kind: str
    due: float
    token: str = ""
    first: float | None = None
    final: float | None = None
    error: str = ""


@dataclass
class Burst:
    shots: list[Shot]
    lags: list[float]
    started: float
    ended: float
    background: dict[str, str] = field(default_factory=dict)


class Ticker:
    """Wakes every :data:`TICK` seconds and records how late each wake-up was."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="bench-ticker")

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + TICK
            await asyncio.sleep(TICK)
            self.lags.append(max(0.0, loop.time() - due) * 1000)

    async def stop(self) -> list[float]:
        assert self._task is not None
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
        return self.lags


class Load:
    """Builds the interactions of a burst from real values of the store."""

    def __init__(self, harness: Harness, rng: random.Random, users: int) -> None:
        self.harness = harness
        self.rng = rng
        # Each user's client has one language: every other one Korean.
        self.users = [user_payload(950_000_000_000_000_000 + i, f"user{i}") for i in range(users)]
        self.locales = {u["id"]: ("ko" if i % 2 else "en-US") for i, u in enumerate(self.users)}
        self.paper_ids: list[str] = []
        self.author_prefixes: list[str] = []
        self.title_prefixes: list[str] = []
        #: (message id, user) of search answers with paging buttons, one per press.
        self.pages: list[tuple[int, dict[str, Any]]] = []

    async def prepare(self, store: Store, presses: int) -> None:
        days = await store.days()
        for day in self.rng.sample(days, k=min(40, len(days))):
            for paper in (await store.day_papers(day.date, limit=3)).items:
                self.paper_ids.append(paper.arxiv_id)
                self.title_prefixes.append(paper.title.split()[0][:4].lower())
                self.author_prefixes += [a[:3].lower() for a in paper.authors[:2]]
        for i in range(presses):  # untimed: the messages whose buttons the burst presses
            user = self.users[i % len(self.users)]
            result = await self.harness.command("search", query=self.rng.choice(ENGLISH), user=user)
            assert result.message_id is not None, "a /search answer has no message"
            self.pages.append((result.message_id, user))

    def payload(self, kind: str, user: dict[str, Any]) -> dict[str, Any]:
        """An interaction of ``kind`` from ``user`` (in the user's client language)."""
        tree, pick = self.harness.tree, self.rng.choice
        code, data = 2, None
        if kind == "search en":
            data = command_data(tree, "search", {"query": pick(ENGLISH)})
        elif kind == "search ko":
            data = command_data(tree, "search", {"query": pick(KOREAN)})
        elif kind == "paper":
            data = command_data(tree, "paper", {"id": pick(self.paper_ids)})
        elif kind == "top":
            data = command_data(tree, "top", {"period": pick(["week", "month", "all"])})
        elif kind == "ask":
            data = command_data(tree, "ask", {"question": pick(QUESTIONS)})
        elif kind == "autocomplete author":
            code = 4
            data = command_data(
                tree, "author", {"name": pick(self.author_prefixes)}, focused="name"
            )
        elif kind == "autocomplete title":
            code = 4
            data = command_data(tree, "paper", {"id": pick(self.title_prefixes)}, focused="id")
        else:
            raise ValueError(kind)
        return interaction_payload(code, data, user=user, locale=self.locales[user["id"]])

    def press_payload(self) -> dict[str, Any]:
        message_id, user = self.pages.pop()
        message = self.harness.discord.messages[message_id]
        data = {"custom_id": "pager:next", "component_type": 2}
        locale = self.locales[user["id"]]
        return interaction_payload(3, data, user=user, message=dict(message), locale=locale)


def plan(burst: int, seconds: float, rng: random.Random) -> list[tuple[float, str]]:
    """``burst`` (offset in seconds, kind) pairs, evenly spread, the kinds in random order."""
    weights = sum(n for _, n in MIX)
    kinds = [k for k, n in MIX for _ in range(round(n * burst / weights))]
    while len(kinds) < burst:
        kinds.append(MIX[len(kinds) % len(MIX)][0])
    kinds = kinds[:burst]
    rng.shuffle(kinds)
    return [(i * seconds / burst, kind) for i, kind in enumerate(kinds)]


def responses(requests: list[Request], tokens: set[str]) -> dict[str, list[Request]]:
    """The requests each interaction made, by its token (in the request's path)."""
    by_token: dict[str, list[Request]] = {}
    for request in requests:
        parts = request.path.split("/")
        token = next((p for p in parts if p in tokens), None)
        if token is not None:
            by_token.setdefault(token, []).append(request)
    return by_token


def answered(request: Request) -> bool:
    return request.sends_message or request.callback_type == 8


async def burst(
    harness: Harness, load: Load, shots_plan: list[tuple[float, str]], *, settle: float = 60.0
) -> Burst:
    """Dispatch every planned interaction when it is due; wait for every answer."""
    ticker = Ticker()
    ticker.start()
    loop = asyncio.get_running_loop()
    start = time.perf_counter()
    shots: list[Shot] = []
    requests_before = len(harness.discord.requests)
    reset = async_context.set(harness.discord)
    try:
        for offset, kind in shots_plan:
            due = start + offset
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            shot = Shot(kind, due)
            user = load.users[len(shots) % len(load.users)]
            payload = load.press_payload() if kind == "press next" else load.payload(kind, user)
            shot.token = payload["token"]
            harness.discord.expect(payload)
            harness.bot._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
            shots.append(shot)
        tokens = {s.token for s in shots}
        deadline = loop.time() + settle
        while loop.time() < deadline:
            by_token = responses(harness.discord.requests[requests_before:], tokens)
            if all(any(answered(r) for r in by_token.get(s.token, [])) for s in shots):
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.05)  # a paging press's edit after its deferral
    finally:
        async_context.reset(reset)
    lags = await ticker.stop()
    by_token = responses(harness.discord.requests[requests_before:], tokens)
    for shot in shots:
        sent = by_token.get(shot.token, [])
        if not sent:
            shot.error = "no response"
            continue
        shot.first = (min(r.at for r in sent) - shot.due) * 1000
        finals = [r.at for r in sent if answered(r)]
        if finals:
            shot.final = (max(finals) - shot.due) * 1000
        else:
            shot.error = "no answer"
        errors = [r for r in sent if answered(r) and r.ephemeral]
        if errors and shot.kind != "press next":
            shot.error = f"error reply: {errors[-1].embed.get('title', '')!r}"
    return Burst(shots, lags, start, time.perf_counter())


def report(name: str, result: Burst) -> bool:
    shots = result.shots
    firsts = [s.first for s in shots if s.first is not None]
    finals = [s.final for s in shots if s.final is not None]
    failed = Counter(s.error for s in shots if s.error)
    span = (shots[-1].due - shots[0].due) if shots else 0.0
    print(f"\n== {name}: {len(shots)} interactions over {span:.2f} s")
    for label, value in result.background.items():
        print(f"   {label}: {value}")
    header = (
        f"{'kind':<22}{'n':>4}{'first p50':>11}{'p99':>9}{'max':>9}"
        f"{'final p50':>11}{'p99':>9}{'max':>9}"
    )
    print(header)
    print("-" * len(header))
    kinds = [k for k, _ in MIX]
    for kind in [*kinds, "all"]:
        chosen = [s for s in shots if kind in ("all", s.kind)]
        f1 = [s.first for s in chosen if s.first is not None]
        f2 = [s.final for s in chosen if s.final is not None]
        if not f1 or not f2:
            continue
        print(
            f"{kind:<22}{len(chosen):>4}{statistics.median(f1):>11.1f}"
            f"{percentile(f1, 99):>9.1f}{max(f1):>9.1f}{statistics.median(f2):>11.1f}"
            f"{percentile(f2, 99):>9.1f}{max(f2):>9.1f}"
        )
    lags = result.lags or [0.0]
    print(
        f"event loop lag over {len(lags)} ticks of 10 ms: p50 {statistics.median(lags):.1f} ms, "
        f"p99 {percentile(lags, 99):.1f} ms, max {max(lags):.1f} ms"
    )
    if failed:
        print(f"FAILED interactions: {dict(failed)}")
    first99 = percentile(firsts, 99) if firsts else float("inf")
    final99 = percentile(finals, 99) if finals else float("inf")
    lag99 = percentile(lags, 99)
    verdicts = [
        (f"first response p99 < {FIRST_TARGET_MS:.0f} ms", first99 < FIRST_TARGET_MS, first99),
        (f"final answer p99 < {FINAL_TARGET_MS:.0f} ms", final99 < FINAL_TARGET_MS, final99),
        (f"event loop lag p99 < {LAG_TARGET_MS:.0f} ms", lag99 < LAG_TARGET_MS, lag99),
    ]
    for label, ok, value in verdicts:
        print(f"TARGET {label}: {'MET' if ok else 'NOT MET'} ({value:.1f} ms)")
    return not failed and all(ok for _, ok, _ in verdicts)


async def digest_fanout(harness: Harness, store: Store, guilds: int, now: dt.datetime) -> list[int]:
    """``guilds`` servers whose digest is due at the minute before ``now``; returns their ids."""
    ids = [960_000_000_000_000_000 + i for i in range(guilds)]
    for guild_id in ids:
        await store.set_digest_settings(
            guild_id,
            channel_id=guild_id + 1,
            post_time=(now - dt.timedelta(minutes=1)).time().replace(second=0, microsecond=0),
            timezone="UTC",
            count=10,
            now=now - dt.timedelta(hours=2),
        )
    return ids


async def run(args: argparse.Namespace, workdir: Path) -> bool:
    base = Path(args.db) if args.db else workdir / f"bench-load-{args.papers}.db"
    if not base.exists() or base.stat().st_size == 0:  # built once; reused as it is
        built = await build_store(str(base), args.papers, workdir, None)
        await built.close()
    copy = workdir / "load.db"
    shutil.copyfile(base, copy)  # every run starts from the same papers; --db stays untouched
    store = await Store.open(copy)
    print(f"a copy of {base}: {await store.paper_count():,} papers")
    rng = random.Random(args.seed)
    latest = await store.latest_day()
    assert latest is not None, "the store is empty"
    # New days right after the store's newest (the importer refuses days after tomorrow), as
    # many papers a day as it takes to end by today.
    start = latest + dt.timedelta(days=1)
    room = max(1, (dt.datetime.now(dt.UTC).date() - start).days)
    new_days = write_corpus(
        workdir / "new-days",
        args.import_papers,
        seed=args.seed + 1,
        start=start,
        per_day=max(30, -(-args.import_papers // room)),
    )
    now = dt.datetime.combine(latest + dt.timedelta(days=1), dt.time(12), tzinfo=dt.UTC)
    harness = await Harness.create(store, clock=lambda: now)
    ok = True
    try:
        scheduler = harness.bot.digests
        assert scheduler is not None

        async def partial(channel_id: int) -> Any:
            return harness.bot.get_partial_messageable(channel_id)

        scheduler.poster = ChannelPoster(partial, me=lambda: BOT_ID)
        await scheduler.wait_started()  # its start-up catch-up, before the servers exist
        guild_ids = await digest_fanout(harness, store, args.guilds, now)
        presses = sum(1 for _, k in plan(args.burst, args.seconds, rng) if k == "press next")
        load = Load(harness, rng, args.users)
        await load.prepare(store, presses * 2)
        for kind, _ in MIX:  # warm every path once
            if kind != "press next":
                payload = load.payload(kind, load.users[0])
                await harness.dispatch(payload)

        quiet = await burst(harness, load, plan(args.burst, args.seconds, rng))
        ok &= report("at rest (nothing else running)", quiet)

        # Busy: the import and the fan-out start, then the burst, all at once.
        marks: dict[str, float] = {}

        async def do_import() -> str:
            t = time.perf_counter()
            summary = await import_files(store, new_days)
            marks["import"] = time.perf_counter()
            took = marks["import"] - t
            papers = summary.new_papers + summary.updated_papers
            failed = len(summary.failed)
            if failed or not papers:
                nonlocal ok
                ok = False
                print(f"!! the background import failed: {summary.failed[:3]}")
            return f"{papers:,} papers in {took:.1f} s ({papers / took:,.0f}/s), {failed} failed"

        async def do_fanout() -> str:
            t = time.perf_counter()
            results = await asyncio.gather(*(scheduler.run_due(g) for g in guild_ids))
            marks["fanout"] = time.perf_counter()
            outcomes = Counter(r.outcome for r in results)
            return f"{len(guild_ids)} servers in {marks['fanout'] - t:.1f} s: {dict(outcomes)}"

        importing = asyncio.create_task(do_import(), name="bench-import")
        fanning = asyncio.create_task(do_fanout(), name="bench-fanout")
        await asyncio.sleep(args.lead)
        busy = await burst(harness, load, plan(args.burst, args.seconds, rng))
        busy.background["import (import_files)"] = await importing
        busy.background["digest fan-out"] = await fanning
        for name, at in marks.items():
            busy.background[f"{name} ended"] = (
                f"{at - busy.ended:+.1f} s after the burst's last answer"
            )
        ok &= report("busy (import + digest fan-out)", busy)
    finally:
        for view in harness.live_views():
            view.stop()
        await harness.close()
        await store.close()
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000, help="store size to build")
    parser.add_argument("--db", help="a built store to copy (built there first if empty)")
    parser.add_argument("--burst", type=int, default=200, help="interactions per burst")
    parser.add_argument("--seconds", type=float, default=1.0, help="the burst's length")
    parser.add_argument("--users", type=int, default=20, help="distinct users in a burst")
    parser.add_argument("--import-papers", type=int, default=10_000)
    parser.add_argument("--guilds", type=int, default=300, help="servers in the digest fan-out")
    parser.add_argument(
        "--lead", type=float, default=0.3, help="seconds the background work runs before the burst"
    )
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    print(
        f"sqlite {sqlite3.sqlite_version}, {os.cpu_count()} cores, {args.papers:,} papers, "
        f"bursts of {args.burst} in {args.seconds:g} s from {args.users} users; busy: import "
        f"{args.import_papers:,} papers + {args.guilds} servers' digests"
    )
    with tempfile.TemporaryDirectory(prefix="papers-bench-load-") as tmp:
        ok = asyncio.run(run(args, Path(tmp)))
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
