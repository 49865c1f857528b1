"""The storage contract on every backend: schema, imports, every query, search behaviour, hostile
input (``backend`` runs each test on SQLite and on PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import importlib
from pathlib import Path

import pytest
from backends import INTEGRITY_ERRORS, NewDatabase, Raw, raw_rows
from digests import digest, paper
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage import text as textsearch
from storage.backends import open_store
from storage.ingest.parser import parse_digest
from storage.models import Bullet, Media, Page, ParsedDigest, ParsedPaper, SortOrder
from storage.ports import Store

D1, D2, D3 = dt.date(2024, 6, 11), dt.date(2024, 6, 12), dt.date(2024, 6, 13)


async def ids(page: Page) -> list[str]:
    return [getattr(item, "paper", item).arxiv_id for item in page.items]


# --------------------------------------------------------------------------- schema


async def test_reopen_keeps_data_and_version(database: str) -> None:
    """Reopening an existing database neither re-runs migrations nor loses rows."""
    s = await open_store(database)
    version = await s.schema_version()
    await s.import_digest(digest(D1, paper("2406.00001")))
    await s.close()
    async with await open_store(database) as s2:
        assert await s2.schema_version() == version > 0
        assert await s2.paper_count() == 1


async def test_close_twice_is_harmless(database: str) -> None:
    """close() can be called again (e.g. by a context manager after an explicit close)."""
    s = await open_store(database)
    await s.close()
    await s.close()


async def test_closed_store_refuses_work(database: str) -> None:
    """A closed store raises StoreClosed instead of touching the database."""
    from storage.errors import StoreClosed

    s = await open_store(database)
    await s.close()
    with pytest.raises(StoreClosed):
        await s.paper_count()


# --------------------------------------------------------------------------- import


async def test_import_counts_new_papers(store: Store) -> None:
    """A first import reports every paper as new."""
    result = await store.import_digest(digest(D1, paper("2406.00001"), paper("2406.00002")))
    assert (result.new_papers, result.updated_papers, result.date) == (2, 0, D1)
    assert await store.paper_count() == 2


async def test_reimport_is_idempotent(store: Store, raw: Raw) -> None:
    """Importing the same digest twice leaves the same rows and reports updates, not news."""
    d = digest(D1, paper("2406.00001", authors=("A B", "C D")), paper("2406.00002"))
    await store.import_digest(d)
    counts = (
        "SELECT (SELECT count(*) FROM papers), (SELECT count(*) FROM authors), "
        "(SELECT count(*) FROM paper_authors), (SELECT count(*) FROM appearances)"
    )
    before = await raw(counts)
    result = await store.import_digest(d)
    assert (result.new_papers, result.updated_papers) == (0, 2)
    assert await raw(counts) == before
    assert (await store.search("요약")).total == 2  # the index did not double either


async def test_reimport_updates_votes(store: Store) -> None:
    """Re-importing a day with new vote counts updates that day and the latest votes."""
    await store.import_digest(digest(D1, paper("2406.00001", votes=3)))
    await store.import_digest(digest(D1, paper("2406.00001", votes=30)))
    p = await store.paper("2406.00001")
    assert p is not None and p.votes == 30 and p.days[0].votes == 30


async def test_reimport_replaces_authors(store: Store) -> None:
    """A corrected author list replaces the old one; nobody is duplicated or left behind."""
    await store.import_digest(digest(D1, paper("2406.00001", authors=("Old Name", "Kept One"))))
    await store.import_digest(digest(D1, paper("2406.00001", authors=("Kept One", "New Name"))))
    p = await store.paper("2406.00001")
    assert p is not None and p.authors == ("Kept One", "New Name")
    assert await store.suggest_authors("old") == []
    kept = await store.suggest_authors("kept")
    assert [(a.name, a.paper_count) for a in kept] == [("Kept One", 1)]


async def test_paper_on_two_days_keeps_one_row(store: Store) -> None:
    """A paper listed on two days is one paper with two appearances, oldest first."""
    await store.import_digest(digest(D2, paper("2406.00001", votes=5)))
    await store.import_digest(digest(D1, paper("2406.00009"), paper("2406.00001", votes=2)))
    assert await store.paper_count() == 2
    p = await store.paper("2406.00001")
    assert p is not None
    assert [(a.date, a.position, a.votes) for a in p.days] == [(D1, 2, 2), (D2, 1, 5)]
    assert p.votes == 5  # latest day's votes, whatever the import order


async def test_newest_digest_wins_title(store: Store) -> None:
    """Title and summary come from the newest day listing the paper, whatever the order."""
    await store.import_digest(digest(D2, paper("2406.00001", title="New Spelling")))
    await store.import_digest(digest(D1, paper("2406.00001", title="Old spelling")))
    p = await store.paper("2406.00001")
    assert p is not None and p.title == "New Spelling"
    assert (await store.search("spelling")).total == 1


async def test_changed_title_reindexed(store: Store) -> None:
    """When a newer digest retitles a paper, search finds the new title, not the old."""
    await store.import_digest(digest(D1, paper("2406.00001", title="Quokka networks")))
    await store.import_digest(digest(D2, paper("2406.00001", title="Wombat networks")))
    assert (await store.search("wombat")).total == 1
    assert (await store.search("quokka")).total == 0


async def test_changed_korean_summary_reindexed(store: Store) -> None:
    """A newer digest's summary replaces the old one in the index (old words no longer match)."""
    await store.import_digest(digest(D1, paper("2406.00001", summary=("강화학습 연구",))))
    await store.import_digest(digest(D2, paper("2406.00001", summary=("그래프 신경망",))))
    await store.import_digest(digest(D1, paper("2406.00001", summary=("강화학습 연구",))))
    assert (await store.search("신경망")).total == 1
    assert (await store.search("강화")).total == 0


async def test_import_is_atomic(store: Store) -> None:
    """If the second half of a digest fails, nothing of that file is stored."""
    await store.import_digest(digest(D1, paper("2406.00001")))
    good = paper("2406.00002", title="Fine", authors=("Zed Zulu",))
    bad = paper("2406.00003", title=None)  # type: ignore[arg-type]  # NOT NULL violation
    with pytest.raises(INTEGRITY_ERRORS):
        await store.import_digest(digest(D2, good, bad))
    assert await store.paper_count() == 1
    assert [d.date for d in await store.days()] == [D1]
    assert await store.suggest_authors("zed") == []
    assert (await store.search("fine")).total == 0


async def test_import_atomic_when_late_step_fails(
    store: Store, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure after papers and authors were written still rolls the whole file back."""
    importing_module = importlib.import_module(f"storage.{backend}.importing")

    async def boom(*args: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(importing_module, "_replace_authors", boom)
    with pytest.raises(RuntimeError, match="disk on fire"):
        await store.import_digest(digest(D1, paper("2406.00001"), paper("2406.00002")))
    monkeypatch.undo()
    assert await store.paper_count() == 0
    assert await store.is_empty()
    result = await store.import_digest(digest(D1, paper("2406.00001")))
    assert result.new_papers == 1


async def test_batch_keeps_each_file_atomic(store: Store, database: str) -> None:
    """In a batch, a failing file is rolled back alone; the files around it are committed."""
    async with store.batch():
        await store.import_digest(digest(D1, paper("2406.00001")))
        with pytest.raises(INTEGRITY_ERRORS):
            await store.import_digest(
                digest(D2, paper("2406.00002"), paper("2406.00003", title=None))  # type: ignore[arg-type]
            )
        await store.import_digest(digest(D3, paper("2406.00004")))
    await store.close()
    reopened = await open_store(database)
    try:
        assert [d.date for d in await reopened.days()] == [D3, D1]
        assert await reopened.paper("2406.00001") is not None
        assert await reopened.paper("2406.00002") is None
        assert await reopened.paper("2406.00004") is not None
    finally:
        await reopened.close()


async def test_batch_group_with_a_bad_file_keeps_the_others(store: Store, raw: Raw) -> None:
    """Several files handed over at once inside a batch (as the importer does): the bad one is
    rolled back alone with its authors, the others are stored with exact author counts."""
    async with store.batch():
        results = await store.import_digests(
            [
                digest(D1, paper("2406.00001", authors=("Ann", "Bob"))),
                digest(
                    D2,
                    paper("2406.00002", authors=("Ann", "Dee")),
                    paper("2406.00003", title=None),  # type: ignore[arg-type]
                ),
                digest(D3, paper("2406.00004", authors=("Bob",))),
            ]
        )
    assert isinstance(results[1], INTEGRITY_ERRORS)
    assert [r.new_papers for r in (results[0], results[2])] == [1, 1]  # type: ignore[union-attr]
    assert await store.paper("2406.00002") is None
    assert [d.date for d in await store.days()] == [D3, D1]
    assert await author_counts(raw) == {"Ann": (1, 1), "Bob": (2, 2)}


async def test_batch_that_raises_rolls_everything_back(store: Store) -> None:
    """A batch whose block fails leaves nothing of it behind, not even its good files."""
    with pytest.raises(RuntimeError, match="interrupted"):
        async with store.batch():
            await store.import_digest(digest(D1, paper("2406.00001")))
            raise RuntimeError("interrupted")
    assert await store.is_empty()
    result = await store.import_digest(digest(D1, paper("2406.00001")))
    assert result.new_papers == 1


async def author_counts(raw: Raw) -> dict[str, tuple[int, int]]:
    """Each stored author's name -> (stored paper_count, papers actually linked)."""
    rows = await raw(
        """SELECT a.name, a.paper_count,
                  (SELECT count(*) FROM paper_authors pa WHERE pa.author_id = a.id)
           FROM authors a""",
    )
    return {name: (count, linked) for name, count, linked in rows}


async def test_batch_author_counts_match_links(store: Store, raw: Raw) -> None:
    """Author counts written at a batch's commit equal the links, and an author a file of the
    batch added and a later file removed again is gone."""
    async with store.batch():
        await store.import_digest(digest(D1, paper("2406.00001", authors=("Ann", "Bob"))))
        await store.import_digest(digest(D2, paper("2406.00002", authors=("Bob",))))
        # D1 again with a corrected list: Ann (added by this batch) loses her only paper.
        await store.import_digest(digest(D1, paper("2406.00001", authors=("Bob", "Cy"))))
    assert await author_counts(raw) == {"Bob": (2, 2), "Cy": (1, 1)}


async def orphan_links(raw: Raw) -> list[tuple[object, ...]]:
    """Author links whose paper or author is not stored."""
    return await raw(
        """SELECT pa.paper_id, pa.author_id FROM paper_authors pa
           WHERE NOT EXISTS (SELECT 1 FROM papers p WHERE p.id = pa.paper_id)
              OR NOT EXISTS (SELECT 1 FROM authors a WHERE a.id = pa.author_id)"""
    )


async def test_author_links_always_name_stored_papers_and_authors(store: Store, raw: Raw) -> None:
    """Every author link points to a stored paper and a stored author, through batches,
    corrected author lists (authors left with no paper are deleted), a file rolled back inside
    a batch, several batches and API days. (PostgreSQL has no foreign key on the links since its
    migration 9: the importer is what guarantees this.)"""
    async with store.batch():
        await store.import_digest(digest(D1, paper("2406.00001", authors=("Ann", "Bob"))))
        await store.import_digest(digest(D2, paper("2406.00002", authors=("Bob", "Eve"))))
        await store.import_digest(digest(D1, paper("2406.00001", authors=("Bob", "Cy"))))
        with pytest.raises(INTEGRITY_ERRORS):
            await store.import_digest(
                digest(
                    D3,
                    paper("2406.00003", authors=("Dee",)),
                    paper("2406.00004", title=None),  # type: ignore[arg-type]
                )
            )
    async with store.batch():
        # A second batch: Eve loses her only paper, Ann comes back, Dee is new.
        results = await store.import_digests(
            [
                digest(D2, paper("2406.00002", authors=("Bob", "Ann"))),
                digest(D3, paper("2406.00003", authors=("Dee", "Cy"))),
            ]
        )
        assert all(not isinstance(r, Exception) for r in results)
    await store.import_api_digest(digest(D3, paper("2406.00005", authors=("Fay", "Ann"))))
    assert await orphan_links(raw) == []
    assert await author_counts(raw) == {
        "Ann": (2, 2),
        "Bob": (2, 2),
        "Cy": (2, 2),
        "Dee": (1, 1),
        "Fay": (1, 1),
    }


async def test_older_digest_links_only_its_new_papers(store: Store, raw: Raw) -> None:
    """An older digest listing a stored paper beside a new one gives authors to the new paper
    only: the stored paper keeps its list, and nobody only the stored paper listed is added."""
    await store.import_digest(digest(D2, paper("2406.00001", authors=("Ann",))))
    await store.import_digest(
        digest(
            D1,
            paper("2406.00001", authors=("Old Only", "Bob")),
            paper("2406.00002", authors=("Bob", "Cy")),
        )
    )
    first, second = await store.paper("2406.00001"), await store.paper("2406.00002")
    assert first is not None and first.authors == ("Ann",)
    assert second is not None and second.authors == ("Bob", "Cy")
    assert await author_counts(raw) == {"Ann": (1, 1), "Bob": (1, 1), "Cy": (1, 1)}


async def test_batch_failed_file_changes_no_counts(store: Store, raw: Raw) -> None:
    """A file rolled back inside a batch leaves neither its authors nor their counts."""
    await store.import_digest(digest(D1, paper("2406.00001", authors=("Ann",))))
    async with store.batch():
        with pytest.raises(INTEGRITY_ERRORS):
            await store.import_digest(
                digest(
                    D2,
                    paper("2406.00002", authors=("Ann", "Dee")),
                    paper("2406.00003", title=None),  # type: ignore[arg-type]
                )
            )
        await store.import_digest(digest(D3, paper("2406.00004", authors=("Ann",))))
    assert await author_counts(raw) == {"Ann": (2, 2)}


async def test_prepared_digest_imports_like_parsed(new_database: NewDatabase) -> None:
    """A digest prepared ahead (and pickled, as the worker sends it) imports exactly like the
    parsed digest it came from."""
    import pickle

    from storage.prepare import prepare_digest

    days = [
        digest(D1, paper("2406.00001", authors=("Ann", "Bob", "ann")), paper("2406.00002")),
        digest(D2, paper("2406.00001", "Renamed", authors=("Bob",), votes=None)),
    ]
    dumps = []
    for prepare in (False, True):
        database = await new_database()
        async with await open_store(database) as s:
            for d in days:
                await s.import_digest(
                    pickle.loads(pickle.dumps(prepare_digest(d))) if prepare else d
                )
        dumps.append(
            [
                await raw_rows(database, f"SELECT * FROM {table} ORDER BY 1, 2")
                for table in ("papers", "appearances", "authors", "paper_authors", "author_terms")
            ]
        )
    assert dumps[0] == dumps[1]
    # Ann (also listed as "ann") lost her only paper on D2.
    assert dumps[0][2] == [(2, "Bob", "bob", 1), (3, "Ada Lovelace", "ada lovelace", 1)]


async def test_newer_markdown_day_keeps_api_extras(store: Store) -> None:
    """A newer markdown digest replaces a paper's content but keeps the extras the API gave."""
    api = ParsedPaper(
        **{
            **{f: getattr(paper("2406.00001"), f) for f in ParsedPaper.__slots__},
            "github_stars": 7,
            "keywords": ("agents",),
        }
    )
    await store.import_api_digest(digest(D1, api))
    await store.import_digest(digest(D2, paper("2406.00001", "Newer title")))
    got = await store.paper("2406.00001")
    assert got is not None
    assert (got.title, got.github_stars, got.keywords) == ("Newer title", 7, ("agents",))


async def test_problems_pass_through(store: Store) -> None:
    """Parser problems reach the ImportResult; a repeated paper in one file is reported too."""
    from storage.models import Problem, ProblemCode

    d = digest(D1, paper("2406.00001"), paper("2406.00001", title="again"))
    heading = Problem("x.md", 3, ProblemCode.HEADING_NO_LINK, ("[bad]",))
    d = ParsedDigest(d.date, d.papers, (heading,), "x.md")
    result = await store.import_digest(d)
    assert result.problems[0] == heading
    assert result.problems[1].code is ProblemCode.DUPLICATE_PAPER
    assert result.problems[1].values[0] == "2406.00001"
    assert result.new_papers == 1


async def test_empty_day_is_recorded(store: Store) -> None:
    """A header-only digest records the day with zero papers but is not the latest day."""
    await store.import_digest(digest(D1, paper("2406.00001")))
    await store.import_digest(digest(D2))
    assert [(d.date, d.paper_count) for d in await store.days()] == [(D2, 0), (D1, 1)]
    assert await store.latest_day() == D1
    assert not await store.is_empty()


async def test_media_and_bullets_round_trip(store: Store) -> None:
    """Media and labelled bullets come back exactly as imported."""
    p = ParsedPaper(
        "2406.00001",
        "T",
        "https://arxiv.org/abs/2406.00001",
        ("A",),
        True,
        None,
        Media("video", "https://x/v.mp4"),
        (Bullet("What's New", "새 <bbox> 내용"), Bullet(None, "둘째")),
        1,
        5,
    )
    await store.import_digest(ParsedDigest(D1, (p,), (), "x.md"))
    got = await store.paper("2406.00001")
    assert got is not None
    assert got.media == Media("video", "https://x/v.mp4")
    assert got.summary == p.summary
    assert got.authors_truncated is True and got.votes is None


async def test_authors_in_digest_order(store: Store) -> None:
    """Authors come back in their order on the paper, not by name or by when they were stored."""
    await store.import_digest(digest(D1, paper("2406.00001", authors=("Cy", "Bo", "Al"))))
    await store.import_digest(digest(D1, paper("2406.00002", authors=("Al", "Dee", "Cy", "Bo"))))
    got = await store.paper("2406.00002")
    assert got is not None and got.authors == ("Al", "Dee", "Cy", "Bo")
    day = await store.day_papers(D1)
    assert [p.authors for p in day.items] == [("Cy", "Bo", "Al"), ("Al", "Dee", "Cy", "Bo")]


async def test_author_names_with_odd_characters(store: Store) -> None:
    """Names with commas, quotes and non-Latin letters come back whole and separate."""
    names = ("O'Brien, Jr.", "김민수", 'A "B" C', "Ñandú Ávila")
    await store.import_digest(digest(D1, paper("2406.00001", authors=names)))
    got = await store.paper("2406.00001")
    assert got is not None and got.authors == names


async def test_paper_without_authors(store: Store) -> None:
    """A paper with no authors reads back with an empty author list."""
    await store.import_digest(digest(D1, paper("2406.00001", authors=())))
    got = await store.paper("2406.00001")
    assert got is not None and got.authors == ()


async def test_days_oldest_first_with_votes(store: Store) -> None:
    """A paper's days come back oldest first with each day's position and votes (unknown kept
    as None), whatever order the digests were imported in."""
    await store.import_digest(digest(D3, paper("2406.00009"), paper("2406.00001", votes=30)))
    await store.import_digest(digest(D1, paper("2406.00001", votes=None)))
    await store.import_digest(
        digest(D2, paper("2406.00008"), paper("2406.00007"), paper("2406.00001", votes=20))
    )
    got = await store.paper("2406.00001")
    assert got is not None
    assert [(a.date, a.position, a.votes) for a in got.days] == [
        (D1, 1, None),
        (D2, 3, 20),
        (D3, 2, 30),
    ]
    assert got.first_day == D1 and got.last_day == D3


async def test_papers_keep_the_order_of_ids_and_skip_unknown(store: Store, raw: Raw) -> None:
    """The internal page read returns papers in the order asked, skipping ids that do not exist."""
    await store.import_digest(
        digest(D1, paper("2406.00001"), paper("2406.00002"), paper("2406.00003"))
    )
    rows = await raw("SELECT id, arxiv_id FROM papers")
    by_arxiv = {arxiv_id: pid for pid, arxiv_id in rows}
    asked = [by_arxiv["2406.00003"], 999_999, by_arxiv["2406.00001"], -1, by_arxiv["2406.00002"]]
    got = await store.papers_by_ids(asked)
    assert [p.arxiv_id for p in got] == ["2406.00003", "2406.00001", "2406.00002"]
    assert await store.papers_by_ids([]) == []
    assert await store.papers_by_ids([999_999]) == []


# --------------------------------------------------------------------------- days and tops


@pytest.fixture
async def three_days(store: Store) -> Store:
    await store.import_digest(
        digest(D1, paper("2406.00011", votes=5), paper("2406.00012", votes=50))
    )
    await store.import_digest(
        digest(
            D2,
            paper("2406.00021", votes=None),
            paper("2406.00022", votes=7),
            paper("2406.00023", votes=7),
            paper("2406.00011", votes=9),
        )
    )
    await store.import_digest(digest(D3, paper("2406.00031", votes=1)))
    return store


async def test_latest_day(three_days: Store) -> None:
    """latest_day is the newest digest day."""
    assert await three_days.latest_day() == D3


async def test_latest_day_empty_store(store: Store) -> None:
    """An empty store has no latest day and says it is empty."""
    assert await store.latest_day() is None
    assert await store.is_empty()


async def test_day_papers_order(three_days: Store) -> None:
    """A day lists by that day's votes desc, ties by position, unknown votes last."""
    page = await three_days.day_papers(D2)
    assert await ids(page) == ["2406.00011", "2406.00022", "2406.00023", "2406.00021"]
    assert page.total == 4


async def test_day_papers_pagination(three_days: Store) -> None:
    """limit/offset page through a day while total stays the day's count."""
    page = await three_days.day_papers(D2, limit=2, offset=2)
    assert await ids(page) == ["2406.00023", "2406.00021"]
    assert (page.total, page.offset, page.limit, page.page_count) == (4, 2, 2, 2)


async def test_day_without_digest(three_days: Store) -> None:
    """A day with no digest gives an empty page, not an error."""
    page = await three_days.day_papers(dt.date(2030, 1, 1))
    assert page.items == () and page.total == 0


async def test_days_prefix_and_limit(three_days: Store) -> None:
    """days() is newest first and filters on a YYYY-MM-DD prefix."""
    assert [d.date for d in await three_days.days(prefix="2024-06-1", limit=2)] == [D3, D2]
    assert await three_days.days(prefix="2023") == []


async def test_nearest_days(three_days: Store) -> None:
    """nearest_days gives the closest digest days before and after a date."""
    assert await three_days.nearest_days(D2) == (D1, D3)
    assert await three_days.nearest_days(dt.date(2024, 1, 1)) == (None, D1)


async def test_top_papers_range(three_days: Store) -> None:
    """Top over a range ranks by the best votes inside the range (inclusive)."""
    page = await three_days.top_papers(D2, D3, limit=3)
    assert await ids(page) == ["2406.00011", "2406.00022", "2406.00023"]
    assert page.total == 5


async def test_top_papers_all_time(three_days: Store) -> None:
    """With no range, the best votes ever decide."""
    page = await three_days.top_papers(None, None, limit=2)
    assert await ids(page) == ["2406.00012", "2406.00011"]
    assert page.total == 6


async def test_top_papers_open_start(three_days: Store) -> None:
    """An open start with an end date keeps only days up to the end."""
    page = await three_days.top_papers(None, D1)
    assert await ids(page) == ["2406.00012", "2406.00011"]


# --------------------------------------------------------------------------- papers


@pytest.mark.parametrize(
    "ref",
    [
        "2406.00011",
        "2406.00011v3",
        "https://arxiv.org/abs/2406.00011",
        "https://arxiv.org/abs/2406.00011v2",
        "https://arxiv.org/pdf/2406.00011v1.pdf",
        "http://www.arxiv.org/pdf/2406.00011",
        "https://huggingface.co/papers/2406.00011",
        "/papers/2406.00011",
        " arXiv:2406.00011 ",
    ],
)
async def test_paper_by_reference(three_days: Store, ref: str) -> None:
    """A paper is found by id, versioned id, arXiv abs/pdf URL or HF URL."""
    p = await three_days.paper(ref)
    assert p is not None and p.arxiv_id == "2406.00011"


async def test_paper_unknown(three_days: Store) -> None:
    """Unknown or junk references return None."""
    assert await three_days.paper("9999.99999") is None
    assert await three_days.paper("") is None
    assert await three_days.paper("'; DROP TABLE papers; --") is None


async def test_suggest_papers(store: Store) -> None:
    """Paper autocomplete matches title word prefixes; empty text gives the newest papers."""
    await store.import_digest(digest(D1, paper("2406.00001", title="Magpie alignment data")))
    await store.import_digest(digest(D2, paper("2406.00002", title="Video generation")))
    assert [p.arxiv_id for p in await store.suggest_papers("magp")] == ["2406.00001"]
    assert [p.arxiv_id for p in await store.suggest_papers("")] == ["2406.00002", "2406.00001"]
    assert [p.arxiv_id for p in await store.suggest_papers("2406.0000")] == [
        "2406.00002",
        "2406.00001",
    ]


async def test_iter_papers(three_days: Store) -> None:
    """iter_papers yields every paper once, by first day then position, within a range."""
    got = [p.arxiv_id async for p in three_days.iter_papers()]
    assert got == [
        "2406.00011",
        "2406.00012",
        "2406.00021",
        "2406.00022",
        "2406.00023",
        "2406.00031",
    ]
    assert [p.arxiv_id async for p in three_days.iter_papers(since=D3)] == ["2406.00031"]


# --------------------------------------------------------------------------- authors


@pytest.fixture
async def authored(store: Store) -> Store:
    await store.import_digest(
        digest(
            D1,
            paper("2406.00001", authors=("Matthias Nießner", "José Ávila", "Bill Yuchen Lin")),
            paper("2406.00002", authors=("José Ávila", "Bill Yuchen Lin"), votes=10),
        )
    )
    await store.import_digest(
        digest(D2, paper("2406.00003", authors=("Jose Avila", "Yejin Choi"), votes=4))
    )
    return store


async def test_author_diacritics_and_case(authored: Store) -> None:
    """niessner finds Nießner, avila finds Ávila; spellings differing only so are one author."""
    assert [a.name for a in await authored.suggest_authors("niessner")] == ["Matthias Nießner"]
    assert [a.name for a in await authored.suggest_authors("NIEß")] == ["Matthias Nießner"]
    found = await authored.suggest_authors("avila")
    assert [(a.name, a.paper_count) for a in found] == [("José Ávila", 3)]


async def test_author_letters_without_decomposition(store: Store) -> None:
    """stypulkowski, thuno and ovrelid find Stypułkowski, Thunø and Øvrelid, by name and as
    typed prefixes (ł, ø are not accents: decomposition leaves them alone)."""
    await store.import_digest(
        digest(D1, paper("2406.00001", authors=("Dawid Stypułkowski", "Ida Thunø", "L Øvrelid")))
    )
    for typed, name in (
        ("stypulkowski", "Dawid Stypułkowski"),
        ("thuno", "Ida Thunø"),
        ("ovrelid", "L Øvrelid"),
    ):
        assert [a.name for a in await store.find_authors(typed)] == [name]
        assert [a.name for a in await store.suggest_authors(typed[:4])] == [name]


async def test_author_prefix_of_any_part(authored: Store) -> None:
    """Autocomplete matches the start of the full name or of any later name part."""
    assert [a.name for a in await authored.suggest_authors("yuchen l")] == ["Bill Yuchen Lin"]
    assert [a.name for a in await authored.suggest_authors("bill y")] == ["Bill Yuchen Lin"]
    assert await authored.suggest_authors("uchen") == []


async def test_author_suggestions_most_papers_first(authored: Store) -> None:
    """Suggestions are ordered by paper count; empty input lists the most prolific."""
    top = await authored.suggest_authors("", limit=2)
    assert [a.name for a in top] == ["José Ávila", "Bill Yuchen Lin"]


async def test_find_authors_exact_first(authored: Store) -> None:
    """find_authors puts the exact normalized name before mere prefix matches."""
    await authored.import_digest(digest(D3, paper("2406.00009", authors=("Bill Yuchen Linden",))))
    await authored.import_digest(
        digest(dt.date(2024, 6, 14), paper("2406.00010", authors=("Bill Yuchen Linden",)))
    )
    found = await authored.find_authors("bill yuchen lin")
    assert [a.name for a in found] == ["Bill Yuchen Lin", "Bill Yuchen Linden"]


async def test_author_profile(authored: Store) -> None:
    """A profile has totals, first/last day, co-authors by shared papers, papers newest first."""
    avila = (await authored.find_authors("avila"))[0]
    prof = await authored.author_profile(avila.id)
    assert prof is not None
    assert prof.total_votes == 1 + 10 + 4
    assert (prof.first_day, prof.last_day) == (D1, D2)
    assert (prof.coauthors[0].author.name, prof.coauthors[0].shared_papers) == (
        "Bill Yuchen Lin",
        2,
    )
    assert prof.papers.items[0].arxiv_id == "2406.00003"
    assert prof.papers.total == 3


async def test_author_profile_coauthors_cut_within_a_tie(store: Store) -> None:
    """With more co-authors than asked for, the list is the most shared first, a tie broken by
    paper count then id, also when the cut falls inside a tie."""
    lead = "Lea Lead"
    papers = [
        paper("2406.00001", authors=(lead, "Xu Three", "Yan Two", "Zoe Two")),
        paper("2406.00002", authors=(lead, "Xu Three", "Yan Two", "Wes One")),
        paper("2406.00003", authors=(lead, "Xu Three", "Zoe Two")),
        paper("2406.00004", authors=("Yan Two", "Vic Other")),  # Yan: more papers than Zoe
    ]
    await store.import_digest(digest(D1, *papers))
    found = (await store.find_authors(lead))[0]
    for asked, expected in (
        (1, ["Xu Three"]),
        (2, ["Xu Three", "Yan Two"]),
        (3, ["Xu Three", "Yan Two", "Zoe Two"]),
        (10, ["Xu Three", "Yan Two", "Zoe Two", "Wes One"]),
    ):
        prof = await store.author_profile(found.id, coauthors=asked)
        assert prof is not None
        assert [c.author.name for c in prof.coauthors] == expected
    prof = await store.author_profile(found.id, coauthors=2)
    assert prof is not None
    assert [c.shared_papers for c in prof.coauthors] == [3, 2]
    assert (await store.author_profile(found.id, coauthors=0)) is not None


async def test_author_profile_unknown(store: Store) -> None:
    """An unknown author id gives None."""
    assert await store.author_profile(12345) is None


# --------------------------------------------------------------------------- search


@pytest.fixture
async def searchable(store: Store) -> Store:
    await store.import_digest(
        digest(
            D1,
            paper(
                "2406.00001",
                title="Diffusion Models for Video Editing",
                summary=("이 모델은 비디오 편집을 위한 확산 모델입니다.",),
                votes=3,
            ),
            paper(
                "2406.00002",
                title="Scaling language models",
                summary=("대규모 언어모델의 학습 데이터를 분석합니다. diffusion is mentioned.",),
                votes=30,
            ),
            paper(
                "2406.00003",
                title="Robot hands",
                summary=("로봇 손의 성능이 향상되었다. 책을 읽는다.",),
                votes=None,
            ),
        )
    )
    await store.import_digest(
        digest(
            D2,
            paper(
                "2406.00004",
                title="Video understanding with LLMs",
                summary=("LLM이 영상을 이해하는 방법. The model edits nothing.",),
                votes=8,
            ),
        )
    )
    return store


async def test_search_english_any_case(searchable: Store) -> None:
    """English words match whatever the case."""
    assert sorted(await ids(await searchable.search("VIDEO "))) == ["2406.00001", "2406.00004"]


async def test_search_title_weighs_more(searchable: Store) -> None:
    """A word in the title ranks above the same word only in a summary."""
    assert (await ids(await searchable.search("diffusion ")))[0] == "2406.00001"


async def test_search_phrase(searchable: Store) -> None:
    """A quoted phrase needs the words together and in order."""
    assert await ids(await searchable.search('"video editing"')) == ["2406.00001"]
    assert await ids(await searchable.search('"editing video"')) == []


async def test_search_longer_phrases_and_joined_words(searchable: Store) -> None:
    """A phrase of three words needs all three in order; words joined by a hyphen are a phrase
    whose last word is also a prefix when typed last."""
    assert await ids(await searchable.search('"the model edits"')) == ["2406.00004"]
    assert await ids(await searchable.search('"model the edits"')) == []
    assert await ids(await searchable.search('"the model edits nothing"')) == ["2406.00004"]
    assert await ids(await searchable.search("video-edit")) == ["2406.00001"]
    assert await ids(await searchable.search("video-edit diffusion")) == []  # not a prefix


async def test_search_phrase_stays_in_the_title_or_the_summary(store: Store) -> None:
    """A phrase never runs from the title's last word into the summary's first."""
    await store.import_digest(
        digest(
            D1,
            paper("2406.00011", title="Sparse attention", summary=("heads prune tokens.",)),
        )
    )
    assert await ids(await store.search('"sparse attention"')) == ["2406.00011"]
    assert await ids(await store.search('"heads prune tokens"')) == ["2406.00011"]
    assert await ids(await store.search('"attention heads"')) == []


async def test_search_trailing_prefix(searchable: Store) -> None:
    """The last word typed is also a prefix; earlier words are whole words."""
    assert await ids(await searchable.search("scal")) == ["2406.00002"]
    assert await ids(await searchable.search("scal models")) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("모델", {"2406.00001", "2406.00002"}),  # 모델은, 모델입니다, 언어모델의
        ("언어모델", {"2406.00002"}),
        ("성능", {"2406.00003"}),  # 성능이
        ("책", {"2406.00003"}),  # one syllable: 책을
        ("학습 데이터", {"2406.00002"}),
        ("LLM이", {"2406.00004"}),
        ("diffusion 모델", {"2406.00001", "2406.00002"}),
    ],
)
async def test_search_korean(searchable: Store, query: str, expected: set[str]) -> None:
    """Korean words are found with particles attached, inside compounds, mixed with English."""
    assert set(await ids(await searchable.search(query))) == expected


async def test_search_snippet_highlights(searchable: Store) -> None:
    """The snippet comes from the summary with the matched text marked."""
    page = await searchable.search("모델")
    hit = next(h for h in page.items if h.paper.arxiv_id == "2406.00002")
    marked = [text for text, matched in hit.snippet if matched]
    assert marked == ["모델"]
    assert "".join(text for text, _ in hit.snippet) == hit.paper.summary[0].text


async def test_search_sort_votes_and_newest(searchable: Store) -> None:
    """sort=votes orders by latest votes; sort=newest by latest appearance."""
    by_votes = await ids(await searchable.search("video", sort="votes"))
    assert by_votes == ["2406.00004", "2406.00001"]
    newest = await ids(await searchable.search("model", sort="newest"))
    assert newest[0] == "2406.00004"


async def test_search_date_range(searchable: Store) -> None:
    """since/until keep only papers listed in the range."""
    assert await ids(await searchable.search("video", since=D2)) == ["2406.00004"]
    assert await ids(await searchable.search("video", until=D1)) == ["2406.00001"]


async def test_search_pagination_total(store: Store) -> None:
    """Pages of a search cover all matches once, and total counts them all."""
    await store.import_digest(
        digest(D1, *(paper(f"2406.{i:05d}", title=f"Common word {i}") for i in range(25)))
    )
    seen: list[str] = []
    for offset in (0, 10, 20):
        page = await store.search("common", limit=10, offset=offset)
        assert page.total == 25
        seen += await ids(page)
    assert sorted(seen) == sorted(f"2406.{i:05d}" for i in range(25))


@pytest.mark.parametrize("sort", ["relevance", "votes", "newest"])
async def test_search_total_on_every_kind_of_page(store: Store, sort: SortOrder) -> None:
    """The total is right on a full page, a partial one, one past the end, an empty limit and
    with a date range, for every sort order."""
    await store.import_digest(
        digest(D1, *(paper(f"2406.{i:05d}", title=f"Common word {i}") for i in range(12)))
    )
    await store.import_digest(digest(D2, paper("2406.00100", title="Common thing")))
    for limit, offset, items in ((10, 0, 10), (10, 10, 3), (10, 50, 0), (0, 0, 0)):
        page = await store.search("common", sort=sort, limit=limit, offset=offset)
        assert (page.total, len(page.items)) == (13, items)
    dated = await store.search("common", since=D2, sort=sort)
    assert (dated.total, await ids(dated)) == (1, ["2406.00100"])
    past = await store.search("common", until=D1, sort=sort, offset=20)
    assert (past.total, past.items) == (12, ())
    assert (await store.search("nothingmatches", sort=sort)).total == 0


async def quokka_papers(store: Store) -> list[str]:
    """Seven papers added one after another (each on its own day), all matching ``quokka``: in
    the title of the second and the sixth, in the summary only of the others."""
    arxiv_ids = []
    for i in range(7):
        arxiv_id = f"2406.{i:05d}"
        title = f"{'Quokka' if i in (1, 5) else 'Wombat'} study {i}"
        day = D1 + dt.timedelta(days=i)
        await store.import_digest(digest(day, paper(arxiv_id, title, summary=("A quokka.",))))
        arxiv_ids.append(arxiv_id)
    return arxiv_ids


async def test_search_ranks_newest_window_first(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With more matches than a ranking window, the newest window comes first, each window by
    relevance (the title match on top), and the total still counts every match."""
    monkeypatch.setattr(textsearch, "RANK_WINDOW", 3)
    p = await quokka_papers(store)
    page = await store.search("quokka", limit=10)
    found = await ids(page)
    assert page.total == 7 and len(found) == 7
    assert found[0] == p[5] and set(found[:3]) == {p[4], p[5], p[6]}
    assert found[3] == p[1] and set(found[3:6]) == {p[1], p[2], p[3]}
    assert found[6] == p[0]


@pytest.mark.parametrize("limit", [1, 2, 3, 4])
async def test_search_pages_across_windows(
    store: Store, monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    """Paging through ranking windows lists every match once, in the order of one long page,
    pages that straddle two windows included, with the full total on each."""
    monkeypatch.setattr(textsearch, "RANK_WINDOW", 3)
    await quokka_papers(store)
    whole = await ids(await store.search("quokka", limit=10))
    paged: list[str] = []
    for offset in range(0, 8, limit):
        page = await store.search("quokka", limit=limit, offset=offset)
        assert page.total == 7
        paged += await ids(page)
    assert paged == whole


@pytest.mark.parametrize("sort", ["relevance", "votes", "newest"])
async def test_search_counts_up_to_the_cap(
    store: Store, monkeypatch: pytest.MonkeyPatch, sort: SortOrder
) -> None:
    """Past COUNT_CAP matches the total is the cap and ``more`` says there are more, on every
    page and sort order; the pages up to the cap list the matches in the same order as when
    they are fewer than the cap, without gaps or repeats."""
    monkeypatch.setattr(textsearch, "COUNT_CAP", 5)
    await quokka_papers(store)
    seen: list[str] = []
    for offset in (0, 2, 4):
        page = await store.search("quokka", sort=sort, limit=2, offset=offset)
        assert (page.total, page.more, page.page_count) == (5, True, 3)
        seen += await ids(page)
    assert len(seen) == len(set(seen)) == 6
    monkeypatch.setattr(textsearch, "COUNT_CAP", 7)
    exact = await store.search("quokka", sort=sort)
    assert (exact.total, exact.more, len(exact.items)) == (7, False, 7)
    assert seen == (await ids(exact))[:6]  # many matches (an index walk) or few: one order
    dated = await store.search("quokka", sort=sort, since=D1 + dt.timedelta(days=5))
    assert (dated.total, dated.more) == (2, False)


@pytest.mark.parametrize(
    ("window", "cap", "expected"), [(3, 2, (2, True)), (10, 5, (5, True)), (10, 8, (7, False))]
)
async def test_search_total_when_the_cap_is_below_a_window(
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    window: int,
    cap: int,
    expected: tuple[int, bool],
) -> None:
    """With a count cap below the ranking window, every page by relevance reports the same
    total: a page of a later window too, and one past the last match."""
    monkeypatch.setattr(textsearch, "RANK_WINDOW", window)
    monkeypatch.setattr(textsearch, "COUNT_CAP", cap)
    await quokka_papers(store)
    for offset in range(0, 9, 2):
        page = await store.search("quokka", limit=2, offset=offset)
        assert (page.total, page.more) == expected
        assert len(page.items) == max(0, min(2, 7 - offset))


async def test_suggestions_rank_newest_title_matches(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Paper suggestions rank the newest title matches of a window (equal ones oldest first); a
    summary-only match is never suggested."""
    monkeypatch.setattr(textsearch, "RANK_WINDOW", 1)
    p = await quokka_papers(store)
    assert [s.arxiv_id for s in await store.suggest_papers("quok")] == [p[5]]
    monkeypatch.setattr(textsearch, "RANK_WINDOW", 5)
    assert [s.arxiv_id for s in await store.suggest_papers("quok")] == [p[1], p[5]]


@pytest.mark.parametrize(
    "query",
    ["", "   ", "***", '"', '""', "()", "🙂🙂", "-", "^", ":", "NOT", "AND OR NEAR"],
)
async def test_search_junk_is_empty_or_safe(searchable: Store, query: str) -> None:
    """Operator words and punctuation never raise; pure punctuation gives an empty page."""
    page = await searchable.search(query)
    assert isinstance(page, Page)


async def test_search_empty_query_total_zero(searchable: Store) -> None:
    """An empty or punctuation-only query is an empty page with total 0."""
    for q in ("", "  ", "?!*", "🙂"):
        page = await searchable.search(q)
        assert (page.items, page.total) == ((), 0)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.one_of(
        st.text(max_size=60),
        st.lists(
            st.sampled_from(
                [
                    '"',
                    "*",
                    "-",
                    "NOT",
                    "OR",
                    "AND",
                    "NEAR",
                    "(",
                    ")",
                    ":",
                    "^",
                    "+",
                    "{",
                    "}",
                    "title:",
                    "모델",
                    "video",
                    "🙂",
                    "\x00",
                    "'",
                    "\\",
                    "NEAR(",
                    ",",
                    " ",
                ]
            ),
            max_size=12,
        ).map(" ".join),
    )
)
async def test_search_hostile_input_property(searchable: Store, text: str) -> None:
    """Any text at all gives a Page (never an FTS syntax error or a crash)."""
    for sort in ("relevance", "votes"):
        page = await searchable.search(text, sort=sort)  # type: ignore[arg-type]
        assert isinstance(page, Page) and page.total >= len(page.items)
    assert isinstance(await searchable.suggest_papers(text), list)
    assert isinstance(await searchable.suggest_authors(text), list)
    assert await searchable.paper(text) is None or True


async def test_search_huge_query(searchable: Store) -> None:
    """10,000 characters of query are answered quickly and safely."""
    page = await searchable.search("video " * 1666 + "x" * 4)
    assert isinstance(page, Page)
    page = await searchable.search('"(' * 5000)
    assert page.total == 0


# --------------------------------------------------------------------------- real samples


async def test_samples_import(sample_store: Store, sample_paths: list[Path]) -> None:
    """Every bundled sample imports; days match the files."""
    days = {d.date for d in await sample_store.days()}
    expected = {parse_digest(p.read_text(encoding="utf-8"), str(p)).date for p in sample_paths}
    assert days == expected
    assert await sample_store.paper_count() > 100


@pytest.mark.parametrize("word", ["모델", "학습", "데이터", "성능", "언어", "이미지", "생성"])
async def test_samples_korean_recall(sample_store: Store, word: str) -> None:
    """Korean recall on the samples is 100%: every paper containing the word is found."""
    expected: set[str] = set()
    async for p in sample_store.iter_papers():
        text = p.title + " ".join(b.text for b in p.summary)
        if word in text:
            expected.add(p.arxiv_id)
    page = await sample_store.search(word, limit=len(expected) + 10)
    assert expected and {h.paper.arxiv_id for h in page.items} == expected
    # Counted up to COUNT_CAP: past it the total says "more than".
    assert page.total == min(len(expected), textsearch.COUNT_CAP)
    assert page.more == (len(expected) > textsearch.COUNT_CAP)


async def test_samples_particles_found(sample_store: Store) -> None:
    """A word that the samples only show with particles attached is still found."""
    page = await sample_store.search("모델", limit=1000)
    summaries = [" ".join(b.text for b in h.paper.summary) for h in page.items]
    assert any("모델이" in s or "모델을" in s or "모델의" in s for s in summaries)


async def test_samples_unicode_author(sample_store: Store) -> None:
    """An author with a ß in the samples is found by its plain-ASCII spelling."""
    assert any("Nießner" in a.name for a in await sample_store.suggest_authors("niessner"))


async def test_fetch_misses_are_remembered_and_forgotten(store: Store) -> None:
    """The days a fetch failed to read, per source, until they are read (both backends)."""
    at = dt.datetime(2025, 5, 10, tzinfo=dt.UTC)
    day, other = dt.date(2025, 5, 8), dt.date(2025, 5, 9)
    assert await store.fetch_misses() == set()
    await store.record_fetch_miss("hf", day, missed=True, at=at)
    await store.record_fetch_miss("hf", day, missed=True, at=at)  # twice: still one
    await store.record_fetch_miss("url", other, missed=True, at=at)
    assert await store.fetch_misses() == {("hf", day), ("url", other)}
    await store.record_fetch_miss("hf", day, missed=False, at=at)
    await store.record_fetch_miss("hf", other, missed=False, at=at)  # never missed: nothing
    assert await store.fetch_misses() == {("url", other)}
