"""PostgreSQL-only store behaviour: the tsquery/tsvector literals, migrations, and the schema."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import asyncpg
import pytest
from backends import NewDatabase, raw_rows
from digests import digest, paper
from hypothesis import given, settings
from hypothesis import strategies as st

from storage import text as textsearch
from storage.errors import SchemaTooNew
from storage.ingest.parser import parse_digest
from storage.postgres import fulltext
from storage.postgres.migrations import SCHEMA_VERSION
from storage.postgres.store import Store
from storage.tsvector import text_form

D1 = dt.date(2024, 6, 11)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab 모델이\"'\\&|!():*<->-_%$책")), max_size=30))
def test_tsquery_of_any_text_has_only_quoted_lexemes(text: str) -> None:
    """Whatever is typed, every lexeme of the tsquery is quoted data: outside the quotes there
    are only the operators and flags the builder itself writes."""
    query = fulltext.tsquery(textsearch.parse_query(text))
    outside = "".join(part for i, part in enumerate(query.split("'")) if i % 2 == 0)
    assert set(outside) <= set(" &<->():*A")


async def test_operators_in_a_query_are_plain_words(database: str) -> None:
    """PostgreSQL parses the literal of a query full of tsquery syntax without an error, and
    the words in it are what is searched."""
    text = "a & | b ! (model :* a:b \\ ' \"x y"
    literal = fulltext.tsquery(textsearch.parse_query(text))
    con = await asyncpg.connect(database)
    try:
        parsed = await con.fetchval("SELECT CAST($1 AS tsquery)::text", literal)
    finally:
        await con.close()
    assert "'model'" in parsed and "'b'" in parsed and "'x y'" in parsed  # the word pair


def test_document_weights_title_above_summary() -> None:
    """Title words get weight A, summary words none (D), positions run on past a gap."""
    doc = fulltext.document(textsearch.index_form("Diffusion"), textsearch.index_form("모델이"))
    assert text_form(doc) == "'diffusion':1A '델이':4 '모델':3"


def test_document_holds_neighbouring_words_as_pairs() -> None:
    """Two neighbouring non-Hangul words of one field are also one lexeme at the first one's
    position; none across a Korean word's bigrams or from the title into the summary."""
    doc = fulltext.document(
        textsearch.index_form("Large Language Models"), textsearch.index_form("GPT 모델 x")
    )
    assert text_form(doc) == (
        "'gpt':5 'gpt x':5 'language':2A 'language models':2A 'large':1A 'large language':1A "
        "'models':3A 'x':6 '모델':7"
    )


ODD = [
    ("Large Language Models", "GPT 모델 x"),
    ("it's a \\back\\slash 'quoted'", "d'Alembert \\ 모델이 책을"),
    (" ".join(f"w{i % 17000}" for i in range(20000)), "b c " * 300),
    ("ü" * 1100 + " ok", ""),
    ("", ""),
    ("Ééß ıﬁ ① x\ue000y", "데이터셋 모델 LLM이 GPT-4o"),
]


@pytest.mark.parametrize(("title", "summary"), ODD)
async def test_the_server_reads_a_document_as_it_is_built(
    store: Store, title: str, summary: str
) -> None:
    """PostgreSQL takes the binary form as built, lexemes in its own order (it would sort them
    otherwise): it prints exactly what ``text_form`` reads from it, odd text and limits too."""
    doc = fulltext.document(textsearch.index_form(title), textsearch.index_form(summary))
    assert await store._value("SELECT $1::tsvector::text", doc) == text_form(doc)


def test_phrase_query_is_the_phrase_of_its_pairs() -> None:
    """A Latin phrase is looked up as its word pairs (the last a prefix when typed last); a
    Korean word stays the phrase of its bigrams."""

    def query(text: str) -> str:
        return fulltext.tsquery(textsearch.parse_query(text))

    assert query('"language models"') == "'language models'"
    assert query('"large language models"') == "('large language' <-> 'language models')"
    assert query("video-edit") == "'video edit':*"
    assert query("모델이") == "('모델' <-> '델이')"


async def test_migration_11_gives_stored_papers_the_pairs_of_new_ones(
    database: str, sample_store: Store
) -> None:
    """Migration 11 adds word pairs to documents written before it: every sample paper's
    document afterwards is exactly the one the importer now writes."""
    con = await asyncpg.connect(database)
    try:
        written = dict(await con.fetch("SELECT id, search::text FROM papers"))
        stripped = await con.execute(
            """UPDATE papers SET search = ts_delete(search,
                   ARRAY(SELECT lexeme FROM unnest(search) WHERE lexeme LIKE '% %'))
               WHERE search::text LIKE '%% %%'"""
        )
        # Migrations 11 and 12 are the last ones, and 12 can run again (its index is created
        # if not there): a later one must be undone here as well, or be one that can run again
        # (or the test moved to a database migrated up to 10 only).
        assert SCHEMA_VERSION == 12
        await con.execute("DELETE FROM schema_migrations WHERE version >= 11")
        await sample_store.close()
        assert int(stripped.split()[-1]) > 0.9 * len(written)
        async with await Store.open(database):
            migrated = dict(await con.fetch("SELECT id, search::text FROM papers"))
    finally:
        await con.close()
    assert migrated == written


async def test_new_database_gets_the_current_schema(database: str, store: Store) -> None:
    """Opening a new database applies every migration and records each one."""
    con = await asyncpg.connect(database)
    try:
        versions = [r[0] for r in await con.fetch("SELECT version FROM schema_migrations")]
        storage = await con.fetchval(
            """SELECT attstorage FROM pg_attribute
               WHERE attrelid = 'papers'::regclass AND attname = 'search'"""
        )
    finally:
        await con.close()
    assert versions == list(range(1, SCHEMA_VERSION + 1))
    assert storage == b"m"  # the tsvector stays in the row


async def test_two_processes_migrating_at_once(new_database: NewDatabase) -> None:
    """Two stores opening the same new database at once both succeed and apply it once."""
    url = await new_database()
    con = await asyncpg.connect(url)
    try:
        await con.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await con.close()
    stores = await asyncio.gather(Store.open(url), Store.open(url))
    try:
        assert [await s.schema_version() for s in stores] == [SCHEMA_VERSION] * 2
    finally:
        for s in stores:
            await s.close()


async def test_newer_schema_is_refused_before_writing(database: str, store: Store) -> None:
    """A database a newer program migrated raises SchemaTooNew with both versions."""
    await store.close()
    con = await asyncpg.connect(database)
    try:
        await con.execute("INSERT INTO schema_migrations (version, name) VALUES (99, 'x')")
    finally:
        await con.close()
    with pytest.raises(SchemaTooNew) as caught:
        await Store.open(database)
    assert (caught.value.found, caught.value.supported) == (99, SCHEMA_VERSION)


async def test_connections_run_without_jit(database: str, store: Store) -> None:
    """The store's connections turn JIT compilation off for their sessions (whatever the server
    says): compiling a costly count took longer than running it; other connections keep the
    server's setting."""
    assert await store._value("SHOW jit") == "off"
    # and plan each statement for its own values (a search for a rare word after five for a
    # common one is not given the common word's plan), without a SET per search
    assert await store._value("SHOW plan_cache_mode") == "force_custom_plan"
    con = await asyncpg.connect(database)
    try:
        assert await con.fetchval("SHOW jit") == "on"
        assert await con.fetchval("SHOW plan_cache_mode") == "auto"
    finally:
        await con.close()


async def test_deleting_a_paper_deletes_its_author_links(database: str, store: Store) -> None:
    """The author links have no foreign key (migration 9, for import speed); a paper deleted by
    hand still takes its links with it, as the ON DELETE CASCADE did."""
    await store.import_digest(digest(D1, paper("2406.00001", authors=("Ann", "Bob"))))
    await store.import_digest(digest(D1, paper("2406.00002", authors=("Bob",))))
    con = await asyncpg.connect(database)
    try:
        await con.execute("DELETE FROM papers WHERE arxiv_id = '2406.00001'")
        links = await con.fetch(
            """SELECT p.arxiv_id, a.name FROM paper_authors pa
               JOIN papers p ON p.id = pa.paper_id JOIN authors a ON a.id = pa.author_id"""
        )
        left = await con.fetchval("SELECT count(*) FROM paper_authors")
    finally:
        await con.close()
    assert [tuple(r) for r in links] == [("2406.00002", "Bob")]
    assert left == 1


async def test_deleting_a_linked_author_is_refused(database: str, store: Store) -> None:
    """An author still linked to a paper cannot be deleted (the foreign key's NO ACTION, now a
    trigger); one with no link can."""
    await store.import_digest(digest(D1, paper("2406.00001", authors=("Ann",))))
    con = await asyncpg.connect(database)
    try:
        with pytest.raises(asyncpg.ForeignKeyViolationError, match="still linked"):
            await con.execute("DELETE FROM authors")
        assert await con.fetchval("SELECT count(*) FROM authors") == 1
        await con.execute("INSERT INTO authors (name, norm_key) VALUES ('Nobody', 'nobody')")
        assert await con.execute("DELETE FROM authors WHERE norm_key = 'nobody'") == "DELETE 1"
    finally:
        await con.close()


async def test_an_import_leaves_no_index_entries_waiting(
    store: Store, database: str, sample_paths: list[Path]
) -> None:
    """A batch's entries wait in both GIN indexes' pending lists (the documents' and the title
    words'), and go into the indexes at its commit: none wait after it, so the searches and
    suggestions that follow read no pending list."""
    async with store.batch():
        for path in sample_paths:
            await store.import_digest(parse_digest(path.read_text(encoding="utf-8"), str(path)))
    waiting = await raw_rows(
        database,
        """SELECT gin_clean_pending_list('papers_search'::regclass),
                  gin_clean_pending_list('papers_title_search'::regclass)""",
    )
    assert waiting == [(0, 0)]
