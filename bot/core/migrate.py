"""Copying one database into another (``papers-bot migrate``), then checking both hold the same.

Papers, with their days, votes, authors and API extras, go the way a JSONL backup does: each
paper's export record (:func:`bot.core.export.paper_record`) read back as its listings
(:func:`storage.ingest.backup.digests_of`) and imported into the target. They are streamed:
:data:`PAPERS_PER_BATCH` papers are read from the source, imported and committed (one
:meth:`~storage.ports.ImportStore.batch`) before the next are read, so memory does not grow
with the database (a day listed by papers of several batches is completed by each; its paper
count is always the papers it lists). The digest days that list no paper go first. Then the
tables of :data:`storage.transfer.IMPORTABLE` are copied row by row in their neutral form (the
digest days again: where and when each was imported; generated summaries, vote history, reading
lists...). Everything is an upsert on natural keys, so running it again changes nothing and an
interrupted copy is finished by running it again.

:func:`verify` then compares every table of :data:`storage.transfer.TABLES` on both sides: its
row count and a checksum of its rows in neutral form (:func:`storage.transfer.checksum`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from bot.core.export import paper_record
from storage.ingest.backup import digests_of
from storage.models import ParsedDigest
from storage.transfer import IMPORTABLE, TABLES, checksum

if TYPE_CHECKING:
    from storage.ports import Store

#: ``progress(done, total, label)``, called after each step.
Progress = Callable[[int, int, str], None]
#: How many papers are read, imported and committed at a time.
PAPERS_PER_BATCH: Final = 1000
#: The source named by the digests a copy imports.
SOURCE: Final = "migrate"


@dataclass(frozen=True, slots=True)
class TableCheck:
    """One table's row count and checksum on each side."""

    table: str
    source_rows: int
    target_rows: int
    source_checksum: str
    target_checksum: str

    @property
    def ok(self) -> bool:
        return self.source_rows == self.target_rows and self.source_checksum == self.target_checksum


def _ignore(done: int, total: int, label: str) -> None:
    """The progress callback when nobody watches."""


async def _write(target: Store, digests: Sequence[ParsedDigest]) -> None:
    """Import ``digests`` into ``target`` in one commit; the first that fails is raised (and
    nothing of them is kept)."""
    async with target.batch():
        for result in await target.import_digests(digests):
            if isinstance(result, Exception):
                raise result


async def copy(source: Store, target: Store, *, progress: Progress = _ignore) -> None:
    """Write everything ``source`` holds into ``target`` (upserts: a second copy is a no-op).

    ``progress`` counts papers, then one step per table of :data:`IMPORTABLE`.
    """
    empty = sorted(d.date for d in await source.days() if not d.paper_count)
    papers = await source.paper_count()
    total = papers + len(IMPORTABLE)
    if empty:
        await _write(target, [ParsedDigest(day, (), (), SOURCE) for day in empty])
    done = 0
    records: list[dict[str, Any]] = []
    label = ""
    async for paper in source.iter_papers():
        records.append(paper_record(paper))
        label = paper.first_day.isoformat() if paper.first_day else paper.arxiv_id
        if len(records) == PAPERS_PER_BATCH:
            await _write(target, digests_of(records, SOURCE))
            done += len(records)
            records = []
            progress(done, total, label)
    if records:
        await _write(target, digests_of(records, SOURCE))
        done += len(records)
        progress(done, total, label)
    for step, table in enumerate(IMPORTABLE, start=1):
        await target.import_rows(table, await source.export_rows(table))
        progress(done + step, total, table)


async def verify(source: Store, target: Store, tables: Sequence[str] = TABLES) -> list[TableCheck]:
    """Each of ``tables``' row count and checksum on both sides."""
    checks = []
    for table in tables:
        mine, theirs = await source.export_rows(table), await target.export_rows(table)
        checks.append(TableCheck(table, len(mine), len(theirs), checksum(mine), checksum(theirs)))
    return checks
