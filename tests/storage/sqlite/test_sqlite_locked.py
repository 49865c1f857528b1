"""Concurrent writers wait their turn: a write that finds the database locked by another
process beyond the busy timeout is tried again a bounded number of times (then fails with
SQLite's own error, the store still usable). The busy timeout is shortened here so a holder of
a fraction of a second outlasts it."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from digests import digest, paper

import storage.sqlite.store as sqlite_store
from storage.sqlite.store import Store

NOW = dt.datetime(2024, 6, 14, 9, 0, tzinfo=dt.UTC)


def hold_write_lock(path: Path, seconds: float, started: threading.Event) -> None:
    """Another process's long write: the write lock held for ``seconds``."""
    db = sqlite3.connect(path, isolation_level=None, timeout=10)
    try:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO watched_files VALUES ('/x', 1, 1, 'h', '2024-01-01')")
        started.set()
        time.sleep(seconds)
        db.execute("COMMIT")
    finally:
        db.close()


@pytest.fixture
async def quick_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Store]:
    monkeypatch.setattr(sqlite_store, "BUSY_TIMEOUT_MS", 100)
    async with await Store.open(tmp_path / "papers.db") as store:
        yield store


async def import_one(store: Store) -> None:
    await store.import_digest(digest(dt.date(2024, 6, 13), paper("2406.00001")))


async def settings_write(store: Store) -> None:
    await store.set_digest_settings(
        1, channel_id=2, post_time=dt.time(9), timezone="UTC", count=5, now=NOW
    )


async def test_a_write_waits_out_a_lock_longer_than_the_busy_timeout(
    quick_store: Store, tmp_path: Path
) -> None:
    """A settings write and an import, each meeting a 0.4 s write lock (busy timeout 0.1 s),
    both succeed once it is released."""
    for write in (settings_write, import_one):
        started = threading.Event()
        holder = threading.Thread(
            target=hold_write_lock, args=(tmp_path / "papers.db", 0.4, started)
        )
        holder.start()
        started.wait()
        try:
            await write(quick_store)
        finally:
            holder.join()
        await quick_store._change("DELETE FROM watched_files")
    assert await quick_store.digest_settings(1) is not None
    assert await quick_store.latest_day() == dt.date(2024, 6, 13)


async def test_a_lock_that_is_never_released_fails_after_bounded_retries(
    quick_store: Store, tmp_path: Path
) -> None:
    """A lock held for 1.5 s: the write gives up well before (SQLite's "database is locked"),
    and the store works again once the lock is gone."""
    started = threading.Event()
    holder = threading.Thread(target=hold_write_lock, args=(tmp_path / "papers.db", 1.5, started))
    holder.start()
    started.wait()
    began = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        await settings_write(quick_store)
    assert time.monotonic() - began < 1.4
    await asyncio.to_thread(holder.join)
    await settings_write(quick_store)
    assert await quick_store.digest_settings(1) is not None
