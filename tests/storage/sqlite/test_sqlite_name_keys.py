"""SQLite backend: migration 9 keys authors and author alerts again with today's name_key."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

from storage.sqlite.migrations import NAME_KEY_FUNCTION, NAME_TERMS_FUNCTION, migrations
from storage.sqlite.store import Store

# The keys migrations 1-8 stored (fold only): the letters decomposition leaves alone stay.
OLD_AUTHORS = (
    (1, "Thunø Berg", "thunø berg"),
    (2, "Thuno Berg", "thuno berg"),  # the same person, written in ASCII on another paper
    (3, "Dawid Stypułkowski", "dawid stypułkowski"),
    (4, "Lilja Øvrelid", "lilja øvrelid"),
)
# paper id -> author ids by position; paper 11 lists both spellings of one person.
OLD_LINKS = {10: (1, 3), 11: (1, 4, 2), 12: (2,)}


def version_8_database(path: Path) -> None:
    """A database at schema version 8 holding authors, links and alerts under the old keys."""
    db = sqlite3.connect(path, isolation_level=None)
    for migration in migrations()[:8]:
        db.execute("BEGIN IMMEDIATE")
        for statement in migration.statements:
            db.execute(statement)
        db.execute(f"PRAGMA user_version = {migration.number}")
        db.execute("COMMIT")
    for author_id, name, key in OLD_AUTHORS:
        db.execute("INSERT INTO authors VALUES (?, ?, ?, 0)", (author_id, name, key))
        words = key.split()
        for i in range(len(words)):
            db.execute("INSERT INTO author_terms VALUES (?, ?)", (" ".join(words[i:]), author_id))
    names = {author_id: name for author_id, name, _ in OLD_AUTHORS}
    for paper_id, authors in OLD_LINKS.items():
        db.execute(
            """INSERT INTO papers(id, arxiv_id, title, url, summary, content_date, author_names)
               VALUES (?, ?, 't', 'u', '[]', '2024-06-13', ?)""",
            (paper_id, f"2406.000{paper_id}", json.dumps([names[a] for a in authors])),
        )
        for position, author_id in enumerate(authors, start=1):
            link = (paper_id, position, author_id)
            db.execute("INSERT INTO paper_authors VALUES (?, ?, ?)", link)
    db.execute(
        "UPDATE authors SET paper_count = "
        "(SELECT count(*) FROM paper_authors WHERE author_id = authors.id)"
    )
    for alert_id, key in ((1, "thunø berg"), (2, "thuno berg"), (3, "lilja øvrelid")):
        db.execute(
            """INSERT INTO alerts(id, user_id, kind, query, match_key, created_at, seen_seq)
               VALUES (?, 7, 'author', ?, ?, '2024-06-01T00:00:00+00:00', 0)""",
            (alert_id, key, key),
        )
    db.execute("INSERT INTO alert_deliveries VALUES (2, 12, '2024-06-02T00:00:00+00:00')")
    db.close()


def _rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()


async def _migrated(tmp_path: Path) -> Path:
    path = tmp_path / "old.db"
    version_8_database(path)
    async with await Store.open(path):
        pass
    return path


async def test_authors_get_the_new_keys_and_terms(tmp_path: Path) -> None:
    """Every author's key and prefix terms are today's name_key: ł and ø are spelled l and o."""
    path = await _migrated(tmp_path)
    assert _rows(path, "SELECT id, norm_key FROM authors ORDER BY id") == [
        (1, "thuno berg"),
        (3, "dawid stypulkowski"),
        (4, "lilja ovrelid"),
    ]
    terms = _rows(path, "SELECT term FROM author_terms WHERE author_id = 3 ORDER BY term")
    assert terms == [("dawid stypulkowski",), ("stypulkowski",)]


async def test_authors_whose_keys_meet_become_the_first_one(tmp_path: Path) -> None:
    """Thunø Berg and Thuno Berg are one author (the first stored), linked to all their papers
    once each, with the paper count counted again."""
    path = await _migrated(tmp_path)
    assert _rows(path, "SELECT name, paper_count FROM authors WHERE id = 1") == [("Thunø Berg", 3)]
    links = _rows(path, "SELECT paper_id, position, author_id FROM paper_authors ORDER BY 1, 2")
    assert links == [(10, 1, 1), (10, 2, 3), (11, 1, 1), (11, 2, 4), (12, 1, 1)]


async def test_a_paper_listing_both_spellings_keeps_the_first(tmp_path: Path) -> None:
    """The paper that listed both spellings keeps the first in its author names."""
    path = await _migrated(tmp_path)
    names = _rows(path, "SELECT author_names FROM papers WHERE id = 11")[0][0]
    assert json.loads(str(names)) == ["Thunø Berg", "Lilja Øvrelid"]


async def test_author_alerts_are_keyed_again_and_merged(tmp_path: Path) -> None:
    """A user's alerts on both spellings become the oldest alert, which keeps what the other
    sent, so nothing is sent twice."""
    path = await _migrated(tmp_path)
    assert _rows(path, "SELECT id, match_key FROM alerts ORDER BY id") == [
        (1, "thuno berg"),
        (3, "lilja ovrelid"),
    ]
    assert _rows(path, "SELECT alert_id, paper_id FROM alert_deliveries") == [(1, 12)]


async def test_search_finds_the_migrated_authors_in_ascii(tmp_path: Path) -> None:
    """After the migration, ASCII spellings find the authors by name and by prefix."""
    path = await _migrated(tmp_path)
    async with await Store.open(path) as store:
        assert [a.name for a in await store.find_authors("stypulkowski")] == ["Dawid Stypułkowski"]
        assert [a.name for a in await store.suggest_authors("ovre")] == ["Lilja Øvrelid"]
        assert [a.name for a in await store.find_authors("Thuno Berg")] == ["Thunø Berg"]


def test_migration_uses_the_name_functions_registered_in_python() -> None:
    """Migration 9 calls the SQL functions under the names the store registers."""
    text = " ".join(migrations()[8].statements)
    assert set(re.findall(r"\b(papers_name_\w+)\(", text)) == {
        NAME_KEY_FUNCTION,
        NAME_TERMS_FUNCTION,
    }
