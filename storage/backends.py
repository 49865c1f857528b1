"""Choosing and opening a storage backend: the one place that knows which backends exist.

Only the program's entry points (``bot/cli.py``, ``bot/discord_ui/client.py``'s ``run``/``sync``)
call this; everything else receives an open :class:`storage.ports.Store`.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.ports import Store


async def open_store(database: str | os.PathLike[str]) -> Store:
    """Open (creating and migrating if needed) the database at ``database``: an SQLite file."""
    from storage.sqlite.store import Store as SqliteStore

    return await SqliteStore.open(database)
