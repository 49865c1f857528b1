"""SQLite backend: what `Store.open` refuses before it touches the file."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from storage.errors import EngineTooOld, SchemaTooNew
from storage.sqlite import store as store_module
from storage.sqlite.migrations import SCHEMA_VERSION
from storage.sqlite.store import Store


def files_in(folder: Path) -> list[str]:
    return sorted(entry.name for entry in folder.iterdir())


async def test_too_old_sqlite_is_refused_before_the_file_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An SQLite library older than the SQL needs (``->>``: 3.38) is refused with the version
    found and the version needed, and no database file is created."""
    monkeypatch.setattr(store_module, "sqlite_version_info", (3, 31, 1))
    monkeypatch.setattr(store_module, "sqlite_version", "3.31.1")
    path = tmp_path / "new.db"
    with pytest.raises(EngineTooOld) as caught:
        await Store.open(path)
    assert (caught.value.engine, caught.value.found, caught.value.needed) == (
        "SQLite",
        "3.31.1",
        "3.38.0",
    )
    assert not path.exists()


async def test_newer_schema_is_refused_with_the_file_untouched(tmp_path: Path) -> None:
    """A database written by a newer papers-bot (user_version above ours) is refused with both
    versions, and left exactly as it was: still in rollback-journal mode, no WAL file."""
    path = tmp_path / "future.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t(x)")
        db.execute("PRAGMA user_version = 999")
    before = path.read_bytes()
    with pytest.raises(SchemaTooNew) as caught:
        await Store.open(path)
    assert (caught.value.found, caught.value.supported) == (999, SCHEMA_VERSION)
    assert path.read_bytes() == before
    assert files_in(tmp_path) == ["future.db"]  # no -wal or -shm beside it
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


async def test_a_file_of_random_bytes_is_refused_untouched(tmp_path: Path) -> None:
    """A file that is not a database is a typed error naming it, and is not modified."""
    from storage.errors import NotADatabase

    path = tmp_path / "notes.db"
    path.write_bytes(bytes(range(256)) * 64)
    before = path.read_bytes()
    with pytest.raises(NotADatabase) as caught:
        await Store.open(path)
    assert caught.value.where == str(path)
    assert path.read_bytes() == before


async def test_a_database_locked_beyond_the_busy_timeout_is_opened_once_it_is_free(
    tmp_path: Path,
) -> None:
    """Another process holds the file's exclusive lock longer than the busy timeout (a
    rollback-journal file mid-write): opening waits and tries again instead of failing, and
    never calls a locked file "not a database"."""
    path = tmp_path / "busy.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t(x)")
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    held = store_module.BUSY_TIMEOUT_MS / 1000 + 1.0

    async def release_later() -> None:
        await asyncio.sleep(held)
        holder.execute("COMMIT")
        holder.close()

    releasing = asyncio.create_task(release_later())
    began = time.monotonic()
    async with await Store.open(path) as store:
        assert await store.schema_version() == SCHEMA_VERSION
    assert time.monotonic() - began >= held
    await releasing


async def test_a_locked_answer_while_configuring_is_tried_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite answers "database is locked" at once, without waiting, where waiting could
    deadlock (two processes switching a new file to WAL together): the open tries again."""
    configure = Store._configure
    calls = 0

    async def locked_once(self: Store, c: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise sqlite3.OperationalError("database is locked")
        await configure(self, c)

    monkeypatch.setattr(Store, "_configure", locked_once)
    async with await Store.open(tmp_path / "new.db") as store:
        assert await store.schema_version() == SCHEMA_VERSION
    assert calls == 2
