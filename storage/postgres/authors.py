"""Authors: suggestions as you type, lookup by name, the author card, and who wrote which papers.

Authors are normalised (:func:`storage.text.name_key`) and found by any word-suffix of the key
through ``author_terms`` (written by :mod:`storage.postgres.importing`), whose ``term`` sorts
byte-wise (``COLLATE "C"``), so a prefix is a range scan of its primary key.
"""

from __future__ import annotations

from collections.abc import Iterable

from asyncpg import Record

from storage import text as textsearch
from storage.models import Author, AuthorProfile, CoAuthor, Page
from storage.postgres.connection import StoreBase, clamp
from storage.postgres.papers import PAPER_SELECT, paper_from_row

#: Above this many matching name terms, author suggestions walk authors by paper count instead.
AUTHOR_DENSE_THRESHOLD = 2000
#: Co-authors are counted over an author's most recently stored papers, at most this many.
_COAUTHOR_WINDOW = 1000


def _author(row: Record) -> Author:
    return Author(id=row[0], name=row[1], paper_count=row[2])


#: Whether at least ``$4`` name terms start with ``$1`` (up to ``$2``): see :data:`_SUGGEST`.
_DENSE = """
    WITH dense AS (
        SELECT count(*) >= $4 AS yes FROM (
            SELECT 1 FROM author_terms WHERE term >= $1 AND term < $2 LIMIT $4) AS t)"""


def _suggested(arm: str = "") -> str:
    """The two arms of :data:`_SUGGEST`, each row led by ``arm`` (a column, or nothing)."""
    return f"""
    (SELECT {arm} id, name, paper_count FROM authors
     WHERE id IN (SELECT author_id FROM author_terms WHERE term >= $1 AND term < $2)
       AND NOT (SELECT yes FROM dense)
     ORDER BY paper_count DESC, id LIMIT $3)
    UNION ALL
    (SELECT {arm} id, name, paper_count FROM authors a
     WHERE (SELECT yes FROM dense)
       AND EXISTS (SELECT 1 FROM author_terms t WHERE t.author_id = a.id
                   AND t.term >= $1 AND t.term < $2)
     ORDER BY paper_count DESC, id LIMIT $3)"""


#: Authors whose key or a word-suffix of it starts with ``$1`` (up to ``$2``), most papers
#: first. With few matching terms (fewer than ``$4``) they are collected through the term index
#: and sorted; with many, authors are walked by paper count until ``$3`` match. Both arms are
#: in the statement; the one not chosen has a false one-time filter and reads nothing.
_SUGGEST = _DENSE + _suggested()

#: :data:`_SUGGEST` after the authors whose whole key is ``$1``, in one statement (one round
#: trip, not two).
_FIND = f"""{_DENSE}
    SELECT id, name, paper_count FROM (
        (SELECT 0 AS arm, id, name, paper_count FROM authors WHERE norm_key = $1)
        UNION ALL {_suggested("1 AS arm,")}) AS found
    ORDER BY arm, paper_count DESC, id"""


def _suggest_args(key: str, limit: int) -> tuple[str, str, int, int]:
    return key, textsearch.prefix_upper_bound(key), limit, AUTHOR_DENSE_THRESHOLD


class AuthorQueries(StoreBase):
    """The :class:`storage.ports.AuthorStore` of the PostgreSQL backend."""

    async def suggest_authors(self, prefix: str, *, limit: int = 25) -> list[Author]:
        """Authors whose name, or a part of it from any word on, starts with ``prefix`` (case and
        diacritics ignored: ``niess`` finds ``Nießner``), most papers first."""
        limit, _ = clamp(limit, 0)
        key = textsearch.name_key(prefix or "")
        if not key:
            rows = await self._all(
                "SELECT id, name, paper_count FROM authors ORDER BY paper_count DESC, id LIMIT $1",
                limit,
            )
        else:
            rows = await self._all(_SUGGEST, *_suggest_args(key, limit))
        return [_author(r) for r in rows]

    async def find_authors(self, name: str, *, limit: int = 25) -> list[Author]:
        """Authors for a typed name: exact normalized matches first, then prefix matches."""
        limit, _ = clamp(limit, 0)
        key = textsearch.name_key(name or "")
        if not key:
            return []
        found: dict[int, Author] = {}
        for row in await self._all(_FIND, *_suggest_args(key, limit)):
            found.setdefault(row[0], _author(row))
        return list(found.values())[:limit]

    async def author(self, author_id: int) -> Author | None:
        """One author by id."""
        row = await self._one("SELECT id, name, paper_count FROM authors WHERE id = $1", author_id)
        return _author(row) if row else None

    async def author_profile(
        self, author_id: int, *, limit: int = 10, offset: int = 0, coauthors: int = 10
    ) -> AuthorProfile | None:
        """An author's card: totals, frequent co-authors, and a page of papers newest first, in
        one statement.

        The author's papers are read once (``mine``: the totals, the page's order and the
        co-authors' papers come from it; reading them twice cost 0.3 ms for 330 papers).
        Co-authors are counted over the author's latest 1,000 stored papers (all of them for
        anyone real; it bounds the cost for a synthetic super-author), their links read by one
        index scan over those papers' keys (a join probed the index paper by paper, with a cache
        that never hits: 0.7 ms more for 330 papers). Only those who share at least as many
        papers as the ``coauthors``-th most frequent one (``WITH TIES``) are looked up for their
        names and paper counts, each by key (``OFFSET 0`` keeps the lookup from becoming a join:
        the planner hashed the whole authors table for it, 3-10 ms at 100k papers).
        """
        limit, offset = clamp(limit, offset)
        co_limit, _ = clamp(coauthors, 0)
        row = await self._one(
            f"""WITH mine AS MATERIALIZED (
                    SELECT p.id, p.votes, p.first_date, p.last_date, p.best_votes
                    FROM paper_authors pa JOIN papers p ON p.id = pa.paper_id
                    WHERE pa.author_id = $1)
                SELECT a.id, a.name, a.paper_count, s.votes, s.first, s.last, s.papers,
                   ARRAY(SELECT ROW(o.id, o.name, o.paper_count, top.shared)
                         FROM (SELECT other.author_id, count(*) AS shared
                               FROM paper_authors other
                               WHERE other.paper_id = ANY(ARRAY(
                                         SELECT id FROM mine ORDER BY id DESC LIMIT $3))
                                 AND other.author_id != $1
                               GROUP BY other.author_id
                               ORDER BY shared DESC FETCH FIRST $2 ROWS WITH TIES) AS top,
                             LATERAL (SELECT id, name, paper_count FROM authors
                                      WHERE id = top.author_id OFFSET 0) AS o
                         ORDER BY top.shared DESC, o.paper_count DESC, o.id LIMIT $2),
                   ARRAY(SELECT ROW({PAPER_SELECT}) FROM (
                             SELECT id, last_date, best_votes FROM mine
                             ORDER BY last_date DESC NULLS LAST, best_votes DESC NULLS LAST,
                                      id DESC
                             LIMIT $4 OFFSET $5) AS page
                         JOIN papers p ON p.id = page.id
                         ORDER BY page.last_date DESC NULLS LAST,
                                  page.best_votes DESC NULLS LAST, page.id DESC)
               FROM authors a, (
                   SELECT coalesce(sum(votes), 0) AS votes, min(first_date) AS first,
                          max(last_date) AS last, count(*) AS papers FROM mine) AS s
               WHERE a.id = $1""",
            author_id,
            co_limit,
            _COAUTHOR_WINDOW,
            limit,
            offset,
        )
        if row is None:
            return None
        return AuthorProfile(
            author=_author(row),
            total_votes=int(row[3]),
            first_day=row[4],
            last_day=row[5],
            coauthors=tuple(CoAuthor(_author(r), r[3]) for r in row[7]),
            papers=Page(tuple(paper_from_row(r) for r in row[8]), int(row[6]), offset, limit),
        )

    async def author_matches(
        self, keys: Iterable[str], paper_ids: Iterable[int]
    ) -> dict[str, set[int]]:
        """For each normalized author key, which of ``paper_ids`` that author wrote."""
        rows = await self._all(
            """SELECT a.norm_key, pa.paper_id FROM authors a
               JOIN paper_authors pa ON pa.author_id = a.id
               WHERE a.norm_key = ANY($1::text[]) AND pa.paper_id = ANY($2::bigint[])""",
            sorted(set(keys)),
            sorted(set(paper_ids)),
        )
        found: dict[str, set[int]] = {}
        for key, paper_id in rows:
            found.setdefault(key, set()).add(int(paper_id))
        return found
