"""Crash safety with real processes killed at random points (issue 17), three seeds each: the
importer (``papers-bot import`` of a corpus, SIGKILL and SIGTERM), the fetch job (``papers-bot
fetch`` against a loopback Hugging Face stand-in) and the digest sender (the real scheduler and
poster in a process of their own, posting into channels kept in a file).

After each kill: SQLite's ``PRAGMA integrity_check`` (and FTS5's) is ok; the process's children
(the parser worker, the resource tracker) have ended with it; running the same command again
converges to exactly the rows of an uninterrupted run (a canonical dump without ids or
moments); every digest is in its channel once, whole, and recorded.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bench.synth import synth_days
from bot.core.migrate import verify
from bot.discord_ui.digest import closes_digest, opens_digest
from storage.backends import open_store
from storage.ingest.parser import parse_digest
from storage.sqlite.store import Store
from storage.transfer import TABLES
from tests.backends import clone_database, drop_database
from tests.harness.digest_proc import read_channels
from tests.harness.postgres import Cluster
from tests.harness.procs import (
    CORPUS_PAPERS,
    ROOT,
    alive,
    canonical_dump,
    clean_env,
    descendants,
    integrity,
    kill,
    run,
    start,
    wait_for,
)

SEEDS = (1, 2, 3)


# ------------------------------------------------------------------------------ importer


@pytest.mark.parametrize("seed", SEEDS)
def test_import_killed_anywhere_converges_and_leaves_no_process(
    seed: int, corpus: Path, reference: Path, tmp_path: Path
) -> None:
    """Kill ``papers-bot import`` (SIGKILL, or SIGTERM for the last seed) once its parser
    worker runs, at a random moment; its worker and the resource tracker end with it; the
    database is intact; importing again gives exactly the uninterrupted run's rows."""
    rng = random.Random(seed)
    sig = signal.SIGTERM if seed == SEEDS[-1] else signal.SIGKILL
    importer = start(["--database", "db.db", "import", str(corpus)], cwd=tmp_path)
    # The children as first seen: on a fast machine the import may be over by the kill, and its
    # worker must have ended with it all the same.
    children: set[int] = set()
    assert wait_for(lambda: children.update(descendants(importer.pid)) or children, timeout=60)
    wait_for(lambda: importer.poll() is not None, timeout=rng.uniform(0.05, 0.6))
    children |= descendants(importer.pid)
    kill(importer, sig)
    assert children, "the import had started its parser worker"
    assert wait_for(lambda: not any(alive(pid) for pid in children), timeout=10), [
        Path(f"/proc/{pid}/cmdline").read_bytes() for pid in children if alive(pid)
    ]
    assert integrity(tmp_path / "db.db") == ["ok"]
    again = run(["--database", "db.db", "import", str(corpus)], cwd=tmp_path)
    assert again.returncode == 0, again.stderr.decode()
    assert integrity(tmp_path / "db.db") == ["ok"]
    assert canonical_dump(tmp_path / "db.db") == canonical_dump(reference)


@pytest.mark.parametrize("seed", (4, 5))
async def test_import_into_postgres_killed_anywhere_converges(
    seed: int, corpus: Path, pg_cluster: Cluster, tmp_path: Path
) -> None:
    """The same on PostgreSQL: ``papers-bot import`` SIGKILLed at a random moment; its worker
    ends with it; importing again gives every table exactly the rows (same count, same
    checksum, as ``migrate`` compares them) of an uninterrupted import into another database."""
    rng = random.Random(seed)
    reference, killed = await clone_database(pg_cluster), await clone_database(pg_cluster)
    try:
        done = run(["--database", reference, "import", str(corpus)], cwd=tmp_path)
        assert done.returncode == 0, done.stderr.decode()
        importer = start(["--database", killed, "import", str(corpus)], cwd=tmp_path)
        children: set[int] = set()
        assert wait_for(lambda: children.update(descendants(importer.pid)) or children, timeout=60)
        wait_for(lambda: importer.poll() is not None, timeout=rng.uniform(0.1, 0.8))
        children |= descendants(importer.pid)
        kill(importer, signal.SIGKILL)
        assert wait_for(lambda: not any(alive(pid) for pid in children), timeout=10)
        again = run(["--database", killed, "import", str(corpus)], cwd=tmp_path)
        assert again.returncode == 0, again.stderr.decode()
        async with await open_store(reference) as a, await open_store(killed) as b:
            checks = await verify(a, b, [t for t in TABLES if t != "digests"])
            # A digest's row carries when it was imported: the rest must be the same.
            digests = [sorted(r[:-1] for r in await st.export_rows("digests")) for st in (a, b)]
        assert [c.table for c in checks if not c.ok] == []
        assert digests[0] == digests[1] and len(digests[0]) > 0
        assert next(c for c in checks if c.table == "papers").source_rows == CORPUS_PAPERS
    finally:
        await drop_database(pg_cluster, reference)
        await drop_database(pg_cluster, killed)


# ------------------------------------------------------------------------------ fetch job

FETCH_DAYS = 12


def api_days(today: dt.date) -> dict[str, list[dict[str, Any]]]:
    """The stand-in's papers: the synthetic corpus's first days, re-dated to the last
    :data:`FETCH_DAYS` days, as the daily papers API's JSON."""
    out: dict[str, list[dict[str, Any]]] = {}
    first = today - dt.timedelta(days=FETCH_DAYS - 1)
    for i, (_day, text) in enumerate(synth_days(FETCH_DAYS * 20, per_day=20, seed=11)):
        day = first + dt.timedelta(days=i)
        digest = parse_digest(text, "x")
        out[day.isoformat()] = [
            {
                "paper": {
                    "id": p.arxiv_id,
                    "title": p.title,
                    "authors": [{"name": a} for a in p.authors],
                    "summary": " ".join(b.text for b in p.summary),
                    "upvotes": p.votes,
                }
            }
            for p in digest.papers
        ]
    return out


@pytest.fixture
async def hf_api() -> AsyncIterator[str]:
    days = api_days(dt.datetime.now(dt.UTC).date())

    async def daily(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(0.03)  # a real round trip, so a kill lands mid-run
        return web.json_response(days.get(request.query.get("date", ""), []))

    app = web.Application()
    app.router.add_get("/api/daily_papers", daily)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


async def fetch(base: str, cwd: Path, database: str) -> asyncio.subprocess.Process:
    since = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=FETCH_DAYS - 1)
    return await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "bot"],
        *["--database", database, "fetch", "--since", since.isoformat()],
        cwd=cwd,
        env=clean_env(HF_API_BASE=base),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_fetch_killed_anywhere_converges(hf_api: str, tmp_path: Path) -> None:
    """``papers-bot fetch`` killed (SIGKILL) at a random moment, three times: the database is
    intact each time, and fetching again gives exactly the rows of an uninterrupted fetch:
    no day lost, no paper, appearance or vote point twice."""
    whole = await fetch(hf_api, tmp_path, "whole.db")
    _out, err = await whole.communicate()
    assert whole.returncode == 0, err.decode()
    expected = canonical_dump(tmp_path / "whole.db")
    assert len(expected["digests"]) == FETCH_DAYS
    for seed in SEEDS:
        rng = random.Random(seed)
        database = f"killed-{seed}.db"
        killed = await fetch(hf_api, tmp_path, database)
        wal = tmp_path / f"{database}-wal"
        await asyncio.to_thread(wait_for, wal.exists, timeout=60)  # it has opened the database
        try:
            await asyncio.wait_for(killed.wait(), timeout=rng.uniform(0.0, 0.8))
        except TimeoutError:
            killed.kill()
            await killed.wait()
        assert integrity(tmp_path / database) == ["ok"]
        again = await fetch(hf_api, tmp_path, database)
        _out, err = await again.communicate()
        assert again.returncode == 0, err.decode()
        assert integrity(tmp_path / database) == ["ok"]
        assert canonical_dump(tmp_path / database) == expected


# ------------------------------------------------------------------------------ digest sender

GUILDS = (501, 502, 503, 504)
POST_DAYS = ("2024-06-12", "2024-06-13")


@pytest.fixture
async def digest_db(tmp_path: Path) -> Path:
    """Two days of 25 papers (a digest of several messages) and four servers due at 09:00."""
    path = tmp_path / "digest.db"
    async with await Store.open(path) as store:
        for i, (_day, text) in enumerate(synth_days(50, per_day=25, seed=5)):
            text = text.replace(text.splitlines()[0], f"## Daily Papers ({POST_DAYS[i]})")
            await store.import_digest(parse_digest(text, POST_DAYS[i]))
        for guild in GUILDS:
            await store.set_digest_settings(
                guild,
                channel_id=guild * 10,
                post_time=dt.time(9, 0),
                timezone="UTC",
                count=25,
                now=dt.datetime(2024, 6, 1, tzinfo=dt.UTC),
            )
    return path


def send_digests(database: Path, channels: Path, pause: float) -> Any:
    return start(
        [str(database), str(channels), "2024-06-14T09:05:00+00:00", str(pause)],
        cwd=ROOT,
        module="tests.harness.digest_proc",
    )


@pytest.mark.parametrize("seed", SEEDS)
async def test_digest_sender_killed_anywhere_posts_each_digest_once(
    seed: int, digest_db: Path, tmp_path: Path
) -> None:
    """The digest sender killed (SIGKILL) at a random moment while four servers' digests of
    several messages go out, then started again: the database is intact, and every channel
    shows its digest once, whole (no part of a cut-off post left beside it), recorded as
    posted with exactly the messages it shows."""
    rng = random.Random(seed)
    channels = tmp_path / "channels.jsonl"
    sender = send_digests(digest_db, channels, 0.05)
    await asyncio.to_thread(wait_for, channels.exists, timeout=60)  # the first message is out
    await asyncio.to_thread(
        wait_for, lambda: sender.poll() is not None, timeout=rng.uniform(0.0, 0.25)
    )
    await asyncio.to_thread(kill, sender)
    assert integrity(digest_db) == ["ok"]
    rerun = send_digests(digest_db, channels, 0.0)
    out, err = await asyncio.to_thread(rerun.communicate)
    assert rerun.returncode == 0, err.decode()
    assert integrity(digest_db) == ["ok"]
    shown = read_channels(channels)
    day = dt.date(2024, 6, 13)
    async with await Store.open(digest_db) as store:
        for guild in GUILDS:
            messages = shown.get(guild * 10, [])
            embeds = [[_embed(e) for e in m["embeds"]] for m in messages]
            assert sum(opens_digest(e, day) for e in embeds) == 1, (guild, out.decode())
            assert sum(closes_digest(e, day) for e in embeds) == 1
            post = await store.last_digest_post(guild)
            assert post is not None and post.digest_date == day
            assert list(post.message_ids) == [m["id"] for m in messages]
            run_ = await store.digest_run(guild, dt.date(2024, 6, 14))
            assert run_ is not None and run_.outcome == "posted"


def _embed(data: dict[str, Any]) -> discord.Embed:
    return discord.Embed.from_dict(data)
