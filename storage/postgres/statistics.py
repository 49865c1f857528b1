"""How common the word pairs of the search documents are, from the planner's statistics.

A search whose query holds an English phrase looks up its word pairs (:mod:`storage.tsvector`);
how it should read its newest matches depends on how many papers hold them
(:func:`prefer_bitmap`), which the planner's statistics of ``papers.search`` tell: autovacuum's
ANALYZE lists the column's most common lexemes (``pg_stats.most_common_elems``, about a thousand)
with the fraction of papers holding each, and a lexeme not listed is rarer than every listed
one. The planner itself knows this but prices the two ways of reading badly (see
:mod:`storage.postgres.search`). :class:`PairStatistics` keeps what it read for
:data:`KEEP_SECONDS` (statistics change only when ANALYZE runs again).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from asyncpg import Record

from storage.postgres.connection import Conn

#: How long a reading of the statistics is used before it is read again.
KEEP_SECONDS = 600.0

_READ = """SELECT c.reltuples, s.most_common_elems::text::text[], s.most_common_elem_freqs
           FROM pg_class c
           LEFT JOIN pg_stats s ON s.schemaname = current_schema() AND s.tablename = 'papers'
                                AND s.attname = 'search'
           WHERE c.oid = 'papers'::regclass"""


@dataclass(frozen=True, slots=True)
class PairShares:
    """The planner's statistics of the pairs: ``papers`` (its estimate of the table's rows),
    ``listed`` (pair lexeme -> fraction of papers holding it, for the listed ones) and ``floor``
    (the least listed fraction: an unlisted lexeme is rarer)."""

    papers: float
    listed: dict[str, float]
    floor: float

    def share(self, lexeme: str, prefix: bool = False) -> float:
        """The fraction of papers holding ``lexeme`` (a prefix: any listed lexeme it begins,
        added up, at least the floor)."""
        if not prefix:
            return self.listed.get(lexeme, self.floor)
        held = sum(f for pair, f in self.listed.items() if pair.startswith(lexeme))
        return min(1.0, max(held, self.floor))


def prefer_bitmap(shares: Sequence[float], papers: float, window: int) -> bool:
    """Whether reading every paper the index finds beats walking the newest papers until
    ``window`` match: the papers holding the rarest pair (a fraction ``f`` of ``papers``) are at
    most ``f * papers`` rows, where the walk reads about ``window / f`` to find ``window``
    matches (at 100k papers the first is less from ``f`` below 14%, at a million below 4.5%)."""
    if not shares or papers <= 0:
        return False
    rarest = min(shares)
    return rarest <= 0 or rarest * papers < window / rarest


class PairStatistics:
    """The statistics of the pairs, read at most every :data:`KEEP_SECONDS`."""

    def __init__(self) -> None:
        self._read_at = -math.inf
        self._shares: PairShares | None = None

    async def shares(self, c: Conn) -> PairShares | None:
        """The current statistics, or ``None`` while there are none (a table ANALYZE has not
        seen yet): the planner then chooses alone."""
        now = time.monotonic()
        if now - self._read_at >= KEEP_SECONDS:
            self._shares = _shares(await c.one(_READ))
            self._read_at = now
        return self._shares


def _shares(row: Record | None) -> PairShares | None:
    if row is None:
        return None
    papers: float | None = row[0]
    elements: list[str] | None = row[1]
    freqs: list[float] | None = row[2]
    if not elements or not freqs or papers is None or papers <= 0:
        return None
    # The frequencies list one per element, then the least and the greatest of them (and the
    # fraction of NULLs): pg_statistic's layout for element statistics.
    floor = float(freqs[len(elements)]) if len(freqs) > len(elements) else min(freqs)
    listed = {e: float(f) for e, f in zip(elements, freqs, strict=False) if " " in e}
    return PairShares(float(papers), listed, floor)
