"""The SQLite backend: :class:`Store` composes the per-aggregate query mixins over one connection.

Schema (see :mod:`storage.sqlite.migrations`)::

    digests(date PK, source, paper_count, imported_at)           one row per digest day
    papers(id PK, arxiv_id UNIQUE, title, url, authors_truncated, media_kind, media_url,
           summary JSON, content_date, votes, best_votes, first_date, last_date, API extras,
           author_names JSON)
    appearances(paper_id, date) PK, position, votes               a paper listed on a day
    authors(id PK, name, norm_key UNIQUE, paper_count)            normalized authors
    author_terms(term, author_id) PK                              key + word-suffixes, for prefixes
    paper_authors(paper_id, position) PK, author_id               who wrote what, in order
    paper_fts  contentless FTS5: index form of title, summary + keywords (import, triggers)
    guild_digests, digest_runs, digest_posts                      :mod:`storage.sqlite.guilds`
    alerts, alert_deliveries, import_feed                         :mod:`storage.sqlite.alerts`
    watched_files                                                 :mod:`storage.sqlite.jobs`
    summaries, vote_history                                       :mod:`storage.sqlite.summaries`
    saved_papers                                                  :mod:`storage.sqlite.reading`
    processes, shard_leases, job_leases, alert_sends              :mod:`storage.sqlite.coordination`

Modules, each importing only those before it: :mod:`~storage.sqlite.connection` (the connection
wrapper, transactions, shared helpers), :mod:`~storage.sqlite.migrations`,
:mod:`~storage.sqlite.papers` (reading full papers), then one module per aggregate
(:mod:`~storage.sqlite.search`, :mod:`~storage.sqlite.authors`, :mod:`~storage.sqlite.days`,
:mod:`~storage.sqlite.importing`, :mod:`~storage.sqlite.guilds`, :mod:`~storage.sqlite.alerts`,
:mod:`~storage.sqlite.jobs`, :mod:`~storage.sqlite.summaries`, :mod:`~storage.sqlite.reading`),
and this one, which opens, migrates and closes.

Concurrency: every public method is one operation on the aiosqlite connection; operations take
turns, so they never interleave and a reader never sees half an import. The one exception,
searches with few matches, reads the last committed state from a second, read-only connection on
the event loop's thread (:mod:`storage.sqlite.search`).
"""

from __future__ import annotations

import functools
import logging
import os
import sqlite3
from sqlite3 import sqlite_version, sqlite_version_info
from typing import TYPE_CHECKING

import aiosqlite

from storage.closing import Closing
from storage.errors import EngineTooOld, NotADatabase, SchemaTooNew
from storage.sqlite.alerts import AlertQueries
from storage.sqlite.authors import AuthorQueries
from storage.sqlite.connection import BUSY_TIMEOUT_MS, Conn, ReadPool, is_locked, retry_locked
from storage.sqlite.coordination import CoordinationQueries
from storage.sqlite.days import DayQueries
from storage.sqlite.guilds import GuildQueries
from storage.sqlite.importing import ImportQueries
from storage.sqlite.jobs import JobQueries
from storage.sqlite.migrations import (
    FTS_SUMMARY_FUNCTION,
    FTS_SUMMARY_KEYWORDS_FUNCTION,
    FTS_TITLE_FUNCTION,
    NAME_KEY_FUNCTION,
    NAME_TERMS_FUNCTION,
    SCHEMA_VERSION,
    Migration,
    fts_summary,
    fts_summary_keywords,
    fts_title,
    migrations,
    name_key,
    name_terms,
)
from storage.sqlite.papers import PaperQueries
from storage.sqlite.reading import ReadingListQueries
from storage.sqlite.research import ResearchQueries
from storage.sqlite.search import SearchQueries
from storage.sqlite.summaries import SummaryQueries
from storage.sqlite.transfer import TransferQueries

log = logging.getLogger(__name__)

#: The oldest SQLite library the SQL runs on (``->>`` came in 3.38, ``UPDATE ... FROM`` in 3.33).
MIN_SQLITE: tuple[int, int, int] = (3, 38, 0)

#: New full-text index entries FTS5 keeps in memory before writing a segment (see _tune_fts).
FTS_HASH_BYTES = 8 * 1024 * 1024
#: Read-only connections for searches and suggestions (:class:`ReadPool`): one per core of
#: the machines this runs on (2), since a read keeps its thread busy.
READERS = 2


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
    """All reads and writes of the papers database: :meth:`open` it, :meth:`close` it.

    Every public method is one operation on the aiosqlite connection, through its public API
    only (:class:`~storage.sqlite.connection.Conn`): a few statements, each one hop to its
    worker thread; operations take turns (:meth:`~storage.sqlite.connection.StoreBase._conn`),
    so none runs inside another's transaction or reads half of it. Searches and suggestions are
    the exception: they read committed state from a pool of read-only connections beside it
    (:class:`~storage.sqlite.connection.ReadPool`).
    """

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    async def open(cls, path: str | os.PathLike[str]) -> Store:
        """Open (creating if needed) the database at ``path`` and bring its schema up to date."""
        path_str = os.fspath(path)
        if sqlite_version_info < MIN_SQLITE:
            needed = ".".join(str(part) for part in MIN_SQLITE)
            raise EngineTooOld(path_str, "SQLite", sqlite_version, needed)
        conn = await aiosqlite.connect(
            path_str, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000
        )
        store = cls(conn, path_str)
        try:
            async with store._conn() as c:
                await store._setup(c)
            store._reader = store._open_reader()
        except BaseException:
            await conn.close()
            raise
        return store

    def _open_reader(self) -> ReadPool | None:
        if self.path in ("", ":memory:"):  # private to its connection
            return None
        connections: list[sqlite3.Connection] = []
        try:
            for _ in range(READERS):
                raw = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                connections.append(raw)
                raw.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                raw.execute("PRAGMA query_only = ON")
                raw.execute("PRAGMA cache_size = -8000")
        except BaseException:
            for raw in connections:
                raw.close()
            raise
        return ReadPool(connections)

    async def _setup(self, c: Conn) -> None:
        # Another process may hold the file's lock beyond the busy timeout, or SQLite may answer
        # "locked" at once where waiting could deadlock (two connections switching a new file to
        # WAL, one closing the last connection and checkpointing): every step below can be
        # repeated, so a locked database is tried again (:func:`retry_locked`).
        version = await retry_locked(functools.partial(self._version, c), what="opening")
        if version > SCHEMA_VERSION:
            raise SchemaTooNew(self.path, version, SCHEMA_VERSION)
        await retry_locked(functools.partial(self._configure, c), what="opening")
        for migration in migrations()[version:]:
            await c.transaction(functools.partial(self._migrate, migration=migration))
        await self._tune_fts(c)

    async def _version(self, c: Conn) -> int:
        # Read the version before anything that could change the file (WAL, migrations).
        try:
            return int((await c.one("PRAGMA user_version"))[0])
        except sqlite3.DatabaseError as exc:  # random bytes, a corrupt header
            if is_locked(exc):
                raise
            raise NotADatabase(self.path, str(exc)) from exc

    async def _configure(self, c: Conn) -> None:
        db = c.db
        await db.create_function(FTS_TITLE_FUNCTION, 1, fts_title, deterministic=True)
        await db.create_function(FTS_SUMMARY_FUNCTION, 1, fts_summary, deterministic=True)
        await db.create_function(NAME_KEY_FUNCTION, 1, name_key, deterministic=True)
        await db.create_function(NAME_TERMS_FUNCTION, 1, name_terms, deterministic=True)
        await db.create_function(
            FTS_SUMMARY_KEYWORDS_FUNCTION, 2, fts_summary_keywords, deterministic=True
        )
        # Imports dirty many index pages (authors are shared between papers); a larger WAL lets
        # one checkpoint write each hot page once instead of once per 1,000-page WAL.
        await db.executescript(
            f"""PRAGMA busy_timeout = {BUSY_TIMEOUT_MS};
                PRAGMA journal_mode = WAL;
                PRAGMA synchronous = NORMAL;
                PRAGMA foreign_keys = ON;
                PRAGMA temp_store = MEMORY;
                PRAGMA cache_size = -32000;
                PRAGMA wal_autocheckpoint = 10000;"""
        )

    async def _tune_fts(self, c: Conn) -> None:
        """Let FTS5 gather :data:`FTS_HASH_BYTES` of new index entries before it writes them.

        With FTS5's 1 MB default a commit of a large import wrote several small index segments,
        and merging them back cost more than writing them (bench/bench_store.py: about a fifth
        of the index's import time); queries are no slower. A setting stored in the table's
        ``paper_fts_config``, so it is written once; an SQLite without the option keeps its
        default.
        """
        row = await c.one("SELECT v FROM paper_fts_config WHERE k = 'hashsize'")
        if row is not None and row[0] == FTS_HASH_BYTES:
            return
        try:
            await c.execute(
                "INSERT INTO paper_fts(paper_fts, rank) VALUES ('hashsize', ?)", (FTS_HASH_BYTES,)
            )
        except sqlite3.OperationalError as exc:
            log.info("%s: FTS5 keeps its default hash size (%s)", self.path, exc)

    async def _migrate(self, c: Conn, migration: Migration) -> None:
        if int((await c.one("PRAGMA user_version"))[0]) >= migration.number:  # done meanwhile
            return
        for statement in migration.statements:
            await c.execute(statement)
        await c.execute(f"PRAGMA user_version = {int(migration.number)}")
        log.info("%s: applied schema migration %s", self.path, migration.name)

    async def schema_version(self) -> int:
        """The ``PRAGMA user_version`` of the database (number of applied migrations)."""
        return int((await self._one("PRAGMA user_version"))[0])

    async def close(self) -> None:
        """Close the connection (checkpointing the WAL). Safe to call twice."""
        if self._closed:
            return
        try:
            await self._change("PRAGMA optimize")
        except Exception:  # pragma: no cover - best effort
            log.debug("PRAGMA optimize failed", exc_info=True)
        self._closed = True
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        await self._db.close()


if TYPE_CHECKING:  # the backend implements every port (checked by mypy)
    from storage import ports

    _implements: type[ports.Store] = Store
