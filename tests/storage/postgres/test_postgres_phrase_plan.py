"""How PostgreSQL reads a phrase's matches (English words, Korean bigrams): the planner's
statistics of the query's lexemes decide between walking the newest papers and reading every
paper the index finds, and either way the answer is the same."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from asyncpg import Record
from backends import Raw
from digests import digest, paper

from storage.postgres import fulltext, statistics
from storage.postgres.connection import Conn
from storage.postgres.statistics import Shares, prefer_bitmap
from storage.postgres.store import Store
from storage.text import parse_query

DAY = dt.date(2025, 1, 6)


def test_few_matches_are_read_through_the_index_and_many_walked() -> None:
    """The matches are read when fewer than the walk would read to find a window's worth: a
    phrase held by 6.9% of 100k papers is read (6,900 rows against about 29,000), the same
    share of a million is walked (69,000 against 29,000)."""
    assert prefer_bitmap(0.069, 100_000, 2000)
    assert not prefer_bitmap(0.069, 1_000_000, 2000)
    assert not prefer_bitmap(0.5, 100_000, 2000)
    assert prefer_bitmap(0.001, 1_000_000, 2000)
    assert prefer_bitmap(0.0, 1_000_000, 2000)
    # a match read through the index costing four papers walked (title words at a million)
    assert prefer_bitmap(0.028, 1_000_000, 2000) and not prefer_bitmap(
        0.028, 1_000_000, 2000, read_cost=4.0
    )
    assert prefer_bitmap(0.0001, 1_000_000, 2000, read_cost=4.0)


def test_shares_of_listed_unlisted_and_prefix_lexemes() -> None:
    """A listed lexeme has its own share, an unlisted one the least listed share, a prefix the
    listed lexemes it begins added up."""
    shares = Shares(1000.0, {"language models": 0.2, "language modeling": 0.05}, 0.01)
    assert shares.share("language models") == 0.2
    assert shares.share("graph networks") == 0.01
    assert shares.share("language model", prefix=True) == pytest.approx(0.25)
    assert shares.share("zebra", prefix=True) == 0.01


def test_a_word_prefix_leaves_out_the_pairs_it_begins() -> None:
    """A paper holding the pair "language models" holds the word "language" too: a word's
    prefix counts the words it begins, a pair's prefix the pairs."""
    listed = {"language": 0.3, "languages": 0.1, "language models": 0.25, "language model": 0.05}
    shares = Shares(1000.0, listed, 0.01)
    assert shares.share("languag", prefix=True) == pytest.approx(0.4)
    assert shares.share("language mod", prefix=True) == pytest.approx(0.3)


def test_a_query_is_as_common_as_its_terms_together() -> None:
    """A term's lexemes go together (a phrase's pairs: the rarest counts, not their product,
    which is what made the planner read 56,315 papers for "large language models" at a
    million); separate terms multiply."""
    shares = Shares(
        1_000_000.0,
        {"large language": 0.056, "language models": 0.072, "graph neural": 0.05, "모델": 0.85},
        0.0001,
    )
    phrase = [[("large language", False), ("language models", False)]]
    assert shares.query_share(phrase) == pytest.approx(0.056)
    assert not prefer_bitmap(shares.query_share(phrase), shares.papers, 2000)  # walked
    two = [[("language models", False)], [("graph neural", False)]]
    assert shares.query_share(two) == pytest.approx(0.072 * 0.05)
    assert prefer_bitmap(shares.query_share(two), shares.papers, 2000)  # read
    rare = [[("language models", False)], [("xyzzy", False)]]
    assert prefer_bitmap(shares.query_share(rare), shares.papers, 2000)
    korean = [[("language models", False)], [("모델", False)]]
    assert shares.query_share(korean) == pytest.approx(0.072 * 0.85)


async def corpus(store: Store) -> None:
    """300 papers: every third has "language models" in its title, each fifth "graph neural"
    in its summary, the others "데이터셋"."""
    papers = [
        paper(
            f"2501.{i:05d}",
            f"Large language models study {i}" if i % 3 == 0 else f"Robot arms study {i}",
            summary=(f"graph neural nets {i}" if i % 5 == 0 else f"데이터셋 모델 요약 {i}",),
        )
        for i in range(300)
    ]
    await store.import_digest(digest(DAY, *papers))


PHRASES = [
    '"language models"',
    '"large language models"',
    "language-model",
    '"graph neural" 모델',
    '"models study"',
    '"study large"',
    "데이터셋",
    "language 데이터셋",
]


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement the store's connections send for rows, from now on."""
    sent: list[str] = []
    run = Conn.all

    async def spy(self: Conn, sql: str, *args: object) -> list[Record]:
        sent.append(sql)
        return await run(self, sql, *args)

    monkeypatch.setattr(Conn, "all", spy)
    return sent


def each_way(monkeypatch: pytest.MonkeyPatch, statements: list[str]) -> Iterator[bool]:
    """Each way of reading the newest matches in turn, the store's choice forced (walked, then
    read through the index and sorted), and the statements sent cleared before each."""
    for bitmap in (False, True):
        monkeypatch.setattr(statistics, "prefer_bitmap", lambda *_, b=bitmap, **__: b)
        statements.clear()
        yield bitmap


async def test_both_ways_of_reading_give_the_same_pages(
    store: Store, raw: Raw, statements: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every phrase gives the same hits, in the same order, with the same total, whether its
    matches are walked newest first or read through the index and sorted."""
    assert isinstance(store, Store)
    await corpus(store)
    await raw("ANALYZE papers")
    pages = {}
    for bitmap in each_way(monkeypatch, statements):
        pages[bitmap] = [
            await store.search(q, limit=5, offset=offset) for q in PHRASES for offset in (0, 95)
        ]
        # an order no index gives (so the planner reads the index's matches), or the key's
        # with the match a function no index serves (so the newest papers are walked)
        assert all(("ORDER BY p.id + 0 DESC" in sql) is bitmap for sql in statements)
        assert all(("ts_match_vq(p.search, q)" in sql) is not bitmap for sql in statements)
    assert pages[True] == pages[False]
    totals = [p.total for p in pages[True][::2]]
    assert totals == [100, 100, 100, 0, 100, 0, 240, 80]


async def test_the_statistics_list_the_pairs_after_analyze(
    store: Store, raw: Raw, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once ANALYZE has run, the lexemes' shares are the planner's: "language models" is held by
    a third of the papers; before it, there are no statistics and the planner chooses alone.
    Finding none is kept for RETRY_SECONDS, a reading for KEEP_SECONDS."""
    assert isinstance(store, Store)
    await corpus(store)
    stats = statistics.Statistics()
    async with store._conn() as c:
        assert await stats.shares(c) is None
        await raw("ANALYZE papers")
        assert await stats.shares(c) is None  # kept for RETRY_SECONDS
        monkeypatch.setattr(statistics, "RETRY_SECONDS", 0.0)
        shares = await stats.shares(c)
        assert shares is not None
        await raw("DELETE FROM papers WHERE arxiv_id LIKE '%0'")
        await raw("ANALYZE papers")
        assert await stats.shares(c) is shares  # kept for KEEP_SECONDS
    assert shares.papers == 300
    assert shares.share("language models") == pytest.approx(1 / 3, abs=0.01)
    assert shares.share("graph neural") == pytest.approx(1 / 5, abs=0.01)
    assert shares.share("robot") == pytest.approx(2 / 3, abs=0.01)


async def test_without_statistics_the_planner_chooses(store: Store, statements: list[str]) -> None:
    """Before ANALYZE the phrase search is the plain statement (no forced order, no forced
    walk), and finds the same papers."""
    assert isinstance(store, Store)
    await corpus(store)
    page = await store.search('"language models"')
    assert page.total == 100
    assert "p.id + 0" not in statements[-1] and "ts_match_vq" not in statements[-1]


def test_the_store_chooses_for_phrases_the_planner_misjudges() -> None:
    """The store chooses how to read an English phrase (its word pairs) and a Korean word of
    three syllables or more (its bigrams in a row), whose lexemes the planner takes as
    independent; a single word or two syllables the planner judges by its own statistics."""
    for query in ('"language models"', "language-model", "데이터셋", "graph 트랜스포머", "성능이"):
        assert fulltext.misjudged(parse_query(query)), query
    for query in ("language", "모델", "model 모델", '"모델"', "성능"):
        assert not fulltext.misjudged(parse_query(query)), query


def test_terms_are_checked_rarest_first() -> None:
    """The query's terms go rarest first by the statistics (a tie keeps the typed order); the
    terms themselves are unchanged."""
    shares = Shares(1000.0, {"모델": 0.5, "diffusion": 0.2, "video": 0.2}, 0.01)
    query = parse_query("모델 video diffusion zebra")
    ordered = fulltext.rarest_first(query, shares.term_share)
    assert [t.text for t in ordered.terms] == ["zebra", "video", "diffusion", "모델"]
    assert fulltext.tsquery(ordered) == "'zebra':* & 'video' & 'diffusion' & '모델'"
    assert sorted(ordered.terms, key=str) == sorted(query.terms, key=str)


async def test_a_query_typed_common_word_first_finds_the_same_page(
    store: Store, raw: Raw, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once there are statistics, the statement checks the rare word first, and the page (hits,
    order, ranks, total) is the one the typed order gives."""
    assert isinstance(store, Store)
    await corpus(store)
    sent: list[object] = []
    run = Conn.all

    async def spy(self: Conn, sql: str, *args: object) -> list[Record]:
        sent.append(args[0] if args else None)
        return await run(self, sql, *args)

    monkeypatch.setattr(Conn, "all", spy)
    monkeypatch.setattr(statistics, "RETRY_SECONDS", 0.0)  # read again after ANALYZE
    typed = await store.search("요약 language", limit=50)  # no statistics yet: as typed
    assert sent[-1] == "'요약' & 'language':*"
    await raw("ANALYZE papers")
    reordered = await store.search("요약 language", limit=50)
    assert sent[-1] == "'language':* & '요약'"
    assert reordered == typed and typed.total == 80 and len(typed.items) == 50


async def test_title_words_read_either_way_give_the_same_suggestions(
    store: Store, raw: Raw, statements: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Paper suggestions are the same whether the titles' matches are read through the title
    words' index or found by walking the newest papers."""
    assert isinstance(store, Store)
    await corpus(store)
    await raw("ANALYZE papers")
    found = {}
    for bitmap in each_way(monkeypatch, statements):
        found[bitmap] = [
            [p.arxiv_id for p in await store.suggest_papers(text, limit=7)]
            for text in ("large", "robot arms", '"language models"', "stud", "데이터셋", "graph")
        ]
        suggest = [sql for sql in statements if "ts_rank" in sql]
        assert len(suggest) == 6
        assert all(("ts_filter(search, '{a}')" in sql) is bitmap for sql in suggest)
        assert all(("ts_match_vq(search, q)" in sql) is not bitmap for sql in suggest)
    assert found[True] == found[False]
    assert [len(f) for f in found[True]] == [7, 7, 7, 7, 0, 0]


async def test_a_word_of_summaries_only_is_looked_up_among_titles(
    store: Store, raw: Raw, statements: list[str]
) -> None:
    """A word many summaries hold and no title does is looked up in the title words' index (it
    was checked paper by paper through every paper), by the titles' own statistics."""
    assert isinstance(store, Store)
    await corpus(store)
    await raw("ANALYZE papers")
    async with store._conn() as c:
        shares = await statistics.Statistics().shares(c)
    assert shares is not None and shares.titles is not None
    assert shares.titles.share("robot") == pytest.approx(2 / 3, abs=0.01)
    assert shares.titles.share("데이") < 0.01 < 0.5 < shares.share("데이")
    assert await store.suggest_papers("데이터셋") == []
    assert "ts_filter(search, '{a}')" in statements[-1]
    assert len(await store.suggest_papers("robot")) == 25
