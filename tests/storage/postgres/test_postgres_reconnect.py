"""A PostgreSQL server that goes away while the store is open: typed errors meanwhile, and the
store reconnects by itself once the server is back (the session's server is stopped and started)."""

from __future__ import annotations

import pytest
from digests import import_day
from harness.postgres import Cluster

from bot.discord_ui.client import expected_error_message
from bot.i18n.catalog import tr
from storage.errors import Unavailable
from storage.ports import Store


async def test_outage_is_unavailable_then_reconnects(store: Store, pg_cluster: Cluster) -> None:
    """While the server is down every operation raises Unavailable; after it is back the same
    store answers again without being reopened."""
    await import_day(store, "2025-01-06", [("2501.00001", "Diffusion A", "Ann Lee")])
    assert await store.paper_count() == 1
    pg_cluster.stop()
    try:
        with pytest.raises(Unavailable):
            await store.paper_count()
        with pytest.raises(Unavailable):
            await store.search("diffusion")
    finally:
        pg_cluster.start()
    for _ in range(3):  # a pooled connection that died with the server fails once at most
        try:
            assert (await store.search("diffusion")).total == 1
            break
        except Unavailable:
            continue
    else:
        pytest.fail("the store did not reconnect")
    assert await store.paper_count() == 1


def test_discord_users_are_told_to_try_again() -> None:
    """The Discord error handler words Unavailable as a passing problem."""
    error = Unavailable("postgresql://u:***@db/papers", "ConnectionRefusedError")
    assert expected_error_message(error) == tr("error.database_unavailable")
