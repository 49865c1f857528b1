"""Schema migrations: numbered ``.sql`` files, each applied in one transaction with its record.

``storage/postgres/migrations/NNNN_name.sql`` is migration ``NNNN`` (1, 2, ... without gaps),
read as package data and sent as one script (PostgreSQL runs a multi-statement script whole,
function bodies and all). :func:`migrate` applies every migration newer than the database's
version, each in its own transaction together with its row in ``schema_migrations``, so a
migration is applied whole with its record or not at all. Two processes starting at once take
turns on a transaction-level advisory lock (:data:`MIGRATION_LOCK`) and the second finds the
work done. Never edit a released migration: add a new file.
"""

from __future__ import annotations

import functools
import logging
import re
from importlib import resources
from typing import NamedTuple

from storage.errors import SchemaTooNew
from storage.postgres.connection import Connection

log = logging.getLogger(__name__)

#: The advisory lock key migrations take (any constant unlikely to clash: "papersbt" in ASCII).
MIGRATION_LOCK = 0x7061706572736274

_FILE_RE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

_BOOTSTRAP = """
    CREATE TABLE IF NOT EXISTS schema_migrations (
        version    integer PRIMARY KEY,
        name       text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
    )"""
_VERSION = "SELECT coalesce(max(version), 0) FROM schema_migrations"


class Migration(NamedTuple):
    """One numbered migration: its file name and its SQL script."""

    number: int
    name: str
    script: str


@functools.cache
def migrations() -> tuple[Migration, ...]:
    """Every migration shipped with the program, by number (1, 2, ... without gaps)."""
    folder = resources.files(__package__ or "storage.postgres").joinpath("migrations")
    found = [
        Migration(int(match[1]), entry.name, entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if (match := _FILE_RE.match(entry.name))
    ]
    found.sort()
    numbers = [m.number for m in found]
    if numbers != list(range(1, len(found) + 1)):
        raise ValueError(f"migration numbers must run 1..n without gaps: {numbers}")
    return tuple(found)


#: The schema version this program writes: the number of the last migration.
SCHEMA_VERSION = len(migrations())


async def schema_version(con: Connection) -> int:
    """The database's version: its newest applied migration (0 for a new database)."""
    if await con.fetchval("SELECT to_regclass('schema_migrations')") is None:
        return 0
    return int(await con.fetchval(_VERSION))


async def migrate(con: Connection, where: str) -> None:
    """Bring the database up to :data:`SCHEMA_VERSION`; :class:`SchemaTooNew` (before writing
    anything) when a newer papers-bot wrote it."""
    found = await schema_version(con)
    if found > SCHEMA_VERSION:
        raise SchemaTooNew(where, found, SCHEMA_VERSION)
    if found == SCHEMA_VERSION:
        return
    for migration in migrations()[found:]:
        async with con.transaction():
            await con.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
            await con.execute(_BOOTSTRAP)
            now = int(await con.fetchval(_VERSION))
            if now > SCHEMA_VERSION:  # a newer program migrated meanwhile
                raise SchemaTooNew(where, now, SCHEMA_VERSION)
            if now >= migration.number:  # another process applied it meanwhile
                continue
            await con.execute(migration.script)
            await con.execute(
                "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                migration.number,
                migration.name,
            )
        log.info("%s: applied schema migration %s", where, migration.name)
