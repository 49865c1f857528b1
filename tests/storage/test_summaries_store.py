"""Generated summaries, vote history, the API's organisation and comments, searchable keywords."""

from __future__ import annotations

import datetime as dt
from typing import Any

from storage.ingest.hfapi import parse_daily_papers
from storage.ingest.parser import parse_digest
from storage.models import Bullet
from storage.ports import Store

DAY = dt.date(2026, 3, 6)
T0 = dt.datetime(2026, 3, 6, 9, 0, tzinfo=dt.UTC)
STALE = T0 - dt.timedelta(hours=1)


def item(arxiv_id: str, votes: int | None = 5, **paper: Any) -> dict[str, Any]:
    return {
        "paper": {"id": arxiv_id, "title": f"Paper {arxiv_id}", "upvotes": votes, **paper},
        "summary": "An abstract.",
        "numComments": 2,
    }


async def api_day(store: Store, *items: dict[str, Any], day: dt.date = DAY) -> None:
    await store.import_api_digest(parse_daily_papers(list(items), day, source="hf"))


async def claim(store: Store, arxiv_id: str, at: dt.datetime = T0, attempts: int = 3) -> bool:
    return await store.claim_summary(arxiv_id, at=at, max_attempts=attempts, stale_before=STALE)


async def test_organisation_and_comments_read_back(store: Store) -> None:
    """The item's organisation (full name) and comment count come back with the paper."""
    org = {"name": "MHUG", "fullname": "Multimedia Group"}
    await api_day(store, item("2603.00001", organization=org))
    paper = await store.paper("2603.00001")
    assert paper is not None and (paper.organization, paper.comments) == ("Multimedia Group", 2)


async def test_keywords_are_searchable(store: Store) -> None:
    """A word found only in the API's keywords finds the paper."""
    await api_day(store, item("2603.00001", ai_keywords=["zeppelinology"]))
    page = await store.search("zeppelinology")
    assert [h.paper.arxiv_id for h in page.items] == ["2603.00001"]


async def test_keywords_added_later_are_searchable(store: Store) -> None:
    """Keywords a later fetch adds to a stored paper are indexed too."""
    await api_day(store, item("2603.00001"))
    await api_day(store, item("2603.00001", ai_keywords=["zeppelinology"]))
    assert (await store.search("zeppelinology")).total == 1


async def test_api_paper_is_a_candidate_archive_paper_is_not(store: Store) -> None:
    """A paper with the API's abstract needs a summary; one with archive bullets does not."""
    await api_day(store, item("2603.00001"))
    text = (
        "## Daily Papers (2026-03-06)\n\n### [P](https://arxiv.org/abs/2603.00002)\n\n- 가\n- 나\n"
    )
    await store.import_digest(parse_digest(text, "a.md"))
    found = await store.summary_candidates(stale_before=STALE)
    assert [p.arxiv_id for p in found] == ["2603.00001"]


async def test_claim_is_taken_once(store: Store) -> None:
    """A second claim of a pending paper fails, and the paper is no longer a candidate."""
    await api_day(store, item("2603.00001"))
    assert await claim(store, "2603.00001")
    assert not await claim(store, "2603.00001")
    assert await store.summary_candidates(stale_before=STALE) == []


async def test_done_summary_read_with_provenance(store: Store) -> None:
    """Recorded bullets come back on the paper with model and time; no claim is possible."""
    await api_day(store, item("2603.00001"))
    await claim(store, "2603.00001")
    bullets = (Bullet(None, "첫째"), Bullet(None, "둘째"), Bullet(None, "셋째"))
    assert await store.record_summary("2603.00001", bullets, model="m1", at=T0)
    paper = await store.paper("2603.00001")
    assert paper is not None and paper.generated is not None
    assert (paper.generated.bullets, paper.generated.model) == (bullets, "m1")
    assert paper.generated.created_at == T0
    assert not await claim(store, "2603.00001", at=T0 + dt.timedelta(days=1))


async def test_unclaimed_summary_is_not_recorded(store: Store) -> None:
    """Bullets for a paper nobody claimed are refused."""
    await api_day(store, item("2603.00001"))
    assert not await store.record_summary("2603.00001", (Bullet(None, "x"),), model="m", at=T0)


async def test_failed_attempts_are_bounded(store: Store) -> None:
    """A failed paper is claimed again until it has used its attempts."""
    await api_day(store, item("2603.00001"))
    for _ in range(2):
        assert await claim(store, "2603.00001", attempts=2)
        await store.record_summary_failure("2603.00001", "garbage", at=T0)
    assert not await claim(store, "2603.00001", attempts=2)
    assert await store.summary_candidates(max_attempts=2, stale_before=STALE) == []


async def test_stale_pending_claim_is_taken_over(store: Store) -> None:
    """An attempt pending since before ``stale_before`` (its process died) can be claimed."""
    await api_day(store, item("2603.00001"))
    await claim(store, "2603.00001", at=STALE - dt.timedelta(minutes=1))
    assert await claim(store, "2603.00001")


async def test_claims_counted_since(store: Store) -> None:
    """The daily count is the papers claimed since the moment given."""
    await api_day(store, item("2603.00001"), item("2603.00002"))
    await claim(store, "2603.00001", at=T0 - dt.timedelta(days=1))
    await claim(store, "2603.00002")
    assert await store.summaries_claimed_since(T0 - dt.timedelta(hours=2)) == 1


async def test_vote_history_records_changes_only(store: Store) -> None:
    """Re-fetching with the same count adds no point; a rise and a fall each add one."""
    for votes in (5, 5, 9, 7):
        await api_day(store, item("2603.00001", votes=votes))
    points = await store.vote_history("2603.00001")
    assert [p.votes for p in points] == [5, 9, 7]


async def test_first_votes_and_rise(store: Store) -> None:
    """The paper carries its first recorded votes, so the rise since its day is known."""
    await api_day(store, item("2603.00001", votes=5))
    await api_day(store, item("2603.00001", votes=12))
    paper = await store.paper("2603.00001")
    assert paper is not None and (paper.first_votes, paper.vote_rise) == (5, 7)


async def test_missing_votes_add_no_point(store: Store) -> None:
    """An item without votes records nothing."""
    await api_day(store, item("2603.00001", votes=None))
    assert await store.vote_history("2603.00001") == []


def test_wrong_types_of_new_fields_are_dropped() -> None:
    """An organisation that is not an object and a comment count that is not a number are
    left out; the paper is still read."""
    bad = item("2603.00001", organization="MHUG") | {"numComments": "3"}
    (paper,) = parse_daily_papers([bad], DAY).papers
    assert (paper.organization, paper.comments) == (None, None)


async def test_digest_refresh_claimed_once_and_needs_a_post(store: Store) -> None:
    """The one edit of a posted digest is claimed once; a day not posted has none to claim."""
    assert not await store.claim_digest_refresh(1, DAY, at=T0)
    await store.record_digest_post(1, DAY, channel_id=7, message_ids=[11], at=T0)
    assert await store.claim_digest_refresh(1, DAY, at=T0)
    assert not await store.claim_digest_refresh(1, DAY, at=T0)


async def test_author_profile_papers_are_whole_papers(store: Store) -> None:
    """The papers of an author's card are the papers as read one by one: generated summary,
    first votes, every day listed, organisation and comments; a later page holds the rest."""
    org = {"name": "MHUG", "fullname": "Multimedia Group"}
    authors = [{"name": "Ada Card"}, {"name": "Bo Other"}]
    await api_day(store, item("2603.00001", votes=5, authors=authors, organization=org))
    await api_day(store, item("2603.00001", votes=12, authors=authors), day=DAY + dt.timedelta(1))
    await api_day(store, item("2603.00002", votes=3, authors=authors[:1]), day=DAY)
    await claim(store, "2603.00001")
    bullets = (Bullet(None, "첫째"), Bullet(None, "둘째"))
    assert await store.record_summary("2603.00001", bullets, model="m1", at=T0)
    ada = (await store.find_authors("ada card"))[0]
    profile = await store.author_profile(ada.id, limit=1)
    assert profile is not None and profile.papers.total == 2
    newest = await store.paper("2603.00001")
    assert newest is not None and newest.generated is not None and len(newest.days) == 2
    assert (newest.first_votes, newest.organization) == (5, "Multimedia Group")
    assert profile.papers.items == (newest,)
    rest = await store.author_profile(ada.id, limit=1, offset=1)
    assert rest is not None and rest.papers.items == (await store.paper("2603.00002"),)
