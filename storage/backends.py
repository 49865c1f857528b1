"""Choosing and opening a storage backend: the one place that knows which backends exist.

Only the program's entry points (``bot/cli.py``, ``bot/discord_ui/client.py``'s ``run``/``sync``)
call this; everything else receives an open :class:`storage.ports.Store`.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.ports import Store

#: URL schemes that choose the PostgreSQL backend.
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
#: Connections a PostgreSQL store keeps at most unless told otherwise.
DEFAULT_POOL_SIZE = 10


def is_postgres(database: str | os.PathLike[str]) -> bool:
    """True when ``database`` is a PostgreSQL URL rather than an SQLite file."""
    return isinstance(database, str) and database.lower().startswith(POSTGRES_SCHEMES)


async def open_store(
    database: str | os.PathLike[str], *, pool_size: int = DEFAULT_POOL_SIZE
) -> Store:
    """Open (creating and migrating if needed) the database at ``database``: a
    ``postgresql://`` URL (PostgreSQL, with a pool of up to ``pool_size`` connections; needs the
    ``postgres`` extra) or else an SQLite file."""
    if is_postgres(database):
        from storage.postgres.store import Store as PostgresStore

        return await PostgresStore.open(str(database), pool_size=pool_size)
    from storage.sqlite.store import Store as SqliteStore

    return await SqliteStore.open(database)
