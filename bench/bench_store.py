"""Store benchmark: import throughput, search latency against a bare FTS5 floor, memory, size.

Run:  .venv/bin/python -m bench.bench_store            (10k and 100k papers)
      .venv/bin/python -m bench.bench_store --sizes 10000 --reps 50
      .venv/bin/python -m bench.bench_store --backend sqlite,postgres --sizes 100000
      .venv/bin/python -m bench.bench_store --backend sqlite,postgres --sizes 100000 \
          --workdir DIR --postgres-url URL --reuse     (search again, no new import)

``--alternate`` times the searches of the backends in turns, repetition by repetition, after the
imports (no floor, no similar papers or chart): the fair side by side on a busy machine.
``--only search`` leaves out similar papers and the trends chart (and the database size).
``--only import`` measures the import alone (no searches, no floor: a short run for the importer).
``--reuse`` (with ``--workdir``, and ``--postgres-url`` for PostgreSQL) keeps a database that an
earlier run with the same workdir imported (no import, no import figure).
``--one-transaction`` imports everything in a single commit instead of the importer's batches.
``--backend`` lists the backends to measure one after the other in the same run, on the same
corpus (PostgreSQL is vacuumed and analysed after its import, as autovacuum would); ``postgres``
uses ``--postgres-url`` (a database it may fill) or else starts a throw-away
PostgreSQL server (tests/harness/postgres.py) with default settings.

For each size it writes synthetic digests (bench/synth.py, recombined from the real samples) to
a temporary directory, then measures, in one run:
- import throughput end to end (read + parse + store + index), papers/s;
- p50/p99 latency of English, Korean, mixed and author searches, author autocomplete, a day's
  top and top-of-week through the real ``Store``;
- similar papers (``Store.similar_papers``, a different paper each repetition, taken from the
  newest days' lists) and a trends chart of 3 terms ready as PNG bytes (the core's
  ``research.trends`` plus ``charts.chart_png``, off the loop, as ``/trends`` runs it), p50/p99;
- the same searches on a bare sqlite3 FTS5 table over the same text (the floor) and the ratio;
- peak memory (ru_maxrss) and database size.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import resource
import sqlite3
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.synth import Pool, load_pool, write_corpus
from bot.core import research
from bot.i18n import charts
from storage.backends import open_store
from storage.ingest.importer import import_files
from storage.ingest.parser import parse_digest
from storage.ports import Store

#: (name, query as a user types it, floor FTS5 query over the bare table). The floor runs the
#: same match our store runs (the last word as a prefix, as the store does; Korean words as
#: prefixes, which is the best a bare word tokenizer can do), ranked by bm25, top 10.
SEARCHES: list[tuple[str, str, str]] = [
    ("en rare word", "{rare}", '"{rare}"*'),
    ("en common word", "model", '"model"*'),
    ("en phrase", '"language models"', '"language models"'),
    ("ko 2 syllables", "모델", '"모델"*'),
    ("ko 3 syllables", "데이터", '"데이터"*'),
    ("ko with particles", "성능", '"성능"*'),
    ("ko compound", "데이터셋", '"데이터셋"*'),
    ("mixed ko+en", "diffusion 모델", '"diffusion"* "모델"*'),
]


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


async def timed(fn: Callable[[], Awaitable[object]], reps: int) -> tuple[float, float]:
    await fn()  # warm-up
    samples = []
    for _ in range(reps):
        start = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), percentile(samples, 99)


async def timed_pair(
    fn: Callable[[], Awaitable[object]], floor: Callable[[], object], reps: int
) -> tuple[tuple[float, float], tuple[float, float]]:
    """(p50, p99) of ``fn`` and of ``floor``, sampled alternately so both see the same noise
    (other processes on the machine, checkpoints) instead of one of them catching a burst."""
    await fn()
    floor()
    ours: list[float] = []
    bare: list[float] = []
    for _ in range(reps):
        start = time.perf_counter()
        await fn()
        middle = time.perf_counter()
        floor()
        bare.append((time.perf_counter() - middle) * 1000)
        ours.append((middle - start) * 1000)
    return (
        (statistics.median(ours), percentile(ours, 99)),
        (statistics.median(bare), percentile(bare, 99)),
    )


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rare_word(pool: Pool) -> str:
    counts = Counter(w.lower() for w in pool.title_words if len(w) >= 6)
    return min(counts, key=lambda w: (counts[w], w))


def build_floor(paths: list[Path], db: Path) -> sqlite3.Connection:
    """A bare FTS5 table (default tokenizer) over the same title and summary text."""
    conn = sqlite3.connect(db)
    conn.execute("CREATE VIRTUAL TABLE floor USING fts5(title, body)")
    with conn:
        for path in paths:
            digest = parse_digest(path.read_text(encoding="utf-8"), str(path))
            conn.executemany(
                "INSERT INTO floor(title, body) VALUES (?, ?)",
                [(p.title, "\n".join(b.text for b in p.summary)) for p in digest.papers],
            )
    return conn


#: p99 of each query by (size, backend): for the side-by-side table of the backends.
P99: dict[tuple[int, str], dict[str, float]] = {}
#: Floor tables built by this run (one per size, shared by the backends).
_FLOORS: set[Path] = set()


async def _import(
    size: int, paths: list[Path], workdir: Path, backend: str, database: str, one_transaction: bool
) -> Store:
    """A fresh database of ``paths`` imported as ``papers-bot import`` does; its store, open."""
    if backend == "postgres":
        await _empty_postgres(database)
    else:
        for old in workdir.glob(f"store-{size}.db*"):  # noqa: ASYNC240
            old.unlink()

    store = await open_store(database)
    if one_transaction:  # the whole import in one commit (how a long transaction fares)
        store.files_per_commit = 10**9  # type: ignore[attr-defined]
        store.seconds_per_commit = float("inf")  # type: ignore[attr-defined]
    start = time.perf_counter()
    # What `papers-bot import DIR` runs: read, decode, parse, store, index (files grouped into
    # commits, each file atomic).
    summary = await import_files(store, paths)
    elapsed = time.perf_counter() - start
    assert summary.ok, summary.failed
    imported = summary.new_papers + summary.updated_papers
    how = " in one transaction" if one_transaction else ""
    print(f"\n== {backend}: {size:,} papers ({len(paths):,} digest files){how}")
    print(
        f"import end to end: {imported:,} papers in {elapsed:.1f} s = "
        f"{imported / elapsed:,.0f} papers/s"
    )

    if backend == "postgres":
        # What autovacuum does within a minute of a bulk load; without statistics the planner
        # takes a common word for a rare one (a full bitmap scan, hundreds of ms).
        await _analyze_postgres(database)
    return store


async def bench_size(
    size: int,
    reps: int,
    pool: Pool,
    workdir: Path,
    backend: str,
    postgres_url: str | None,
    one_transaction: bool = False,
    reuse: bool = False,
    searches_only: bool = False,
    timing: bool = True,
) -> str:
    """Import (or reuse) the corpus of ``size`` papers into ``backend`` and, with ``timing``,
    time its searches; the database (path or URL)."""
    corpus = workdir / f"corpus-{size}"
    paths = sorted(corpus.glob("**/*.md")) if corpus.exists() else []
    if not paths:
        paths = write_corpus(corpus, size, pool=pool)
    db_path = workdir / f"store-{size}.db"
    database = str(db_path) if backend == "sqlite" else postgres_url
    assert database is not None
    store = await open_store(database) if reuse else None
    if store is not None and await store.latest_day() is not None:
        print(f"\n== {backend}: {size:,} papers (reused: imported by an earlier run)")
    else:
        if store is not None:
            await store.close()
        store = await _import(size, paths, workdir, backend, database, one_transaction)
    if not timing:
        await store.close()
        return database
    floor_path = workdir / f"floor-{size}.db"
    if floor_path in _FLOORS or (reuse and floor_path.exists()):
        floor = sqlite3.connect(floor_path)
    else:
        floor_path.unlink(missing_ok=True)
        floor = build_floor(paths, floor_path)
        _FLOORS.add(floor_path)
    rare = rare_word(pool)
    latest = await store.latest_day()
    assert latest is not None
    week_start = latest - dt.timedelta(days=6)

    print(
        f"{'query':<22}{'p50 ms':>9}{'p99 ms':>9}{'floor p50':>11}{'floor p99':>11}"
        f"{'p99 ratio':>11}{'hits':>9}"
    )
    for name, user_query, floor_query in SEARCHES:
        q = user_query.format(rare=rare)
        fq = floor_query.format(rare=rare)
        page = await store.search(q, limit=10)
        (p50, p99), (f50, f99) = await timed_pair(
            lambda q=q: store.search(q, limit=10),
            lambda fq=fq: floor.execute(
                "SELECT rowid FROM floor WHERE floor MATCH ? ORDER BY rank LIMIT 10", (fq,)
            ).fetchall(),
            reps,
        )
        total = f"{page.total:,}{'+' if page.more else ''}"
        print(
            f"{name:<22}{p50:>9.2f}{p99:>9.2f}{f50:>11.2f}{f99:>11.2f}{p99 / f99:>10.2f}x{total:>9}"
        )
        P99.setdefault((size, backend), {})[name] = p99

    author = pool.authors[0]
    others: list[tuple[str, Callable[[], Awaitable[object]]]] = [
        ("author search", lambda: _author_search(store, author)),
        ("author autocomplete", lambda: store.suggest_authors(author[:3].lower(), limit=25)),
        ("day's top", lambda: store.day_papers(latest, limit=10)),
        ("top of week", lambda: store.top_papers(week_start, latest, limit=10)),
    ]
    for name, fn in others:
        p50, p99 = await timed(fn, reps)
        print(f"{name:<22}{p50:>9.2f}{p99:>9.2f}")
        P99.setdefault((size, backend), {})[name] = p99

    if searches_only:
        await store.close()
        floor.close()
        return database
    refs = [p.arxiv_id for p in (await store.top_papers(None, latest, limit=reps + 1)).items]
    turn = iter(range(10**9))

    async def similar() -> object:
        return await store.similar_papers(refs[next(turn) % len(refs)], limit=8)

    async def chart() -> object:
        answer = await research.trends(store, ["model", "모델", "diffusion"], "year")
        return await charts.chart_png(answer)

    for name, fn in (("similar papers", similar), ("trends chart 3 terms", chart)):
        p50, p99 = await timed(fn, reps)
        print(f"{name:<22}{p50:>9.2f}{p99:>9.2f}")

    await store.close()
    floor.close()
    if backend == "sqlite":
        size_mb = _size_mb(workdir, f"store-{size}.db*")
    else:
        size_mb = await _postgres_mb(database)
    print(f"database size: {size_mb:,.1f} MB; peak memory so far: {peak_mb():,.0f} MB")
    return database


def _kinds(
    store: Store, pool: Pool, latest: dt.date
) -> list[tuple[str, Callable[[], Awaitable[object]]]]:
    """Every search kind of the report, as calls on ``store``."""
    rare = rare_word(pool)
    author = pool.authors[0]
    week_start = latest - dt.timedelta(days=6)
    texts = [(name, query.format(rare=rare)) for name, query, _ in SEARCHES]
    searches: list[tuple[str, Callable[[], Awaitable[object]]]] = [
        (name, lambda q=q: store.search(q, limit=10)) for name, q in texts
    ]
    return [
        *searches,
        ("author search", lambda: _author_search(store, author)),
        ("author autocomplete", lambda: store.suggest_authors(author[:3].lower(), limit=25)),
        ("day's top", lambda: store.day_papers(latest, limit=10)),
        ("top of week", lambda: store.top_papers(week_start, latest, limit=10)),
    ]


async def alternate(size: int, reps: int, pool: Pool, databases: dict[str, str]) -> None:
    """Time every search kind on each backend in turns, repetition by repetition (all stores
    open at once), so that each backend sees the same noise of a busy machine."""
    stores = {backend: await open_store(db) for backend, db in databases.items()}
    try:
        latest = await next(iter(stores.values())).latest_day()
        assert latest is not None
        kinds = {backend: _kinds(store, pool, latest) for backend, store in stores.items()}
        names = [name for name, _ in next(iter(kinds.values()))]
        print(f"\n== {size:,} papers, the backends in turns ({reps} reps each)")
        print(f"{'query':<22}" + "".join(f"{b + ' p50':>15}{b + ' p99':>15}" for b in stores))
        for i, name in enumerate(names):
            calls = {backend: kinds[backend][i][1] for backend in stores}
            samples: dict[str, list[float]] = {backend: [] for backend in stores}
            for call in calls.values():
                await call()  # warm-up
            for _ in range(reps):
                for backend, call in calls.items():
                    start = time.perf_counter()
                    await call()
                    samples[backend].append((time.perf_counter() - start) * 1000)
            line = f"{name:<22}"
            for backend, times in samples.items():
                p99 = percentile(times, 99)
                line += f"{statistics.median(times):>15.2f}{p99:>15.2f}"
                P99.setdefault((size, backend), {})[name] = p99
            print(line)
    finally:
        for store in stores.values():
            await store.close()


def _size_mb(directory: Path, pattern: str) -> float:
    return sum(f.stat().st_size for f in directory.glob(pattern)) / 1e6


async def _empty_postgres(url: str) -> None:
    """Drop every table of the benchmark's PostgreSQL database (a fresh schema each size)."""
    import asyncpg

    con = await asyncpg.connect(url)
    try:
        await con.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await con.close()


async def _analyze_postgres(url: str) -> None:
    import asyncpg

    con = await asyncpg.connect(url)
    try:
        await con.execute("VACUUM ANALYZE")
    finally:
        await con.close()


async def _postgres_mb(url: str) -> float:
    import asyncpg

    con = await asyncpg.connect(url)
    try:
        return float(await con.fetchval("SELECT pg_database_size(current_database())")) / 1e6
    finally:
        await con.close()


async def _author_search(store: Store, name: str) -> object:
    found = await store.find_authors(name)
    return await store.author_profile(found[0].id) if found else None


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--backend", default="sqlite", help="sqlite, postgres or both (a,b)")
    parser.add_argument("--postgres-url", help="a PostgreSQL database the benchmark may empty")
    parser.add_argument(
        "--workdir", help="where corpora and databases go (a corpus there is reused), else temp"
    )
    parser.add_argument(
        "--one-transaction", action="store_true", help="import everything in a single commit"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep a database an earlier run imported (--workdir, --postgres-url): searches only",
    )
    parser.add_argument(
        "--only",
        choices=("all", "search", "import"),
        default="all",
        help="search: the searches, autocomplete and tops only (no similar papers, no chart); "
        "import: the import alone",
    )
    parser.add_argument(
        "--alternate",
        action="store_true",
        help="time the backends' searches in turns, repetition by repetition, after the imports",
    )
    args = parser.parse_args()
    if args.reuse and not args.workdir:
        parser.error("--reuse needs --workdir")
    backends = [b.strip() for b in args.backend.split(",")]
    pool = load_pool()
    print(f"sqlite {sqlite3.sqlite_version}, {os.cpu_count()} cores, {args.reps} reps a query")
    with contextlib.ExitStack() as stack:
        url = args.postgres_url
        if "postgres" in backends and url is None:
            from tests.harness.postgres import running_cluster

            url = stack.enter_context(running_cluster(port=5488)).dsn
        tmp = args.workdir or stack.enter_context(
            tempfile.TemporaryDirectory(prefix="papers-bench-")
        )
        for size in (int(s) for s in args.sizes.split(",")):
            databases: dict[str, str] = {}
            for backend in backends:
                databases[backend] = await bench_size(
                    size,
                    args.reps,
                    pool,
                    Path(tmp),
                    backend,
                    url,
                    args.one_transaction,
                    args.reuse,
                    args.only == "search",
                    timing=not args.alternate and args.only != "import",
                )
            if args.alternate and args.only != "import":
                await alternate(size, args.reps, pool, databases)
    for size in (int(s) for s in args.sizes.split(",")):
        pg, lite = P99.get((size, "postgres")), P99.get((size, "sqlite"))
        if pg and lite:
            print(f"\n== {size:,} papers, p99 side by side (target: postgres within 1.5x)")
            print(f"{'query':<22}{'sqlite':>9}{'postgres':>10}{'ratio':>8}")
            for name, lite99 in lite.items():
                ratio = pg[name] / lite99 if lite99 else float("inf")
                print(f"{name:<22}{lite99:>9.2f}{pg[name]:>10.2f}{ratio:>7.2f}x")
    print(f"\npeak memory: {peak_mb():,.0f} MB")


if __name__ == "__main__":
    asyncio.run(main())
