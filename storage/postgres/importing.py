"""Writing digests: each one whole or not at all, several grouped into one commit by ``batch``.

The rules are the SQLite backend's (:mod:`storage.sqlite.importing`): a paper is keyed by its
arXiv id and keeps one row however many days list it; title, summary, media and authors come from
the newest digest that lists it (``content_date``), so files imported in any order give the same
result; ``votes`` is the latest day's known votes, ``best_votes`` the highest; the API's extras
refresh a stored paper without replacing its content; authors keep exact paper counts.

Each digest is one transaction (a savepoint inside :meth:`ImportQueries.batch`) of a fixed
handful of set-based statements whatever its size: the rows go in as one JSON array
(:func:`storage.prepare.prepare_digest`'s, built in worker processes by the importer) or as
arrays (``unnest``), never row by row. Imports take turns on a transaction-level advisory lock
(:data:`IMPORT_LOCK`), so two processes importing at once neither deadlock on shared authors nor
interleave the import feed (see :mod:`storage.postgres.alerts`). PostgreSQL text cannot hold
NUL characters: they are dropped from what is stored.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import re
from collections import Counter
from collections.abc import AsyncIterator, Sequence

from storage import text as textsearch
from storage.errors import Unavailable
from storage.models import ImportResult, ParsedDigest
from storage.postgres import fulltext
from storage.postgres.connection import Conn, StoreBase, now_utc, translated
from storage.prepare import PreparedDigest, prepare_digest, summary_and_keywords

log = logging.getLogger(__name__)

#: The advisory lock every import transaction holds ("papersim" in ASCII).
IMPORT_LOCK = 0x7061706572736970

# One row of ``PreparedDigest.papers_json`` (see storage.prepare): arxiv id, title, url, authors
# truncated, media kind, media url, summary JSON, AI summary, keywords JSON, GitHub repo, GitHub
# stars, project page, votes, author names JSON, organisation, comments; ``$3`` holds each
# paper's tsvector (binary, storage/tsvector.py), in the same order (``jsonb``: parsed once,
# where each ``->>`` on ``json`` parses the row's text again). A stored paper takes this
# digest's content only when the digest is at least as new as its content; the API extras are
# replaced only by values.
# Returns the papers inserted or updated.
_PAPERS_INSERT = """
    INSERT INTO papers (arxiv_id, title, url, authors_truncated, media_kind, media_url, summary,
                        ai_summary, keywords, github_repo, github_stars, project_page,
                        content_date, votes, best_votes, first_date, last_date, author_names,
                        organization, comments, search)
    SELECT r.v ->> 0, r.v ->> 1, r.v ->> 2, (r.v ->> 3)::int <> 0, r.v ->> 4, r.v ->> 5,
           (r.v ->> 6)::jsonb, r.v ->> 7,
           CASE WHEN r.v ->> 8 IS NOT NULL
                THEN ARRAY(SELECT json_array_elements_text((r.v ->> 8)::json)) END,
           r.v ->> 9, (r.v ->> 10)::int, r.v ->> 11, $1, (r.v ->> 12)::int, (r.v ->> 12)::int,
           $1, $1, ARRAY(SELECT json_array_elements_text((r.v ->> 13)::json)),
           r.v ->> 14, (r.v ->> 15)::int, r.doc
    FROM ROWS FROM (jsonb_array_elements($2::jsonb), unnest($3::tsvector[])) AS r(v, doc)
    ON CONFLICT (arxiv_id) DO UPDATE SET {content}
        content_date = excluded.content_date,
        ai_summary = coalesce(excluded.ai_summary, papers.ai_summary),
        keywords = coalesce(excluded.keywords, papers.keywords),
        github_repo = coalesce(excluded.github_repo, papers.github_repo),
        github_stars = coalesce(excluded.github_stars, papers.github_stars),
        project_page = coalesce(excluded.project_page, papers.project_page),
        organization = coalesce(excluded.organization, papers.organization),
        comments = coalesce(excluded.comments, papers.comments)
    WHERE excluded.content_date >= papers.content_date
    RETURNING arxiv_id, id"""
_PAPERS_UPSERT = _PAPERS_INSERT.format(
    content="""title = excluded.title, url = excluded.url,
        authors_truncated = excluded.authors_truncated,
        media_kind = excluded.media_kind, media_url = excluded.media_url,
        summary = excluded.summary, author_names = excluded.author_names,
        search = excluded.search,"""
)
_PAPERS_UPSERT_KEEP = _PAPERS_INSERT.format(content="")

# The digest's row, with its final paper count: the papers it lists plus those listed that day
# before and not now (``$4``: the digest's arXiv ids). Returns the stored papers among ``$4``,
# as they were before anything of the digest was written.
_DIGEST_UPSERT = """
    WITH stored AS (
        SELECT arxiv_id, id, content_date FROM papers WHERE arxiv_id = ANY($4::text[])),
    digest AS (
        INSERT INTO digests (date, source, paper_count, imported_at)
        VALUES ($1, $2, $3 + (SELECT count(*) FROM appearances a
                              JOIN papers p ON p.id = a.paper_id
                              WHERE a.date = $1 AND NOT p.arxiv_id = ANY($4::text[])), $5)
        ON CONFLICT (date) DO UPDATE SET source = excluded.source,
            imported_at = excluded.imported_at, paper_count = excluded.paper_count)
    SELECT arxiv_id, id, content_date FROM stored"""


def _digest_and_papers(papers_upsert: str) -> str:
    """:data:`_DIGEST_UPSERT` and a papers upsert as one statement (one round trip): the
    stored papers as before, ``(arxiv_id, id, content_date)``, then ``(arxiv_id, id, NULL)``
    for each paper written (the upsert's rows are ``$6``, its documents ``$7``)."""
    upsert = papers_upsert.replace("$2::jsonb", "$6::jsonb")
    upsert = upsert.replace("$3::tsvector[]", "$7::tsvector[]")
    head = _DIGEST_UPSERT.rsplit("SELECT", 1)[0].rstrip()
    return (
        f"{head},\n    written AS ({upsert})\n"
        "    SELECT arxiv_id, id, content_date FROM stored\n"
        "    UNION ALL SELECT arxiv_id, id, NULL FROM written"
    )


_DIGEST_PAPERS = _digest_and_papers(_PAPERS_UPSERT)
_DIGEST_PAPERS_KEEP = _digest_and_papers(_PAPERS_UPSERT_KEEP)

# The authors a digest's links name and are not known yet, its author links and the day's
# appearances, in one statement (one round trip). The appearances: ``$2``-``$4``. The authors
# by key (``$8``, first spellings ``$9``): those not stored yet are inserted, with their name
# terms (``$10`` each term, ``$11`` the key it belongs to). The links (``$5``-``$7``, ``$12``,
# maybe none): paper id, position, author id when known, else ``NULL`` and the author's key.
# Returns ``(key, id)`` of every key of ``$8``. The lookups are scalar subqueries, so each one is
# an index probe on ``norm_key`` whatever the planner's statistics say (a hash join over a seq
# scan was this import's slowest part); a key inserted here is found in ``added`` (a
# data-modifying CTE's rows are not visible to the rest of its statement as table rows).
_AUTHORS_LINKS_AND_APPEARANCES = """
    WITH added AS (
        INSERT INTO authors (norm_key, name) SELECT * FROM unnest($8::text[], $9::text[])
        ON CONFLICT (norm_key) DO NOTHING RETURNING norm_key, id),
    terms AS (
        INSERT INTO author_terms (term, author_id)
        SELECT t.term, added.id
        FROM unnest($10::text[], $11::text[]) AS t(term, key)
        JOIN added ON added.norm_key = t.key
        ON CONFLICT DO NOTHING),
    resolved AS (
        SELECT k.key, coalesce((SELECT added.id FROM added WHERE added.norm_key = k.key),
                               (SELECT a.id FROM authors a WHERE a.norm_key = k.key)) AS id
        FROM unnest($8::text[]) AS k(key)),
    links AS (
        INSERT INTO paper_authors (paper_id, position, author_id)
        SELECT l.paper_id, l.position, coalesce(l.author_id, r.id)
        FROM unnest($5::bigint[], $6::int[], $7::bigint[], $12::text[])
             AS l(paper_id, position, author_id, key)
        LEFT JOIN resolved r ON l.author_id IS NULL AND r.key = l.key),
    appeared AS (
        INSERT INTO appearances (paper_id, date, position, votes)
        SELECT r.id, $1, r.position, r.votes
        FROM unnest($2::bigint[], $3::int[], $4::int[]) AS r(id, position, votes)
        ON CONFLICT (paper_id, date) DO UPDATE SET position = excluded.position,
                                                   votes = excluded.votes)
    SELECT key, id FROM resolved"""

# A point of vote history for each paper of an API day whose votes differ from its last point
# (the first count, a rise or a fall): an unchanged count adds nothing, a lower one is kept.
_VOTE_POINTS = """
    INSERT INTO vote_history (paper_id, at, votes)
    SELECT p.id, $1, (r.v ->> 2)::int
    FROM json_array_elements($2::json) AS r(v) JOIN papers p ON p.arxiv_id = r.v ->> 0
    WHERE r.v ->> 2 IS NOT NULL
      AND (r.v ->> 2)::int IS DISTINCT FROM (SELECT h.votes FROM vote_history h
                                             WHERE h.paper_id = p.id ORDER BY h.at DESC LIMIT 1)
    ON CONFLICT (paper_id, at) DO UPDATE SET votes = excluded.votes"""

# Stored papers' derived columns, from all their days.
_DERIVED_UPDATE = """
    UPDATE papers p SET votes = s.votes, best_votes = s.best, first_date = s.first,
                        last_date = s.last
    FROM (SELECT paper_id,
                 (array_agg(votes ORDER BY date DESC) FILTER (WHERE votes IS NOT NULL))[1]
                     AS votes,
                 max(votes) AS best, min(date) AS first, max(date) AS last
          FROM appearances WHERE paper_id = ANY($1::bigint[]) GROUP BY paper_id) AS s
    WHERE p.id = s.paper_id"""


#: A JSON-escaped NUL character (``\u0000`` not itself escaped).
_JSON_NUL_RE = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")


def without_nul(json_text: str) -> str:
    """``json_text`` with its NUL characters dropped: PostgreSQL text cannot hold them."""
    return _JSON_NUL_RE.sub(r"\1", json_text) if "\\u0000" in json_text else json_text


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


# A batch's search index entries wait in the GIN index's pending list (appended, cheap) and go
# into the index together at the commit (:data:`_CLEAN_PENDING`): one visit of each word's
# posting list per batch instead of one per paper, or one per 4 MB flush (the default limit,
# whose flushes in the middle of a file made one file's insert take 60-100 ms). The flush
# gathers the entries in ``maintenance_work_mem`` (``work_mem`` when the limit is reached).
# ``plan_cache_mode = auto``: the pool plans each statement for its values (for searches: see
# storage/postgres/store.py), but an import's statements are the same few thousands of times,
# written so that any plan probes indexes; planning each one again cost a fifth more server
# time (10.0-10.2 s against 8.3-8.4 s of CPU for 30k papers).
_BATCH_SETTINGS = (
    "SET LOCAL gin_pending_list_limit = '32MB'; SET LOCAL work_mem = '64MB'; "
    "SET LOCAL maintenance_work_mem = '256MB'; SET LOCAL plan_cache_mode = auto"
)
# Both GIN indexes, the documents' and the title words' (migration 12). Only an index's owner
# (or a superuser) may flush it; anyone else leaves it to autovacuum.
_CLEAN_PENDING = """
    SELECT gin_clean_pending_list(c.oid) FROM pg_class c
    WHERE c.oid IN ('papers_search'::regclass, 'papers_title_search'::regclass)
      AND pg_has_role(c.relowner, 'USAGE')"""


class Deferred:
    """What an import writes only when its transaction ends, and the author ids it knows.

    ``counts``: the changes of ``authors.paper_count`` (by author id), applied once per commit
    (:meth:`write`) instead of once per file. Each change rewrites the author's row and its
    ``authors_count`` index entry, and inside one long transaction none of those row versions
    can be pruned: a prolific author's key then led index probes through thousands of dead
    versions and a 100k import in one transaction slowed to about 100 papers/s.

    ``ids``: author key -> id of the authors that exist until the transaction ends (authors are
    only deleted here, at :meth:`write`, under the import lock), so a file sends only the keys
    it has not seen yet.
    """

    __slots__ = ("counts", "ids")

    def __init__(self) -> None:
        self.counts: Counter[int] = Counter()
        self.ids: dict[str, int] = {}

    def merge(self, other: Deferred) -> None:
        self.counts.update(other.counts)
        self.ids.update(other.ids)

    async def write(self, c: Conn) -> None:
        """Apply the count changes; authors left with no paper go."""
        changes = [(author_id, n) for author_id, n in self.counts.items() if n]
        # An author one file added and a later one removed again nets zero: gone too.
        gone = [author_id for author_id, n in self.counts.items() if n <= 0]
        self.counts.clear()
        if changes:
            await c.execute(
                """UPDATE authors SET paper_count = paper_count + r.n
                   FROM unnest($1::bigint[], $2::int[]) AS r(id, n) WHERE authors.id = r.id""",
                [a for a, _ in changes],
                [n for _, n in changes],
            )
        if gone:
            self.ids.clear()
            await c.execute(
                "DELETE FROM authors WHERE id = ANY($1::bigint[]) AND paper_count <= 0", gone
            )


class ImportQueries(StoreBase):
    """The :class:`storage.ports.ImportStore` of the PostgreSQL backend."""

    #: Papers are stored with their ``tsvector``: built ahead, in the importer's workers.
    wants_documents = True
    #: A bulk import commits this many files, or after this many seconds (the importer's
    #: defaults are for SQLite, whose batch holds the only write lock). Here a batch blocks no
    #: reader and no other writer than another import (or a fetch of new days, which waits
    #: for the import lock), and each commit rewrites its authors' counts, flushes its search
    #: entries into the index and forgets the author ids it knew: fewer, larger commits do that
    #: work once for more papers (30 s instead of 8 s: about a tenth less server time).
    files_per_commit = 4096
    seconds_per_commit = 30.0

    #: Inside :meth:`batch`: the author counts its imports hold back, the author ids known.
    _pending: Deferred | None = None

    @contextlib.asynccontextmanager
    async def batch(self) -> AsyncIterator[None]:
        """Group the writes made inside into one commit (for bulk imports).

        Every write inside stays atomic on its own (each ``import_digest`` is a savepoint: a file
        that fails is rolled back alone and the others go on); the batch commits them together.
        If the block raises, everything since the batch began is rolled back. Every operation
        inside runs on the batch's connection, one at a time, and sees the batch's writes, except
        the authors' paper counts, written together just before the commit (see
        :class:`Deferred`); other connections see everything at the commit. The batch holds the
        import lock until then.
        """
        if self._batch is not None:
            raise RuntimeError("batches do not nest")
        async with self._conn() as c:
            transaction = c.con.transaction()
            with translated(self.path):
                await transaction.start()
                await c.execute("SELECT pg_advisory_xact_lock($1)", IMPORT_LOCK)
                await c.execute(_BATCH_SETTINGS)
            self._batch = c
            pending = self._pending = Deferred()
            try:
                yield
            except BaseException:
                self._batch = self._pending = None
                with translated(self.path):
                    if not c.con.is_closed():
                        await transaction.rollback()
                raise
            self._batch = self._pending = None
            with translated(self.path):
                try:
                    await pending.write(c)
                    await c.execute(_CLEAN_PENDING)
                except BaseException:
                    if not c.con.is_closed():
                        await transaction.rollback()
                    raise
                await transaction.commit()

    async def import_digest(self, digest: ParsedDigest | PreparedDigest) -> ImportResult:
        """Store one digest in a single transaction; re-importing it changes nothing new.

        Papers already stored keep their row (votes and the day's appearance are updated; title,
        summary, media, authors and API extras are replaced when this digest is at least as new
        as the one they came from). Raises what PostgreSQL raises, after rolling the whole
        digest back. ``digest`` may come already :func:`prepare_digest`-ed.
        """
        return await self._import(digest, keep_content=False)

    async def import_api_digest(self, digest: ParsedDigest | PreparedDigest) -> ImportResult:
        """Like :meth:`import_digest`, for a day of the Hugging Face daily papers API: its title,
        abstract, authors and image are used only for papers not stored yet; a stored paper
        keeps its content and gets its votes, appearance and extras refreshed."""
        return await self._import(digest, keep_content=True)

    async def import_digests(
        self, digests: Sequence[ParsedDigest | PreparedDigest]
    ) -> list[ImportResult | Exception]:
        """Import several digests, each exactly as :meth:`import_digest` would (its own
        transaction, or savepoint inside :meth:`batch`), as one operation.

        A digest that fails is rolled back alone and its exception takes its place in the
        returned list; the others go on. A lost connection is raised instead.
        """
        prepared = [
            d if isinstance(d, PreparedDigest) else prepare_digest(d, documents=True)
            for d in digests
        ]
        now = now_utc()
        out: list[ImportResult | Exception] = []
        async with self._conn() as c:
            pending = self._pending
            if pending is not None and len(prepared) > 1:
                # Inside a batch, the files go under one savepoint (two round trips instead of
                # two per file); if one fails, that is rolled back and each file is imported on
                # its own as below, so the failing one is rolled back alone.
                together = await self._import_together(c, prepared, now, pending)
                if together is not None:
                    return list(together)
            for d in prepared:
                try:
                    out.append(_import_result(d, await self._import_one(c, d, now, False)))
                except Exception as exc:  # one bad file must not stop the others...
                    if c.con.is_closed():
                        raise  # ... unless the connection is gone: every later one would fail
                    out.append(exc)
        return out

    async def _import_together(
        self, c: Conn, prepared: Sequence[PreparedDigest], now: dt.datetime, pending: Deferred
    ) -> list[ImportResult] | None:
        """Import ``prepared`` under one savepoint of the batch; ``None`` (nothing kept) when
        one of them failed. A lost connection is raised."""
        group = Deferred()
        group.ids = _Overlay(pending.ids)

        async def work(c: Conn) -> list[ImportResult]:
            return [
                _import_result(d, await _write_digest(c, d, now, False, group)) for d in prepared
            ]

        try:
            results = await c.transaction(work)
        except Exception:
            if c.con.is_closed():
                raise Unavailable(self.path, "connection lost during an import") from None
            return None
        pending.counts.update(group.counts)
        pending.ids.update(dict.items(group.ids))
        return results

    async def _import(
        self, digest: ParsedDigest | PreparedDigest, *, keep_content: bool
    ) -> ImportResult:
        prepared = (
            digest if isinstance(digest, PreparedDigest) else prepare_digest(digest, documents=True)
        )
        async with self._conn() as c:
            counts = await self._import_one(c, prepared, now_utc(), keep_content)
        return _import_result(prepared, counts)

    async def _import_one(
        self, c: Conn, d: PreparedDigest, now: dt.datetime, keep_content: bool
    ) -> tuple[int, int]:
        """One digest, whole or not at all: a transaction, or a savepoint of :meth:`batch`
        (whose import lock it already holds, and whose :class:`Deferred` it joins once its
        savepoint is released)."""
        pending = self._pending
        mine = Deferred()
        if pending is not None:
            mine.ids = _Overlay(pending.ids)

        async def work(c: Conn) -> tuple[int, int]:
            if pending is None:
                await c.execute("SELECT pg_advisory_xact_lock($1)", IMPORT_LOCK)
            counts = await _write_digest(c, d, now, keep_content, mine)
            if pending is None:
                await mine.write(c)
            return counts

        try:
            counts = await c.transaction(work)
        except Unavailable:
            raise
        except Exception:
            if c.con.is_closed():
                raise Unavailable(self.path, "connection lost during an import") from None
            raise
        if pending is not None:
            pending.counts.update(mine.counts)
            pending.ids.update(dict.items(mine.ids))
        return counts


class _Overlay(dict[str, int]):
    """A file's view of its batch's author ids: reads fall through to the batch's, writes stay
    here until the file's savepoint is released."""

    __slots__ = ("base",)

    def __init__(self, base: dict[str, int]) -> None:
        super().__init__()
        self.base = base

    def get(self, key: str, default: int | None = None) -> int | None:  # type: ignore[override]
        found = dict.get(self, key)
        return found if found is not None else self.base.get(key, default)


async def _write_digest(
    c: Conn, d: PreparedDigest, now: dt.datetime, keep_content: bool, deferred: Deferred
) -> tuple[int, int]:
    """The statements of one digest (inside its transaction): two round trips for a digest of
    new papers (the digest's row and the papers; the authors not known yet, the author links
    and the day's appearances). Author count changes and the author ids learnt go to
    ``deferred``."""
    day = dt.date.fromisoformat(d.date)
    arxiv_ids = list(d.arxiv_ids)
    source = d.source.replace("\x00", "")
    if not arxiv_ids:
        await c.execute(_DIGEST_UPSERT, day, source, 0, arxiv_ids, now)
        return 0, 0
    documents = d.documents or [fulltext.document(title, summary) for title, summary in d.fts]
    rows = await c.all(
        _DIGEST_PAPERS_KEEP if keep_content else _DIGEST_PAPERS,
        day,
        source,
        len(arxiv_ids),
        arxiv_ids,
        now,
        without_nul(d.papers_json),
        documents,
    )
    existing: dict[str, dt.date] = {}
    ids: dict[str, int] = {}
    for arxiv_id, paper_id, content_date in rows:
        ids[arxiv_id] = paper_id
        if content_date is not None:
            existing[arxiv_id] = content_date
    paper_ids = [ids[a] for a in arxiv_ids]
    fresh = [i for i, a in enumerate(arxiv_ids) if a not in existing]
    # Authors: replaced for every paper whose content this digest now provides.
    if keep_content:
        owners = fresh
    else:
        owners = [i for i, a in enumerate(arxiv_ids) if existing.get(a, day) <= day]
    links, unknown = await _replace_authors(
        c,
        d,
        paper_ids,
        owners,
        [paper_ids[i] for i in owners if arxiv_ids[i] in existing],
        deferred,
    )
    link_papers, positions, link_authors, link_keys = links
    keys = [key for key, _ in unknown]
    terms = [(term, key) for key in keys for term in textsearch.name_terms(key)]
    appearances = json.loads(without_nul(d.appearances_json))
    resolved = await c.all(
        _AUTHORS_LINKS_AND_APPEARANCES,
        day,
        [ids[a[0]] for a in appearances],
        [a[1] for a in appearances],
        [a[2] for a in appearances],
        link_papers,
        positions,
        link_authors,
        keys,
        [name for _, name in unknown],
        [t for t, _ in terms],
        [k for _, k in terms],
        link_keys,
    )
    known = deferred.ids
    for key, author_id in resolved:
        known[key] = author_id
    # Each author's count goes up by its links (their ids are all known now).
    counts = deferred.counts
    for author_id, key in zip(link_authors, link_keys, strict=True):
        found = author_id if key is None else known[key]
        assert found is not None  # a key is None only beside a known id
        counts[found] += 1
    if keep_content:
        # A new moment for each fetch (the clock, not the transaction's start).
        await c.execute(_VOTE_POINTS, dt.datetime.now(dt.UTC), without_nul(d.appearances_json))
        if existing:
            await _reindex(c, [ids[a] for a in existing])
    if existing:
        # New papers got their derived columns from this day; stored ones may have others.
        await c.execute(_DERIVED_UPDATE, [ids[a] for a in existing])
    return len(fresh), len(arxiv_ids) - len(fresh)


async def _reindex(c: Conn, paper_ids: list[int]) -> None:
    """Rewrite the search documents of stored papers whose keywords an API day changed (their
    content stays; the summary words are followed by the keywords, as in
    :func:`storage.prepare.fts_forms`)."""
    rows = await c.all(
        "SELECT id, title, summary::text, keywords FROM papers WHERE id = ANY($1::bigint[])",
        paper_ids,
    )
    documents = []
    for _id, title, summary, keywords in rows:
        texts = [str(b[1]) for b in json.loads(summary)]
        form = textsearch.index_form(summary_and_keywords(texts, keywords or ()))
        documents.append(fulltext.document(textsearch.index_form(title), form))
    await c.execute(
        """UPDATE papers p SET search = r.doc
           FROM unnest($1::bigint[], $2::tsvector[]) AS r(id, doc)
           WHERE p.id = r.id AND p.search IS DISTINCT FROM r.doc""",
        [r[0] for r in rows],
        documents,
    )


#: The author links a digest writes: paper ids, positions, author ids (``None`` when not known
#: yet) and the authors' keys (``None`` when the id is known).
Links = tuple[list[int], list[int], list[int | None], list[str | None]]


async def _replace_authors(
    c: Conn,
    d: PreparedDigest,
    paper_ids: list[int],
    owners: list[int],
    replaced_ids: list[int],
    deferred: Deferred,
) -> tuple[Links, list[tuple[str, str]]]:
    """The author links that set the author lists of the papers at ``owners`` (indexes into
    ``d.arxiv_ids``), after deleting the lists of ``replaced_ids`` (those that had one), and the
    authors they name whose ids are not known yet (``(key, first spelling)``); the caller
    inserts the links and those authors (:data:`_AUTHORS_LINKS_AND_APPEARANCES`).

    ``authors.paper_count`` changes by deltas (links added minus links removed) collected in
    ``deferred``, so the cost does not grow with how prolific an author is; authors left with no
    paper go when ``deferred`` is written. ``deferred.ids`` holds the author ids known.
    """
    if replaced_ids:
        deferred.counts.subtract(
            r[0]
            for r in await c.all(
                "DELETE FROM paper_authors WHERE paper_id = ANY($1::bigint[]) RETURNING author_id",
                replaced_ids,
            )
        )
    links = d.links
    if owners and links and len(owners) != len(paper_ids):
        wanted = set(owners)
        links = tuple(link for link in links if link[0] in wanted)
    if not (owners and links):
        return ([], [], [], []), []
    known = deferred.ids
    author_ids: list[int | None] = []
    keys: list[str | None] = []
    unknown: dict[str, str] = {}
    for _, _, k in links:
        key, name = d.authors[k]
        author_id = known.get(key)
        author_ids.append(author_id)
        if author_id is None:
            keys.append(key)
            unknown.setdefault(key, name)
        else:
            keys.append(None)
    return (
        [paper_ids[p] for p, _, _ in links],
        [position for _, position, _ in links],
        author_ids,
        keys,
    ), list(unknown.items())
