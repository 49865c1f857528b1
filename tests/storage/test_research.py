"""Similar papers, term trends and rising papers in the store (every backend)."""

from __future__ import annotations

import datetime as dt

import pytest
from backends import Raw
from digests import digest, paper

from storage import similar
from storage.models import SimilarReason
from storage.ports import Store

MON = dt.date(2025, 1, 6)  # a Monday


async def similar_corpus(store: Store) -> None:
    """Diffusion video papers, a shared author, a same-day paper, and unrelated filler."""
    await store.import_digest(
        digest(
            MON,
            paper(
                "2501.00001",
                "Latent diffusion for video generation",
                authors=("Ann Lee", "Bo Kim"),
                summary=("비디오 확산 모델을 제안합니다.", "Temporal attention for video."),
            ),
            paper(
                "2501.00002",
                "Reinforcement learning agents for web navigation",
                authors=("Cy Park",),
                summary=("웹 에이전트를 학습합니다.",),
            ),
        )
    )
    await store.import_digest(
        digest(
            MON + dt.timedelta(days=1),
            paper(
                "2501.00003",
                "Video diffusion with temporal attention",
                authors=("Dee Roe",),
                summary=("비디오 확산 모델의 시간 주의를 다룹니다.",),
            ),
            paper(
                "2501.00004",
                "Speech recognition benchmarks",
                authors=("Bo Kim", "Eve Cho"),
                summary=("음성 인식 벤치마크입니다.",),
            ),
            *[
                paper(
                    f"2501.001{i:02d}",
                    f"Graph theory note {i}",
                    authors=(f"Filler Author{i}",),
                    summary=("그래프 이론입니다.",),
                )
                for i in range(6)
            ],
        )
    )


async def test_similar_papers_share_terms_authors_and_days(store: Store) -> None:
    """The paper sharing the most key terms comes first with those terms as its reason; a paper
    sharing only an author is found through the author; the same day is named; the paper
    itself is never listed."""
    await similar_corpus(store)
    found = await store.similar_papers("https://arxiv.org/abs/2501.00001v2", limit=5)
    assert found is not None and found.paper.arxiv_id == "2501.00001"
    ids = [s.paper.arxiv_id for s in found.items]
    assert ids[0] == "2501.00003"
    assert "2501.00001" not in ids
    best = found.items[0]
    assert SimilarReason.TERMS in best.reasons
    assert {"diffusion", "video", "temporal"} <= set(best.terms)
    by_author = next(s for s in found.items if s.paper.arxiv_id == "2501.00004")
    assert SimilarReason.AUTHORS in by_author.reasons and by_author.authors == ("Bo Kim",)
    same_day = next(s for s in found.items if s.paper.arxiv_id == "2501.00002")
    assert SimilarReason.SAME_DAY in same_day.reasons and same_day.day == MON
    assert [s.score for s in found.items] == sorted((s.score for s in found.items), reverse=True)


async def test_similar_papers_of_an_unknown_paper_is_none(store: Store) -> None:
    """An id that names no stored paper answers None (the core says so), on an empty store too."""
    assert await store.similar_papers("2501.99999") is None
    await similar_corpus(store)
    assert await store.similar_papers("2501.99999") is None
    assert await store.similar_papers("") is None


async def test_similar_papers_respects_the_limit(store: Store) -> None:
    """At most ``limit`` papers come back."""
    await similar_corpus(store)
    found = await store.similar_papers("2501.00100", limit=2)
    assert found is not None and len(found.items) == 2


async def trend_corpus(store: Store) -> None:
    await store.import_digest(
        digest(
            MON,
            paper("2501.00001", "Diffusion models", votes=10, summary=("확산 모델입니다.",)),
            paper("2501.00002", "Agents", votes=3, summary=("에이전트 모델입니다.",)),
        )
    )
    await store.import_digest(
        digest(
            MON + dt.timedelta(days=2),  # the same week
            paper("2501.00003", "Video diffusion", votes=5, summary=("영상입니다.",)),
            paper("2501.00001", "Diffusion models", votes=12, summary=("확산 모델입니다.",)),
        )
    )
    await store.import_digest(
        digest(
            MON + dt.timedelta(days=7),  # the next week
            paper("2501.00004", "Faster diffusion", votes=7, summary=("빠른 확산입니다.",)),
        )
    )


async def test_term_trends_count_each_paper_once_per_week(store: Store) -> None:
    """A paper listed on two days of the range counts once, in its first day's week (Monday
    first); votes are the papers' latest votes summed; a Korean word matches inside words."""
    await trend_corpus(store)
    trends = await store.term_trends(
        ["diffusion", "모델", "zebra"], since=MON, until=MON + dt.timedelta(days=13)
    )
    assert [t.term for t in trends] == ["diffusion", "모델", "zebra"]
    diffusion, korean, none = trends
    assert [(p.start, p.papers, p.votes) for p in diffusion.points] == [
        (MON, 2, 12 + 5),
        (MON + dt.timedelta(days=7), 1, 7),
    ]
    assert diffusion.papers == 3
    assert [(p.start, p.papers) for p in korean.points] == [(MON, 2)]
    assert none.points == ()


async def test_term_trends_by_month_and_range(store: Store) -> None:
    """Months start on the 1st; days outside the range do not count."""
    await trend_corpus(store)
    (monthly,) = await store.term_trends(["diffusion"], since=None, until=None, bucket="month")
    assert [(p.start, p.papers) for p in monthly.points] == [(dt.date(2025, 1, 1), 3)]
    (late,) = await store.term_trends(
        ["diffusion"], since=MON + dt.timedelta(days=2), until=MON + dt.timedelta(days=2)
    )
    assert [(p.start, p.papers) for p in late.points] == [(MON, 2)]


async def test_term_trends_of_nothing_searchable_is_empty(store: Store) -> None:
    """A term with nothing the index holds (punctuation, FTS syntax) is an empty trend."""
    await trend_corpus(store)
    trends = await store.term_trends(['"*"', "NOT"], since=None, until=None)
    assert trends[0].points == ()
    assert trends[1].points == ()


async def points(raw: Raw, *rows: tuple[str, str, int]) -> None:
    """Vote-history points (arXiv id, UTC moment, votes), written beside the store."""
    for arxiv_id, at, votes in rows:
        await raw(
            f"""INSERT INTO vote_history (paper_id, at, votes)
                SELECT id, '{at}', {votes} FROM papers WHERE arxiv_id = '{arxiv_id}'"""
        )


async def test_rising_papers_rank_by_votes_gained_in_the_range(store: Store, raw: Raw) -> None:
    """The gain is the last point in the range minus the last point before it (else the first
    in it); papers that did not rise are left out; ties go to more votes."""
    await trend_corpus(store)
    await points(
        raw,
        ("2501.00001", "2025-01-05T09:00:00+00:00", 10),  # before the range
        ("2501.00001", "2025-01-07T09:00:00+00:00", 30),
        ("2501.00002", "2025-01-06T09:00:00+00:00", 3),
        ("2501.00002", "2025-01-08T23:59:00+00:00", 8),
        ("2501.00003", "2025-01-06T09:00:00+00:00", 5),
        ("2501.00003", "2025-01-07T09:00:00+00:00", 4),  # fell
        ("2501.00004", "2025-01-06T09:00:00+00:00", 1),
        ("2501.00004", "2025-01-10T09:00:00+00:00", 99),  # after the range
    )
    page = await store.rising_papers(MON, MON + dt.timedelta(days=2), limit=10)
    assert [(r.paper.arxiv_id, r.start_votes, r.end_votes) for r in page.items] == [
        ("2501.00001", 10, 30),
        ("2501.00002", 3, 8),
    ]
    assert page.total == 2 and page.items[0].gained == 20
    second = await store.rising_papers(MON, MON + dt.timedelta(days=2), limit=1, offset=1)
    assert [r.paper.arxiv_id for r in second.items] == ["2501.00002"] and second.total == 2
    past = await store.rising_papers(MON, MON + dt.timedelta(days=2), limit=1, offset=5)
    assert past.items == () and past.total == 2
    everything = await store.rising_papers(None, None)
    assert everything.items[0].paper.arxiv_id == "2501.00004"


async def test_rising_papers_without_history_is_empty(store: Store) -> None:
    """No vote history (markdown imports only): an empty page."""
    await trend_corpus(store)
    page = await store.rising_papers(MON, None)
    assert page.items == () and page.total == 0


@pytest.mark.parametrize("held", [similar.df_cap(60), similar.df_cap(60) + 1])
async def test_a_term_held_by_more_papers_than_the_cap_is_not_a_key_term(
    store: Store, held: int
) -> None:
    """Document frequencies are counted up to one past the cap: a term held by exactly the cap
    still links papers, one held by one paper more does not (on every backend)."""
    papers = [
        paper(f"2501.{i:05d}", f"Graph networks study {i}", authors=(f"Author{i} X",))
        for i in range(held)
    ]
    papers[0] = paper("2501.00000", "Graph diffusion for video", authors=("Ann Lee",))
    papers[1] = paper("2501.00001", "Video diffusion on graph data", authors=("Bo Kim",))
    fillers = [
        paper(f"2502.{i:05d}", f"Speech benchmark {i}", authors=(f"Filler{i} Y",))
        for i in range(60 - held + 5)
    ]
    await store.import_digest(digest(MON, *papers, *fillers))
    assert similar.df_cap(await store.paper_count()) == similar.df_cap(60)
    found = await store.similar_papers("2501.00000", limit=3)
    assert found is not None and found.items[0].paper.arxiv_id == "2501.00001"
    assert {"diffusion", "video"} <= set(found.items[0].terms)
    assert ("graph" in found.items[0].terms) is (held <= similar.df_cap(60))


def test_the_cap_is_a_fiftieth_of_the_archive_within_bounds() -> None:
    assert similar.df_cap(100) == 50
    assert similar.df_cap(100_000) == 2000
    assert similar.df_cap(1_000_000) == similar.DF_CAP_MAX == 2000
