"""The PostgreSQL backend: :class:`Store` composes the per-aggregate query mixins over a pool.

Schema (:mod:`storage.postgres.migrations`, ``migrations/*.sql``): the SQLite backend's tables
(:mod:`storage.sqlite.store`) with native types (dates, ``timestamptz``, arrays, ``jsonb``),
``papers.search`` (a ``tsvector`` from the shared tokeniser, see
:mod:`storage.postgres.fulltext`) in place of the FTS5 table, ``feed_clock`` in place of
``sqlite_sequence``, and ``schema_migrations`` in place of ``PRAGMA user_version``.

Modules, each importing only those before it: :mod:`~storage.postgres.connection` (the pool,
connections, error translation, shared helpers), :mod:`~storage.postgres.migrations`,
:mod:`~storage.postgres.fulltext`, :mod:`~storage.postgres.papers` (reading full papers), then
one module per aggregate (:mod:`~storage.postgres.search`, :mod:`~storage.postgres.authors`,
:mod:`~storage.postgres.days`, :mod:`~storage.postgres.importing`,
:mod:`~storage.postgres.guilds`, :mod:`~storage.postgres.alerts`, :mod:`~storage.postgres.jobs`,
:mod:`~storage.postgres.summaries`, :mod:`~storage.postgres.reading`),
and this one, which opens, migrates and closes.

Concurrency: each operation borrows a pooled connection (at most ``pool_size`` at once) and is
one statement or one transaction, so operations run side by side and a reader never sees half
an import; imports take turns on an advisory lock.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import asyncpg

from storage.closing import Closing
from storage.errors import DatabaseProblem
from storage.postgres.alerts import AlertQueries
from storage.postgres.authors import AuthorQueries
from storage.postgres.connection import redact, translated
from storage.postgres.coordination import CoordinationQueries
from storage.postgres.days import DayQueries
from storage.postgres.guilds import GuildQueries
from storage.postgres.importing import ImportQueries
from storage.postgres.jobs import JobQueries
from storage.postgres.migrations import migrate, schema_version
from storage.postgres.papers import PaperQueries
from storage.postgres.reading import ReadingListQueries
from storage.postgres.research import ResearchQueries
from storage.postgres.search import SearchQueries
from storage.postgres.summaries import SummaryQueries
from storage.postgres.transfer import TransferQueries

log = logging.getLogger(__name__)

#: Connections the pool keeps at most, unless told otherwise (``DATABASE_POOL_SIZE``).
DEFAULT_POOL_SIZE = 10
#: Seconds to wait for the server when connecting.
CONNECT_TIMEOUT = 10.0
#: Settings of every pooled connection. ``jit`` off: PostgreSQL (11+, on by default) compiles
#: a statement it costs above ``jit_above_cost``, which costs more than it saves for the bot's
#: short statements: 30-35 ms of compiling in a 185 ms trends count of a common Korean word at
#: 100k papers (PostgreSQL 15); no search statement needs it. ``plan_cache_mode``: every
#: statement planned for its own values. asyncpg prepares each statement, and after five runs
#: PostgreSQL may switch to a generic plan that takes every search word for a rare one (a bitmap
#: scan of all 44,000 matches of 'model': 500 ms instead of 30). Set per session, it covers
#: every statement whose best plan depends on its words (searches, suggestions, trends, similar
#: papers), and a search needs no transaction of its own.
SESSION_SETTINGS = {
    "application_name": "papers-bot",
    "jit": "off",
    "plan_cache_mode": "force_custom_plan",
}


async def _binary_documents(con: asyncpg.Connection) -> None:
    """Each pooled connection sends and reads ``tsvector`` values in PostgreSQL's binary form,
    as :func:`storage.tsvector.document` builds them (``bytes``)."""
    await con.set_type_codec(
        "tsvector", schema="pg_catalog", encoder=bytes, decoder=bytes, format="binary"
    )


async def _session_kept(con: asyncpg.Connection) -> None:
    """What a connection going back to the pool needs beyond asyncpg's own reset (a transaction
    left open is rolled back, listeners dropped): nothing. The store leaves no session state:
    its settings are the connection's own (:data:`SESSION_SETTINGS`), every other setting is
    ``SET LOCAL``, every advisory lock a transaction's, and it neither listens nor keeps cursors
    past a transaction (a test reads the backend's SQL for this). asyncpg's default reset sent
    ``RESET ALL``, ``UNLISTEN *`` and more after every operation: 0.12 ms of a trivial one's
    0.25."""


class Store(
    PaperQueries,
    SearchQueries,
    AuthorQueries,
    DayQueries,
    ImportQueries,
    GuildQueries,
    AlertQueries,
    JobQueries,
    SummaryQueries,
    TransferQueries,
    ReadingListQueries,
    CoordinationQueries,
    ResearchQueries,
    Closing,
):
    """All reads and writes of the papers database on PostgreSQL: :meth:`open`, :meth:`close`."""

    @classmethod
    async def open(cls, url: str, *, pool_size: int = DEFAULT_POOL_SIZE) -> Store:
        """Connect to the database at ``url`` (``postgresql://``), bring its schema up to date,
        and keep a pool of up to ``pool_size`` connections.

        Raises :class:`~storage.errors.Unavailable` (server unreachable),
        :class:`~storage.errors.AccessDenied` (wrong password, no such database),
        :class:`~storage.errors.SchemaTooNew` or :class:`~storage.errors.DatabaseProblem`
        (an unreadable URL), all naming the URL without its password; nothing is written then.
        """
        where = redact(url)
        if pool_size < 1:
            raise ValueError("pool_size must be at least 1")
        with translated(where):
            try:
                pool = await asyncpg.create_pool(
                    url,
                    min_size=1,
                    max_size=pool_size,
                    timeout=CONNECT_TIMEOUT,
                    server_settings=SESSION_SETTINGS,
                    init=_binary_documents,
                    reset=_session_kept,
                )
            except ValueError as exc:  # asyncpg's reading of the URL
                raise DatabaseProblem(where, "invalid URL") from exc
        try:
            with translated(where):
                async with pool.acquire() as con:
                    await migrate(con, where)
        except BaseException:
            await pool.close()
            raise
        return cls(pool, where)

    async def schema_version(self) -> int:
        """The number of the newest migration applied to the database."""
        async with self._conn() as c:
            return await schema_version(c.con)

    async def close(self) -> None:
        """Close every pooled connection. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        await self._pool.close()


if TYPE_CHECKING:  # the backend implements every port (checked by mypy)
    from storage import ports

    _implements: type[ports.Store] = Store
