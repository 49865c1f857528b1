"""Similar papers on PostgreSQL once the planner has statistics: common terms' document
frequencies come from pg_stats (no count over thousands of rows), and the answer is the same."""

from __future__ import annotations

import datetime as dt

import pytest
from backends import Raw
from digests import digest, paper

from storage import similar
from storage.ports import Store
from storage.postgres import research, statistics
from storage.postgres.connection import Conn
from storage.postgres.statistics import Shares
from storage.postgres.store import Store as PostgresStore

DAY = dt.date(2025, 1, 6)


async def corpus(store: Store) -> None:
    """60 papers about "graph" (a common term), two of them also about "diffusion video"."""
    papers = [
        paper(f"2501.{i:05d}", f"Graph networks study {i}", authors=(f"Author{i} X",))
        for i in range(60)
    ]
    papers[0] = paper("2501.00000", "Graph diffusion for video", authors=("Ann Lee",))
    papers[1] = paper("2501.00001", "Video diffusion on graph data", authors=("Bo Kim",))
    await store.import_digest(digest(DAY, *papers))


async def test_analysed_database_gives_the_same_answer(store: Store, raw: Raw) -> None:
    """Before and after ANALYZE the paper sharing the rare terms comes first with them, and
    after it the common term is known to pg_stats (so it is not counted row by row)."""
    await corpus(store)
    before = await store.similar_papers("2501.00000", limit=3)
    await raw("ANALYZE papers")
    listed = await raw(
        """SELECT e FROM pg_stats s, unnest(s.most_common_elems::text::text[]) e
           WHERE s.tablename = 'papers' AND s.attname = 'search' AND e = 'graph'"""
    )
    assert listed == [("graph",)]
    after = await store.similar_papers("2501.00000", limit=3)
    assert before is not None and after is not None
    for found in (before, after):
        assert found.items[0].paper.arxiv_id == "2501.00001"
        assert {"diffusion", "video"} <= set(found.items[0].terms)


async def test_common_terms_are_weighed_by_the_statistics(
    store: Store, raw: Raw, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A term the statistics list is weighed by its share there, not counted; one they do not
    list is counted from the index; without statistics every term is counted. The store hands
    similar papers the statistics its searches read."""
    assert isinstance(store, PostgresStore)
    await corpus(store)
    shares = Shares(papers=60, listed={"graph": 0.5}, floor=0.1)
    async with store._conn() as c:
        weighed = await research._document_frequencies(c, ["graph", "diffusion"], 60, shares)
        counted = await research._document_frequencies(c, ["graph", "diffusion"], 60, None)
    assert weighed == {"graph": 30, "diffusion": 2}
    assert counted == {"graph": min(60, similar.df_cap(60) + 1), "diffusion": 2}

    handed: list[Shares | None] = []
    frequencies = research._document_frequencies

    async def spy(c: Conn, terms: list[str], total: int, shares: Shares | None) -> dict[str, int]:
        handed.append(shares)
        return await frequencies(c, terms, total, shares)

    monkeypatch.setattr(research, "_document_frequencies", spy)
    monkeypatch.setattr(statistics, "RETRY_SECONDS", 0.0)
    await store.similar_papers("2501.00000", limit=3)
    await raw("ANALYZE papers")
    await store.similar_papers("2501.00000", limit=3)
    assert handed[0] is None
    assert handed[1] is not None and handed[1].share("graph") == 1.0
