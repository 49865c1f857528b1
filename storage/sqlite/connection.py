"""The connection layer every module of the SQLite backend builds on (and imports nothing of it).

:class:`Conn` runs statements and transactions through aiosqlite's public API, where each call
is one hop to its worker thread and back (about 80 microseconds); the backend's methods are
written to need few of them (set-based statements over JSON arrays bound as parameters,
``RETURNING``, a page of papers read by the statement that chooses it). :class:`StoreBase`
holds the connection and the state shared by the per-aggregate mixins that
:class:`storage.sqlite.store.Store` composes; :meth:`StoreBase._conn` gives one operation the
connection to itself. The small helpers below turn values into the forms the schema stores
(ISO days, UTC ISO moments, JSON arrays).
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import datetime as dt
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

import aiosqlite

from storage.errors import StoreClosed
from storage.text import json_list

T = TypeVar("T")

log = logging.getLogger(__name__)

#: How long a statement waits for another connection's write lock before failing.
BUSY_TIMEOUT_MS = 5000
#: A write that still finds the database locked after the busy timeout is tried again this many
#: times more (the lock holder is another process in a long commit), a little later each time.
LOCKED_RETRIES = 3
#: Seconds before the first of those retries (doubled for each next one).
LOCKED_RETRY_PAUSE = 0.05


def is_locked(error: BaseException) -> bool:
    """True for SQLite's "database is locked" (or busy): another connection holds the lock."""
    if not isinstance(error, sqlite3.OperationalError):
        return False
    text = str(error).lower()
    return "database is locked" in text or "database is busy" in text


async def retry_locked(attempt: Callable[[], Awaitable[T]], *, what: str = "write") -> T:
    """Run ``attempt``; when it fails because the database stayed locked beyond the busy
    timeout, run it again, at most :data:`LOCKED_RETRIES` more times. Only for work that holds
    no transaction when it fails (a ``BEGIN IMMEDIATE`` that could not start, a statement in
    autocommit), so trying again repeats nothing."""
    pause = LOCKED_RETRY_PAUSE
    for tries_left in range(LOCKED_RETRIES, -1, -1):
        try:
            return await attempt()
        except sqlite3.OperationalError as exc:
            if not tries_left or not is_locked(exc):
                raise
            # Waiting for another process is the normal course of two writers (as the busy
            # timeout's waits are): said at DEBUG; only running out of tries is an error.
            log.debug("Database locked by another process; trying the %s again", what)
            await asyncio.sleep(pause)
            pause *= 2
    raise AssertionError("unreachable")


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


#: Bound parameters: positional or named.
Params = Sequence[Any] | dict[str, Any]


class Conn:
    """Statements and transactions on the store's aiosqlite connection (public API only).

    Every method is one hop to aiosqlite's worker thread, except :meth:`transaction`, which adds
    its ``BEGIN``/``COMMIT`` (or savepoint) around the work.
    """

    __slots__ = ("db",)

    def __init__(self, db: aiosqlite.Connection) -> None:
        self.db = db

    async def all(self, sql: str, params: Params = ()) -> list[Any]:
        """Every row of ``sql``."""
        return list(await self.db.execute_fetchall(sql, params))

    async def one(self, sql: str, params: Params = ()) -> Any:
        """The first row of ``sql``, or ``None``."""
        rows = await self.db.execute_fetchall(sql, params)
        return next(iter(rows), None)

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run a statement that returns no rows; how many rows it changed. Outside a
        transaction (autocommit) a statement that finds the database locked is tried again
        (:func:`retry_locked`)."""
        if self.db.in_transaction:
            cursor = await self.db.execute(sql, params)
            return cursor.rowcount

        async def attempt() -> int:
            cursor = await self.db.execute(sql, params)
            return cursor.rowcount

        return await retry_locked(attempt)

    async def begin(self) -> None:
        """``BEGIN IMMEDIATE``: take the write lock now, waiting the busy timeout and then
        trying again a bounded number of times (:func:`retry_locked`)."""

        async def attempt() -> None:
            await self.db.execute("BEGIN IMMEDIATE")

        await retry_locked(attempt, what="transaction")

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run a statement once per row of parameters."""
        await self.db.executemany(sql, rows)

    async def transaction(self, work: Callable[[Conn], Awaitable[T]]) -> T:
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
        db = self.db
        if db.in_transaction:
            await db.execute("SAVEPOINT work")
            try:
                result = await work(self)
            except BaseException:
                if db.in_transaction:
                    await db.execute("ROLLBACK TO work")
                    await db.execute("RELEASE work")
                raise
            await db.execute("RELEASE work")
            return result
        await self.begin()
        try:
            result = await work(self)
            await db.execute("COMMIT")
        except BaseException:
            await self.rollback()
            raise
        return result

    async def rollback(self) -> None:
        """Roll back the open transaction, if SQLite has not ended it already."""
        if self.db.in_transaction:
            await self.db.execute("ROLLBACK")


class ReadPool:
    """Read-only connections for searches, suggestions and pages of papers, each used by one
    query at a time in a thread of the pool's own.

    The store's aiosqlite connection runs one operation at a time, writes (an import) included;
    reads that need no transaction of their own come here instead, so they run beside each other
    (SQLite releases the GIL while it works) and beside a write, never on the event loop's thread.
    In WAL mode each read sees the last committed state: never half an import. When every
    connection is busy, ``urgent`` reads (a suggestion as the user types, one paper) get the
    next free one before the others (a search).
    """

    def __init__(self, connections: Sequence[sqlite3.Connection]) -> None:
        self._connections = list(connections)
        self._idle = list(self._connections)
        self._urgent: collections.deque[asyncio.Future[sqlite3.Connection]] = collections.deque()
        self._normal: collections.deque[asyncio.Future[sqlite3.Connection]] = collections.deque()
        self._threads = concurrent.futures.ThreadPoolExecutor(
            max_workers=len(self._connections), thread_name_prefix="papers-read"
        )

    async def _acquire(self, urgent: bool) -> sqlite3.Connection:
        if self._idle:
            return self._idle.pop()
        waiter: asyncio.Future[sqlite3.Connection] = asyncio.get_running_loop().create_future()
        queue = self._urgent if urgent else self._normal
        queue.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release(waiter.result())  # handed over just as it was cancelled
            elif waiter in queue:
                queue.remove(waiter)
            raise

    def _release(self, conn: sqlite3.Connection) -> None:
        for queue in (self._urgent, self._normal):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(conn)
                    return
        self._idle.append(conn)

    async def run(self, work: Callable[[sqlite3.Connection], T], *, urgent: bool = False) -> T:
        """``work(connection)`` in a pool thread; the connection goes back to the pool when
        ``work`` ends, even if the caller was cancelled meanwhile."""
        conn = await self._acquire(urgent)
        try:
            future = asyncio.get_running_loop().run_in_executor(self._threads, work, conn)
        except BaseException:
            self._release(conn)
            raise

        def done(finished: asyncio.Future[T]) -> None:
            self._release(conn)
            if not finished.cancelled():
                finished.exception()  # read, so a cancelled caller's error is not reported

        future.add_done_callback(done)
        return await asyncio.shield(future)

    async def all(self, sql: str, params: Params = (), *, urgent: bool = False) -> list[Any]:
        """Every row of one statement."""
        return await self.run(lambda conn: conn.execute(sql, params).fetchall(), urgent=urgent)

    def close(self) -> None:
        self._threads.shutdown(wait=True)
        for conn in self._connections:
            conn.close()


class StoreBase:
    """The state every mixin of :class:`storage.sqlite.store.Store` shares, and :meth:`_conn`."""

    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self._db = conn
        self.path = path
        self._closed = False
        # One operation at a time on the connection: an operation is several hops to the
        # worker thread, and another one in between would run inside its transaction (or read
        # half of it).
        self._lock = asyncio.Lock()
        # Read-only connections for searches and suggestions (:class:`ReadPool`); None for an
        # in-memory database, which a second connection would not see.
        self._reader: ReadPool | None = None

    #: Inside :meth:`~storage.sqlite.importing.ImportQueries.batch`.
    _in_batch = False
    #: The error with which SQLite ended the open batch's transaction, if it did: until the
    #: batch ends, every operation raises it again, so no write is committed outside the batch.
    _batch_lost: BaseException | None = None

    @contextlib.asynccontextmanager
    async def _conn(self) -> AsyncIterator[Conn]:
        """The connection, for one operation (others wait until it is done)."""
        if self._closed:
            raise StoreClosed(self.path)
        if self._batch_lost is not None:
            raise self._batch_lost
        async with self._lock:
            try:
                yield Conn(self._db)
            except BaseException as exc:
                if self._in_batch and not self._db.in_transaction:
                    self._batch_lost = exc
                raise

    async def _all(self, sql: str, params: Params = ()) -> list[Any]:
        """Every row of one statement (an operation of its own)."""
        async with self._conn() as c:
            return await c.all(sql, params)

    async def _read(self, sql: str, params: Params = (), *, urgent: bool = False) -> list[Any]:
        """Every row of one read-only statement, from the :class:`ReadPool` when there is one
        (committed state only), else as :meth:`_all`."""
        if self._closed:
            raise StoreClosed(self.path)
        if self._reader is not None:
            return await self._reader.all(sql, params, urgent=urgent)
        return await self._all(sql, params)

    async def _one(self, sql: str, params: Params = ()) -> Any:
        """The first row of one statement, or ``None`` (an operation of its own)."""
        async with self._conn() as c:
            return await c.one(sql, params)

    async def _change(self, sql: str, params: Params = ()) -> int:
        """Run one statement that changes rows (committed on its own); how many it changed."""
        async with self._conn() as c:
            return await c.execute(sql, params)

    async def _transaction(self, work: Callable[[Conn], Awaitable[T]]) -> T:
        """Run ``work`` in a transaction of its own (see :meth:`Conn.transaction`)."""
        async with self._conn() as c:
            return await c.transaction(work)
