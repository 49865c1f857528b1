"""The SQLite backend of :mod:`storage.ports` (see :mod:`storage.sqlite.store`)."""

from storage.sqlite.store import Store

__all__ = ["Store"]
