"""Authors: suggestions as you type, lookup by name, the author card, and who wrote which papers.

Authors are normalised (:func:`storage.text.name_key`) and found by any word-suffix of the key
through ``author_terms`` (see :mod:`storage.sqlite.importing`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from storage import text as textsearch
from storage.models import Author, AuthorProfile, CoAuthor, Page
from storage.sqlite.connection import StoreBase, clamp, ids_json, parse_day
from storage.sqlite.papers import PAPER_SELECT, paper_from_row

#: Above this many matching name terms, author suggestions walk authors by paper count instead.
_AUTHOR_DENSE_THRESHOLD = 2000
#: Co-authors are counted over an author's most recently stored papers, at most this many.
_COAUTHOR_WINDOW = 1000


def _author(row: Sequence[Any]) -> Author:
    return Author(id=row[0], name=row[1], paper_count=row[2])


def _suggest_sql(threshold: int) -> str:
    """:data:`_SUGGEST` for a given threshold (the tests try both plans)."""
    dense = f"""SELECT count(*) >= {int(threshold)} FROM (
                    SELECT 1 FROM author_terms WHERE term >= :key AND term < :hi
                    LIMIT {int(threshold)})"""
    return f"""
    SELECT * FROM (
        SELECT id, name, paper_count, 1 FROM authors
        WHERE id IN (SELECT author_id FROM author_terms WHERE term >= :key AND term < :hi)
        ORDER BY paper_count DESC, id
        LIMIT CASE WHEN ({dense}) THEN 0 ELSE :limit END)
    UNION ALL
    SELECT * FROM (
        SELECT id, name, paper_count, 1 FROM authors INDEXED BY authors_count
        WHERE EXISTS (SELECT 1 FROM author_terms t WHERE t.author_id = authors.id
                      AND t.term >= :key AND t.term < :hi)
        ORDER BY paper_count DESC, id
        LIMIT CASE WHEN ({dense}) THEN :limit ELSE 0 END)"""


#: Authors whose key or a word-suffix of it starts with ``:key`` (up to ``:hi``), most papers
#: first, in one statement that picks one of two plans: with few matching terms (fewer than
#: :data:`_AUTHOR_DENSE_THRESHOLD`), collect them through the term index and sort; with many,
#: walk authors by paper count and stop after ``:limit`` hits. Each arm's ``LIMIT`` is zero when
#: it is not the chosen plan, and SQLite skips an arm whose limit is zero without scanning.
_SUGGEST = _suggest_sql(_AUTHOR_DENSE_THRESHOLD)


class AuthorQueries(StoreBase):
    """The :class:`storage.ports.AuthorStore` of the SQLite backend."""

    async def suggest_authors(self, prefix: str, *, limit: int = 25) -> list[Author]:
        """Authors whose name, or a part of it from any word on, starts with ``prefix`` (case and
        diacritics ignored: ``niess`` finds ``Nießner``), most papers first."""
        limit, _ = clamp(limit, 0)
        key = textsearch.name_key(prefix or "")
        # Read-only: from the read pool, never behind an import's writes.
        if not key:
            rows = await self._read(
                "SELECT id, name, paper_count FROM authors ORDER BY paper_count DESC, id LIMIT ?",
                (limit,),
                urgent=True,
            )
        else:
            rows = await self._read(_SUGGEST, _suggest_params(key, limit), urgent=True)
        return [_author(r) for r in rows]

    async def find_authors(self, name: str, *, limit: int = 25) -> list[Author]:
        """Authors for a typed name: exact normalized matches first, then prefix matches."""
        limit, _ = clamp(limit, 0)
        key = textsearch.name_key(name or "")
        if not key:
            return []
        rows = await self._all(
            f"""SELECT id, name, paper_count, 0 FROM authors WHERE norm_key = :key
                UNION ALL SELECT * FROM ({_SUGGEST})""",
            _suggest_params(key, limit),
        )
        found: dict[int, Author] = {}
        for row in sorted(rows, key=lambda r: r[3]):  # exact matches first (a stable sort)
            found.setdefault(row[0], _author(row))
        return list(found.values())[:limit]

    async def author(self, author_id: int) -> Author | None:
        """One author by id."""
        row = await self._one(
            "SELECT id, name, paper_count FROM authors WHERE id = ?", (author_id,)
        )
        return _author(row) if row else None

    async def author_profile(
        self, author_id: int, *, limit: int = 10, offset: int = 0, coauthors: int = 10
    ) -> AuthorProfile | None:
        """An author's card: totals, frequent co-authors, and a page of papers newest first.

        Co-authors are counted over the author's latest 1,000 stored papers (all of them for
        anyone real; it bounds the cost for a synthetic super-author). Two statements: the
        author with totals and co-authors (as JSON), then the page of papers.
        """
        limit, offset = clamp(limit, offset)
        co_limit, _ = clamp(coauthors, 0)
        async with self._conn() as c:
            row = await c.one(
                """SELECT a.id, a.name, a.paper_count, s.votes, s.first, s.last, s.papers,
                       (SELECT json_group_array(json_array(id, name, paper_count, shared)) FROM (
                            SELECT o.id, o.name, o.paper_count, count(*) AS shared
                            FROM (SELECT paper_id FROM paper_authors WHERE author_id = ?1
                                  ORDER BY paper_id DESC LIMIT ?3) AS mine
                            JOIN paper_authors other ON other.paper_id = mine.paper_id
                                                    AND other.author_id != ?1
                            JOIN authors o ON o.id = other.author_id
                            GROUP BY o.id ORDER BY shared DESC, o.paper_count DESC, o.id
                            LIMIT ?2))
                   FROM authors a, (
                       SELECT coalesce(sum(p.votes), 0) AS votes, min(p.first_date) AS first,
                              max(p.last_date) AS last, count(*) AS papers
                       FROM paper_authors pa JOIN papers p ON p.id = pa.paper_id
                       WHERE pa.author_id = ?1) AS s
                   WHERE a.id = ?1""",
                (author_id, co_limit, _COAUTHOR_WINDOW),
            )
            if row is None:
                return None
            rows = await c.all(
                f"""SELECT {PAPER_SELECT} FROM (
                        SELECT p.id, p.last_date, p.best_votes FROM paper_authors pa
                        JOIN papers p ON p.id = pa.paper_id WHERE pa.author_id = ?
                        ORDER BY p.last_date DESC, p.best_votes DESC, p.id DESC
                        LIMIT ? OFFSET ?) AS page
                    CROSS JOIN papers p ON p.id = page.id
                    ORDER BY page.last_date DESC, page.best_votes DESC, page.id DESC""",
                (author_id, limit, offset),
            )
        co_rows = sorted(json.loads(row[7]), key=lambda r: (-r[3], -r[2], r[0]))
        return AuthorProfile(
            author=_author(row),
            total_votes=int(row[3]),
            first_day=parse_day(row[4]),
            last_day=parse_day(row[5]),
            coauthors=tuple(CoAuthor(_author(r), r[3]) for r in co_rows),
            papers=Page(tuple(paper_from_row(r) for r in rows), int(row[6]), offset, limit),
        )

    async def author_matches(
        self, keys: Iterable[str], paper_ids: Iterable[int]
    ) -> dict[str, set[int]]:
        """For each normalized author key, which of ``paper_ids`` that author wrote."""
        rows = await self._all(
            """SELECT a.norm_key, pa.paper_id FROM authors a
               JOIN paper_authors pa ON pa.author_id = a.id
               WHERE a.norm_key IN (SELECT value FROM json_each(?1))
                 AND pa.paper_id IN (SELECT value FROM json_each(?2))""",
            (ids_json(sorted(set(keys))), ids_json(sorted(set(paper_ids)))),
        )
        found: dict[str, set[int]] = {}
        for key, paper_id in rows:
            found.setdefault(key, set()).add(int(paper_id))
        return found


def _suggest_params(key: str, limit: int) -> dict[str, Any]:
    return {"key": key, "hi": textsearch.prefix_upper_bound(key), "limit": limit}
