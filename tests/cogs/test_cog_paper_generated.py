"""/paper through the real command tree for a paper fetched from the API and summarised: the
Korean bullets marked machine-written, the organisation, the vote rise, and no ping."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from harness import Harness

from storage.ingest.hfapi import parse_daily_papers
from storage.models import Bullet
from storage.sqlite.store import Store

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "hf_daily_papers_sample.json"
DAY = dt.date(2026, 3, 6)
AT = dt.datetime(2026, 3, 6, 12, 0, tzinfo=dt.UTC)
LATER = AT + dt.timedelta(hours=1)


def api_day(votes: int) -> Any:
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    data[0]["paper"]["upvotes"] = votes
    return parse_daily_papers(data, DAY)


async def test_paper_shows_generated_korean_summary_without_pinging(
    harness: Harness, store: Store
) -> None:
    """The card holds the generated bullets under the machine-written note, the organisation
    and the rise of the votes; the reply allows no mention even though a bullet says @everyone."""
    await store.import_api_digest(api_day(10))
    await store.import_api_digest(api_day(17))
    await store.claim_summary("2602.23229", at=AT, max_attempts=3, stale_before=AT)
    bullets = (
        Bullet("What's New", "@everyone 새 방법"),
        Bullet(None, "둘째"),
        Bullet(None, "셋째"),
    )
    await store.record_summary("2602.23229", bullets, model="m-ko", at=LATER)
    result = await harness.command("paper", id="2602.23229")
    assert "새 방법" in result.text and "m-ko" in result.text
    assert "Multimedia and Human Understanding Group" in result.text
    assert "+7 since its day" in result.text
    assert result.last.allowed_mentions == {"parse": []}
