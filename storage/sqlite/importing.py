"""Writing digests: each one whole or not at all, several grouped into one commit by ``batch``.

A paper is keyed by its arXiv id and keeps one row however many days list it; each day is an
appearance with that day's position and votes. Title, summary, media and authors come from the
newest digest that lists the paper (``content_date``), so importing files in any order gives the
same result; ``votes`` is the latest day's known votes, ``best_votes`` the highest.

Each digest imports in one ``BEGIN IMMEDIATE`` transaction (whole or not at all) using set-based
statements (rows passed as one JSON array through ``json_each``, ids coming back through
``RETURNING``), so the cost per file is a fixed handful of statements, each one hop to
aiosqlite's thread. The rows are built ahead by :func:`prepare_digest`, a pure function that the
importer runs in worker processes, so the database thread mostly binds strings. Re-importing a
digest is idempotent: same rows, votes refreshed, authors replaced.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
from collections import Counter
from collections.abc import AsyncIterator, Sequence

from storage import text as textsearch
from storage.models import ImportResult, ParsedDigest
from storage.prepare import PreparedDigest, prepare_digest
from storage.sqlite.connection import Conn, StoreBase, ids_json, now_iso

log = logging.getLogger(__name__)

# One row of ``PreparedDigest.papers_json``: arxiv id, title, url, authors truncated, media kind,
# media url, summary JSON, AI summary, keywords JSON, GitHub repo, GitHub stars, project page,
# votes, author names JSON (as listed, each person once: whom ``paper_authors`` links),
# organisation, comment count. A new
# paper takes its derived columns from this day; the API extras of a stored paper are replaced
# only by values (a digest without them keeps the stored ones). Returns the papers inserted or
# updated (a stored paper that keeps newer content is not).
_PAPERS_INSERT = """
    INSERT INTO papers(arxiv_id, title, url, authors_truncated, media_kind, media_url, summary,
                       ai_summary, keywords, github_repo, github_stars, project_page,
                       content_date, votes, best_votes, first_date, last_date, author_names,
                       organization, comments)
    SELECT r.value ->> 0, r.value ->> 1, r.value ->> 2, r.value ->> 3, r.value ->> 4,
           r.value ->> 5, r.value ->> 6, r.value ->> 7, r.value ->> 8, r.value ->> 9,
           r.value ->> 10, r.value ->> 11, ?1, r.value ->> 12, r.value ->> 12, ?1, ?1,
           r.value ->> 13, r.value ->> 14, r.value ->> 15
    FROM json_each(?2) AS r WHERE true
    ON CONFLICT(arxiv_id) DO UPDATE SET {content}
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
        summary = excluded.summary, author_names = excluded.author_names,"""
)
_PAPERS_UPSERT_KEEP = _PAPERS_INSERT.format(content="")

# A point of vote history for each paper of an API day whose votes differ from its last point
# (the first count, a rise or a fall): an unchanged count adds nothing, a lower one is kept.
_VOTE_POINTS = """
    INSERT INTO vote_history(paper_id, at, votes)
    SELECT p.id, ?1, r.value ->> 2
    FROM json_each(?2) AS r JOIN papers p ON p.arxiv_id = r.value ->> 0
    WHERE r.value ->> 2 IS NOT NULL
      AND r.value ->> 2 IS NOT (SELECT h.votes FROM vote_history h WHERE h.paper_id = p.id
                               ORDER BY h.at DESC LIMIT 1)
    ON CONFLICT(paper_id, at) DO UPDATE SET votes = excluded.votes"""


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


# The digest's row, with its final paper count: the papers it lists plus those listed that day
# before and not now (``?4``: the digest's arXiv ids). Returns the stored papers among ``?4``
# (``[arxiv id, row id, content date]``), read before anything of the digest is written.
_DIGEST_UPSERT = """
    INSERT INTO digests(date, source, paper_count, imported_at)
    VALUES (?1, ?2, ?3 + (SELECT count(*) FROM appearances a JOIN papers p ON p.id = a.paper_id
                          WHERE a.date = ?1
                            AND p.arxiv_id NOT IN (SELECT value FROM json_each(?4))), ?5)
    ON CONFLICT(date) DO UPDATE SET source = excluded.source, imported_at = excluded.imported_at,
                                    paper_count = excluded.paper_count
    RETURNING (SELECT json_group_array(json_array(arxiv_id, id, content_date)) FROM papers
               WHERE arxiv_id IN (SELECT value FROM json_each(?4)))"""


class Deferred:
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

    def merge(self, other: Deferred) -> None:
        self.fts.update(other.fts)
        self.counts.update(other.counts)

    async def write_fts(self, c: Conn) -> None:
        if self.fts:
            await c.execute(
                """INSERT INTO paper_fts(rowid, title, summary)
                   SELECT r.value ->> 0, r.value ->> 1, r.value ->> 2 FROM json_each(?) AS r""",
                (ids_json(self.fts.values()),),
            )
            self.fts.clear()

    async def write(self, c: Conn) -> None:
        await self.write_fts(c)
        changes = [(author_id, n) for author_id, n in self.counts.items() if n]
        # An author a file of this commit added and another removed again nets zero: gone too.
        gone = [author_id for author_id, n in self.counts.items() if n <= 0]
        self.counts.clear()
        if changes:
            await c.execute(
                """UPDATE authors SET paper_count = paper_count + (r.value ->> 1)
                   FROM json_each(?) AS r WHERE authors.id = r.value ->> 0""",
                (ids_json(changes),),
            )
        if gone:
            await c.execute(
                """DELETE FROM authors
                   WHERE id IN (SELECT value FROM json_each(?)) AND paper_count <= 0""",
                (ids_json(gone),),
            )


class ImportQueries(StoreBase):
    """The :class:`storage.ports.ImportStore` of the SQLite backend."""

    #: FTS5 indexes the papers' forms itself: no ``tsvector`` literals.
    wants_documents = False

    #: Inside :meth:`batch`: the index rows and author counts its imports hold back.
    _pending: Deferred | None = None

    @contextlib.asynccontextmanager
    async def batch(self) -> AsyncIterator[None]:
        """Group the writes made inside into one commit (for bulk imports).

        Every write inside stays atomic on its own (each ``import_digest`` is a savepoint: a file
        that fails is rolled back alone and the others go on); the batch commits them together,
        which saves rewriting the same index pages once per file. If the block itself raises,
        everything since the batch began is rolled back. If SQLite itself ends the transaction
        (``RAISE(ROLLBACK)``, a full disk), the whole batch is lost: the call that hit it raises
        SQLite's error, so does every later call inside the block and the block's end; if the
        ``COMMIT`` fails, the batch is rolled back and the error raised. Only for a store that
        nothing else writes to meanwhile (the import command); keep batches short, since a batch
        holds the database's write lock.

        The full-text rows of the papers the batch inserts, and the paper counts of the authors
        it touches, are written together just before the commit (see :class:`Deferred`), so
        searches and author suggestions inside the batch do not see them yet; a file that
        re-imports a paper still pending writes the pending index rows first.
        """
        async with self._conn() as c:
            await c.begin()
        pending = self._pending = Deferred()
        self._in_batch = True
        try:
            try:
                yield
            finally:
                self._pending = None
                self._in_batch = False
                lost, self._batch_lost = self._batch_lost, None
        except BaseException:
            async with self._conn() as c:
                await c.rollback()
            raise
        if lost is not None:  # SQLite ended the transaction; the block caught the error
            raise lost
        async with self._conn() as c:
            try:
                await pending.write(c)
                await c.execute("COMMIT")
            except BaseException:
                await c.rollback()
                raise

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
        keywords, GitHub repository and stars, project page, organisation, comment count). Each
        paper whose votes differ from the last point of its vote history gets a point at the
        import's moment (see :meth:`vote_history`). The fetcher asks the API for the
        last few days every hour, so without this rule English abstracts would replace the
        Korean summaries of the same days.
        """
        return await self._import(digest, keep_content=True)

    async def import_digests(
        self, digests: Sequence[ParsedDigest | PreparedDigest]
    ) -> list[ImportResult | Exception]:
        """Import several digests, each exactly as :meth:`import_digest` would (its own
        transaction, or savepoint inside :meth:`batch`), as one operation.

        A digest that fails is rolled back alone and its exception takes its place in the
        returned list; the others go on. Inside :meth:`batch`, an error with which SQLite ended
        the batch's whole transaction is raised instead: none of the batch is stored.
        """
        prepared = [d if isinstance(d, PreparedDigest) else prepare_digest(d) for d in digests]
        now = now_iso()
        out: list[ImportResult | Exception] = []
        async with self._conn() as c:
            for d in prepared:
                try:
                    out.append(_import_result(d, await self._import_one(c, d, now, False)))
                except Exception as exc:  # one bad file must not stop the others...
                    if self._in_batch and not c.db.in_transaction:
                        raise  # ... unless SQLite ended the batch's transaction: all are lost
                    out.append(exc)
        return out

    async def _import(
        self, digest: ParsedDigest | PreparedDigest, *, keep_content: bool
    ) -> ImportResult:
        prepared = digest if isinstance(digest, PreparedDigest) else prepare_digest(digest)
        async with self._conn() as c:
            counts = await self._import_one(c, prepared, now_iso(), keep_content)
        return _import_result(prepared, counts)

    async def _import_one(
        self, c: Conn, prepared: PreparedDigest, now: str, keep_content: bool
    ) -> tuple[int, int]:
        """One digest, whole or not at all: a transaction, or a savepoint of :meth:`batch`."""
        pending = self._pending
        if pending is None:

            async def whole(c: Conn) -> tuple[int, int]:
                deferred = Deferred()
                counts = await self._write_digest(c, prepared, now, keep_content, deferred)
                await deferred.write(c)
                return counts

            return await c.transaction(whole)
        if not pending.fts.keys().isdisjoint(prepared.arxiv_ids):
            # The update trigger must find the index rows of the papers it re-indexes.
            await pending.write_fts(c)
        mine = Deferred()

        async def part(c: Conn) -> tuple[int, int]:
            return await self._write_digest(c, prepared, now, keep_content, mine)

        counts = await c.transaction(part)
        pending.merge(mine)  # only once this file's savepoint is released
        return counts

    async def _write_digest(
        self,
        c: Conn,
        d: PreparedDigest,
        now: str,
        keep_content: bool,
        deferred: Deferred,
    ) -> tuple[int, int]:
        """The statements of one digest; index rows and author counts go to ``deferred``.

        Rows go in as one JSON array per statement (``INSERT ... SELECT FROM json_each``): a
        handful of statements per file whatever its size, with the rows built ahead by
        :func:`prepare_digest`.
        """
        day = d.date
        (stored_json,) = await c.one(
            _DIGEST_UPSERT, (day, d.source, len(d.arxiv_ids), d.arxiv_json, now)
        )
        if not d.arxiv_ids:
            return 0, 0
        existing: dict[str, str] = {}
        ids: dict[str, int] = {}
        for arxiv_id, paper_id, content_date in json.loads(stored_json):
            existing[arxiv_id] = content_date
            ids[arxiv_id] = paper_id
        upsert = _PAPERS_UPSERT_KEEP if keep_content else _PAPERS_UPSERT
        ids.update(await c.all(upsert, (day, d.papers_json)))
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
        await _replace_authors(
            c,
            d,
            paper_ids,
            owners,
            [paper_ids[i] for i in owners if d.arxiv_ids[i] in existing],
            deferred.counts,
        )
        await c.execute(
            """INSERT INTO appearances(paper_id, date, position, votes)
               SELECT p.id, ?1, r.value ->> 1, r.value ->> 2
               FROM json_each(?2) AS r JOIN papers p ON p.arxiv_id = r.value ->> 0 WHERE true
               ON CONFLICT(paper_id, date) DO UPDATE SET position = excluded.position,
                                                         votes = excluded.votes""",
            (day, d.appearances_json),
        )
        if keep_content:
            # Microseconds: each fetch is its own moment of the history.
            moment = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
            await c.execute(_VOTE_POINTS, (moment, d.appearances_json))
        if existing:
            # New papers got their derived columns from this day on insert; stored ones may have
            # other days.
            await c.execute(
                """UPDATE papers SET
                     votes = (SELECT a.votes FROM appearances a WHERE a.paper_id = papers.id
                              AND a.votes IS NOT NULL ORDER BY a.date DESC LIMIT 1),
                     best_votes = (SELECT max(a.votes) FROM appearances a
                                   WHERE a.paper_id = papers.id),
                     first_date = (SELECT min(a.date) FROM appearances a
                                   WHERE a.paper_id = papers.id),
                     last_date = (SELECT max(a.date) FROM appearances a
                                  WHERE a.paper_id = papers.id)
                   WHERE id IN (SELECT value FROM json_each(?))""",
                (ids_json(ids[a] for a in existing),),
            )
        return len(fresh), len(d.arxiv_ids) - len(fresh)


async def _replace_authors(
    c: Conn,
    d: PreparedDigest,
    paper_ids: list[int],
    owners: list[int],
    replaced_ids: list[int],
    counts: Counter[int],
) -> None:
    """Set the author lists of the papers at ``owners`` (indexes into ``d.arxiv_ids``);
    ``replaced_ids`` are those that had a list before.

    ``authors.paper_count`` changes by deltas (links added minus links removed) collected in
    ``counts`` and written by :class:`Deferred`, so the cost does not grow with how prolific
    an author is; authors left with no paper go then. Authors are matched by key in SQL, so
    their ids come back only for those inserted here (whose name terms are then written).
    """
    if replaced_ids:
        counts.subtract(
            author_id
            for (author_id,) in await c.all(
                """DELETE FROM paper_authors WHERE paper_id IN (SELECT value FROM json_each(?))
                   RETURNING author_id""",
                (ids_json(replaced_ids),),
            )
        )
    if not owners or not d.links:
        return
    if len(owners) == len(paper_ids):
        links, authors = d.links, d.authors
    else:  # only the people of the papers this digest owns
        wanted = set(owners)
        links = tuple(link for link in d.links if link[0] in wanted)
        authors = tuple(d.authors[k] for k in sorted({k for _, _, k in links}))
    if not links:
        return
    inserted = await c.all(
        """INSERT INTO authors(name, norm_key)
           SELECT r.value ->> 1, r.value ->> 0 FROM json_each(?) AS r WHERE true
           ON CONFLICT(norm_key) DO NOTHING RETURNING norm_key, id""",
        (ids_json(authors),),
    )
    if inserted:
        await c.execute(
            """INSERT OR IGNORE INTO author_terms(term, author_id)
               SELECT r.value ->> 0, r.value ->> 1 FROM json_each(?) AS r""",
            (
                ids_json(
                    (term, author_id)
                    for key, author_id in inserted
                    for term in textsearch.name_terms(key)
                ),
            ),
        )
    keys = d.authors
    linked = await c.all(
        """INSERT INTO paper_authors(paper_id, position, author_id)
           SELECT r.value ->> 0, r.value ->> 1, a.id
           FROM json_each(?) AS r JOIN authors a ON a.norm_key = r.value ->> 2 WHERE true
           RETURNING author_id""",
        (ids_json((paper_ids[p], position, keys[k][0]) for p, position, k in links),),
    )
    counts.update(author_id for (author_id,) in linked)
