"""SQLite backend: the numbered ``.sql`` migrations, how they are split and applied."""

from __future__ import annotations

import re
import runpy
import sqlite3
from importlib import resources
from pathlib import Path

import pytest

from storage.sqlite import migrations as migrations_module
from storage.sqlite.migrations import (
    FTS_SUMMARY_FUNCTION,
    FTS_SUMMARY_KEYWORDS_FUNCTION,
    FTS_TITLE_FUNCTION,
    SCHEMA_VERSION,
    Migration,
    fts_summary,
    fts_title,
    migrations,
    split_statements,
)
from storage.sqlite.store import Store

LEGACY: tuple[tuple[str, ...], ...] = runpy.run_path(
    str(Path(__file__).with_name("legacy_migrations.py"))
)["LEGACY_MIGRATIONS"]


def schema(path: Path) -> list[tuple[str, str, str, str | None]]:
    """Every object of ``sqlite_master`` (type, name, table, SQL text), in a stable order; the
    statistics tables ``PRAGMA optimize`` may add at close are not schema."""
    with sqlite3.connect(path) as db:
        return db.execute(
            """SELECT type, name, tbl_name, sql FROM sqlite_master
               WHERE name NOT LIKE 'sqlite_stat%' ORDER BY type, name"""
        ).fetchall()


def legacy_database(path: Path, upto: int = 6) -> None:
    """A database built the way the program did before the ``.sql`` files: the old tuple, each
    migration in its own transaction with its ``user_version``."""
    db = sqlite3.connect(path, isolation_level=None)
    for number, statements in enumerate(LEGACY[:upto], start=1):
        db.execute("BEGIN IMMEDIATE")
        for statement in statements:
            db.execute(statement)
        db.execute(f"PRAGMA user_version = {number}")
        db.execute("COMMIT")
    db.close()


def file_database(path: Path, upto: int = 6) -> None:
    """The same, from the statements of the ``.sql`` files."""
    db = sqlite3.connect(path, isolation_level=None)
    for migration in migrations()[:upto]:
        db.execute("BEGIN IMMEDIATE")
        for statement in migration.statements:
            db.execute(statement)
        db.execute(f"PRAGMA user_version = {migration.number}")
        db.execute("COMMIT")
    db.close()


def test_files_give_the_schema_of_the_old_tuple(tmp_path: Path) -> None:
    """Migrations 1-6 from the files create exactly the objects (and SQL text) the old tuple
    created, so databases made by earlier versions and new ones stay identical."""
    legacy_database(tmp_path / "legacy.db")
    file_database(tmp_path / "files.db")
    assert schema(tmp_path / "files.db") == schema(tmp_path / "legacy.db")
    assert [len(m.statements) for m in migrations()[:6]] == [len(st) for st in LEGACY]


async def test_existing_version_6_database_opens_like_a_new_one(tmp_path: Path) -> None:
    """A database at version 6 made by the old code opens, and ends with the same schema as a
    database created from scratch today."""
    legacy_database(tmp_path / "old.db")
    async with await Store.open(tmp_path / "old.db") as store:
        assert await store.schema_version() == SCHEMA_VERSION
    async with await Store.open(tmp_path / "new.db"):
        pass
    assert schema(tmp_path / "old.db") == schema(tmp_path / "new.db")


def test_migrations_are_numbered_files_without_gaps() -> None:
    """Every file of ``storage/sqlite/migrations`` is a migration, numbered 1..n, read as package
    data, and the schema version is the last number."""
    folder = resources.files("storage.sqlite").joinpath("migrations")
    names = sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".sql"))
    assert [m.name for m in migrations()] == names
    assert [m.number for m in migrations()] == list(range(1, len(names) + 1))
    assert SCHEMA_VERSION == len(names) >= 6
    assert all(m.statements for m in migrations())


def test_files_use_the_fts_function_names_registered_in_python() -> None:
    """The triggers call the SQL functions under the names the store registers."""
    text = " ".join(s for m in migrations() for s in m.statements)
    used = set(re.findall(r"\b(papers_fts_\w+)\(", text))
    assert used == {FTS_TITLE_FUNCTION, FTS_SUMMARY_FUNCTION, FTS_SUMMARY_KEYWORDS_FUNCTION}


def test_split_keeps_trigger_bodies_strings_and_comments_whole() -> None:
    """A ``;`` inside a trigger body, a string or a comment does not end a statement."""
    script = """
        -- first; with a semicolon in a comment
        CREATE TABLE t (a TEXT DEFAULT 'x;y');
        CREATE TRIGGER t_ai AFTER INSERT ON t BEGIN
            INSERT INTO t(a) VALUES ('a;b');
            DELETE FROM t WHERE a = ';';
        END;

        INSERT INTO t(a) VALUES ('last');
        -- trailing comment
    """
    statements = split_statements(script)
    assert len(statements) == 3
    assert statements[0].endswith("CREATE TABLE t (a TEXT DEFAULT 'x;y')")
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END")
    assert "DELETE FROM t WHERE a = ';';" in statements[1]
    assert statements[2] == "INSERT INTO t(a) VALUES ('last')"
    db = sqlite3.connect(":memory:")
    for statement in statements:
        db.execute(statement)
    assert db.execute("SELECT a FROM t ORDER BY a").fetchall() == [("a;b",), ("last",)]


def test_split_refuses_an_unfinished_statement() -> None:
    """A statement without its closing ``;`` is an error, not silently dropped."""
    with pytest.raises(ValueError):
        split_statements("CREATE TABLE a (x);\nCREATE TABLE b (y)")
    assert split_statements("-- only a comment\n\n") == ()


async def test_a_failing_migration_leaves_no_trace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A migration is applied whole with its user_version or not at all: when its second
    statement fails, its first is undone and the version stays."""
    path = tmp_path / "papers.db"
    async with await Store.open(path):
        pass
    before = schema(path)
    broken = Migration(
        SCHEMA_VERSION + 1,
        "9999_broken.sql",
        ("CREATE TABLE half_done (x)", "INSERT INTO no_such_table VALUES (1)"),
    )
    monkeypatch.setattr(migrations_module, "migrations", lambda: (*migrations(), broken))
    import storage.sqlite.store as store_module

    monkeypatch.setattr(store_module, "migrations", lambda: (*migrations(), broken))
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
        await Store.open(path)
    assert schema(path) == before
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


async def test_migration_7_stores_sending_as_itself_without_a_sentence(tmp_path: Path) -> None:
    """A version-6 database's in-flight slot (a 'failed' row carrying the day and the English
    "Sending the … digest") becomes 'sending' with no detail; a real failure stays as it was."""
    path = tmp_path / "v6.db"
    legacy_database(path)
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO digest_runs(guild_id, slot, outcome, digest_date, detail, at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (1, "2024-06-13", "failed", "2024-06-13", "Sending the 2024-06-13 digest", "t1"),
                (2, "2024-06-13", "failed", None, "forbidden", "t2"),
                (3, "2024-06-13", "posted", "2024-06-12", None, "t3"),
            ],
        )
    async with await Store.open(path):
        pass
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT guild_id, outcome, digest_date, detail, at FROM digest_runs ORDER BY guild_id"
        ).fetchall()
    assert rows == [
        (1, "sending", "2024-06-13", None, "t1"),
        (2, "failed", None, "forbidden", "t2"),
        (3, "posted", "2024-06-12", None, "t3"),
    ]


async def test_a_slot_being_sent_is_stored_as_sending_with_no_text(tmp_path: Path) -> None:
    """`record_digest_sending` writes the code 'sending' and no detail: no sentence in the DB."""
    import datetime as dt

    path = tmp_path / "s.db"
    day = dt.date(2024, 6, 13)
    async with await Store.open(path) as store:
        await store.record_digest_sending(1, day, day, at=dt.datetime(2024, 6, 13, tzinfo=dt.UTC))
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT outcome, detail FROM digest_runs").fetchall() == [
            ("sending", None)
        ]


async def test_migration_9_indexes_the_keywords_of_stored_papers(tmp_path: Path) -> None:
    """A version-8 database's papers are re-indexed with their keywords: a word found only in a
    stored paper's keywords finds it after the upgrade, and its title still does."""
    path = tmp_path / "v8.db"
    file_database(path, upto=8)
    with sqlite3.connect(path) as db:
        db.execute(
            """INSERT INTO papers(id, arxiv_id, title, url, summary, content_date, first_date,
                                  last_date, keywords)
               VALUES (1, '2603.00001', 'Stored title', 'u', '[[null, "abstract"]]',
                       '2026-03-06', '2026-03-06', '2026-03-06', '["zeppelinology"]')"""
        )
        db.execute(
            "INSERT INTO paper_fts(rowid, title, summary) VALUES (1, ?, ?)",
            (fts_title("Stored title"), fts_summary('[[null, "abstract"]]')),
        )
    async with await Store.open(path) as store:
        assert (await store.search("zeppelinology")).total == 1
        assert (await store.search("stored title")).total == 1
