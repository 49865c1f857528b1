"""Schema migrations: numbered ``.sql`` files, recorded in ``PRAGMA user_version``.

``storage/sqlite/migrations/NNNN_name.sql`` is migration ``NNNN`` (1, 2, ... without gaps): SQL
statements separated by ``;`` (a trigger's body keeps its own, see :func:`split_statements`),
read as package data. :meth:`storage.sqlite.store.Store.open` applies every migration newer than
the database's ``user_version``, each in its own ``BEGIN IMMEDIATE`` transaction together with
the new ``user_version`` (SQLite keeps the header field transactional), so a migration is applied
whole with its record or not at all. Never edit a released migration: add a new file.

Full-text index
---------------
``paper_fts`` is a *contentless* FTS5 table (``content=''``) holding the index form of each
paper's title and summary bullets (see :mod:`storage.text`: Hangul runs become character
bigrams). The triggers on ``papers`` compute that form with two deterministic SQL functions that
:class:`~storage.sqlite.store.Store` registers on its connection (``papers_fts_title_v1`` and
``papers_fts_summary_v1``: :func:`fts_title` and :func:`fts_summary`), so the index can never
drift from the rows. The update trigger fires only when the title or summary really changed;
deletes hand FTS5 the same computed values, which is what a contentless table needs. Since
migration 5 the index rows of *new* papers are written by :mod:`storage.sqlite.importing` itself
from forms computed in Python (:func:`storage.prepare.fts_forms`, the same text the
functions give), so the per-row call back into Python no longer holds up the insert.
Consequences: updating or deleting ``papers`` from a connection without those functions (e.g.
the ``sqlite3`` shell) fails loudly instead of corrupting the index, and papers inserted elsewhere
than ``import_digest`` are not indexed; reading works everywhere. If the index form ever
changes, add functions with a new suffix and a migration that runs
``INSERT INTO paper_fts(paper_fts) VALUES('delete-all')`` and re-inserts every paper, as
migration 10 did when the keywords joined the summary column (``papers_fts_summary_v2``).

Author keys
-----------
Authors, their prefix terms and author alerts are keyed by :func:`storage.text.name_key`. When
the key changes, a migration keys them again with SQL functions the store registers under a new
suffix (migration 9: ``papers_name_key_v2`` and ``papers_name_terms_v2``, :func:`name_key` and
:func:`name_terms`), merging the rows whose keys now meet, in the migration's transaction.
"""

from __future__ import annotations

import functools
import json
import re
import sqlite3
from importlib import resources
from typing import NamedTuple

from storage import text as textsearch
from storage.prepare import summary_and_keywords

FTS_TITLE_FUNCTION = "papers_fts_title_v1"
FTS_SUMMARY_FUNCTION = "papers_fts_summary_v1"
NAME_KEY_FUNCTION = "papers_name_key_v2"
NAME_TERMS_FUNCTION = "papers_name_terms_v2"
#: Since migration 10 the summary column also holds the keywords (``summary``, ``keywords``).
FTS_SUMMARY_KEYWORDS_FUNCTION = "papers_fts_summary_v2"


def summary_text(summary_json: str | None) -> str:
    """The searchable text of a stored summary: bullet texts only (labels are not content)."""
    if not summary_json:
        return ""
    try:
        bullets = json.loads(summary_json)
        return "\n".join(str(b[1]) for b in bullets)
    except (ValueError, TypeError, IndexError, KeyError):
        return ""


def fts_title(title: str | None) -> str:
    """``papers_fts_title_v1``: the index form of a stored title."""
    return textsearch.index_form(title)


def fts_summary(summary_json: str | None) -> str:
    """``papers_fts_summary_v1``: the index form of a stored summary's bullet texts."""
    return textsearch.index_form(summary_text(summary_json))


def name_key(name: str | None) -> str:
    """``papers_name_key_v2``: :func:`storage.text.name_key`, for migration 9's re-keying."""
    return textsearch.name_key(name or "")


def name_terms(key: str | None) -> str:
    """``papers_name_terms_v2``: :func:`storage.text.name_terms` of a key, as a JSON array."""
    return json.dumps(textsearch.name_terms(key or ""), ensure_ascii=False)


def fts_summary_keywords(summary_json: str | None, keywords_json: str | None) -> str:
    """``papers_fts_summary_v2``: the index form of a stored summary's bullet texts and its
    keywords (:func:`storage.prepare.summary_and_keywords`)."""
    try:
        keywords = [str(k) for k in json.loads(keywords_json)] if keywords_json else []
    except (ValueError, TypeError):
        keywords = []
    text = summary_text(summary_json)
    return textsearch.index_form(summary_and_keywords([text] if text else [], keywords))


class Migration(NamedTuple):
    """One numbered migration: its file name and its statements, in order."""

    number: int
    name: str
    statements: tuple[str, ...]


_FILE_RE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def split_statements(script: str) -> tuple[str, ...]:
    """The statements of an SQL script, each without its closing ``;``.

    A statement ends at the ``;`` that makes it complete for SQLite
    (:func:`sqlite3.complete_statement`), so the ``;`` inside a trigger's ``BEGIN ... END``, a
    string or a comment does not split it.
    Comment lines before a statement stay with it; text after the last statement must be
    comments or blank, else :class:`ValueError`.
    """
    statements: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statement = pending.strip()
            statements.append(statement.removesuffix(";").rstrip())
            pending = ""
    leftover = "\n".join(
        line for line in pending.splitlines() if line.strip() and not line.lstrip().startswith("--")
    )
    if leftover:
        raise ValueError(f"incomplete SQL statement at the end: {leftover[:60]!r}")
    return tuple(statements)


@functools.cache
def migrations() -> tuple[Migration, ...]:
    """Every migration shipped with the program, by number (1, 2, ... without gaps)."""
    folder = resources.files(__package__ or "storage.sqlite").joinpath("migrations")
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _FILE_RE.match(entry.name)
        if match:
            text = entry.read_text(encoding="utf-8")
            found.append(Migration(int(match[1]), entry.name, split_statements(text)))
    found.sort()
    numbers = [m.number for m in found]
    if numbers != list(range(1, len(found) + 1)):
        raise ValueError(f"migration numbers must run 1..n without gaps: {numbers}")
    return tuple(found)


#: The schema version this program writes: the number of the last migration.
SCHEMA_VERSION = len(migrations())
