"""SQLite backend: the fast import path (parsing in worker processes, index rows written by the
store, batched)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from storage.ingest import importer
from storage.ingest.parser import parse_digest
from storage.models import ProblemCode
from storage.sqlite.migrations import fts_summary, fts_title
from storage.sqlite.store import Store

_TABLES = {
    "papers": "SELECT id, arxiv_id, title, url, authors_truncated, media_kind, media_url, "
    "summary, content_date, votes, best_votes, first_date, last_date FROM papers ORDER BY id",
    "appearances": "SELECT * FROM appearances ORDER BY paper_id, date",
    "authors": "SELECT * FROM authors ORDER BY id",
    "author_terms": "SELECT * FROM author_terms ORDER BY term, author_id",
    "paper_authors": "SELECT * FROM paper_authors ORDER BY paper_id, position",
    "digests": "SELECT date, source, paper_count FROM digests ORDER BY date",
    "import_feed": "SELECT paper_id, date FROM import_feed ORDER BY seq",
}
_TOKENIZE = "unicode61 remove_diacritics 2"


def _index(db: sqlite3.Connection, table: str) -> list[tuple[object, ...]]:
    """Every (term, rowid, column, offset) of a contentless FTS5 table, sorted."""
    db.execute(f"CREATE VIRTUAL TABLE temp.v_{table} USING fts5vocab(main, {table}, instance)")
    return sorted(db.execute(f"SELECT term, doc, col, offset FROM temp.v_{table}").fetchall())


def _dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    db = sqlite3.connect(path)
    try:
        dump = {name: db.execute(sql).fetchall() for name, sql in _TABLES.items()}
        dump["paper_fts"] = _index(db, "paper_fts")
        return dump
    finally:
        db.close()


def _trigger_index(path: Path) -> list[tuple[object, ...]]:
    """The index the old per-row trigger would build over the stored papers (SQL functions)."""
    db = sqlite3.connect(path)
    try:
        db.execute(
            "CREATE VIRTUAL TABLE ref USING fts5(title, summary, content='', "
            f"tokenize='{_TOKENIZE}')"
        )
        rows = db.execute("SELECT id, title, summary FROM papers").fetchall()
        db.executemany(
            "INSERT INTO ref(rowid, title, summary) VALUES (?, ?, ?)",
            [(pid, fts_title(title), fts_summary(summary)) for pid, title, summary in rows],
        )
        return _index(db, "ref")
    finally:
        db.close()


async def _import_one_by_one(path: Path, files: list[Path]) -> None:
    """The plain path: each file parsed here and imported on its own (no batch, no pool)."""
    store = await Store.open(path)
    try:
        for file in files:
            await store.import_digest(parse_digest(file.read_text(encoding="utf-8"), str(file)))
    finally:
        await store.close()


async def _import_with_pool(path: Path, files: list[Path]) -> importer.ImportSummary:
    store = await Store.open(path)
    try:
        return await importer.import_files(store, files)
    finally:
        await store.close()


@pytest.fixture
def force_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any import of two files or more goes through the worker processes."""
    monkeypatch.setattr(importer, "POOL_MIN_FILES", 2)


async def test_pool_import_equals_plain_import(
    tmp_path: Path,
    sample_paths: list[Path],
    force_pool: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Importing the samples through the worker pool stores what file-by-file import stores."""
    await _import_one_by_one(tmp_path / "plain.db", sample_paths)
    summary = await _import_with_pool(tmp_path / "pool.db", sample_paths)
    assert summary.new_papers > 0
    assert "parser worker stopped" not in caplog.text  # the pool really did the parsing
    plain, pooled = _dump(tmp_path / "plain.db"), _dump(tmp_path / "pool.db")
    for name in plain:
        assert pooled[name] == plain[name], name


async def test_index_equals_trigger_index(
    tmp_path: Path, sample_paths: list[Path], force_pool: None
) -> None:
    """The index rows written from precomputed forms are those the SQL functions give."""
    await _import_with_pool(tmp_path / "pool.db", sample_paths)
    index = _dump(tmp_path / "pool.db")["paper_fts"]
    assert index
    assert index == _trigger_index(tmp_path / "pool.db")


async def test_plain_import_index_equals_trigger_index(
    tmp_path: Path, sample_paths: list[Path]
) -> None:
    """Outside a batch, with forms computed in-process, the index is the trigger's index too."""
    await _import_one_by_one(tmp_path / "plain.db", sample_paths)
    assert _dump(tmp_path / "plain.db")["paper_fts"] == _trigger_index(tmp_path / "plain.db")


async def test_pool_import_search_results_unchanged(
    tmp_path: Path, sample_paths: list[Path], force_pool: None
) -> None:
    """Searches over a pool-imported store return what they return after a plain import."""
    await _import_one_by_one(tmp_path / "plain.db", sample_paths)
    await _import_with_pool(tmp_path / "pool.db", sample_paths)
    queries = ["model", "모델", "데이터셋", "diffusion 모델", '"language models"', "강화학습"]
    async with await Store.open(tmp_path / "plain.db") as plain:
        async with await Store.open(tmp_path / "pool.db") as pooled:
            for query in queries:
                want = await plain.search(query, limit=50)
                got = await pooled.search(query, limit=50)
                assert [h.paper.arxiv_id for h in got.items] == [
                    h.paper.arxiv_id for h in want.items
                ], query
                assert got.total == want.total, query


async def test_pool_import_reports_bad_files(tmp_path: Path, force_pool: None) -> None:
    """Unreadable, non-UTF-8 and non-digest files fail alone in the pool, with their problem."""
    good = tmp_path / "2024-01-02.md"
    good.write_text(
        "## Daily Papers (2024-01-02)\n\n### [Quokka nets](https://arxiv.org/abs/2401.00001)\n",
        encoding="utf-8",
    )
    binary = tmp_path / "bad.md"
    binary.write_bytes(b"## Daily Papers (2024-01-03)\n\xff\n")
    notes = tmp_path / "notes.md"
    notes.write_text("just some notes\n", encoding="utf-8")
    gone = tmp_path / "gone.md"
    summary = await _import_with_pool(tmp_path / "s.db", [good, binary, notes, gone])
    assert [f.ok for f in summary.files] == [True, False, False, False]
    errors = [f.error for f in summary.files if f.error is not None]
    assert errors[0].line == 2 and errors[0].code is ProblemCode.NOT_UTF8
    assert errors[1].code is ProblemCode.NO_DIGEST_HEADER
    assert errors[2].code is ProblemCode.CANNOT_READ
    async with await Store.open(tmp_path / "s.db") as store:
        assert (await store.search("quokka")).total == 1


def _digest(day: str, title: str) -> str:
    return f"## Daily Papers ({day})\n\n### [{title}](https://arxiv.org/abs/2401.00001)\n"


async def test_batch_reimport_replaces_pending_index_row(tmp_path: Path) -> None:
    """A paper inserted and then retitled in the same batch is indexed under its new title only."""
    old = tmp_path / "2024-01-02.md"
    old.write_text(_digest("2024-01-02", "Quokka networks"), encoding="utf-8")
    new = tmp_path / "2024-01-03.md"
    new.write_text(_digest("2024-01-03", "Wombat networks"), encoding="utf-8")
    async with await Store.open(tmp_path / "s.db") as store:
        await importer.import_files(store, [old, new])
        assert (await store.search("quokka")).total == 0
        assert (await store.search("wombat")).total == 1
    assert _dump(tmp_path / "s.db")["paper_fts"] == _trigger_index(tmp_path / "s.db")


async def test_batch_rollback_drops_pending_index_rows(tmp_path: Path) -> None:
    """When a batch rolls back, the index rows it held back are not written by a later batch."""
    path = tmp_path / "s.db"
    async with await Store.open(path) as store:
        with pytest.raises(RuntimeError):
            async with store.batch():
                await store.import_digest(parse_digest(_digest("2024-01-02", "Quokka"), "a"))
                raise RuntimeError("stop")
        async with store.batch():
            await store.import_digest(parse_digest(_digest("2024-01-03", "Wombat"), "b"))
        assert (await store.search("quokka")).total == 0
        assert (await store.search("wombat")).total == 1
    assert _dump(path)["paper_fts"] == _trigger_index(path)


async def test_migration_5_drops_only_the_insert_trigger(tmp_path: Path) -> None:
    """A version-4 database loses the per-row insert trigger and keeps update/delete triggers."""
    from storage.sqlite.migrations import SCHEMA_VERSION, migrations

    path = tmp_path / "s.db"
    db = sqlite3.connect(path, isolation_level=None)
    for statement in (s for migration in migrations()[:4] for s in migration.statements):
        db.execute(statement)
    db.execute("PRAGMA user_version = 4")
    db.close()
    async with await Store.open(path) as store:
        assert await store.schema_version() == SCHEMA_VERSION
        await store.import_digest(parse_digest(_digest("2024-01-02", "Quokka"), "a"))
        assert (await store.search("quokka")).total == 1
    db = sqlite3.connect(path)
    triggers = {
        name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    }
    db.close()
    assert {"papers_fts_ad", "papers_fts_au"} <= triggers
    assert "papers_fts_ai" not in triggers
    assert _dump(path)["paper_fts"] == _trigger_index(path)
