"""Copying one database into another (``papers-bot migrate``), then checking both hold the same.

Papers, with their days, votes, authors, API extras and the digest days that list none, go the
way a JSONL backup does: the source's export (:func:`bot.core.export.export`) read back as
digests (:func:`storage.ingest.backup.read_backup`) and imported into the target, a few days per
commit. Then the tables of :data:`storage.transfer.IMPORTABLE` are copied row by row in their
neutral form (the digest days again: where and when each was imported). Everything is an
upsert on natural keys, so running it again changes nothing.

:func:`verify` then compares every table of :data:`storage.transfer.TABLES` on both sides: its
row count and a checksum of its rows in neutral form (:func:`storage.transfer.checksum`).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from bot.core.export import export
from storage.ingest.backup import read_backup
from storage.transfer import IMPORTABLE, TABLES, checksum

if TYPE_CHECKING:
    from storage.ports import Store

#: ``progress(done, total, label)``, called after each step.
Progress = Callable[[int, int, str], None]
#: How many digest days are imported per commit.
DAYS_PER_BATCH: Final = 50


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


async def copy(source: Store, target: Store, *, progress: Progress = _ignore) -> None:
    """Write everything ``source`` holds into ``target`` (upserts: a second copy is a no-op)."""
    backup = io.StringIO()
    await export(source, backup)
    digests = read_backup(backup.getvalue(), "migrate").digests
    total = len(digests) + len(IMPORTABLE)
    for start in range(0, len(digests), DAYS_PER_BATCH):
        chunk = digests[start : start + DAYS_PER_BATCH]
        for result in await target.import_digests(chunk):
            if isinstance(result, Exception):
                raise result
        progress(start + len(chunk), total, chunk[-1].date.isoformat())
    for done, table in enumerate(IMPORTABLE, start=len(digests) + 1):
        await target.import_rows(table, await source.export_rows(table))
        progress(done, total, table)


async def verify(source: Store, target: Store, tables: Sequence[str] = TABLES) -> list[TableCheck]:
    """Each of ``tables``' row count and checksum on both sides."""
    checks = []
    for table in tables:
        mine, theirs = await source.export_rows(table), await target.export_rows(table)
        checks.append(TableCheck(table, len(mine), len(theirs), checksum(mine), checksum(theirs)))
    return checks
