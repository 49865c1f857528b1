"""How many papers a query's lexemes are held by, from the planner's statistics.

A search whose query holds a phrase (an English phrase's word pairs, :mod:`storage.tsvector`, or
a Korean word's bigrams in a row: :func:`storage.postgres.fulltext.misjudged`) chooses how to
read its newest matches by how many papers match (:func:`prefer_bitmap`), which the planner's
statistics of ``papers.search`` tell: autovacuum's ANALYZE lists the column's most common
lexemes (``pg_stats.most_common_elems``, about a thousand) with the fraction of papers holding
each, and a lexeme not listed is rarer than every listed one. The planner knows this too, but
takes a phrase's lexemes as independent (``large language`` and ``language models``, or ``데이``
and ``이터``, are held together far more often than the product of their shares) and prices the
two ways of reading badly (see :mod:`storage.postgres.search`). Paper suggestions choose the
same way by the titles' words alone (:attr:`Shares.titles`, the statistics ANALYZE keeps of the
title index's expression, migration 12; :mod:`storage.postgres.papers`). :class:`Statistics`
keeps what it read for :data:`KEEP_SECONDS` (they change only when ANALYZE runs again), or
for :data:`RETRY_SECONDS` when there were none yet. Similar papers take the common terms'
document frequencies from them too (:mod:`storage.postgres.research`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from asyncpg import Record

from storage.postgres.connection import Conn, StoreBase

#: How long a reading of the statistics is used before it is read again.
KEEP_SECONDS = 600.0
#: ... and how long a reading that found none (a table ANALYZE has not seen yet: autovacuum
#: analyses a new table within a minute or so of its import).
RETRY_SECONDS = 30.0

#: The documents' statistics, then the titles' (ANALYZE keeps those of the title words' index,
#: migration 12, under the index's name).
_READ = """SELECT c.reltuples, s.most_common_elems::text::text[], s.most_common_elem_freqs,
                  t.most_common_elems::text::text[], t.most_common_elem_freqs
           FROM pg_class c
           LEFT JOIN pg_stats s ON s.schemaname = current_schema() AND s.tablename = 'papers'
                                AND s.attname = 'search'
           LEFT JOIN pg_stats t ON t.schemaname = current_schema()
                                AND t.tablename = 'papers_title_search'
           WHERE c.oid = 'papers'::regclass"""


@dataclass(frozen=True, slots=True)
class Shares:
    """The planner's statistics of the documents: ``papers`` (its estimate of the table's
    rows), ``listed`` (lexeme -> fraction of papers holding it, for the listed ones) and
    ``floor`` (the least listed fraction: an unlisted lexeme is rarer); ``titles``, the same of
    the titles' words alone (``None`` while there are none)."""

    papers: float
    listed: dict[str, float]
    floor: float
    titles: Shares | None = None

    def share(self, lexeme: str, prefix: bool = False) -> float:
        """The fraction of papers holding ``lexeme`` (a prefix: any listed lexeme it begins,
        added up, at least the floor; a word's prefix leaves out the word pairs it begins, whose
        papers hold the word too)."""
        if not prefix:
            return self.listed.get(lexeme, self.floor)
        pairs = " " in lexeme
        held = sum(
            f
            for listed, f in self.listed.items()
            if listed.startswith(lexeme) and (pairs or " " not in listed)
        )
        return min(1.0, max(held, self.floor))

    def term_share(self, lexemes: Sequence[tuple[str, bool]]) -> float:
        """The estimated fraction of papers holding all of one term's lexemes: a term's lexemes
        go together (a phrase's pairs, a word's bigrams), so as many as its rarest lexeme."""
        return min((self.share(lexeme, prefix) for lexeme, prefix in lexemes), default=1.0)

    def query_share(self, terms: Sequence[Sequence[tuple[str, bool]]]) -> float:
        """The estimated fraction of papers matching a query whose terms hold these lexemes
        (:func:`storage.postgres.fulltext.term_lexemes`): a term's lexemes go together (a
        phrase's pairs, a word's bigrams), so a term is as common as its rarest lexeme; terms
        are taken as independent of each other."""
        found = 1.0
        for lexemes in terms:
            found *= self.term_share(lexemes)
        return found

    def prefers_index(
        self, terms: Sequence[Sequence[tuple[str, bool]]], window: int, *, read_cost: float = 1.0
    ) -> bool:
        """:func:`prefer_bitmap` for a query whose terms hold these lexemes
        (:meth:`query_share`), among :attr:`papers`."""
        return prefer_bitmap(self.query_share(terms), self.papers, window, read_cost=read_cost)


def prefer_bitmap(share: float, papers: float, window: int, *, read_cost: float = 1.0) -> bool:
    """Whether reading every paper the index finds beats walking the newest papers until
    ``window`` match, for a query a fraction ``share`` of ``papers`` match: the first reads
    ``share * papers`` rows, each costing ``read_cost`` times a row walked, the walk about
    ``window / share`` (at 100k papers the first is less below 14%, at a million below
    4.5%, with a cost of 1)."""
    return share <= 0 or read_cost * share * papers < window / share


class Statistics:
    """The statistics of the documents, read at most every :data:`KEEP_SECONDS`."""

    def __init__(self) -> None:
        self._read_at = -math.inf
        self._shares: Shares | None = None

    async def shares(self, c: Conn) -> Shares | None:
        """The current statistics, or ``None`` while there are none (a table ANALYZE has not
        seen yet): the planner then chooses alone."""
        now = time.monotonic()
        keep = KEEP_SECONDS if self._shares is not None else RETRY_SECONDS
        if now - self._read_at >= keep:
            self._shares = _shares(await c.one(_READ))
            self._read_at = now
        return self._shares


def _shares(row: Record | None) -> Shares | None:
    if row is None or row[0] is None or row[0] <= 0:
        return None
    papers = float(row[0])
    documents = _listed(papers, row[1], row[2])
    if documents is None:
        return None
    titles = _listed(papers, row[3], row[4])
    return Shares(papers, documents.listed, documents.floor, titles)


def _listed(papers: float, elements: list[str] | None, freqs: list[float] | None) -> Shares | None:
    """The shares of one column's element statistics (``None`` without any)."""
    if not elements or not freqs:
        return None
    # The frequencies list one per element, then the least and the greatest of them (and the
    # fraction of NULLs): pg_statistic's layout for element statistics.
    floor = float(freqs[len(elements)]) if len(freqs) > len(elements) else min(freqs)
    listed = {e: float(f) for e, f in zip(elements, freqs, strict=False)}
    return Shares(papers, listed, floor)


class StatisticsReads(StoreBase):
    """:meth:`_shares`, for the queries of the store that choose how to read by the statistics
    (one :class:`Statistics` a store)."""

    #: The planner's statistics of the documents, read on the first query that needs them.
    _statistics: Statistics | None = None

    async def _shares(self, c: Conn) -> Shares | None:
        """The planner's statistics of the documents (read on the first query that needs them,
        then as :meth:`Statistics.shares` keeps them); ``None`` while there are none."""
        if self._statistics is None:
            self._statistics = Statistics()
        return await self._statistics.shares(c)
