"""The backend-neutral form of a database's rows, for copying one database into another
(``papers-bot migrate``) and checking that both hold the same.

Each table of :data:`TABLES` is a list of rows, one tuple per row with the values of
:data:`COLUMNS` in order. Surrogate ids never appear: a row names a paper by its ``arxiv_id``,
an author by its ``norm_key``, an alert by ``(user_id, kind, match_key)``. Values are plain
Python: ``int``, ``str``, ``bool``, ``None``, ``datetime.date``, timezone-aware
``datetime.datetime`` (UTC, to the second), and tuples of those (a paper's summary and a
generated summary's ``bullets`` are ``(label, text)`` pairs; an alert's ``backlog`` is the
``(arxiv_id, date)`` appearances imported after the alert last looked, sorted). Both backends
export the same rows for the same data.

Papers, their days, authors and digest days are written through
:meth:`storage.ports.ImportStore.import_digests` (they are derived together); the tables of
:data:`IMPORTABLE` then through :meth:`storage.ports.TransferStore.import_rows` (the digest days
again, for the source file and moment of their import).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable
from typing import Any, Final

#: One row: the values of its table's columns, in order.
Row = tuple[Any, ...]
#: Per column, how a backend's value becomes its neutral value (or the reverse); ``None``
#: keeps it as it is.
Converters = tuple[Callable[[Any], Any] | None, ...]

#: Each table's columns, in copy order.
COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "digests": ("date", "paper_count", "source", "imported_at"),
    "papers": (
        "arxiv_id",
        "title",
        "url",
        "authors_truncated",
        "media_kind",
        "media_url",
        "summary",
        "votes",
        "best_votes",
        "first_date",
        "last_date",
        "ai_summary",
        "keywords",
        "github_repo",
        "github_stars",
        "project_page",
        "author_names",
        "organization",
        "comments",
    ),
    "appearances": ("arxiv_id", "date", "position", "votes"),
    "authors": ("norm_key", "name", "paper_count"),
    "paper_authors": ("arxiv_id", "position", "norm_key"),
    "guild_digests": (
        "guild_id",
        "channel_id",
        "post_time",
        "timezone",
        "count",
        "enabled",
        "updated_at",
        "last_error",
        "last_error_at",
        "language",
        "guild_locale",
    ),
    "digest_runs": ("guild_id", "slot", "outcome", "digest_date", "detail", "at"),
    "digest_posts": (
        "guild_id",
        "digest_date",
        "channel_id",
        "message_ids",
        "slot",
        "posted_at",
        "refreshed_at",
    ),
    "alerts": (
        "user_id",
        "kind",
        "query",
        "match_key",
        "created_at",
        "paused_at",
        "pause_noticed",
        "language",
        "backlog",
    ),
    "alert_deliveries": ("user_id", "kind", "match_key", "arxiv_id", "sent_at"),
    "watched_files": ("path", "mtime_ns", "size", "sha256", "imported_at"),
    "summaries": (
        "arxiv_id",
        "state",
        "attempts",
        "claimed_at",
        "bullets",
        "model",
        "created_at",
        "error",
    ),
    "vote_history": ("arxiv_id", "at", "votes"),
    "saved_papers": ("user_id", "arxiv_id", "saved_at"),
}
#: Every table, in copy order.
TABLES: Final = tuple(COLUMNS)
#: The tables written with ``import_rows`` (the others come with the papers; a digest day's
#: ``paper_count`` too, the rest of its row is written over what the papers' import set).
IMPORTABLE: Final = (
    "digests",
    "guild_digests",
    "digest_runs",
    "digest_posts",
    "alerts",
    "alert_deliveries",
    "watched_files",
    "summaries",
    "vote_history",
    "saved_papers",
)


class UnknownTable(ValueError):
    """A table name that :data:`COLUMNS` (or, to write, :data:`IMPORTABLE`) does not hold."""


def check_table(table: str, *, importable: bool = False) -> None:
    """Raise :class:`UnknownTable` unless ``table`` can be exported (or imported)."""
    if table not in (IMPORTABLE if importable else COLUMNS):
        raise UnknownTable(table)


def _plain(value: Any) -> Any:
    """``value`` as JSON can hold it: dates and moments as ISO text (moments in UTC)."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def canonical(row: Row) -> str:
    """One row as canonical text: equal rows, equal text, whichever backend read them."""
    return json.dumps(_plain(row), ensure_ascii=False, separators=(",", ":"))


def checksum(rows: Iterable[Row]) -> str:
    """The SHA-256 of a table's rows in canonical form, in sorted order (hex)."""
    digest = hashlib.sha256()
    for text in sorted(canonical(row) for row in rows):
        digest.update(text.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def convert(row: Iterable[Any], converters: Converters) -> Row:
    """``row`` with each non-null value passed through its column's converter."""
    return tuple(
        value if change is None or value is None else change(value)
        for value, change in zip(row, converters, strict=True)
    )


def summary_pairs(text: str) -> tuple[tuple[str | None, str], ...]:
    """A summary's ``(label, text)`` bullets from their stored JSON ``[[label, text], ...]``."""
    return tuple((label, body) for label, body in json.loads(text))


def bullets_json(bullets: tuple[tuple[str | None, str], ...]) -> str:
    """The stored JSON of ``(label, text)`` bullets (the reverse of :func:`summary_pairs`)."""
    return json.dumps([[label, body] for label, body in bullets], ensure_ascii=False)


def backlog_pairs(text: str) -> tuple[tuple[str, dt.date], ...]:
    """An alert's backlog as the export queries give it: ``[[arxiv_id, "YYYY-MM-DD"], ...]``."""
    return tuple(sorted((a, dt.date.fromisoformat(day)) for a, day in json.loads(text)))


def backlog_json(backlog: tuple[tuple[str, dt.date], ...]) -> str:
    """An alert's backlog as the import queries read it (the reverse of :func:`backlog_pairs`)."""
    return json.dumps([[arxiv_id, day.isoformat()] for arxiv_id, day in backlog])
