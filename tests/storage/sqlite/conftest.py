"""SQLite-only storage tests: the contract fixtures on the SQLite backend alone."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def backend() -> str:
    """These tests look inside SQLite itself."""
    return "sqlite"


@pytest.fixture
def db_path(database: str) -> Path:
    """The test's SQLite file."""
    return Path(database)
