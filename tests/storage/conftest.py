"""Fixtures for the storage contract tests: every test runs on each backend (``backend``: a real
SQLite file, a fresh database on the session's PostgreSQL server), empty or holding the samples.

SQLite-only tests live in ``tests/storage/sqlite``, PostgreSQL-only ones in
``tests/storage/postgres``; everything here holds for every backend.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from backends import Raw, raw_rows

from storage.backends import open_store
from storage.ports import Store

SAMPLES = Path(__file__).resolve().parents[2] / "storage" / "ingest" / "samples"


@pytest.fixture
async def store(database: str) -> AsyncIterator[Store]:
    """An open store over the test's new database."""
    async with await open_store(database) as s:
        yield s


@pytest.fixture
async def empty_store(store: Store) -> Store:
    """The same empty store, under the name the importer tests use."""
    return store


@pytest.fixture
def raw(database: str) -> Raw:
    """:func:`raw_rows` on the test's database."""

    async def run(sql: str) -> list[tuple[Any, ...]]:
        return await raw_rows(database, sql)

    return run


@pytest.fixture
def sample_paths() -> list[Path]:
    """Every bundled digest file (whole days and format variants)."""
    return sorted(p for p in SAMPLES.rglob("*.md") if p.name != "SOURCE.md")


@pytest.fixture
async def sample_store(store: Store, sample_paths: list[Path]) -> Store:
    """A store holding every bundled sample, parsed by the real parser."""
    from storage.ingest.parser import parse_digest

    for path in sample_paths:
        await store.import_digest(parse_digest(path.read_text(encoding="utf-8"), str(path)))
    return store
