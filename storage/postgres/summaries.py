"""Generated summaries (the claim that makes each paper summarised once) and vote history.

Tables (migration 2 in :mod:`storage.postgres.migrations`)::

    summaries(paper_id PK, state, attempts, claimed_at, bullets jsonb, model, created_at, error)
    vote_history(paper_id, at) PK, votes       written by API imports (storage.postgres.importing)

The rules are the SQLite backend's (:mod:`storage.sqlite.summaries`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

from storage.models import Bullet, Paper, VotePoint
from storage.postgres.connection import MIN_DATE, StoreBase, as_day, utc
from storage.postgres.papers import PAPER_SELECT, paper_from_row
from storage.text import ref_candidates

# Papers a summariser may take (``$2``: attempts, ``$3``: stale moment): no archive summary (at
# most one unlabelled bullet) and a summaries row absent, failed with attempts left, or pending
# since before ``$3``.
_OPEN = """jsonb_array_length(p.summary) <= 1
    AND coalesce(p.summary #>> '{0,0}', '') = ''
    AND NOT EXISTS (SELECT 1 FROM summaries s WHERE s.paper_id = p.id
                    AND (s.state = 'done'
                         OR (s.state = 'failed' AND s.attempts >= $2)
                         OR (s.state = 'pending' AND s.claimed_at >= $3)))"""


class SummaryQueries(StoreBase):
    """The :class:`storage.ports.SummaryStore` and :class:`storage.ports.VoteStore`."""

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
                WHERE p.last_date >= $1 AND {_OPEN}
                ORDER BY p.first_date DESC,
                         (SELECT min(a.position) FROM appearances a
                          WHERE a.paper_id = p.id AND a.date = p.first_date), p.id
                LIMIT $4""",
            as_day(since) or MIN_DATE,
            max_attempts,
            utc(stale_before),
            max(0, limit),
        )
        return [paper_from_row(row) for row in rows]

    async def claim_summary(
        self, arxiv_id: str, *, at: dt.datetime, max_attempts: int, stale_before: dt.datetime
    ) -> bool:
        """Take ``arxiv_id`` for one attempt; False when it is done, taken or out of attempts."""
        row = await self._one(
            """INSERT INTO summaries (paper_id, state, attempts, claimed_at)
               SELECT p.id, 'pending', 1, $2 FROM papers p WHERE p.arxiv_id = $1
               ON CONFLICT (paper_id) DO UPDATE SET state = 'pending',
                   attempts = summaries.attempts + 1, claimed_at = excluded.claimed_at
               WHERE (summaries.state = 'failed' AND summaries.attempts < $3)
                  OR (summaries.state = 'pending' AND summaries.claimed_at < $4)
               RETURNING attempts""",
            arxiv_id,
            utc(at),
            max_attempts,
            utc(stale_before),
        )
        return row is not None

    async def record_summary(
        self, arxiv_id: str, bullets: Sequence[Bullet], *, model: str, at: dt.datetime
    ) -> bool:
        """Store the bullets of a claimed paper; False when it was not pending (nothing done)."""
        changed = await self._change(
            """UPDATE summaries SET state = 'done', bullets = $1::jsonb, model = $2,
                   created_at = $3, error = NULL
               WHERE state = 'pending'
                 AND paper_id = (SELECT id FROM papers WHERE arxiv_id = $4)""",
            json.dumps([[b.label, b.text] for b in bullets], ensure_ascii=False).replace(
                "\\u0000", ""
            ),
            model,
            utc(at),
            arxiv_id,
        )
        return changed > 0

    async def record_summary_failure(self, arxiv_id: str, error: str, *, at: dt.datetime) -> None:
        """A claimed paper's attempt failed (``error``: a short technical reason)."""
        await self._change(
            """UPDATE summaries SET state = 'failed', error = $1, claimed_at = $2
               WHERE state = 'pending'
                 AND paper_id = (SELECT id FROM papers WHERE arxiv_id = $3)""",
            error[:500].replace("\x00", ""),
            utc(at),
            arxiv_id,
        )

    async def summaries_claimed_since(self, since: dt.datetime) -> int:
        """How many papers had an attempt begin at ``since`` or later (the daily cap's count)."""
        return int(
            await self._value("SELECT count(*) FROM summaries WHERE claimed_at >= $1", utc(since))
        )

    async def vote_history(self, ref: str) -> list[VotePoint]:
        """The vote history of a paper (by arXiv id, optional version), oldest point first."""
        rows = await self._all(
            """SELECT h.at, h.votes FROM vote_history h JOIN papers p ON p.id = h.paper_id
               WHERE p.arxiv_id = ANY($1::text[]) ORDER BY h.at""",
            ref_candidates(ref),
        )
        return [VotePoint(at, votes) for at, votes in rows]
