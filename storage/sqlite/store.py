"""The store: every SQL statement of papers-bot, over one aiosqlite connection.

Schema (see :mod:`storage.sqlite.migrations`)::

    digests(date PK, source, paper_count, imported_at)           one row per digest day
    papers(id PK, arxiv_id UNIQUE, title, url, authors_truncated, media_kind, media_url,
           summary JSON, content_date, votes, best_votes, first_date, last_date)
    appearances(paper_id, date) PK, position, votes               a paper listed on a day
    authors(id PK, name, norm_key UNIQUE, paper_count)            normalized authors
    author_terms(term, author_id) PK                              key + word-suffixes, for prefixes
    paper_authors(paper_id, position) PK, author_id               who wrote what, in order
    paper_fts  contentless FTS5 over the index form of title and summary (import + triggers)

A paper is keyed by its arXiv id and keeps one row however many days list it; each day is an
appearance with that day's position and votes. Title, summary, media and authors come from the
newest digest that lists the paper (``content_date``), so importing files in any order gives the
same result; ``votes`` is the latest day's known votes, ``best_votes`` the highest.

Each digest imports in one ``BEGIN IMMEDIATE`` transaction (whole or not at all) using set-based
statements (rows passed as one JSON array through ``json_each``), so the cost per file is a fixed
dozen statements. The rows are built ahead by :func:`prepare_digest`, a pure function that the
importer runs in worker processes, so the database thread mostly binds strings. Re-importing a
digest is idempotent: same rows, votes refreshed, authors replaced.

Search: see :mod:`storage.text` for the Korean bigram index form and query escaping. The top page
comes from one FTS5 query ordered by ``rank`` (bm25 with title weighted 10x) with ``LIMIT``, the
total riding along as a ``count(*)`` subquery over the same ``MATCH`` without ranking (computed
once per query); then the page's papers (row, authors, days, API extras) are read by id and the
snippets cut in the same call.

Concurrency: every public method is a single function run in aiosqlite's worker thread (see
:class:`Store`), so operations never interleave and a reader never sees half an import. The one
exception, searches with few matches, reads the last committed state from a second, read-only
connection on the event loop's thread.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import re
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import aiosqlite

from storage import text as textsearch
from storage.ingest.prepare import PreparedDigest, prepare_digest
from storage.models import (
    Appearance,
    Author,
    AuthorProfile,
    Bullet,
    CoAuthor,
    DaySummary,
    ImportResult,
    Media,
    Page,
    Paper,
    ParsedDigest,
    SearchHit,
    SortOrder,
)
from storage.sqlite.alerts import AlertStore
from storage.sqlite.guilds import GuildDigestStore
from storage.sqlite.migrations import FTS_SUMMARY_FUNCTION, FTS_TITLE_FUNCTION, MIGRATIONS

log = logging.getLogger(__name__)
T = TypeVar("T")

BUSY_TIMEOUT_MS = 5000
#: New full-text index entries FTS5 keeps in memory before writing a segment (see _tune_fts).
FTS_HASH_BYTES = 8 * 1024 * 1024
#: Above this many matching name terms, author suggestions walk authors by paper count instead.
_AUTHOR_DENSE_THRESHOLD = 2000
#: A search matching at most this many papers is answered on the event loop's thread (see
#: :class:`Store`): ranking that many takes a few milliseconds at most.
_QUICK_SEARCH_MATCHES = 2000
#: ``ORDER BY`` of the searches not sorted by relevance.
_SEARCH_ORDERS = {
    "votes": "p.votes DESC, p.last_date DESC, p.id DESC",
    "newest": "p.last_date DESC, p.votes DESC, p.id DESC",
}
#: Co-authors are counted over an author's most recently stored papers, at most this many.
_COAUTHOR_WINDOW = 1000
_MIN_DATE = "0000-01-01"
_MAX_DATE = "9999-12-31"

#: The columns of a :class:`Paper` in ``papers`` (the API extras included, migration 3).
_PAPER_COLUMNS = """id, arxiv_id, title, url, authors_truncated, media_kind, media_url, summary,
    votes, ai_summary, keywords, github_repo, github_stars, project_page, author_names"""

_ARXIV_URL_RE = re.compile(
    r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/(?P<id>[^?#\s]+?)(?:\.pdf)?/*"
    r"(?:[?#].*)?$",
    re.IGNORECASE,
)
_HF_URL_RE = re.compile(
    r"^(?:(?:https?://)?(?:www\.)?huggingface\.co)?/papers/(?P<id>[^/?#\s]+)/*(?:[?#].*)?$",
    re.IGNORECASE,
)
_VERSION_RE = re.compile(r"v\d+$")


def summary_text(summary_json: str | None) -> str:
    """The searchable text of a stored summary: bullet texts only (labels are not content)."""
    if not summary_json:
        return ""
    try:
        bullets = json.loads(summary_json)
        return "\n".join(str(b[1]) for b in bullets)
    except (ValueError, TypeError, IndexError, KeyError):
        return ""


def _fts_title(title: str | None) -> str:
    return textsearch.index_form(title)


def _fts_summary(summary_json: str | None) -> str:
    return textsearch.index_form(summary_text(summary_json))


def _iso(day: dt.date | str | None) -> str | None:
    if day is None:
        return None
    if isinstance(day, dt.datetime):
        return day.date().isoformat()
    if isinstance(day, dt.date):
        return day.isoformat()
    return dt.date.fromisoformat(str(day)).isoformat()


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _ids_json(ids: Iterable[Any]) -> str:
    return json.dumps(list(ids), ensure_ascii=False)


def _clamp(limit: int | None, offset: int) -> tuple[int, int]:
    return max(0, int(limit if limit is not None else 10)), max(0, int(offset))


def _ref_candidates(ref: str) -> list[str]:
    """arXiv/HF URL or id -> ids to look up (as given, then without a version suffix)."""
    ref = ref.strip().strip("<>").strip()
    if not ref:
        return []
    m = _ARXIV_URL_RE.match(ref) or _HF_URL_RE.match(ref)
    core = m.group("id") if m else ref
    if core.lower().startswith("arxiv:"):
        core = core[6:].strip()
    out = [core]
    bare = _VERSION_RE.sub("", core)
    if bare != core and bare:
        out.append(bare)
    return out


# One row of ``PreparedDigest.papers_json``: arxiv id, title, url, authors truncated, media kind,
# media url, summary JSON, AI summary, keywords JSON, GitHub repo, GitHub stars, project page,
# votes, author names JSON (as listed, each person once: whom ``paper_authors`` links). A new
# paper takes its derived columns from this day; the API extras of a stored paper are replaced
# only by values (a digest without them keeps the stored ones).
_PAPERS_INSERT = """
    INSERT INTO papers(arxiv_id, title, url, authors_truncated, media_kind, media_url, summary,
                       ai_summary, keywords, github_repo, github_stars, project_page,
                       content_date, votes, best_votes, first_date, last_date, author_names)
    SELECT r.value ->> 0, r.value ->> 1, r.value ->> 2, r.value ->> 3, r.value ->> 4,
           r.value ->> 5, r.value ->> 6, r.value ->> 7, r.value ->> 8, r.value ->> 9,
           r.value ->> 10, r.value ->> 11, ?1, r.value ->> 12, r.value ->> 12, ?1, ?1,
           r.value ->> 13
    FROM json_each(?2) AS r WHERE true
    ON CONFLICT(arxiv_id) DO UPDATE SET {content}
        content_date = excluded.content_date,
        ai_summary = coalesce(excluded.ai_summary, papers.ai_summary),
        keywords = coalesce(excluded.keywords, papers.keywords),
        github_repo = coalesce(excluded.github_repo, papers.github_repo),
        github_stars = coalesce(excluded.github_stars, papers.github_stars),
        project_page = coalesce(excluded.project_page, papers.project_page)
    WHERE excluded.content_date >= papers.content_date"""
_PAPERS_UPSERT = _PAPERS_INSERT.format(
    content="""title = excluded.title, url = excluded.url,
        authors_truncated = excluded.authors_truncated,
        media_kind = excluded.media_kind, media_url = excluded.media_url,
        summary = excluded.summary, author_names = excluded.author_names,"""
)
_PAPERS_UPSERT_KEEP = _PAPERS_INSERT.format(content="")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _import_result(d: PreparedDigest, counts: tuple[int, int]) -> ImportResult:
    new, updated = counts
    log.debug("%s: imported %s (%d new, %d updated)", d.source, d.date, new, updated)
    return ImportResult(
        source=d.source,
        date=dt.date.fromisoformat(d.date),
        new_papers=new,
        updated_papers=updated,
        problems=d.problems,
    )


class _Deferred:
    """What an import writes only at its commit: the index rows of the papers it inserted (by
    arXiv id) and the changes of ``authors.paper_count`` (by author id).

    FTS5 writes a new index segment per statement that inserts rows, and merging those small
    segments was the largest cost of an import; a paper count changed once per commit instead of
    once per file moves each author's ``authors_count`` index entry once.
    """

    __slots__ = ("counts", "fts")

    def __init__(self) -> None:
        self.fts: dict[str, tuple[int, str, str]] = {}
        self.counts: Counter[int] = Counter()

    def merge(self, other: _Deferred) -> None:
        self.fts.update(other.fts)
        self.counts.update(other.counts)

    def write_fts(self, c: _Conn) -> None:
        if self.fts:
            c.execute(
                """INSERT INTO paper_fts(rowid, title, summary)
                   SELECT r.value ->> 0, r.value ->> 1, r.value ->> 2 FROM json_each(?) AS r""",
                (_ids_json(self.fts.values()),),
            )
            self.fts.clear()

    def write(self, c: _Conn) -> None:
        self.write_fts(c)
        changes = [(author_id, n) for author_id, n in self.counts.items() if n]
        # An author a file of this commit added and another removed again nets zero: gone too.
        gone = [author_id for author_id, n in self.counts.items() if n <= 0]
        self.counts.clear()
        if changes:
            c.execute(
                """UPDATE authors SET paper_count = paper_count + (r.value ->> 1)
                   FROM json_each(?) AS r WHERE authors.id = r.value ->> 0""",
                (_ids_json(changes),),
            )
        if gone:
            c.execute(
                """DELETE FROM authors
                   WHERE id IN (SELECT value FROM json_each(?)) AND paper_count <= 0""",
                (_ids_json(gone),),
            )


def _bullets(summary: str) -> tuple[Bullet, ...]:
    try:
        return tuple([Bullet(b[0], b[1]) for b in json.loads(summary)])
    except (ValueError, TypeError, IndexError, KeyError):
        return ()


def _strings(json_list: str | None) -> tuple[str, ...]:
    """A stored JSON list of strings (keywords, author names); unreadable -> empty."""
    if not json_list:
        return ()
    try:
        return tuple([str(item) for item in json.loads(json_list)])
    except (ValueError, TypeError):
        return ()


def _paper(row: Sequence[Any], days: list[Appearance] | None) -> Paper:
    """A :class:`Paper` from a row of ``_PAPER_COLUMNS`` and its days."""
    (
        _id,
        arxiv_id,
        title,
        url,
        truncated,
        media_kind,
        media_url,
        summary,
        votes,
        ai_summary,
        keywords,
        github_repo,
        github_stars,
        project_page,
        author_names,
    ) = row
    return Paper(
        arxiv_id=arxiv_id,
        title=title,
        url=url,
        authors=_strings(author_names),
        authors_truncated=bool(truncated),
        votes=votes,
        media=Media(media_kind, media_url) if media_kind and media_url else None,
        summary=_bullets(summary),
        days=tuple(days) if days else (),
        ai_summary=ai_summary,
        keywords=_strings(keywords),
        github_repo=github_repo,
        github_stars=github_stars,
        project_page=project_page,
    )


class _Conn:
    """The raw ``sqlite3`` connection, used only inside the aiosqlite worker thread."""

    __slots__ = ("raw",)

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self.raw.execute(sql, params).fetchall()

    def one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.raw.execute(sql, params).fetchone()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self.raw.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> sqlite3.Cursor:
        return self.raw.executemany(sql, rows)

    def transaction(self, work: Callable[[_Conn], T]) -> T:
        """Run ``work`` atomically: whole or not at all.

        On its own it is one ``BEGIN IMMEDIATE`` transaction. Inside a transaction that is already
        open (:meth:`Store.batch`) it is a savepoint of it: rolled back alone when it fails, and
        committed with the batch.
        """
        if self.raw.in_transaction:
            self.raw.execute("SAVEPOINT work")
            try:
                result = work(self)
            except BaseException:
                self.raw.execute("ROLLBACK TO work")
                self.raw.execute("RELEASE work")
                raise
            self.raw.execute("RELEASE work")
            return result
        self.raw.execute("BEGIN IMMEDIATE")
        try:
            result = work(self)
        except BaseException:
            self.raw.execute("ROLLBACK")
            raise
        self.raw.execute("COMMIT")
        return result


class Store(GuildDigestStore, AlertStore):
    """All reads and writes of the papers database: :meth:`open` it, :meth:`close` it.

    Every public method is one call into aiosqlite's worker thread, where it runs its
    statements back to back on the raw connection (through aiosqlite's ``_execute``/``_conn``,
    present since aiosqlite 0.17): one thread hop per operation instead of one per statement,
    and no other operation can interleave with an import's transaction.

    The one exception is a search that matches few papers (:meth:`search`): it is answered on
    the event loop's thread from a second, read-only connection, because the two thread
    wake-ups of a hop cost as much as the search itself there. Its cost is bounded (at most
    :data:`_QUICK_SEARCH_MATCHES` matches ranked), and in WAL mode that connection reads the
    last committed state: never half an import.
    """

    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self._db = conn
        self.path = path
        self._closed = False
        # Inside :meth:`batch`: the index rows and author counts its imports hold back.
        self._pending: _Deferred | None = None
        # The loop thread's read-only connection for quick searches (see the class docstring);
        # None for an in-memory database, which a second connection would not see.
        self._reader: _Conn | None = None

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    async def open(cls, path: str | os.PathLike[str]) -> Store:
        """Open (creating if needed) the database at ``path`` and bring its schema up to date."""
        path_str = os.fspath(path)
        conn = await aiosqlite.connect(path_str, isolation_level=None)
        store = cls(conn, path_str)
        try:
            await store._run(store._setup)
            store._reader = store._open_reader()
        except BaseException:
            await conn.close()
            raise
        return store

    def _open_reader(self) -> _Conn | None:
        if self.path in ("", ":memory:"):  # private to its connection
            return None
        raw = sqlite3.connect(self.path, isolation_level=None)
        try:
            raw.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            raw.execute("PRAGMA query_only = ON")
            raw.execute("PRAGMA cache_size = -8000")
        except BaseException:
            raw.close()
            raise
        return _Conn(raw)

    @contextlib.asynccontextmanager
    async def batch(self) -> AsyncIterator[None]:
        """Group the writes made inside into one commit (for bulk imports).

        Every write inside stays atomic on its own (each ``import_digest`` is a savepoint: a file
        that fails is rolled back alone and the others go on); the batch commits them together,
        which saves rewriting the same index pages once per file. If the block itself raises,
        everything since the batch began is rolled back. Only for a store that nothing else
        writes to meanwhile (the import command); keep batches short, since a batch holds the
        database's write lock.

        The full-text rows of the papers the batch inserts, and the paper counts of the authors
        it touches, are written together just before the commit (see :class:`_Deferred`), so
        searches and author suggestions inside the batch do not see them yet; a file that
        re-imports a paper still pending writes the pending index rows first.
        """
        await self._run(lambda c: c.execute("BEGIN IMMEDIATE"))
        pending = self._pending = _Deferred()
        try:
            yield
        except BaseException:
            self._pending = None
            await self._run(lambda c: c.execute("ROLLBACK"))
            raise

        def commit(c: _Conn) -> None:
            pending.write(c)
            c.execute("COMMIT")

        try:
            await self._run(commit)
        finally:
            self._pending = None

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(conn, *args)`` in the connection's worker thread."""
        if self._closed:
            raise RuntimeError(f"{self.path}: the store is closed")
        conn = self._db
        return await conn._execute(lambda: fn(_Conn(conn._conn), *args))

    def _setup(self, c: _Conn) -> None:
        c.raw.create_function(FTS_TITLE_FUNCTION, 1, _fts_title, deterministic=True)
        c.raw.create_function(FTS_SUMMARY_FUNCTION, 1, _fts_summary, deterministic=True)
        c.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        c.execute("PRAGMA journal_mode = WAL")
        c.execute("PRAGMA synchronous = NORMAL")
        c.execute("PRAGMA foreign_keys = ON")
        c.execute("PRAGMA temp_store = MEMORY")
        c.execute("PRAGMA cache_size = -32000")
        # Imports dirty many index pages (authors are shared between papers); a larger WAL lets
        # one checkpoint write each hot page once instead of once per 1,000-page WAL.
        c.execute("PRAGMA wal_autocheckpoint = 10000")
        version = int(c.one("PRAGMA user_version")[0])
        if version > len(MIGRATIONS):
            raise RuntimeError(
                f"{self.path}: database schema version {version} is newer than this program "
                f"({len(MIGRATIONS)}); upgrade papers-bot"
            )
        for number, statements in enumerate(MIGRATIONS, start=1):
            if number > version:
                c.transaction(lambda c, n=number, st=statements: self._migrate(c, n, st))
        self._tune_fts(c)

    def _tune_fts(self, c: _Conn) -> None:
        """Let FTS5 gather :data:`FTS_HASH_BYTES` of new index entries before it writes them.

        With FTS5's 1 MB default a commit of a large import wrote several small index segments,
        and merging them back cost more than writing them (bench/bench_store.py: about a fifth
        of the index's import time); queries are no slower. A setting stored in the table's
        ``paper_fts_config``, so it is written once; an SQLite without the option keeps its
        default.
        """
        row = c.one("SELECT v FROM paper_fts_config WHERE k = 'hashsize'")
        if row is not None and row[0] == FTS_HASH_BYTES:
            return
        try:
            c.transaction(
                lambda c: c.execute(
                    "INSERT INTO paper_fts(paper_fts, rank) VALUES ('hashsize', ?)",
                    (FTS_HASH_BYTES,),
                )
            )
        except sqlite3.OperationalError as exc:
            log.info("%s: FTS5 keeps its default hash size (%s)", self.path, exc)

    def _migrate(self, c: _Conn, number: int, statements: tuple[str, ...]) -> None:
        if int(c.one("PRAGMA user_version")[0]) >= number:  # another process got there first
            return
        for statement in statements:
            c.execute(statement)
        c.execute(f"PRAGMA user_version = {int(number)}")
        log.info("%s: applied schema migration %d", self.path, number)

    async def schema_version(self) -> int:
        """The ``PRAGMA user_version`` of the database (number of applied migrations)."""
        return await self._run(lambda c: int(c.one("PRAGMA user_version")[0]))

    async def close(self) -> None:
        """Close the connection (checkpointing the WAL). Safe to call twice."""
        if self._closed:
            return
        try:
            await self._run(lambda c: c.execute("PRAGMA optimize"))
        except Exception:  # pragma: no cover - best effort
            log.debug("PRAGMA optimize failed", exc_info=True)
        self._closed = True
        if self._reader is not None:
            self._reader.raw.close()
            self._reader = None
        await self._db.close()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # ------------------------------------------------------------------ helpers

    def _papers(self, c: _Conn, ids: Sequence[int]) -> list[Paper]:
        """Full :class:`Paper` objects for ``ids``, in the order given (unknown ids skipped),
        API extras included.

        Two set-based statements: the rows (which carry the author names as listed, kept by the
        import beside ``paper_authors``: reading them through ``paper_authors`` was a lookup per
        author and a quarter of a search's page) and the days, ordered explicitly.
        """
        if not ids:
            return []
        ids_json = _ids_json(ids)
        rows = c.all(
            f"SELECT {_PAPER_COLUMNS} FROM papers WHERE id IN (SELECT value FROM json_each(?))",
            (ids_json,),
        )
        if not rows:
            return []
        days: dict[int, list[Appearance]] = {}
        fromisoformat = dt.date.fromisoformat
        for pid, date, position, votes in c.all(
            """SELECT paper_id, date, position, votes FROM appearances
               WHERE paper_id IN (SELECT value FROM json_each(?)) ORDER BY paper_id, date""",
            (ids_json,),
        ):
            days.setdefault(pid, []).append(Appearance(fromisoformat(date), position, votes))
        by_id = {row[0]: _paper(row, days.get(row[0])) for row in rows}
        return [by_id[i] for i in ids if i in by_id]

    # ------------------------------------------------------------------ import

    async def import_digest(self, digest: ParsedDigest | PreparedDigest) -> ImportResult:
        """Store one digest in a single transaction; re-importing it changes nothing new.

        Papers already stored keep their row (votes and the day's appearance are updated; title,
        summary, media, authors and API extras are replaced when this digest is at least as new
        as the one they came from). Raises whatever SQLite raises, after rolling the whole digest
        back. ``digest`` may come already :func:`prepare_digest`-ed (the importer prepares files
        in worker processes).
        """
        return await self._import(digest, keep_content=False)

    async def import_api_digest(self, digest: ParsedDigest | PreparedDigest) -> ImportResult:
        """Like :meth:`import_digest`, for a day of the Hugging Face daily papers API.

        The API's title, abstract, authors and image are used only for papers not stored yet. A
        paper already stored (typically from a markdown digest with its Korean summary) keeps its
        content; the API refreshes its votes, its appearance that day and its extras (AI summary,
        keywords, GitHub repository and stars, project page). The fetcher asks the API for the
        last few days every hour, so without this rule English abstracts would replace the
        Korean summaries of the same days.
        """
        return await self._import(digest, keep_content=True)

    async def import_digests(
        self, digests: Sequence[ParsedDigest | PreparedDigest]
    ) -> list[ImportResult | Exception]:
        """Import several digests, each exactly as :meth:`import_digest` would (its own
        transaction, or savepoint inside :meth:`batch`), in one call to the database thread.

        For bulk imports: the thread wake-ups of one call per file were about a tenth of an
        import. A digest that fails is rolled back alone and its exception takes its place in
        the returned list; the others go on.
        """
        prepared = [d if isinstance(d, PreparedDigest) else prepare_digest(d) for d in digests]
        now = _now()

        def work(c: _Conn) -> list[tuple[int, int] | Exception]:
            out: list[tuple[int, int] | Exception] = []
            for d in prepared:
                try:
                    out.append(self._import_one(c, d, now, False))
                except Exception as exc:  # one bad file must not stop the others
                    out.append(exc)
            return out

        counts = await self._run(work)
        return [
            n if isinstance(n, Exception) else _import_result(d, n)
            for d, n in zip(prepared, counts, strict=True)
        ]

    async def _import(
        self, digest: ParsedDigest | PreparedDigest, *, keep_content: bool
    ) -> ImportResult:
        prepared = digest if isinstance(digest, PreparedDigest) else prepare_digest(digest)
        now = _now()
        counts = await self._run(self._import_one, prepared, now, keep_content)
        return _import_result(prepared, counts)

    def _import_one(
        self, c: _Conn, prepared: PreparedDigest, now: str, keep_content: bool
    ) -> tuple[int, int]:
        """One digest, whole or not at all: a transaction, or a savepoint of :meth:`batch`."""
        pending = self._pending
        if pending is None:

            def whole(c: _Conn) -> tuple[int, int]:
                deferred = _Deferred()
                counts = self._import_sync(c, prepared, now, keep_content, deferred)
                deferred.write(c)
                return counts

            return c.transaction(whole)
        if not pending.fts.keys().isdisjoint(prepared.arxiv_ids):
            # The update trigger must find the index rows of the papers it re-indexes.
            pending.write_fts(c)
        mine = _Deferred()
        counts = c.transaction(lambda c: self._import_sync(c, prepared, now, keep_content, mine))
        pending.merge(mine)  # only once this file's savepoint is released
        return counts

    def _import_sync(
        self,
        c: _Conn,
        d: PreparedDigest,
        now: str,
        keep_content: bool,
        deferred: _Deferred,
    ) -> tuple[int, int]:
        """The statements of one digest; index rows and author counts go to ``deferred``.

        Rows go in as one JSON array per statement (``INSERT ... SELECT FROM json_each``): a fixed
        dozen statements per file whatever its size, with the rows built ahead by
        :func:`prepare_digest`.
        """
        day = d.date
        c.execute(
            """INSERT INTO digests(date, source, paper_count, imported_at) VALUES (?, ?, 0, ?)
               ON CONFLICT(date) DO UPDATE SET source = excluded.source,
                                               imported_at = excluded.imported_at""",
            (day, d.source, now),
        )
        if not d.arxiv_ids:
            return 0, 0
        existing = dict(
            c.all(
                """SELECT arxiv_id, content_date FROM papers
                   WHERE arxiv_id IN (SELECT value FROM json_each(?))""",
                (d.arxiv_json,),
            )
        )
        c.execute(_PAPERS_UPSERT_KEEP if keep_content else _PAPERS_UPSERT, (day, d.papers_json))
        ids = dict(
            c.all(
                """SELECT arxiv_id, id FROM papers
                   WHERE arxiv_id IN (SELECT value FROM json_each(?))""",
                (d.arxiv_json,),
            )
        )
        paper_ids = [ids[a] for a in d.arxiv_ids]
        fresh = [i for i, a in enumerate(d.arxiv_ids) if a not in existing]
        # The index rows of new papers (changed content of stored papers is re-indexed by the
        # update trigger), written once per commit (see :meth:`batch`).
        for i in fresh:
            title_form, summary_form = d.fts[i]
            deferred.fts[d.arxiv_ids[i]] = (paper_ids[i], title_form, summary_form)
        # Authors: replaced for every paper whose content this digest now provides.
        if keep_content:
            owners = fresh
        else:
            owners = [i for i, a in enumerate(d.arxiv_ids) if existing.get(a, day) <= day]
        self._replace_authors(
            c,
            d,
            paper_ids,
            owners,
            [paper_ids[i] for i in owners if d.arxiv_ids[i] in existing],
            deferred.counts,
        )
        c.execute(
            """INSERT INTO appearances(paper_id, date, position, votes)
               SELECT p.id, ?1, r.value ->> 1, r.value ->> 2
               FROM json_each(?2) AS r JOIN papers p ON p.arxiv_id = r.value ->> 0 WHERE true
               ON CONFLICT(paper_id, date) DO UPDATE SET position = excluded.position,
                                                         votes = excluded.votes""",
            (day, d.appearances_json),
        )
        if existing:
            # New papers got their derived columns from this day on insert; stored ones may have
            # other days.
            c.execute(
                """UPDATE papers SET
                     votes = (SELECT a.votes FROM appearances a WHERE a.paper_id = papers.id
                              AND a.votes IS NOT NULL ORDER BY a.date DESC LIMIT 1),
                     best_votes = (SELECT max(a.votes) FROM appearances a
                                   WHERE a.paper_id = papers.id),
                     first_date = (SELECT min(a.date) FROM appearances a
                                   WHERE a.paper_id = papers.id),
                     last_date = (SELECT max(a.date) FROM appearances a
                                  WHERE a.paper_id = papers.id)
                   WHERE arxiv_id IN (SELECT value FROM json_each(?))""",
                (_ids_json(existing),),
            )
        c.execute(
            """UPDATE digests SET paper_count = (SELECT count(*) FROM appearances WHERE date = ?1)
               WHERE date = ?1""",
            (day,),
        )
        return len(fresh), len(d.arxiv_ids) - len(fresh)

    @staticmethod
    def _replace_authors(
        c: _Conn,
        d: PreparedDigest,
        paper_ids: list[int],
        owners: list[int],
        replaced_ids: list[int],
        counts: Counter[int],
    ) -> None:
        """Set the author lists of the papers at ``owners`` (indexes into ``d.arxiv_ids``);
        ``replaced_ids`` are those that had a list before.

        ``authors.paper_count`` changes by deltas (links added minus links removed) collected in
        ``counts`` and written by :class:`_Deferred`, so the cost does not grow with how prolific
        an author is; authors left with no paper go then.
        """
        if replaced_ids:
            old_json = _ids_json(replaced_ids)
            counts.subtract(
                author_id
                for (author_id,) in c.all(
                    """SELECT author_id FROM paper_authors
                       WHERE paper_id IN (SELECT value FROM json_each(?))""",
                    (old_json,),
                )
            )
            c.execute(
                "DELETE FROM paper_authors WHERE paper_id IN (SELECT value FROM json_each(?))",
                (old_json,),
            )
        if not owners or not d.links:
            return
        if len(owners) == len(paper_ids):
            links, authors, keys_json = d.links, d.authors, d.author_keys_json
        else:  # only the people of the papers this digest owns
            wanted = set(owners)
            links = tuple(link for link in d.links if link[0] in wanted)
            authors = tuple(d.authors[k] for k in sorted({k for _, _, k in links}))
            keys_json = _ids_json(key for key, _ in authors)
        sql_ids = """SELECT norm_key, id FROM authors
                     WHERE norm_key IN (SELECT value FROM json_each(?))"""
        author_ids: dict[str, int] = dict(c.all(sql_ids, (keys_json,)))
        fresh = [(key, name) for key, name in authors if key not in author_ids]
        if fresh:
            c.execute(
                """INSERT INTO authors(name, norm_key)
                   SELECT r.value ->> 1, r.value ->> 0 FROM json_each(?) AS r""",
                (_ids_json(fresh),),
            )
            author_ids.update(c.all(sql_ids, (_ids_json(key for key, _ in fresh),)))
            c.execute(
                """INSERT OR IGNORE INTO author_terms(term, author_id)
                   SELECT r.value ->> 0, r.value ->> 1 FROM json_each(?) AS r""",
                (
                    _ids_json(
                        (term, author_ids[key])
                        for key, _ in fresh
                        for term in textsearch.name_terms(key)
                    ),
                ),
            )
        by_index = [author_ids.get(key, 0) for key, _ in d.authors]
        resolved = [(paper_ids[p], position, by_index[k]) for p, position, k in links]
        c.execute(
            """INSERT INTO paper_authors(paper_id, position, author_id)
               SELECT r.value ->> 0, r.value ->> 1, r.value ->> 2 FROM json_each(?) AS r""",
            (_ids_json(resolved),),
        )
        counts.update(author_id for _, _, author_id in resolved)

    # ------------------------------------------------------------------ days

    async def is_empty(self) -> bool:
        """True when no digest has been imported."""
        return await self._run(
            lambda c: bool(c.one("SELECT NOT EXISTS (SELECT 1 FROM digests)")[0])
        )

    async def paper_count(self) -> int:
        return await self._run(lambda c: int(c.one("SELECT count(*) FROM papers")[0]))

    async def latest_day(self) -> dt.date | None:
        """The newest digest day that lists at least one paper."""
        row = await self._run(
            lambda c: c.one("SELECT max(date) FROM digests WHERE paper_count > 0")
        )
        return _date(row[0])

    async def days(self, *, prefix: str = "", limit: int | None = None) -> list[DaySummary]:
        """Digest days (empty ones too), newest first; ``prefix`` filters on ``YYYY-MM-DD``."""
        prefix = (prefix or "").strip()
        lim = -1 if limit is None else max(0, int(limit))
        rows = await self._run(
            lambda c: c.all(
                """SELECT date, paper_count FROM digests WHERE date >= ? AND date < ?
                   ORDER BY date DESC LIMIT ?""",
                (prefix, textsearch.prefix_upper_bound(prefix), lim),
            )
        )
        return [DaySummary(dt.date.fromisoformat(d), n) for d, n in rows]

    async def nearest_days(self, date: dt.date | str) -> tuple[dt.date | None, dt.date | None]:
        """The nearest days with papers strictly before and strictly after ``date``."""
        day = _iso(date)
        row = await self._run(
            lambda c: c.one(
                """SELECT (SELECT max(date) FROM digests WHERE date < ?1 AND paper_count > 0),
                          (SELECT min(date) FROM digests WHERE date > ?1 AND paper_count > 0)""",
                (day,),
            )
        )
        return _date(row[0]), _date(row[1])

    async def day_papers(
        self, date: dt.date | str, *, limit: int = 10, offset: int = 0
    ) -> Page[Paper]:
        """One day's papers by that day's votes (unknown last), then position in the digest."""
        day = _iso(date)
        limit, offset = _clamp(limit, offset)

        def work(c: _Conn) -> Page[Paper]:
            rows = c.all(
                """SELECT paper_id FROM appearances WHERE date = ?
                   ORDER BY votes DESC, position LIMIT ? OFFSET ?""",
                (day, limit, offset),
            )
            total = c.one("SELECT count(*) FROM appearances WHERE date = ?", (day,))[0]
            return Page(tuple(self._papers(c, [r[0] for r in rows])), total, offset, limit)

        return await self._run(work)

    async def top_papers(
        self,
        since: dt.date | str | None,
        until: dt.date | str | None,
        *,
        limit: int = 10,
        offset: int = 0,
    ) -> Page[Paper]:
        """Papers listed between ``since`` and ``until`` (inclusive, open ends allowed) by their
        best votes in that range, then newest appearance, then first stored."""
        limit, offset = _clamp(limit, offset)
        lo, hi = _iso(since), _iso(until)

        def work(c: _Conn) -> Page[Paper]:
            if lo is None and hi is None:
                rows = c.all(
                    """SELECT id FROM papers WHERE last_date IS NOT NULL
                       ORDER BY best_votes DESC, last_date DESC, id LIMIT ? OFFSET ?""",
                    (limit, offset),
                )
                total = c.one("SELECT count(*) FROM papers WHERE last_date IS NOT NULL")[0]
            else:
                bounds = (lo or _MIN_DATE, hi or _MAX_DATE)
                rows = c.all(
                    """SELECT paper_id FROM appearances WHERE date BETWEEN ? AND ?
                       GROUP BY paper_id
                       ORDER BY max(votes) DESC, max(date) DESC, paper_id LIMIT ? OFFSET ?""",
                    (*bounds, limit, offset),
                )
                total = c.one(
                    "SELECT count(DISTINCT paper_id) FROM appearances WHERE date BETWEEN ? AND ?",
                    bounds,
                )[0]
            return Page(tuple(self._papers(c, [r[0] for r in rows])), total, offset, limit)

        return await self._run(work)

    # ------------------------------------------------------------------ papers

    async def paper(self, ref: str) -> Paper | None:
        """A paper by arXiv id (with or without version), arXiv abs/pdf URL, HF papers URL,
        derived id, or the exact link of the digest."""
        candidates = _ref_candidates(ref or "")
        if not candidates:
            return None

        def work(c: _Conn) -> Paper | None:
            row = c.one(
                """SELECT id FROM papers WHERE arxiv_id IN (SELECT value FROM json_each(?))
                   ORDER BY arxiv_id = ? DESC LIMIT 1""",
                (_ids_json(candidates), candidates[0]),
            )
            if row is None:
                row = c.one("SELECT id FROM papers WHERE url = ?", (ref.strip(),))
            items = self._papers(c, [row[0]]) if row else []
            return items[0] if items else None

        return await self._run(work)

    async def suggest_papers(self, text: str, *, limit: int = 25) -> list[Paper]:
        """Autocomplete: arXiv-id prefix matches, then title word/prefix matches by relevance;
        the newest papers for empty text."""
        limit, _ = _clamp(limit, 0)
        text = (text or "").strip()
        query = textsearch.parse_query(text)

        def work(c: _Conn) -> list[Paper]:
            if not text:
                rows = c.all(
                    """SELECT id FROM papers WHERE last_date IS NOT NULL
                       ORDER BY last_date DESC, best_votes DESC LIMIT ?""",
                    (limit,),
                )
                return self._papers(c, [r[0] for r in rows])
            ids: list[int] = []
            if re.fullmatch(r"\d{4}\.?\d*", text):
                rows = c.all(
                    """SELECT id FROM papers WHERE arxiv_id >= ? AND arxiv_id < ?
                       ORDER BY arxiv_id DESC LIMIT ?""",
                    (text, textsearch.prefix_upper_bound(text), limit),
                )
                ids.extend(r[0] for r in rows)
            if not query.is_empty and len(ids) < limit:
                rows = c.all(
                    """SELECT rowid FROM paper_fts WHERE paper_fts MATCH ?
                       ORDER BY +rank, rowid LIMIT ?""",
                    (textsearch.column_query(query, "title"), limit),
                )
                ids.extend(r[0] for r in rows if r[0] not in ids)
            return self._papers(c, ids[:limit])

        return await self._run(work)

    async def iter_papers(
        self, *, since: dt.date | str | None = None, until: dt.date | str | None = None
    ) -> AsyncIterator[Paper]:
        """Every paper listed in the range (all by default), by first day then position."""
        bounds = (_iso(since) or _MIN_DATE, _iso(until) or _MAX_DATE)
        rows = await self._run(
            lambda c: c.all(
                """SELECT p.id FROM papers p
                   JOIN appearances a ON a.paper_id = p.id AND a.date = p.first_date
                   WHERE EXISTS (SELECT 1 FROM appearances r
                                 WHERE r.paper_id = p.id AND r.date BETWEEN ? AND ?)
                   ORDER BY p.first_date, a.position, p.id""",
                bounds,
            )
        )
        ids = [r[0] for r in rows]
        for start in range(0, len(ids), 500):
            batch = await self._run(self._papers, ids[start : start + 500])
            for paper in batch:
                yield paper

    # ------------------------------------------------------------------ authors

    @staticmethod
    def _author(row: Sequence[Any]) -> Author:
        return Author(id=row[0], name=row[1], paper_count=row[2])

    def _suggest_authors_sync(self, c: _Conn, key: str, limit: int) -> list[Author]:
        if not key:
            rows = c.all(
                "SELECT id, name, paper_count FROM authors ORDER BY paper_count DESC, id LIMIT ?",
                (limit,),
            )
            return [self._author(r) for r in rows]
        hi = textsearch.prefix_upper_bound(key)
        dense = c.one(
            """SELECT count(*) FROM (SELECT 1 FROM author_terms WHERE term >= ? AND term < ?
               LIMIT ?)""",
            (key, hi, _AUTHOR_DENSE_THRESHOLD),
        )
        if int(dense[0]) < _AUTHOR_DENSE_THRESHOLD:
            # Few matches: collect them through the term index and sort.
            sql = """SELECT id, name, paper_count FROM authors
                     WHERE id IN (SELECT author_id FROM author_terms WHERE term >= ? AND term < ?)
                     ORDER BY paper_count DESC, id LIMIT ?"""
        else:
            # Many matches: walk authors by paper count and stop after ``limit`` hits.
            sql = """SELECT id, name, paper_count FROM authors INDEXED BY authors_count
                     WHERE EXISTS (SELECT 1 FROM author_terms t WHERE t.author_id = authors.id
                                   AND t.term >= ? AND t.term < ?)
                     ORDER BY paper_count DESC, id LIMIT ?"""
        return [self._author(r) for r in c.all(sql, (key, hi, limit))]

    async def suggest_authors(self, prefix: str, *, limit: int = 25) -> list[Author]:
        """Authors whose name, or a part of it from any word on, starts with ``prefix`` (case and
        diacritics ignored: ``niess`` finds ``Nießner``), most papers first."""
        limit, _ = _clamp(limit, 0)
        key = textsearch.name_key(prefix or "")
        return await self._run(self._suggest_authors_sync, key, limit)

    async def find_authors(self, name: str, *, limit: int = 25) -> list[Author]:
        """Authors for a typed name: exact normalized matches first, then prefix matches."""
        limit, _ = _clamp(limit, 0)
        key = textsearch.name_key(name or "")
        if not key:
            return []

        def work(c: _Conn) -> list[Author]:
            exact = [
                self._author(r)
                for r in c.all(
                    "SELECT id, name, paper_count FROM authors WHERE norm_key = ?", (key,)
                )
            ]
            seen = {a.id for a in exact}
            rest = self._suggest_authors_sync(c, key, limit)
            return (exact + [a for a in rest if a.id not in seen])[:limit]

        return await self._run(work)

    async def author(self, author_id: int) -> Author | None:
        """One author by id."""
        row = await self._run(
            lambda c: c.one("SELECT id, name, paper_count FROM authors WHERE id = ?", (author_id,))
        )
        return self._author(row) if row else None

    async def author_profile(
        self, author_id: int, *, limit: int = 10, offset: int = 0, coauthors: int = 10
    ) -> AuthorProfile | None:
        """An author's card: totals, frequent co-authors, and a page of papers newest first.

        Co-authors are counted over the author's latest 1,000 stored papers (all of them for
        anyone real; it bounds the cost for a synthetic super-author).
        """
        limit, offset = _clamp(limit, offset)
        co_limit, _ = _clamp(coauthors, 0)

        def work(c: _Conn) -> AuthorProfile | None:
            row = c.one("SELECT id, name, paper_count FROM authors WHERE id = ?", (author_id,))
            if row is None:
                return None
            stats = c.one(
                """SELECT coalesce(sum(p.votes), 0), min(p.first_date), max(p.last_date), count(*)
                   FROM paper_authors pa JOIN papers p ON p.id = pa.paper_id
                   WHERE pa.author_id = ?""",
                (author_id,),
            )
            page_rows = c.all(
                """SELECT p.id FROM paper_authors pa JOIN papers p ON p.id = pa.paper_id
                   WHERE pa.author_id = ?
                   ORDER BY p.last_date DESC, p.best_votes DESC, p.id DESC LIMIT ? OFFSET ?""",
                (author_id, limit, offset),
            )
            co_rows = c.all(
                """SELECT a.id, a.name, a.paper_count, count(*) AS shared
                   FROM (SELECT paper_id FROM paper_authors WHERE author_id = ?1
                         ORDER BY paper_id DESC LIMIT ?3) AS mine
                   JOIN paper_authors other ON other.paper_id = mine.paper_id
                                           AND other.author_id != ?1
                   JOIN authors a ON a.id = other.author_id
                   GROUP BY a.id ORDER BY shared DESC, a.paper_count DESC, a.id LIMIT ?2""",
                (author_id, co_limit, _COAUTHOR_WINDOW),
            )
            papers = self._papers(c, [r[0] for r in page_rows])
            return AuthorProfile(
                author=self._author(row),
                total_votes=int(stats[0]),
                first_day=_date(stats[1]),
                last_day=_date(stats[2]),
                coauthors=tuple(CoAuthor(self._author(r[:3]), r[3]) for r in co_rows),
                papers=Page(tuple(papers), int(stats[3]), offset, limit),
            )

        return await self._run(work)

    # ------------------------------------------------------------------ search

    async def search(
        self,
        query: str,
        *,
        since: dt.date | str | None = None,
        until: dt.date | str | None = None,
        sort: SortOrder = "relevance",
        limit: int = 10,
        offset: int = 0,
    ) -> Page[SearchHit]:
        """Keyword search over titles and summaries; any text is safe (see :mod:`storage.text`).

        ``sort``: ``relevance`` (bm25, title weighted), ``votes`` (latest votes) or ``newest``
        (latest appearance). ``since``/``until`` keep papers listed on a day in that range.
        """
        limit, offset = _clamp(limit, offset)
        parsed = textsearch.parse_query(query)
        if parsed.is_empty:
            return Page((), 0, offset, limit)
        filtered = since is not None or until is not None
        date_filter = (
            """ AND EXISTS (SELECT 1 FROM appearances a WHERE a.paper_id = f.rowid
                            AND a.date BETWEEN :lo AND :hi)"""
            if filtered
            else ""
        )
        params: dict[str, Any] = {"q": parsed.fts, "limit": limit, "offset": offset}
        if filtered:
            params.update(lo=_iso(since) or _MIN_DATE, hi=_iso(until) or _MAX_DATE)
        count_sql = f"SELECT count(*) FROM paper_fts f WHERE paper_fts MATCH :q{date_filter}"
        # ``{total}``: the total rides along in the page's statement, as an uncorrelated subquery
        # that SQLite computes once (a page past the end has no row to carry it), or as a bound
        # value when it is already known.
        if sort in _SEARCH_ORDERS:
            sql = f"""SELECT p.id, f.rank, {{total}} FROM paper_fts f
                      JOIN papers p ON p.id = f.rowid
                      WHERE paper_fts MATCH :q{date_filter}
                      ORDER BY {_SEARCH_ORDERS[sort]} LIMIT :limit OFFSET :offset"""
        else:
            # ``+f.rank``: SQLite's own top-N sort over the ranked rows. Plain ``ORDER BY rank``
            # hands the sort to FTS5, which sorts every match in a nested query and then seeks
            # each row again: about 1.5x slower on 100k papers (bench/bench_store.py), for rare
            # words too.
            sql = f"""SELECT f.rowid, f.rank, {{total}} FROM paper_fts f
                      WHERE paper_fts MATCH :q{date_filter}
                      ORDER BY +f.rank, f.rowid LIMIT :limit OFFSET :offset"""
        reader = self._reader
        if reader is not None:
            # Counting up to the bound costs at most a fraction of a millisecond; few matches
            # are then answered right here instead of paying two thread wake-ups.
            total = reader.one(
                f"""SELECT count(*) FROM (SELECT 1 FROM paper_fts f
                    WHERE paper_fts MATCH :q{date_filter} LIMIT {_QUICK_SEARCH_MATCHES + 1})""",
                params,
            )[0]
            if total <= _QUICK_SEARCH_MATCHES:
                params["total"] = total
                return self._search_page(reader, sql.format(total=":total"), params, parsed)
        return await self._run(
            self._search_page, sql.format(total=f"({count_sql})"), params, parsed, count_sql
        )

    def _search_page(
        self,
        c: _Conn,
        sql: str,
        params: dict[str, Any],
        parsed: textsearch.Query,
        count_sql: str | None = None,
    ) -> Page[SearchHit]:
        """One page of hits; the statement's third column is the total (see :meth:`search`)."""
        limit, offset = params["limit"], params["offset"]
        rows = c.all(sql, params)
        if rows:
            total = rows[0][2]
        elif count_sql is None:
            total = params["total"]
        elif offset == 0 and limit > 0:
            total = 0
        else:
            total = c.one(count_sql, params)[0]
        papers = self._papers(c, [r[0] for r in rows])
        hits = tuple(
            SearchHit(paper, self._snippet(paper, parsed), -float(rank))
            for paper, rank in zip(papers, (r[1] for r in rows), strict=False)
        )
        return Page(hits, total, offset, limit)

    @staticmethod
    def _snippet(paper: Paper, query: textsearch.Query) -> tuple[tuple[str, bool], ...]:
        return textsearch.hit_snippet([b.text for b in paper.summary], paper.title, query.terms)


if TYPE_CHECKING:  # the backend implements every port (checked by mypy)
    from storage import ports

    _implements: type[ports.Store] = Store
