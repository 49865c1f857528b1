"""storage/alerts.py: alerts per user, the import feed, deliveries, pausing."""

from __future__ import annotations

import datetime as dt

import pytest
from digests import import_day

from storage.errors import AlertExists, AlertLimitReached, EmptyAlertQuery
from storage.models import MAX_ALERTS
from storage.sqlite.store import Store
from storage.text import alert_key

NOW = dt.datetime(2025, 5, 10, 12, 0, tzinfo=dt.UTC)
USER = 7001
OTHER = 7002


async def test_add_alert_starts_at_the_current_feed_position(store: Store) -> None:
    """A new alert's seen_seq is the feed position: the archive before it never matches."""
    await import_day(store, "2025-01-06", [("2501.00001", "Diffusion A", "Ann Lee")])
    position = await store.feed_position()
    assert position == 1
    alert = await store.add_alert(USER, "keywords", "  diffusion   models ", now=NOW)
    assert alert.query == "diffusion models"
    assert alert.seen_seq == position and not alert.paused
    assert await store.pending_alerts(position) == []


async def test_feed_records_only_inserted_appearances(store: Store) -> None:
    """Re-importing a day adds nothing to the feed; a new paper on it or a new day does."""
    await import_day(store, "2025-01-06", [("2501.00001", "A", "Ann Lee")])
    await import_day(store, "2025-01-06", [("2501.00001", "A", "Ann Lee")])
    assert await store.feed_position() == 1
    await import_day(
        store, "2025-01-06", [("2501.00001", "A", "Ann Lee"), ("2501.00002", "B", "Bo Kim")]
    )
    await import_day(store, "2025-01-07", [("2501.00001", "A", "Ann Lee")])
    assert await store.feed_position() == 3
    batch = await store.feed_batch(1, 3)
    assert set(batch.papers) == {"2501.00001", "2501.00002"}
    assert (batch.since, batch.until) == (dt.date(2025, 1, 6), dt.date(2025, 1, 7))


async def test_duplicate_alert_refused(store: Store) -> None:
    """Same kind and same folded query (case, spacing) is a duplicate; another user may have it."""
    first = await store.add_alert(USER, "keywords", "Diffusion Models", now=NOW)
    with pytest.raises(AlertExists) as caught:
        await store.add_alert(USER, "keywords", "diffusion  models", now=NOW)
    assert caught.value.existing.id == first.id
    await store.add_alert(OTHER, "keywords", "diffusion models", now=NOW)
    await store.add_alert(USER, "author", "Diffusion Models", now=NOW)  # another kind
    assert len(await store.alerts(USER)) == 2


async def test_author_key_is_the_normalized_name(store: Store) -> None:
    """Author alerts are keyed like stored authors (accents and case ignored)."""
    alert = await store.add_alert(USER, "author", "Matthias Nießner", now=NOW)
    assert alert.match_key == alert_key("author", "matthias niessner") == "matthias niessner"


async def test_limit_per_user(store: Store) -> None:
    """The 26th alert is refused with a clear error; other users are not affected."""
    for i in range(MAX_ALERTS):
        await store.add_alert(USER, "keywords", f"topic {i}", now=NOW)
    with pytest.raises(AlertLimitReached) as caught:
        await store.add_alert(USER, "keywords", "one more", now=NOW)
    assert caught.value.limit == MAX_ALERTS
    await store.add_alert(OTHER, "keywords", "one more", now=NOW)


async def test_empty_query_refused(store: Store) -> None:
    """A query of only spaces is not an alert."""
    with pytest.raises(EmptyAlertQuery):
        await store.add_alert(USER, "keywords", "   ", now=NOW)


async def test_remove_only_own_alert(store: Store) -> None:
    """Removing someone else's alert does nothing; removing one's own deletes it."""
    alert = await store.add_alert(USER, "keywords", "agents", now=NOW)
    assert await store.remove_alert(OTHER, alert.id) is None
    removed = await store.remove_alert(USER, alert.id)
    assert removed is not None and removed.id == alert.id
    assert await store.alerts(USER) == []


async def test_record_run_moves_position_and_remembers_deliveries(store: Store) -> None:
    """After a run the alert is no longer pending and its delivered papers are remembered."""
    alert = await store.add_alert(USER, "keywords", "agents", now=NOW)
    await import_day(store, "2025-01-06", [("2501.00001", "Agents", "Ann Lee")])
    position = await store.feed_position()
    assert [a.id for a in await store.pending_alerts(position)] == [alert.id]
    batch = await store.feed_batch(alert.seen_seq, position)
    paper_id = batch.papers["2501.00001"]
    await store.record_alert_run([alert.id], {alert.id: [paper_id]}, upto=position, at=NOW)
    assert await store.pending_alerts(position) == []
    assert await store.delivered([alert.id]) == {alert.id: {paper_id}}


async def test_author_matches_by_normalized_key(store: Store) -> None:
    """Author matching finds papers by the normalized author key among the given papers."""
    await import_day(
        store,
        "2025-01-06",
        [("2501.00001", "A", "Matthias Nießner, Bo Kim"), ("2501.00002", "B", "Bo Kim")],
    )
    batch = await store.feed_batch(0, await store.feed_position())
    found = await store.author_matches(["matthias niessner", "nobody"], batch.papers.values())
    assert found == {"matthias niessner": {batch.papers["2501.00001"]}}


async def test_pause_notice_once_and_resume_skips_backlog(store: Store) -> None:
    """Pausing is told once; resuming moves the alert past what was imported meanwhile."""
    alert = await store.add_alert(USER, "keywords", "agents", now=NOW)
    assert await store.pause_alerts(USER, at=NOW) == 1
    await import_day(store, "2025-01-06", [("2501.00001", "Agents", "Ann Lee")])
    position = await store.feed_position()
    assert await store.pending_alerts(position) == []  # paused alerts are skipped
    assert await store.take_pause_notice(USER) == 1
    assert await store.take_pause_notice(USER) == 0
    assert await store.resume_alerts(USER) == 1
    (resumed,) = await store.alerts(USER)
    assert resumed.id == alert.id and not resumed.paused and resumed.seen_seq == position


async def test_prune_keeps_the_position(store: Store) -> None:
    """Pruned feed rows do not reset the import clock (AUTOINCREMENT)."""
    await import_day(store, "2025-01-06", [("2501.00001", "A", "Ann Lee")])
    assert await store.prune_import_feed() == 1
    assert await store.feed_position() == 1
    await import_day(store, "2025-01-07", [("2501.00002", "B", "Bo Kim")])
    assert await store.feed_position() == 2


async def test_deleting_alert_deletes_deliveries(store: Store) -> None:
    """Removing an alert drops its delivery record (foreign key cascade)."""
    alert = await store.add_alert(USER, "keywords", "agents", now=NOW)
    await store.record_alert_run([alert.id], {alert.id: [1, 2]}, upto=0, at=NOW)
    await store.remove_alert(USER, alert.id)
    assert await store.delivered([alert.id]) == {}


async def test_alerts_keep_their_users_language(store: Store) -> None:
    """An alert remembers its user's language; a later command changes it for all of them."""
    await store.add_alert(USER, "keywords", "diffusion", now=NOW, language="ko")
    await store.add_alert(USER, "author", "Ann Lee", now=NOW, language="ko")
    await store.add_alert(OTHER, "keywords", "diffusion", now=NOW)
    assert await store.set_alerts_language(USER, "en") == 2
    assert await store.set_alerts_language(USER, "en") == 0
    assert {a.language for a in await store.alerts(USER)} == {"en"}
    assert [a.language for a in await store.alerts(OTHER)] == [None]


async def test_control_characters_never_stored(store: Store) -> None:
    """A NUL or other control character typed into an alert is dropped before it is stored, the
    same on every backend (PostgreSQL text cannot even hold a NUL)."""
    alert = await store.add_alert(USER, "keywords", "diff\x00usion \x1b[0m models\x07", now=NOW)
    assert alert.query == "diffusion [0m models"
    assert [a.query for a in await store.alerts(USER)] == ["diffusion [0m models"]
