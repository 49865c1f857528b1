"""SQLite-only store behaviour: its pragmas and FTS5 settings, the schema version refusal, the
searches and suggestions on the read pool, and its in-place migrations."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from digests import digest, paper

from storage.errors import SchemaTooNew
from storage.sqlite.migrations import SCHEMA_VERSION
from storage.sqlite.store import Store

D1 = dt.date(2024, 6, 11)
API_FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "hf_daily_papers_sample.json"


def raw(db_path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(sql).fetchall()


async def test_fresh_database_gets_current_schema(store: Store, db_path: Path) -> None:
    """Opening a new file applies every migration and records it in user_version."""
    assert await store.schema_version() == SCHEMA_VERSION
    assert raw(db_path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    tables = {r[0] for r in raw(db_path, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"papers", "authors", "paper_authors", "appearances", "digests", "paper_fts"} <= tables


async def test_connection_pragmas(db_path: Path, store: Store) -> None:
    """The database runs in WAL mode with foreign keys enforced."""
    assert raw(db_path, "PRAGMA journal_mode") == [("wal",)]
    assert list(await store._db.execute_fetchall("PRAGMA foreign_keys")) == [(1,)]


async def test_fts_hash_size_set_once(db_path: Path, store: Store) -> None:
    """The full-text index gathers 8 MB of entries per segment, set on first open and kept."""
    from storage.sqlite.store import FTS_HASH_BYTES

    query = "SELECT v FROM paper_fts_config WHERE k = 'hashsize'"
    assert raw(db_path, query) == [(FTS_HASH_BYTES,)]
    await store.close()
    async with await Store.open(db_path):
        assert raw(db_path, query) == [(FTS_HASH_BYTES,)]


async def test_newer_schema_is_refused(db_path: Path) -> None:
    """A database from a newer program version is not silently used."""
    with sqlite3.connect(db_path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    with pytest.raises(SchemaTooNew):
        await Store.open(db_path)


# --------------------------------------------------------------------------- quick searches


@pytest.mark.parametrize(
    ("query", "options"),
    [
        ("model", {}),
        ("모델", {"sort": "votes"}),
        ("에이전트", {"sort": "newest", "limit": 3, "offset": 2}),
        ("language model", {"since": dt.date(2024, 1, 1), "until": dt.date(2024, 12, 31)}),
        ("diffusion", {"limit": 5, "offset": 500}),
        ("zzzznotaword", {}),
    ],
)
async def test_read_pool_search_answers_like_the_connection(
    sample_store: Store, monkeypatch: pytest.MonkeyPatch, query: str, options: dict
) -> None:
    """A search answered from the read pool returns exactly the page (hits, snippets, scores,
    total) the store's own connection returns for it."""
    pooled = await sample_store.search(query, **options)
    monkeypatch.setattr(sample_store, "_reader", None)  # every search on the connection
    assert await sample_store.search(query, **options) == pooled


async def test_searches_and_suggestions_skip_the_connection(
    sample_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Searches and suggestions never wait for the store's own connection (the one an import
    writes on): they read from the read pool."""
    hops = 0
    fetchall = sample_store._db.execute_fetchall

    def counting_fetchall(*args):  # type: ignore[no-untyped-def]
        nonlocal hops
        hops += 1
        return fetchall(*args)

    monkeypatch.setattr(sample_store._db, "execute_fetchall", counting_fetchall)
    assert (await sample_store.search("model")).total > 0
    assert (await sample_store.search("모델", sort="votes", offset=5)).total > 0
    assert await sample_store.suggest_papers("diff")
    assert await sample_store.suggest_authors("kim")
    assert hops == 0
    monkeypatch.setattr(sample_store, "_reader", None)
    assert (await sample_store.search("model")).total > 0
    assert hops == 1


async def test_read_pool_survives_a_cancelled_search(sample_store: Store) -> None:
    """A search cancelled while its query runs gives its connection back to the pool once the
    query ends; later searches still answer."""
    task = asyncio.create_task(sample_store.search("모델"))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    pages = await asyncio.gather(*(sample_store.search("model") for _ in range(6)))
    assert len({page.total for page in pages}) == 1 and pages[0].total > 0


async def test_quick_search_sees_committed_state_only(store: Store) -> None:
    """The read-only connection sees what is committed: a batch's papers once it commits."""
    async with store.batch():
        await store.import_digest(digest(D1, paper("2406.00001", "Quokka habitats")))
        assert (await store.search("quokka")).total == 0
    assert (await store.search("quokka")).total == 1


async def test_in_memory_store_searches_on_the_worker() -> None:
    """An in-memory database has no second connection; its searches still work."""
    async with await Store.open(":memory:") as mem:
        await mem.import_digest(digest(D1, paper("2406.00001", "Quokka habitats")))
        assert [h.paper.arxiv_id for h in (await mem.search("quokka")).items] == ["2406.00001"]


async def test_migration_6_fills_author_names(tmp_path: Path) -> None:
    """A version-5 database gets each paper's author names, in their listed order."""
    from storage.sqlite.migrations import migrations

    path = tmp_path / "v5.db"
    db = sqlite3.connect(path, isolation_level=None)
    for statement in (s for migration in migrations()[:5] for s in migration.statements):
        db.execute(statement)
    db.executescript(
        """
        INSERT INTO digests VALUES ('2024-06-11', 'a.md', 1, '2024-06-11T00:00:00');
        INSERT INTO papers(id, arxiv_id, title, url, summary, content_date, last_date)
            VALUES (1, '2406.00001', 'T', 'https://arxiv.org/abs/2406.00001', '[]',
                    '2024-06-11', '2024-06-11');
        INSERT INTO appearances VALUES (1, '2024-06-11', 1, 3);
        INSERT INTO authors(id, name, norm_key, paper_count) VALUES
            (1, 'Zed Last', 'zed last', 1), (2, 'Ann First', 'ann first', 1);
        INSERT INTO paper_authors VALUES (1, 1, 2), (1, 2, 1);
        PRAGMA user_version = 5;
        """
    )
    db.close()
    async with await Store.open(path) as store:
        found = await store.paper("2406.00001")
    assert found is not None and found.authors == ("Ann First", "Zed Last")


async def test_unreadable_keywords_read_as_empty(store: Store) -> None:
    """A keywords value that is not a JSON list reads as no keywords instead of failing."""
    import json

    from storage.ingest.hfapi import parse_daily_papers

    day = parse_daily_papers(json.loads(API_FIXTURE.read_text()), dt.date(2026, 3, 6), source="hf")
    await store.import_api_digest(day)
    await store._db.execute("UPDATE papers SET keywords = 'not json'")
    paper = await store.paper("2602.23229")
    assert paper is not None and paper.keywords == () and paper.github_stars == 9
