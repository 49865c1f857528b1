"""SQLite backend: a transaction that SQLite itself rolls back, or whose COMMIT fails, surfaces
the real error, leaves nothing half-written and leaves the connection usable.

The failures are forced with temporary triggers on the store's own connection: one that runs
``RAISE(ROLLBACK, 'boom')`` (SQLite ends the whole transaction, as on a full disk or an I/O
error), and one that breaks a deferred foreign key, so that ``COMMIT`` fails and the
transaction stays open.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from storage.ingest import importer
from storage.ingest.parser import parse_digest
from storage.models import ParsedDigest
from storage.sqlite.store import Store

BAD = "2401.99999"  # the paper whose insert SQLite rolls back
BAD_COMMIT = "2401.88888"  # the paper whose transaction cannot commit

_TABLES = {
    "papers": "SELECT * FROM papers ORDER BY id",
    "appearances": "SELECT * FROM appearances ORDER BY paper_id, date",
    "authors": "SELECT * FROM authors ORDER BY id",
    "author_terms": "SELECT * FROM author_terms ORDER BY term, author_id",
    "paper_authors": "SELECT * FROM paper_authors ORDER BY paper_id, position",
    "digests": "SELECT date, paper_count FROM digests ORDER BY date",
    "import_feed": "SELECT * FROM import_feed ORDER BY seq",
    "sequence": "SELECT * FROM sqlite_sequence ORDER BY name",
    "fts_sizes": "SELECT * FROM paper_fts_docsize ORDER BY id",
}


def text(day: str, *papers: tuple[str, str, str]) -> str:
    """A digest of ``(arxiv id, title, authors)`` papers."""
    blocks = [
        f"### [{title}](https://arxiv.org/abs/{arxiv})\n\nAuthors: {authors}\nVote: 3\n\n"
        f"- {title} 요약입니다.\n"
        for arxiv, title, authors in papers
    ]
    return f"## Daily Papers ({day})\n\n" + "\n".join(blocks)


GOOD_1 = text(
    "2024-01-01",
    ("2401.00001", "Quokka networks", "Ada Lovelace, Alan Turing"),
    ("2401.00002", "Wombat vision", "Alan Turing, Grace Hopper"),
)
GOOD_2 = text(
    "2024-01-02",
    ("2401.00003", "Platypus speech", "Grace Hopper, Edsger Dijkstra"),
    ("2401.00001", "Quokka networks", "Ada Lovelace, Alan Turing"),
)
GOOD_3 = text("2024-01-04", ("2401.00004", "Koala planning", "Barbara Liskov, Ada Lovelace"))
BAD_DIGEST = text(
    "2024-01-03",
    ("2401.00005", "Echidna agents", "Donald Knuth, Alan Turing"),
    (BAD, "Dingo tricks", "Ken Thompson"),
)
BAD_COMMIT_DIGEST = text(
    "2024-01-03",
    ("2401.00006", "Bilby graphs", "Niklaus Wirth"),
    (BAD_COMMIT, "Emu robots", "Ada Lovelace"),
)


def parsed(source: str, name: str = "x.md") -> ParsedDigest:
    return parse_digest(source, name)


async def arm(store: Store) -> None:
    """Install the failures on the store's connection (temporary objects: not in the file)."""
    await store._db.executescript(
        f"""
        CREATE TEMP TRIGGER boom BEFORE INSERT ON main.papers WHEN new.arxiv_id = '{BAD}'
        BEGIN SELECT RAISE(ROLLBACK, 'boom'); END;
        CREATE TEMP TABLE parent (id INTEGER PRIMARY KEY);
        CREATE TEMP TABLE child (
            parent_id INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED
        );
        CREATE TEMP TRIGGER late AFTER INSERT ON main.papers
        WHEN new.arxiv_id = '{BAD_COMMIT}' BEGIN INSERT INTO child VALUES (42); END;
        """
    )


def dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row the imports write, the full-text index's terms included."""
    db = sqlite3.connect(path)
    try:
        state = {name: db.execute(sql).fetchall() for name, sql in _TABLES.items()}
        db.execute("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, paper_fts, instance)")
        state["fts"] = sorted(db.execute("SELECT term, doc, col, offset FROM vocab").fetchall())
        db.execute("INSERT INTO paper_fts(paper_fts) VALUES ('integrity-check')")
        return state
    finally:
        db.close()


async def clean(path: Path, *sources: str) -> dict[str, list[tuple[object, ...]]]:
    """The state after a clean import of ``sources``, one by one, into a new file."""
    async with await Store.open(path) as store:
        for source in sources:
            await store.import_digest(parsed(source))
    return dump(path)


async def assert_usable(store: Store, path: Path) -> None:
    """No transaction is left open: another connection can write at once, and the store's next
    write commits (another connection sees it)."""
    assert not store._db.in_transaction
    other = sqlite3.connect(path, timeout=0.2, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        await store.import_digest(parsed(text("2024-02-01", ("2402.00001", "Later", "Z Z"))))
        assert other.execute(
            "SELECT count(*) FROM papers WHERE arxiv_id = '2402.00001'"
        ).fetchone() == (1,)
    finally:
        other.close()


async def test_single_import_rolled_back_by_sqlite_raises_the_real_error(tmp_path: Path) -> None:
    """A digest whose transaction SQLite rolls back raises SQLite's error (not a failed
    ROLLBACK), and leaves exactly what was there before."""
    path = tmp_path / "s.db"
    async with await Store.open(path) as store:
        await arm(store)
        await store.import_digest(parsed(GOOD_1))
        with pytest.raises(sqlite3.IntegrityError, match="boom"):
            await store.import_digest(parsed(BAD_DIGEST))
        await store.import_digest(parsed(GOOD_2))
        assert dump(path) == await clean(tmp_path / "ref.db", GOOD_1, GOOD_2)
        await assert_usable(store, path)


async def test_import_digests_goes_on_after_a_file_sqlite_rolled_back(tmp_path: Path) -> None:
    """Outside a batch each file is its own transaction: the bad one's slot holds SQLite's error,
    the good ones before and after are stored exactly as a clean import stores them."""
    path = tmp_path / "s.db"
    async with await Store.open(path) as store:
        await arm(store)
        results = await store.import_digests([parsed(GOOD_1), parsed(BAD_DIGEST), parsed(GOOD_2)])
        assert [type(r).__name__ for r in results] == [
            "ImportResult",
            "IntegrityError",
            "ImportResult",
        ]
        assert "boom" in str(results[1])
        assert dump(path) == await clean(tmp_path / "ref.db", GOOD_1, GOOD_2)
        await assert_usable(store, path)


async def test_batch_rolled_back_by_sqlite_fails_whole_with_the_real_error(
    tmp_path: Path,
) -> None:
    """Inside ``batch()`` a file that makes SQLite roll back ends the whole batch: its files,
    before and after, are neither kept nor committed outside it, and the caller gets SQLite's
    error (not "no such savepoint")."""
    path = tmp_path / "s.db"
    async with await Store.open(path) as store:
        await arm(store)
        await store.import_digest(parsed(GOOD_3))
        with pytest.raises(sqlite3.IntegrityError, match="boom"):
            async with store.batch():
                await store.import_digests([parsed(GOOD_1)])
                await store.import_digests([parsed(GOOD_2), parsed(BAD_DIGEST), parsed(GOOD_1)])
        assert dump(path) == await clean(tmp_path / "ref.db", GOOD_3)
        await assert_usable(store, path)


async def test_batch_body_that_swallows_the_error_still_fails(tmp_path: Path) -> None:
    """A batch whose transaction SQLite ended cannot be used further or committed, even when
    the code inside catches the error: every later call and the batch's end raise it again."""
    path = tmp_path / "s.db"
    async with await Store.open(path) as store:
        await arm(store)
        with pytest.raises(sqlite3.IntegrityError, match="boom"):
            async with store.batch():
                await store.import_digest(parsed(GOOD_1))
                with pytest.raises(sqlite3.IntegrityError, match="boom"):
                    await store.import_digest(parsed(BAD_DIGEST))
                with pytest.raises(sqlite3.IntegrityError, match="boom"):
                    await store.import_digest(parsed(GOOD_2))
        assert dump(path) == await clean(tmp_path / "ref.db")
        await assert_usable(store, path)


async def test_failed_commit_is_rolled_back_and_raised(tmp_path: Path) -> None:
    """When COMMIT itself fails (a deferred constraint), the transaction is rolled back rather
    than left open holding the write lock, and the error is the caller's."""
    path = tmp_path / "s.db"
    async with await Store.open(path) as store:
        await arm(store)
        await store.import_digest(parsed(GOOD_1))
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            await store.import_digest(parsed(BAD_COMMIT_DIGEST))
        await store.import_digest(parsed(GOOD_2))
        assert dump(path) == await clean(tmp_path / "ref.db", GOOD_1, GOOD_2)
        await assert_usable(store, path)


async def test_failed_batch_commit_is_rolled_back_and_raised(tmp_path: Path) -> None:
    """A batch whose COMMIT fails is rolled back whole and raises; the store stays usable."""
    path = tmp_path / "s.db"
    async with await Store.open(path) as store:
        await arm(store)
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            async with store.batch():
                await store.import_digests([parsed(GOOD_1), parsed(BAD_COMMIT_DIGEST)])
        assert dump(path) == await clean(tmp_path / "ref.db")
        await assert_usable(store, path)


def write(folder: Path, *sources: str) -> list[Path]:
    paths = []
    for number, source in enumerate(sources):
        path = folder / f"{number:02d}.md"
        path.write_text(source, encoding="utf-8")
        paths.append(path)
    return paths


async def test_importer_reports_every_file_of_a_lost_batch_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``import_files`` reports each file of a batch SQLite rolled back as failed with the real
    error, the good file before the bad one included (none is silently lost), and imports the
    next batches; a batch whose commit fails is reported the same way."""
    monkeypatch.setattr(importer, "FILES_PER_COMMIT", 2)
    monkeypatch.setattr(importer, "GROUP_FILES", 1)
    paths = write(tmp_path, GOOD_1, GOOD_3, GOOD_2, BAD_DIGEST, BAD_COMMIT_DIGEST)
    path = tmp_path / "s.db"
    async with await Store.open(path) as store:
        await arm(store)
        summary = await importer.import_files(store, paths)
        assert [f.ok for f in summary.files] == [True, True, False, False, False]
        reasons = [" ".join(f.error.values) for f in summary.files if f.error is not None]
        assert "boom" in reasons[0] and "boom" in reasons[1] and "FOREIGN KEY" in reasons[2]
        assert dump(path) == await clean(tmp_path / "ref.db", GOOD_1, GOOD_3)
        await assert_usable(store, path)
