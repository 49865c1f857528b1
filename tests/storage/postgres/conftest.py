"""PostgreSQL-only storage tests: the contract fixtures on the PostgreSQL backend alone."""

from __future__ import annotations

import pytest


@pytest.fixture
def backend() -> str:
    """These tests look inside PostgreSQL itself."""
    return "postgres"
