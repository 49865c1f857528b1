"""Generated summaries (the claim that makes each paper summarised once) and vote history.

Tables (migration 10 in :mod:`storage.sqlite.migrations`)::

    summaries(paper_id PK, state, attempts, claimed_at, bullets JSON, model, created_at, error)
    vote_history(paper_id, at) PK, votes       written by API imports (storage.sqlite.importing)
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

from storage.models import Bullet, Paper, VotePoint
from storage.sqlite.connection import StoreBase, iso_day, utc_iso
from storage.sqlite.papers import PAPER_SELECT, paper_from_row
from storage.text import ref_candidates

# Papers a summariser may take: no archive summary (at most one unlabelled bullet: the API's
# abstract) and a summaries row that is absent, failed with attempts left, or pending since
# before ``stale`` (an attempt that died with its process).
_OPEN = """json_array_length(p.summary) <= 1
    AND coalesce(p.summary ->> '$[0][0]', '') = ''
    AND NOT EXISTS (SELECT 1 FROM summaries s WHERE s.paper_id = p.id
                    AND (s.state = 'done'
                         OR (s.state = 'failed' AND s.attempts >= :max_attempts)
                         OR (s.state = 'pending' AND s.claimed_at >= :stale)))"""


class SummaryQueries(StoreBase):
    """The :class:`storage.ports.SummaryStore` and :class:`storage.ports.VoteStore` of SQLite."""

    async def summary_candidates(
        self,
        *,
        since: dt.date | str | None = None,
        limit: int = 50,
        max_attempts: int = 3,
        stale_before: dt.datetime,
    ) -> list[Paper]:
        """Papers to summarise, newest day first, then by their position that day."""
        rows = await self._all(
            f"""SELECT {PAPER_SELECT} FROM papers p
                WHERE p.last_date >= :since AND {_OPEN}
                ORDER BY p.first_date DESC,
                         (SELECT min(a.position) FROM appearances a
                          WHERE a.paper_id = p.id AND a.date = p.first_date), p.id
                LIMIT :limit""",
            {
                "since": iso_day(since) or "0000-01-01",
                "limit": max(0, limit),
                "max_attempts": max_attempts,
                "stale": utc_iso(stale_before),
            },
        )
        return [paper_from_row(row) for row in rows]

    async def claim_summary(
        self, arxiv_id: str, *, at: dt.datetime, max_attempts: int, stale_before: dt.datetime
    ) -> bool:
        """Take ``arxiv_id`` for one attempt; False when it is done, taken or out of attempts."""
        row = await self._one(
            """INSERT INTO summaries(paper_id, state, attempts, claimed_at)
               SELECT p.id, 'pending', 1, :at FROM papers p WHERE p.arxiv_id = :arxiv_id
               ON CONFLICT(paper_id) DO UPDATE SET state = 'pending',
                   attempts = summaries.attempts + 1, claimed_at = excluded.claimed_at
               WHERE (summaries.state = 'failed' AND summaries.attempts < :max_attempts)
                  OR (summaries.state = 'pending' AND summaries.claimed_at < :stale)
               RETURNING attempts""",
            {
                "arxiv_id": arxiv_id,
                "at": utc_iso(at),
                "max_attempts": max_attempts,
                "stale": utc_iso(stale_before),
            },
        )
        return row is not None

    async def record_summary(
        self, arxiv_id: str, bullets: Sequence[Bullet], *, model: str, at: dt.datetime
    ) -> bool:
        """Store the bullets of a claimed paper; False when it was not pending (nothing done)."""
        changed = await self._change(
            """UPDATE summaries SET state = 'done', bullets = ?, model = ?, created_at = ?,
                   error = NULL
               WHERE state = 'pending'
                 AND paper_id = (SELECT id FROM papers WHERE arxiv_id = ?)""",
            (
                json.dumps([[b.label, b.text] for b in bullets], ensure_ascii=False),
                model,
                utc_iso(at),
                arxiv_id,
            ),
        )
        return changed > 0

    async def record_summary_failure(self, arxiv_id: str, error: str, *, at: dt.datetime) -> None:
        """A claimed paper's attempt failed (``error``: a short technical reason)."""
        await self._change(
            """UPDATE summaries SET state = 'failed', error = ?, claimed_at = ?
               WHERE state = 'pending'
                 AND paper_id = (SELECT id FROM papers WHERE arxiv_id = ?)""",
            (error[:500], utc_iso(at), arxiv_id),
        )

    async def summaries_claimed_since(self, since: dt.datetime) -> int:
        """How many papers had an attempt begin at ``since`` or later (the daily cap's count)."""
        row = await self._one(
            "SELECT count(*) FROM summaries WHERE claimed_at >= ?", (utc_iso(since),)
        )
        return int(row[0])

    async def vote_history(self, ref: str) -> list[VotePoint]:
        """The vote history of a paper (by arXiv id, optional version), oldest point first."""
        rows = await self._all(
            """SELECT h.at, h.votes FROM vote_history h JOIN papers p ON p.id = h.paper_id
               WHERE p.arxiv_id IN (SELECT value FROM json_each(?)) ORDER BY h.at""",
            (json.dumps(ref_candidates(ref)),),
        )
        return [VotePoint(dt.datetime.fromisoformat(at), int(votes)) for at, votes in rows]
