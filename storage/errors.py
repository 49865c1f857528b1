"""Typed failures of the storage layer: fields, never sentences.

The presentation layers (``bot/discord_ui``, ``bot/console``, ``bot/cli``) turn these into words
in the reader's language; ``str()`` of each is a short technical form for logs only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.models import Alert


class StorageError(Exception):
    """Base of every failure the storage layer raises on purpose."""


class AlertError(StorageError, ValueError):
    """An alert could not be added."""


class EmptyAlertQuery(AlertError):
    """The alert's keywords or name normalise to nothing."""

    def __init__(self) -> None:
        super().__init__("empty alert query")


class AlertExists(AlertError):
    """The user already has this alert (``existing``)."""

    def __init__(self, existing: Alert) -> None:
        super().__init__(f"alert exists: #{existing.id}")
        self.existing = existing


class AlertLimitReached(AlertError):
    """The user has ``limit`` alerts already."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"alert limit reached: {limit}")
        self.limit = limit


class ReadingListError(StorageError, ValueError):
    """A paper could not be saved to a reading list."""


class UnknownPaper(ReadingListError):
    """No stored paper has the arXiv id ``arxiv_id``."""

    def __init__(self, arxiv_id: str) -> None:
        super().__init__(f"unknown paper: {arxiv_id}")
        self.arxiv_id = arxiv_id


class SavedLimitReached(ReadingListError):
    """The user's reading list holds ``limit`` papers already."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"reading list limit reached: {limit}")
        self.limit = limit


class DatabaseProblem(StorageError):
    """The database cannot be used by this program (``where`` is its path or URL)."""

    def __init__(self, where: str, detail: str) -> None:
        super().__init__(f"{where}: {detail}")
        self.where = where


class StoreClosed(DatabaseProblem):
    """The store was used after :meth:`close`."""

    def __init__(self, where: str) -> None:
        super().__init__(where, "closed")


class NotADatabase(DatabaseProblem):
    """The file is not a database of this engine (random bytes, a corrupt header)."""


class SchemaTooNew(DatabaseProblem):
    """The database was written by a newer papers-bot (schema ``found`` > ``supported``)."""

    def __init__(self, where: str, found: int, supported: int) -> None:
        super().__init__(where, f"schema version {found} > {supported}")
        self.found = found
        self.supported = supported


class EngineTooOld(DatabaseProblem):
    """The database engine (SQLite library) is older than the SQL needs."""

    def __init__(self, where: str, engine: str, found: str, needed: str) -> None:
        super().__init__(where, f"{engine} {found} < {needed}")
        self.engine = engine
        self.found = found
        self.needed = needed


class Unavailable(DatabaseProblem):
    """The database server cannot be reached right now (down, restarting, connection dropped).

    Worth trying again in a moment: the store reconnects by itself.
    """

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(where, f"unavailable: {reason}")
        self.reason = reason


class AccessDenied(DatabaseProblem):
    """The server refused us: wrong password or user, no such database, no permission."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(where, f"access denied: {reason}")
        self.reason = reason
