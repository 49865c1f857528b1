"""The connection layer every module of the PostgreSQL backend builds on (it imports none).

:class:`StoreBase` holds the asyncpg pool; :meth:`StoreBase._conn` lends one pooled connection
to one operation (inside :meth:`~storage.postgres.importing.ImportQueries.batch`, the batch's
connection, one operation at a time). Operations run side by side on separate connections:
PostgreSQL's MVCC keeps each one's reads consistent and its transactions atomic.

Failures of the connection itself (the server is down or restarting, the socket dropped) come
out as :class:`storage.errors.Unavailable`; the pool replaces a dropped connection on the next
acquire, so the store reconnects by itself once the server is back (:func:`translated`).

The small helpers below turn values into the forms the schema stores (dates, UTC moments to
the second, as the SQLite backend keeps them) and redact passwords from URLs.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from storage.errors import AccessDenied, DatabaseProblem, StoreClosed, Unavailable

T = TypeVar("T")
#: A connection of its own or one lent by the pool.
Connection = asyncpg.Connection | PoolConnectionProxy

#: The open ends of a date range.
MIN_DATE = dt.date.min
MAX_DATE = dt.date.max

#: Errors that mean the connection or the server is gone, not that a statement was wrong.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.ConnectionDoesNotExistError,
)
#: Errors with which the server refuses who we are or what we ask to open.
ACCESS_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.InvalidAuthorizationSpecificationError,  # wrong password or user
    asyncpg.InvalidCatalogNameError,  # no such database
    asyncpg.InsufficientPrivilegeError,
)


def redact(url: str) -> str:
    """``url`` with its password replaced by ``***`` (what logs and messages may show)."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        user = parts.username or ""
        host = parts.hostname or ""
        if parts.port is not None:
            host = f"{host}:{parts.port}"
        return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))
    except ValueError:  # an unreadable URL: show none of it
        return "postgresql://…"


@contextlib.contextmanager
def translated(where: str) -> Iterator[None]:
    """Turn connection and authentication failures inside the block into typed storage errors."""
    try:
        yield
    except ACCESS_ERRORS as exc:
        raise AccessDenied(where, type(exc).__name__) from exc
    except CONNECTION_ERRORS as exc:
        raise Unavailable(where, type(exc).__name__) from exc
    except asyncpg.InterfaceError as exc:
        if "closed" not in str(exc):  # "connection is closed": the socket went away
            raise
        raise Unavailable(where, type(exc).__name__) from exc
    except asyncpg.ClientConfigurationError as exc:
        raise DatabaseProblem(where, "invalid connection settings") from exc


def as_day(day: dt.date | str | None) -> dt.date | None:
    """A date from a date, datetime or ISO string (validated); ``None`` stays ``None``."""
    if day is None:
        return None
    if isinstance(day, dt.datetime):
        return day.date()
    if isinstance(day, dt.date):
        return day
    return dt.date.fromisoformat(str(day))


def utc(moment: dt.datetime) -> dt.datetime:
    """A timezone-aware moment in UTC to the second (what the schema stores)."""
    if moment.tzinfo is None:
        raise ValueError("timezone-aware datetimes only")
    return moment.astimezone(dt.UTC).replace(microsecond=0)


def now_utc() -> dt.datetime:
    """The current moment as stored."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def clamp(limit: int | None, offset: int) -> tuple[int, int]:
    """A page's ``(limit, offset)``: 10 when no limit, never negative."""
    return max(0, int(limit if limit is not None else 10)), max(0, int(offset))


def changed(status: str) -> int:
    """How many rows a command changed, from asyncpg's status tag (``UPDATE 3``)."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class Conn:
    """Statements and transactions on one asyncpg connection; values always bound as ``$n``."""

    __slots__ = ("con",)

    def __init__(self, con: Connection) -> None:
        self.con = con

    async def all(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        """Every row of ``sql``."""
        return await self.con.fetch(sql, *args)

    async def one(self, sql: str, *args: Any) -> asyncpg.Record | None:
        """The first row of ``sql``, or ``None``."""
        return await self.con.fetchrow(sql, *args)

    async def value(self, sql: str, *args: Any) -> Any:
        """The first column of the first row of ``sql``."""
        return await self.con.fetchval(sql, *args)

    async def execute(self, sql: str, *args: Any) -> int:
        """Run a statement that returns no rows; how many rows it changed."""
        return changed(await self.con.execute(sql, *args))

    async def transaction(self, work: Callable[[Conn], Awaitable[T]]) -> T:
        """Run ``work`` atomically: a transaction, or a savepoint inside one already open (a
        batch), rolled back alone when ``work`` fails."""
        async with self.con.transaction():
            return await work(self)


class StoreBase:
    """The state every mixin of :class:`storage.postgres.store.Store` shares, and :meth:`_conn`."""

    def __init__(self, pool: asyncpg.Pool, where: str) -> None:
        self._pool = pool
        #: The database's URL without its password.
        self.path = where
        self._closed = False
        #: Inside :meth:`~storage.postgres.importing.ImportQueries.batch`: its connection, used
        #: by every operation until the batch ends, one operation at a time.
        self._batch: Conn | None = None
        self._batch_lock = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def _conn(self) -> AsyncIterator[Conn]:
        """A connection for one operation; connection failures as :class:`Unavailable`."""
        if self._closed:
            raise StoreClosed(self.path)
        with translated(self.path):
            if self._batch is not None:
                async with self._batch_lock:
                    yield self._batch
                return
            async with self._pool.acquire() as con:
                yield Conn(con)

    async def _all(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        """Every row of one statement (an operation of its own)."""
        async with self._conn() as c:
            return await c.all(sql, *args)

    async def _one(self, sql: str, *args: Any) -> asyncpg.Record | None:
        """The first row of one statement, or ``None`` (an operation of its own)."""
        async with self._conn() as c:
            return await c.one(sql, *args)

    async def _value(self, sql: str, *args: Any) -> Any:
        """The first value of one statement (an operation of its own)."""
        async with self._conn() as c:
            return await c.value(sql, *args)

    async def _change(self, sql: str, *args: Any) -> int:
        """Run one statement that changes rows (committed on its own); how many it changed."""
        async with self._conn() as c:
            return await c.execute(sql, *args)

    async def _transaction(self, work: Callable[[Conn], Awaitable[T]]) -> T:
        """Run ``work`` in a transaction of its own (see :meth:`Conn.transaction`)."""
        async with self._conn() as c:
            return await c.transaction(work)
