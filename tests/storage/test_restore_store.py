"""A backup restores exactly on every backend: export, restore into a new database, export
again: the same text, generated summaries and vote history included, empty days too."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.core.export import export
from storage.backends import open_store
from storage.ingest.hfapi import parse_daily_papers
from storage.ingest.importer import import_backup
from storage.ingest.parser import parse_digest
from storage.models import Bullet
from storage.ports import Store

AT = dt.datetime(2025, 6, 2, 3, 4, 5, tzinfo=dt.UTC)


def api_item(arxiv_id: str, votes: int) -> dict[str, object]:
    return {
        "paper": {
            "id": arxiv_id,
            "title": f"Paper {arxiv_id}",
            "authors": [{"name": "Ada Lovelace"}],
            "summary": "An abstract.",
            "upvotes": votes,
        }
    }


async def test_backup_round_trip_with_summaries_votes_and_empty_days(
    store: Store, new_database: Callable[[], Awaitable[str]], tmp_path: Path
) -> None:
    """Every part of an export comes back: days (an empty one), votes, a generated summary
    with its model and moment, two points of vote history."""
    await store.import_digest(parse_digest("## Daily Papers (2025-06-01)\n\n", "empty.md"))
    day = dt.date(2025, 6, 2)
    await store.import_api_digest(parse_daily_papers([api_item("2506.00001", 3)], day))
    await store.import_api_digest(parse_daily_papers([api_item("2506.00001", 9)], day))
    stale = AT - dt.timedelta(hours=1)
    assert await store.claim_summary("2506.00001", at=AT, max_attempts=3, stale_before=stale)
    bullets = (Bullet("핵심", "생성된 요약"), Bullet(None, "둘째"))
    assert await store.record_summary("2506.00001", bullets, model="m", at=AT)
    first = io.StringIO()
    await export(store, first)
    backup = tmp_path / "backup.jsonl"
    backup.write_text(first.getvalue(), encoding="utf-8")

    async with await open_store(await new_database()) as restored:
        outcomes = await import_backup(restored, backup)
        assert all(o.ok for o in outcomes)
        second = io.StringIO()
        await export(restored, second)
        assert second.getvalue() == first.getvalue()
        assert [p.votes for p in await restored.vote_history("2506.00001")] == [3, 9]
        paper = await restored.paper("2506.00001")
        assert paper is not None and paper.generated is not None
        assert (paper.generated.bullets, paper.generated.model) == (bullets, "m")
    assert '"day": "2025-06-01"' in first.getvalue()
