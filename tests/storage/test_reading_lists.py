"""Reading lists in the store: per user, newest first, unique per paper, capped (every backend)."""

from __future__ import annotations

import datetime as dt

import pytest
from digests import import_day

from storage.errors import SavedLimitReached, UnknownPaper
from storage.ports import Store

NOW = dt.datetime(2025, 5, 10, 12, 0, tzinfo=dt.UTC)
USER = 7001
OTHER = 7002
PAPERS = [("2501.00001", "A", "Ann Lee"), ("2501.00002", "B", "Bo Kim"), ("2501.00003", "C", "Cy")]


async def saved_ids(store: Store, user: int = USER) -> list[str]:
    page = await store.saved_papers(user, limit=50)
    return [s.paper.arxiv_id for s in page.items]


async def test_saved_papers_come_back_newest_first(store: Store) -> None:
    """Papers saved at different moments are listed newest first, each with its moment."""
    await import_day(store, "2025-01-06", PAPERS)
    for minutes, arxiv_id in enumerate(["2501.00002", "2501.00001", "2501.00003"]):
        assert await store.save_paper(USER, arxiv_id, at=NOW + dt.timedelta(minutes=minutes))
    page = await store.saved_papers(USER, limit=2)
    assert [s.paper.arxiv_id for s in page.items] == ["2501.00003", "2501.00001"]
    assert page.total == 3 and page.items[0].saved_at == NOW + dt.timedelta(minutes=2)
    later = await store.saved_papers(USER, limit=2, offset=2)
    assert [s.paper.arxiv_id for s in later.items] == ["2501.00002"]


async def test_saving_twice_keeps_one_row(store: Store) -> None:
    """Saving a paper already in the list answers False and keeps its first moment."""
    await import_day(store, "2025-01-06", PAPERS)
    assert await store.save_paper(USER, "2501.00001", at=NOW)
    assert not await store.save_paper(USER, "2501.00001", at=NOW + dt.timedelta(hours=1))
    page = await store.saved_papers(USER)
    assert page.total == 1 and page.items[0].saved_at == NOW


async def test_lists_are_per_user(store: Store) -> None:
    """One user's saves and removals never show in or change another user's list."""
    await import_day(store, "2025-01-06", PAPERS)
    await store.save_paper(USER, "2501.00001", at=NOW)
    await store.save_paper(OTHER, "2501.00002", at=NOW)
    assert not await store.unsave_paper(OTHER, "2501.00001")
    assert await saved_ids(store) == ["2501.00001"]
    assert await saved_ids(store, OTHER) == ["2501.00002"]


async def test_unsave_removes_only_that_paper(store: Store) -> None:
    """Removing answers True once, then False; the rest of the list stays."""
    await import_day(store, "2025-01-06", PAPERS)
    await store.save_paper(USER, "2501.00001", at=NOW)
    await store.save_paper(USER, "2501.00002", at=NOW)
    assert await store.unsave_paper(USER, "2501.00001")
    assert not await store.unsave_paper(USER, "2501.00001")
    assert await saved_ids(store) == ["2501.00002"]


async def test_unknown_paper_is_a_typed_error(store: Store) -> None:
    """Saving an arXiv id the store does not hold raises UnknownPaper naming it."""
    with pytest.raises(UnknownPaper) as caught:
        await store.save_paper(USER, "2501.99999", at=NOW)
    assert caught.value.arxiv_id == "2501.99999"


async def test_limit_per_user(store: Store) -> None:
    """A full list refuses a new paper with the limit; re-saving a listed one still answers."""
    await import_day(store, "2025-01-06", PAPERS)
    await store.save_paper(USER, "2501.00001", at=NOW, limit=2)
    await store.save_paper(USER, "2501.00002", at=NOW, limit=2)
    with pytest.raises(SavedLimitReached) as caught:
        await store.save_paper(USER, "2501.00003", at=NOW, limit=2)
    assert caught.value.limit == 2
    assert not await store.save_paper(USER, "2501.00001", at=NOW, limit=2)
    assert await store.save_paper(OTHER, "2501.00003", at=NOW, limit=2)
