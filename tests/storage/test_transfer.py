"""The neutral rows of :mod:`storage.transfer` on every backend: written back as they were read,
and only the tables the ports name."""

from __future__ import annotations

import datetime as dt

import pytest

from storage.ports import Store
from storage.transfer import UnknownTable

AT = dt.datetime(2024, 6, 14, 8, 30, tzinfo=dt.UTC)


async def test_rows_written_back_read_the_same(store: Store) -> None:
    """Importing a table's exported rows again changes none of them."""
    await store.set_digest_settings(
        7, channel_id=70, post_time=dt.time(9), timezone="Asia/Seoul", count=5, now=AT
    )
    await store.record_digest_post(7, dt.date(2024, 2, 15), channel_id=70, message_ids=[1], at=AT)
    for table in ("guild_digests", "digest_posts"):
        rows = await store.export_rows(table)
        assert await store.import_rows(table, rows) == 1
        assert await store.export_rows(table) == rows


async def test_unknown_or_derived_tables_are_refused(store: Store) -> None:
    """A table the neutral form does not name, or one derived from the papers, is refused."""
    with pytest.raises(UnknownTable):
        await store.export_rows("import_feed")
    with pytest.raises(UnknownTable):
        await store.import_rows("papers", [])
