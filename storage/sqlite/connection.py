"""The connection layer every module of the SQLite backend builds on (and imports nothing of it).

:class:`Conn` wraps the raw ``sqlite3`` connection inside aiosqlite's worker thread and runs
transactions; :class:`StoreBase` holds the connection and the state shared by the per-aggregate
mixins that :class:`storage.sqlite.store.Store` composes. The small helpers below turn values
into the forms the schema stores (ISO days, UTC ISO moments, JSON arrays).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import aiosqlite

from storage.text import json_list

if TYPE_CHECKING:
    import sqlite3

T = TypeVar("T")

#: How long a statement waits for another connection's write lock before failing.
BUSY_TIMEOUT_MS = 5000
#: The open ends of a date range.
MIN_DATE = "0000-01-01"
MAX_DATE = "9999-12-31"


def iso_day(day: dt.date | str | None) -> str | None:
    """``YYYY-MM-DD`` of a date, datetime or ISO string (validated); ``None`` stays ``None``."""
    if day is None:
        return None
    if isinstance(day, dt.datetime):
        return day.date().isoformat()
    if isinstance(day, dt.date):
        return day.isoformat()
    return dt.date.fromisoformat(str(day)).isoformat()


def parse_day(text: str | None) -> dt.date | None:
    """A stored ``YYYY-MM-DD`` as a date; NULL or empty -> ``None``."""
    return dt.date.fromisoformat(text) if text else None


def utc_iso(moment: dt.datetime) -> str:
    """A timezone-aware moment as the UTC ISO timestamp the schema stores (seconds)."""
    if moment.tzinfo is None:
        raise ValueError("timezone-aware datetimes only")
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def parse_moment(text: str | None) -> dt.datetime | None:
    """A stored UTC ISO timestamp as an aware datetime; NULL or empty -> ``None``."""
    return dt.datetime.fromisoformat(text) if text else None


def now_iso() -> str:
    """The current moment as a stored UTC ISO timestamp."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


#: ``ids`` (or rows of JSON values) as one JSON array, bound to ``json_each(?)``.
ids_json = json_list


def clamp(limit: int | None, offset: int) -> tuple[int, int]:
    """A page's ``(limit, offset)``: 10 when no limit, never negative."""
    return max(0, int(limit if limit is not None else 10)), max(0, int(offset))


class Conn:
    """The raw ``sqlite3`` connection, used only inside the aiosqlite worker thread."""

    __slots__ = ("raw",)

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw

    def all(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        return self.raw.execute(sql, params).fetchall()

    def one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        return self.raw.execute(sql, params).fetchone()

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Cursor:
        return self.raw.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> sqlite3.Cursor:
        return self.raw.executemany(sql, rows)

    def transaction(self, work: Callable[[Conn], T]) -> T:
        """Run ``work`` atomically: whole or not at all.

        On its own it is one ``BEGIN IMMEDIATE`` transaction. Inside a transaction that is already
        open (a batch) it is a savepoint of it: rolled back alone when it fails, and committed
        with the batch.

        When SQLite has already rolled the whole transaction back itself (``RAISE(ROLLBACK)``, a
        full disk, an I/O error), there is nothing left to roll back: the error that did it is
        raised as is. A ``COMMIT`` that fails leaves SQLite's transaction open (a deferred
        constraint, a busy database); it is rolled back before the error is raised, so the
        connection never keeps holding the write lock.
        """
        raw = self.raw
        if raw.in_transaction:
            raw.execute("SAVEPOINT work")
            try:
                result = work(self)
            except BaseException:
                if raw.in_transaction:
                    raw.execute("ROLLBACK TO work")
                    raw.execute("RELEASE work")
                raise
            raw.execute("RELEASE work")
            return result
        raw.execute("BEGIN IMMEDIATE")
        try:
            result = work(self)
            raw.execute("COMMIT")
        except BaseException:
            self.rollback()
            raise
        return result

    def rollback(self) -> None:
        """Roll back the open transaction, if SQLite has not ended it already."""
        if self.raw.in_transaction:
            self.raw.execute("ROLLBACK")


class StoreBase:
    """The state every mixin of :class:`storage.sqlite.store.Store` shares, and :meth:`_run`."""

    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self._db = conn
        self.path = path
        self._closed = False
        # The loop thread's read-only connection for quick searches (see
        # :mod:`storage.sqlite.search`); None for an in-memory database, which a second
        # connection would not see.
        self._reader: Conn | None = None

    #: Inside :meth:`~storage.sqlite.importing.ImportQueries.batch`.
    _in_batch = False
    #: The error with which SQLite ended the open batch's transaction, if it did: until the
    #: batch ends, every call raises it again, so no write is committed outside the batch.
    _batch_lost: BaseException | None = None

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(conn, *args)`` in the connection's worker thread."""
        if self._closed:
            raise RuntimeError(f"{self.path}: the store is closed")
        if self._batch_lost is not None:
            raise self._batch_lost
        conn = self._db

        def call() -> T:
            c = Conn(conn._conn)
            try:
                return fn(c, *args)
            except BaseException as exc:
                if self._in_batch and not c.raw.in_transaction:
                    self._batch_lost = exc
                raise

        return await conn._execute(call)
