"""Summaries benchmark: a day of 50 papers fetched and summarised against loopback stand-ins,
and the bot's interaction latency while it runs.

Run:  .venv/bin/python -m bench.bench_summaries
      .venv/bin/python -m bench.bench_summaries --papers 50 --latency 0.5 --concurrency 4

It serves one day of ``--papers`` items in the real API item shape
(``tests/fixtures/hf_daily_papers_sample.json``, ids and votes varied) from an HF API stand-in,
and a chat-completions stand-in (:mod:`tests.harness.chat`) that answers every request after
``--latency`` seconds. Then:

1. ``/paper`` through the real command tree (:mod:`tests.harness`) for as long as the
   summaries run, then as many times again with nothing else running (idle);
2. the fetch of the day (:class:`bot.core.fetch.Fetcher`) and, right after it, the summariser
   (:class:`bot.core.summaries.Summariser`, ``--concurrency`` requests at once) as the bot runs
   it, in the background, while ``/paper`` is timed again in a loop until the summaries are done.

Reported: the fetch's time, the summaries' wall time (target: within 30 s), the papers done, and
``/paper``'s p50/p99 idle and during the run (target: p99 unchanged, i.e. during at most
:data:`P99_RATIO` times idle). p99 is the sample at index round(0.99 * (n - 1)) of the sorted
reps. Figures on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import datetime as dt
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.core.fetch import Fetcher
from bot.core.summaries import Summariser, SummarySettings
from storage.sqlite.store import Store
from tests.harness import Harness
from tests.harness.chat import Reply, chat_server

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "hf_daily_papers_sample.json"
DAY = dt.date(2026, 3, 6)
TARGET_SECONDS = 30.0
#: "Unchanged" p99, on a shared 2-core machine: within a quarter of the idle figure.
P99_RATIO = 1.25


def day_items(count: int) -> list[dict[str, Any]]:
    """``count`` items in the fixture's shape, each its own paper."""
    base = json.loads(FIXTURE.read_text(encoding="utf-8"))[0]
    items = []
    for n in range(count):
        item = copy.deepcopy(base)
        item["paper"]["id"] = f"2603.{n + 1:05d}"
        item["paper"]["upvotes"] = 100 - n
        item["title"] = item["paper"]["title"] = f"{base['title']} ({n + 1})"
        items.append(item)
    return items


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[round(pct / 100 * (len(ordered) - 1))]


async def time_paper(harness: Harness, arxiv_id: str) -> float:
    start = time.perf_counter()
    await harness.command("paper", id=arxiv_id)
    harness.discord.requests.clear()
    harness.discord.messages.clear()
    return time.perf_counter() - start


async def run(args: argparse.Namespace, workdir: Path) -> bool:
    items = day_items(args.papers)
    app = web.Application()

    async def daily(request: web.Request) -> web.Response:
        return web.json_response(items if request.query.get("date") == DAY.isoformat() else [])

    app.router.add_get("/api/daily_papers", daily)
    hf = TestServer(app, host="127.0.0.1")
    await hf.start_server()
    store = await Store.open(workdir / "bench.db")
    harness = await Harness.create(store)
    try:
        async with chat_server(Reply(delay=args.latency)) as chat:
            settings = SummarySettings(
                url=chat.url,
                model="bench-model",
                concurrency=args.concurrency,
                daily_cap=args.papers,
            )
            fetcher = Fetcher(
                store,
                clock=lambda: dt.datetime.now(dt.UTC),
                hf_api_base=str(hf.make_url("")).rstrip("/"),
            )
            start = time.perf_counter()
            await fetcher.run([DAY])
            fetch_seconds = time.perf_counter() - start
            arxiv_id = items[0]["paper"]["id"]
            for _ in range(args.reps):  # warm-up
                await time_paper(harness, arxiv_id)

            start = time.perf_counter()
            task = asyncio.create_task(Summariser(store, settings).run())
            during: list[float] = []
            while not task.done():
                during.append(await time_paper(harness, arxiv_id))
            outcome = await task
            summary_seconds = time.perf_counter() - start
            # As many interactions again with nothing else running, measured right after, so
            # both sets have the same size and the same machine.
            idle = [await time_paper(harness, arxiv_id) for _ in range(len(during))]
    finally:
        await harness.close()
        await store.close()
        await hf.close()

    ms = 1000.0
    print(f"papers: {args.papers}, model latency {args.latency} s, concurrency {args.concurrency}")
    print(f"fetch of the day: {fetch_seconds:.2f} s")
    print(
        f"summaries: {outcome.done} done, {outcome.failed} failed in {summary_seconds:.2f} s "
        f"(target {TARGET_SECONDS:.0f} s)"
    )
    print(f"{'/paper':<10}{'n':>6}{'p50 ms':>10}{'p99 ms':>10}")
    for name, samples in (("idle", idle), ("during", during)):
        p50, p99 = percentile(samples, 50) * ms, percentile(samples, 99) * ms
        print(f"{name:<10}{len(samples):>6}{p50:>10.2f}{p99:>10.2f}")
    ratio = percentile(during, 99) / percentile(idle, 99)
    print(f"p99 during / idle: {ratio:.2f}x (target at most {P99_RATIO:.2f}x)")
    ok = outcome.done == args.papers and summary_seconds <= TARGET_SECONDS and ratio <= P99_RATIO
    print("PASS" if ok else "FAIL")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.5, help="model seconds per answer")
    parser.add_argument("--concurrency", type=int, default=4, help="SUMMARY_CONCURRENCY")
    parser.add_argument("--reps", type=int, default=200, help="warm-up /paper interactions")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        ok = asyncio.run(run(args, Path(workdir)))
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
