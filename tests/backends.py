"""Helpers for the tests that run on every storage backend (``from backends import ...``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from storage.backends import is_postgres

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
