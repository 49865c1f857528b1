"""Helpers for the tests that run on every storage backend (``from backends import ...``)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import sqlite3
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar
from urllib.parse import urlsplit

import asyncpg
from harness.postgres import Cluster

from storage.backends import is_postgres

T = TypeVar("T")
#: The migrated, empty database new PostgreSQL test databases are copied from.
PG_TEMPLATE = "papers_template"

_numbers = itertools.count(1)

#: What a write that breaks a constraint raises, on either backend.
INTEGRITY_ERRORS = (sqlite3.IntegrityError, asyncpg.IntegrityConstraintViolationError)

#: ``await new_database()``: where a new, empty database of the test's backend is.
NewDatabase = Callable[[], Awaitable[str]]
#: ``await raw(sql)``: the rows of one plain SQL statement, read beside the store.
Raw = Callable[[str], Awaitable[list[tuple[Any, ...]]]]


async def raw_rows(database: str, sql: str) -> list[tuple[Any, ...]]:
    """The rows of one SQL statement on ``database`` (a file or URL), over a connection of its
    own: for checks of stored rows that no port exposes."""
    if is_postgres(database):
        con = await asyncpg.connect(database)
        try:
            return [tuple(r) for r in await con.fetch(sql)]
        finally:
            await con.close()
    with sqlite3.connect(database) as conn:
        return conn.execute(sql).fetchall()


def run_apart(work: Coroutine[Any, Any, T]) -> T:
    """Run ``work`` to the end on an event loop of its own, in a thread: session fixtures are
    first asked for from inside a test's running loop."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work).result()


async def clone_database(cluster: Cluster, template: str = PG_TEMPLATE) -> str:
    """A new database copied from ``template``; its URL."""
    name = f"t_{next(_numbers)}"
    admin = await asyncpg.connect(cluster.dsn)
    try:
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY")
    finally:
        await admin.close()
    return cluster.database_dsn(name)


async def drop_database(cluster: Cluster, url: str) -> None:
    """Drop the database at ``url`` (made by :func:`clone_database`), connections and all."""
    name = urlsplit(url).path.lstrip("/")
    admin = await asyncpg.connect(cluster.dsn)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()
