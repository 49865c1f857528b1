"""Reading lists: the papers each user saved.

Table (:mod:`storage.postgres.migrations`)::

    saved_papers(user_id, paper_id) PK, saved_at                 one row per saved paper

The semantics are the SQLite backend's (:mod:`storage.sqlite.reading`); a per-user advisory
lock makes the limit hold when two saves race.
"""

from __future__ import annotations

import datetime as dt

from storage.errors import SavedLimitReached, UnknownPaper
from storage.models import MAX_SAVED, Page, SavedPaper
from storage.postgres.connection import Conn, StoreBase, clamp, utc
from storage.postgres.papers import read_papers


class ReadingListQueries(StoreBase):
    """The :class:`storage.ports.ReadingListStore` of the PostgreSQL backend."""

    async def save_paper(
        self, user_id: int, arxiv_id: str, *, at: dt.datetime, limit: int = MAX_SAVED
    ) -> bool:
        """Add the paper to the user's list: True when added, False when it was there already.

        Raises :class:`UnknownPaper` or :class:`SavedLimitReached`.
        """
        when = utc(at)

        async def work(c: Conn) -> bool:
            await c.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"saved:{user_id}"
            )
            row = await c.one(
                """SELECT p.id, (SELECT count(*) FROM saved_papers WHERE user_id = $1),
                          EXISTS (SELECT 1 FROM saved_papers
                                  WHERE user_id = $1 AND paper_id = p.id)
                   FROM papers p WHERE p.arxiv_id = $2""",
                user_id,
                arxiv_id,
            )
            if row is None:
                raise UnknownPaper(arxiv_id)
            paper_id, count, saved = row
            if saved:
                return False
            if count >= limit:
                raise SavedLimitReached(limit)
            await c.execute(
                "INSERT INTO saved_papers (user_id, paper_id, saved_at) VALUES ($1, $2, $3)",
                user_id,
                paper_id,
                when,
            )
            return True

        return await self._transaction(work)

    async def unsave_paper(self, user_id: int, arxiv_id: str) -> bool:
        """Remove the paper from the user's list; False when it was not in it."""
        changed = await self._change(
            """DELETE FROM saved_papers WHERE user_id = $1
               AND paper_id = (SELECT id FROM papers WHERE arxiv_id = $2)""",
            user_id,
            arxiv_id,
        )
        return changed > 0

    async def saved_papers(
        self, user_id: int, *, limit: int = 10, offset: int = 0
    ) -> Page[SavedPaper]:
        """One page of the user's list, newest first (``total``: the whole list)."""
        limit, offset = clamp(limit, offset)

        async def work(c: Conn) -> Page[SavedPaper]:
            rows = await c.all(
                """SELECT paper_id, saved_at FROM saved_papers WHERE user_id = $1
                   ORDER BY saved_at DESC, paper_id DESC LIMIT $2 OFFSET $3""",
                user_id,
                limit,
                offset,
            )
            total = await c.value("SELECT count(*) FROM saved_papers WHERE user_id = $1", user_id)
            papers = await read_papers(c, [r[0] for r in rows])
            items = tuple(SavedPaper(paper, r[1]) for paper, r in zip(papers, rows, strict=True))
            return Page(items, int(total), offset, limit)

        return await self._transaction(work)
