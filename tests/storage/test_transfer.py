"""The neutral rows of :mod:`storage.transfer` on every backend: written back as they were read,
and only the tables the ports name."""

from __future__ import annotations

import datetime as dt

import pytest

from storage.models import Bullet
from storage.ports import Store
from storage.transfer import UnknownTable

AT = dt.datetime(2024, 6, 14, 8, 30, tzinfo=dt.UTC)


async def test_rows_written_back_read_the_same(store: Store) -> None:
    """Importing a table's exported rows again changes none of them."""
    await store.set_digest_settings(
        7, channel_id=70, post_time=dt.time(9), timezone="Asia/Seoul", count=5, now=AT
    )
    await store.record_digest_post(7, dt.date(2024, 2, 15), channel_id=70, message_ids=[1], at=AT)
    for table in ("guild_digests", "digest_posts"):
        rows = await store.export_rows(table)
        assert await store.import_rows(table, rows) == 1
        assert await store.export_rows(table) == rows


async def test_new_tables_written_back_read_the_same(sample_store: Store) -> None:
    """Generated summaries (every state), vote history to the microsecond, reading lists and a
    refreshed digest post are exported and written back unchanged, on every backend."""
    store = sample_store
    day = (await store.days())[0].date
    ids = [p.arxiv_id for p in (await store.day_papers(day)).items][:3]
    stale = AT - dt.timedelta(hours=1)
    for arxiv_id in ids:
        assert await store.claim_summary(arxiv_id, at=AT, max_attempts=3, stale_before=stale)
    await store.record_summary(ids[0], (Bullet("가", "나"), Bullet(None, "다")), model="m", at=AT)
    await store.record_summary_failure(ids[1], "timeout", at=AT)
    await store.save_paper(5, ids[0], at=AT)
    await store.record_digest_post(7, day, channel_id=70, message_ids=[1, 2], at=AT, slot=day)
    await store.claim_digest_refresh(7, day, at=AT)
    moment = dt.datetime(2024, 6, 14, 8, 30, 1, 123456, tzinfo=dt.UTC)
    await store.import_rows("vote_history", [(ids[2], moment, 9)])
    expected = {
        "summaries": 3,
        "vote_history": 1,
        "saved_papers": 1,
        "digest_posts": 1,
    }
    for table, count in expected.items():
        rows = await store.export_rows(table)
        assert len(rows) == count
        assert await store.import_rows(table, rows) == count
        assert await store.export_rows(table) == rows
    (done,) = [r for r in await store.export_rows("summaries") if r[1] == "done"]
    assert done[4] == (("가", "나"), (None, "다"))
    assert (await store.export_rows("vote_history"))[0][1] == moment
    assert (await store.export_rows("digest_posts"))[0][-1] == AT


async def test_unknown_or_derived_tables_are_refused(store: Store) -> None:
    """A table the neutral form does not name, or one derived from the papers, is refused."""
    with pytest.raises(UnknownTable):
        await store.export_rows("import_feed")
    with pytest.raises(UnknownTable):
        await store.import_rows("papers", [])


async def test_summaries_and_vote_history_carry_over(store: Store) -> None:
    """Generated summaries (with their provenance) and vote points (to the microsecond) are
    rows like the others: exported, written into another store, read back the same."""
    from storage.ingest.parser import parse_digest
    from storage.models import Bullet

    text = (
        "## Daily Papers (2024-06-13)\n\n### [A paper](https://arxiv.org/abs/2406.00001)\n\n"
        "Vote: 3\n\n- Just an abstract.\n"
    )
    await store.import_digest(parse_digest(text, "a.md"))
    assert await store.claim_summary(
        "2406.00001", at=AT, max_attempts=3, stale_before=AT - dt.timedelta(hours=1)
    )
    bullets = (Bullet("핵심", "요약입니다."), Bullet(None, "둘째"))
    assert await store.record_summary("2406.00001", bullets, model="m-1", at=AT)
    points = [
        ("2406.00001", AT + dt.timedelta(microseconds=1), 3),
        ("2406.00001", AT + dt.timedelta(microseconds=2), 5),
    ]
    assert await store.import_rows("vote_history", points) == 2
    summaries = await store.export_rows("summaries")
    assert summaries == [
        ("2406.00001", "done", 1, AT, (("핵심", "요약입니다."), (None, "둘째")), "m-1", AT, None)
    ]
    assert sorted(await store.export_rows("vote_history")) == points
    assert await store.import_rows("summaries", summaries) == 1
    assert await store.import_rows("vote_history", points) == 2
    assert await store.export_rows("summaries") == summaries
    assert sorted(await store.export_rows("vote_history")) == points
    paper = await store.paper("2406.00001")
    assert paper is not None and paper.generated is not None
    assert paper.generated.bullets == bullets
    assert [p.votes for p in await store.vote_history("2406.00001")] == [3, 5]
