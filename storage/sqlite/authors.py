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
from storage.sqlite.connection import Conn, StoreBase, clamp, parse_day
from storage.sqlite.papers import read_papers

#: Above this many matching name terms, author suggestions walk authors by paper count instead.
_AUTHOR_DENSE_THRESHOLD = 2000
#: Co-authors are counted over an author's most recently stored papers, at most this many.
_COAUTHOR_WINDOW = 1000


def _author(row: Sequence[Any]) -> Author:
    return Author(id=row[0], name=row[1], paper_count=row[2])


def _suggest_authors_sync(c: Conn, key: str, limit: int) -> list[Author]:
    if not key:
        rows = c.all(
            "SELECT id, name, paper_count FROM authors ORDER BY paper_count DESC, id LIMIT ?",
            (limit,),
        )
        return [_author(r) for r in rows]
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
    return [_author(r) for r in c.all(sql, (key, hi, limit))]


class AuthorQueries(StoreBase):
    """The :class:`storage.ports.AuthorStore` of the SQLite backend."""

    async def suggest_authors(self, prefix: str, *, limit: int = 25) -> list[Author]:
        """Authors whose name, or a part of it from any word on, starts with ``prefix`` (case and
        diacritics ignored: ``niess`` finds ``Nießner``), most papers first."""
        limit, _ = clamp(limit, 0)
        key = textsearch.name_key(prefix or "")
        return await self._run(_suggest_authors_sync, key, limit)

    async def find_authors(self, name: str, *, limit: int = 25) -> list[Author]:
        """Authors for a typed name: exact normalized matches first, then prefix matches."""
        limit, _ = clamp(limit, 0)
        key = textsearch.name_key(name or "")
        if not key:
            return []

        def work(c: Conn) -> list[Author]:
            exact = [
                _author(r)
                for r in c.all(
                    "SELECT id, name, paper_count FROM authors WHERE norm_key = ?", (key,)
                )
            ]
            seen = {a.id for a in exact}
            rest = _suggest_authors_sync(c, key, limit)
            return (exact + [a for a in rest if a.id not in seen])[:limit]

        return await self._run(work)

    async def author(self, author_id: int) -> Author | None:
        """One author by id."""
        row = await self._run(
            lambda c: c.one("SELECT id, name, paper_count FROM authors WHERE id = ?", (author_id,))
        )
        return _author(row) if row else None

    async def author_profile(
        self, author_id: int, *, limit: int = 10, offset: int = 0, coauthors: int = 10
    ) -> AuthorProfile | None:
        """An author's card: totals, frequent co-authors, and a page of papers newest first.

        Co-authors are counted over the author's latest 1,000 stored papers (all of them for
        anyone real; it bounds the cost for a synthetic super-author).
        """
        limit, offset = clamp(limit, offset)
        co_limit, _ = clamp(coauthors, 0)

        def work(c: Conn) -> AuthorProfile | None:
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
            papers = read_papers(c, [r[0] for r in page_rows])
            return AuthorProfile(
                author=_author(row),
                total_votes=int(stats[0]),
                first_day=parse_day(stats[1]),
                last_day=parse_day(stats[2]),
                coauthors=tuple(CoAuthor(_author(r[:3]), r[3]) for r in co_rows),
                papers=Page(tuple(papers), int(stats[3]), offset, limit),
            )

        return await self._run(work)

    async def author_matches(
        self, keys: Iterable[str], paper_ids: Iterable[int]
    ) -> dict[str, set[int]]:
        """For each normalized author key, which of ``paper_ids`` that author wrote."""
        keys_json = json.dumps(sorted(set(keys)), ensure_ascii=False)
        ids_json = json.dumps(sorted(set(paper_ids)))
        rows = await self._run(
            lambda c: c.all(
                """SELECT a.norm_key, pa.paper_id FROM authors a
                   JOIN paper_authors pa ON pa.author_id = a.id
                   WHERE a.norm_key IN (SELECT value FROM json_each(?1))
                     AND pa.paper_id IN (SELECT value FROM json_each(?2))""",
                (keys_json, ids_json),
            )
        )
        found: dict[str, set[int]] = {}
        for key, paper_id in rows:
            found.setdefault(key, set()).add(int(paper_id))
        return found
