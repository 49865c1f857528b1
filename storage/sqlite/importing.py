"""Writing digests: each one whole or not at all, several grouped into one commit by ``batch``.

A paper is keyed by its arXiv id and keeps one row however many days list it; each day is an
appearance with that day's position and votes. Title, summary, media and authors come from the
newest digest that lists the paper (``content_date``), so importing files in any order gives the
same result; ``votes`` is the latest day's known votes, ``best_votes`` the highest.

Each digest imports in one ``BEGIN IMMEDIATE`` transaction (whole or not at all) using set-based
statements (rows passed as one JSON array through ``json_each``), so the cost per file is a fixed
dozen statements. The rows are built ahead by :func:`prepare_digest`, a pure function that the
importer runs in worker processes, so the database thread mostly binds strings. Re-importing a
digest is idempotent: same rows, votes refreshed, authors replaced.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections import Counter
from collections.abc import AsyncIterator, Sequence

from storage import text as textsearch
from storage.ingest.prepare import PreparedDigest, prepare_digest
from storage.models import ImportResult, ParsedDigest
from storage.sqlite.connection import Conn, StoreBase, ids_json, now_iso

log = logging.getLogger(__name__)

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

    def write_fts(self, c: Conn) -> None:
        if self.fts:
            c.execute(
                """INSERT INTO paper_fts(rowid, title, summary)
                   SELECT r.value ->> 0, r.value ->> 1, r.value ->> 2 FROM json_each(?) AS r""",
                (ids_json(self.fts.values()),),
            )
            self.fts.clear()

    def write(self, c: Conn) -> None:
        self.write_fts(c)
        changes = [(author_id, n) for author_id, n in self.counts.items() if n]
        # An author a file of this commit added and another removed again nets zero: gone too.
        gone = [author_id for author_id, n in self.counts.items() if n <= 0]
        self.counts.clear()
        if changes:
            c.execute(
                """UPDATE authors SET paper_count = paper_count + (r.value ->> 1)
                   FROM json_each(?) AS r WHERE authors.id = r.value ->> 0""",
                (ids_json(changes),),
            )
        if gone:
            c.execute(
                """DELETE FROM authors
                   WHERE id IN (SELECT value FROM json_each(?)) AND paper_count <= 0""",
                (ids_json(gone),),
            )


class ImportQueries(StoreBase):
    """The :class:`storage.ports.ImportStore` of the SQLite backend."""

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
        await self._run(lambda c: c.execute("BEGIN IMMEDIATE"))
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
            await self._run(Conn.rollback)
            raise
        if lost is not None:  # SQLite ended the transaction; the block caught the error
            raise lost

        def commit(c: Conn) -> None:
            try:
                pending.write(c)
                c.execute("COMMIT")
            except BaseException:
                c.rollback()
                raise

        await self._run(commit)

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
        the returned list; the others go on. Inside :meth:`batch`, an error with which SQLite
        ended the batch's whole transaction is raised instead: none of the batch is stored.
        """
        prepared = [d if isinstance(d, PreparedDigest) else prepare_digest(d) for d in digests]
        now = now_iso()

        def work(c: Conn) -> list[tuple[int, int] | Exception]:
            out: list[tuple[int, int] | Exception] = []
            for d in prepared:
                try:
                    out.append(self._import_one(c, d, now, False))
                except Exception as exc:  # one bad file must not stop the others...
                    if self._in_batch and not c.raw.in_transaction:
                        raise  # ... unless SQLite ended the batch's transaction: all are lost
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
        now = now_iso()
        counts = await self._run(self._import_one, prepared, now, keep_content)
        return _import_result(prepared, counts)

    def _import_one(
        self, c: Conn, prepared: PreparedDigest, now: str, keep_content: bool
    ) -> tuple[int, int]:
        """One digest, whole or not at all: a transaction, or a savepoint of :meth:`batch`."""
        pending = self._pending
        if pending is None:

            def whole(c: Conn) -> tuple[int, int]:
                deferred = Deferred()
                counts = self._import_sync(c, prepared, now, keep_content, deferred)
                deferred.write(c)
                return counts

            return c.transaction(whole)
        if not pending.fts.keys().isdisjoint(prepared.arxiv_ids):
            # The update trigger must find the index rows of the papers it re-indexes.
            pending.write_fts(c)
        mine = Deferred()
        counts = c.transaction(lambda c: self._import_sync(c, prepared, now, keep_content, mine))
        pending.merge(mine)  # only once this file's savepoint is released
        return counts

    def _import_sync(
        self,
        c: Conn,
        d: PreparedDigest,
        now: str,
        keep_content: bool,
        deferred: Deferred,
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
                (ids_json(existing),),
            )
        c.execute(
            """UPDATE digests SET paper_count = (SELECT count(*) FROM appearances WHERE date = ?1)
               WHERE date = ?1""",
            (day,),
        )
        return len(fresh), len(d.arxiv_ids) - len(fresh)

    @staticmethod
    def _replace_authors(
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
        an author is; authors left with no paper go then.
        """
        if replaced_ids:
            old_json = ids_json(replaced_ids)
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
            keys_json = ids_json(key for key, _ in authors)
        sql_ids = """SELECT norm_key, id FROM authors
                     WHERE norm_key IN (SELECT value FROM json_each(?))"""
        author_ids: dict[str, int] = dict(c.all(sql_ids, (keys_json,)))
        fresh = [(key, name) for key, name in authors if key not in author_ids]
        if fresh:
            c.execute(
                """INSERT INTO authors(name, norm_key)
                   SELECT r.value ->> 1, r.value ->> 0 FROM json_each(?) AS r""",
                (ids_json(fresh),),
            )
            author_ids.update(c.all(sql_ids, (ids_json(key for key, _ in fresh),)))
            c.execute(
                """INSERT OR IGNORE INTO author_terms(term, author_id)
                   SELECT r.value ->> 0, r.value ->> 1 FROM json_each(?) AS r""",
                (
                    ids_json(
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
            (ids_json(resolved),),
        )
        counts.update(author_id for _, _, author_id in resolved)
