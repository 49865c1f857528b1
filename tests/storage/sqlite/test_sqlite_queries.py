"""SQLite backend: statements that choose between query plans give the same answers either way."""

from __future__ import annotations

import pytest

import storage.sqlite.authors as authors_module
from storage.sqlite.store import Store


@pytest.mark.parametrize("prefix", ["a", "ni", "niess", "kim", "zzzz", ""])
async def test_author_suggestions_are_the_same_with_either_plan(
    sample_store: Store, monkeypatch: pytest.MonkeyPatch, prefix: str
) -> None:
    """Author suggestions collect few matching terms through the term index and walk authors
    by paper count for many; both plans give the same authors in the same order."""
    sparse = await sample_store.suggest_authors(prefix, limit=10)
    finds = await sample_store.find_authors(prefix, limit=10)
    monkeypatch.setattr(authors_module, "_SUGGEST", authors_module._suggest_sql(1))
    assert await sample_store.suggest_authors(prefix, limit=10) == sparse
    assert await sample_store.find_authors(prefix, limit=10) == finds
    if prefix in ("a", "kim"):  # enough matches to tell the orders apart
        assert len(sparse) >= 4
