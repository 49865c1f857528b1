"""Fixtures every test package shares: the bundled samples and a store on a real SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.sqlite.store import Store

#: The bundled sample digests (whole days and format variants), as shipped in the package.
SAMPLES = Path(__file__).resolve().parents[1] / "storage" / "ingest" / "samples"


@pytest.fixture
async def empty_store(tmp_path: Path) -> AsyncIterator[Store]:
    """An open, empty store over a new SQLite file under ``tmp_path``."""
    async with await Store.open(tmp_path / "empty.db") as store:
        yield store
