"""Operators running things at once (issue 17), with real ``papers-bot`` processes: two imports
started together on a new database both finish; an import beside a settings write every 0.1 s
fails no write; a console opened on the still-empty database while an import runs does not add
the bundled samples."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import sqlite3
import time
from pathlib import Path

from storage.ingest.importer import ensure_seeded
from storage.sqlite.migrations import SCHEMA_VERSION
from storage.sqlite.store import Store
from tests.harness.procs import (
    CORPUS_PAPERS,
    canonical_dump,
    integrity,
    start,
    table_counts,
    wait_for,
)

PAPERS = CORPUS_PAPERS


def test_two_imports_started_at_once_on_a_new_database_both_finish(
    corpus: Path, reference: Path, tmp_path: Path
) -> None:
    """Both exit 0 without a traceback, and the database holds exactly one import's rows."""
    first = start(["--database", "new.db", "import", str(corpus)], cwd=tmp_path)
    second = start(["--database", "new.db", "import", str(corpus)], cwd=tmp_path)
    for process in (first, second):
        _out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err.decode()
        assert b"Traceback" not in err and b"locked" not in err
    assert integrity(tmp_path / "new.db") == ["ok"]
    assert canonical_dump(tmp_path / "new.db") == canonical_dump(reference)


async def test_settings_writes_beside_an_import_never_fail(corpus: Path, tmp_path: Path) -> None:
    """A settings write every 0.1 s while an import commits: every write succeeds (each
    waits at most a commit's length), and the import finishes."""
    db = tmp_path / "busy.db"
    async with await Store.open(db):
        pass
    importer = start(["--database", str(db), "import", str(corpus)], cwd=tmp_path)
    failures: list[BaseException] = []
    writes = 0
    slowest = 0.0
    async with await Store.open(db) as store:
        while importer.poll() is None:
            began = time.monotonic()
            try:
                await store.set_digest_settings(
                    7,
                    channel_id=8,
                    post_time=dt.time(9, writes % 60),
                    timezone="UTC",
                    count=5,
                    now=dt.datetime.now(dt.UTC),
                )
            except Exception as exc:  # the failure the issue saw: "database is locked"
                failures.append(exc)
            writes += 1
            slowest = max(slowest, time.monotonic() - began)
            await asyncio.sleep(0.1)
    _out, err = importer.communicate()
    assert importer.returncode == 0, err.decode()
    assert failures == [] and writes >= 3  # the import takes seconds; one run took 0.5 s of them
    assert slowest < 5.0
    assert table_counts(db, ["papers"]) == {"papers": PAPERS}


async def test_console_opened_while_an_import_runs_adds_no_samples(
    corpus: Path, tmp_path: Path
) -> None:
    """The import has created the database and not yet committed a day when a console opens
    it: the console does not load the samples (the import took the database's first use), and
    the database ends with the corpus's days only."""
    db = tmp_path / "fresh.db"
    importer = start(["--database", str(db), "import", str(corpus)], cwd=tmp_path)

    def opened_but_empty() -> bool:
        if not db.exists():
            return False
        try:
            with contextlib.closing(sqlite3.connect(db, timeout=0.05)) as raw:
                version = raw.execute("PRAGMA user_version").fetchone()[0]
                if version < SCHEMA_VERSION:
                    return False
                return raw.execute("SELECT count(*) FROM database_claims").fetchone()[0] > 0
        except sqlite3.Error:
            return False

    assert await asyncio.to_thread(wait_for, opened_but_empty, timeout=60, every=0.01)
    async with await Store.open(db) as store:  # what `papers-bot console` does first
        assert await ensure_seeded(store) is None
    _out, err = importer.communicate(timeout=300)
    assert importer.returncode == 0, err.decode()
    days = table_counts(db, ["digests"])["digests"]
    assert days == PAPERS // 30


async def test_a_new_database_is_still_seeded_by_its_first_user(tmp_path: Path) -> None:
    """Without an import, the first console on a new database loads the samples; the next one
    opening it (even were it emptied) does not load them again."""
    async with await Store.open(tmp_path / "s.db") as store:
        assert await ensure_seeded(store) is not None
    async with await Store.open(tmp_path / "s.db") as store:
        assert await ensure_seeded(store) is None
