"""Fixtures for store tests: a real SQLite file under ``tmp_path``, empty or holding the samples."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.sqlite.store import Store

SAMPLES = Path(__file__).resolve().parents[2] / "storage" / "ingest" / "samples"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "papers.db"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(db_path) as s:
        yield s


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
