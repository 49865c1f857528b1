"""The pool hands a connection on without asyncpg's reset query (``RESET ALL``, ``UNLISTEN *``,
...): a store operation is one round trip, nothing more. That is only safe because the store
leaves no session state behind, which the last test checks in the backend's SQL."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import asyncpg
import pytest

from storage.postgres.store import SESSION_SETTINGS, Store

BACKEND = Path(__file__).resolve().parents[3] / "storage" / "postgres"


async def last_statements(database: str) -> list[str]:
    """The last statement of each idle connection of the store (its application name)."""
    con = await asyncpg.connect(database)
    try:
        rows = await con.fetch(
            """SELECT query FROM pg_stat_activity
               WHERE application_name = $1 AND state = 'idle'""",
            SESSION_SETTINGS["application_name"],
        )
    finally:
        await con.close()
    return [r[0] for r in rows]


async def test_an_operation_leaves_its_own_statement_last(database: str, store: Store) -> None:
    """After an operation the connection's last statement is the operation's: no reset query
    followed it on its way back to the pool."""
    assert isinstance(store, Store)
    assert await store._value("SELECT 41 + 1 AS marker") == 42
    last = await last_statements(database)
    assert any("marker" in q for q in last), last
    assert not any("RESET ALL" in q or "UNLISTEN" in q for q in last), last


async def test_a_transaction_cut_short_is_rolled_back_before_the_next_operation(
    store: Store,
) -> None:
    """An operation cancelled inside its transaction leaves nothing open: the next operation on
    the same (only) connection sees no half-done write and runs outside any transaction."""
    assert isinstance(store, Store)
    started = asyncio.Event()

    async def interrupted() -> None:
        async with store._conn() as c:
            await c.con.execute("BEGIN")
            await c.con.execute("CREATE TEMP TABLE half_done (x int)")
            started.set()
            await asyncio.sleep(30)

    task = asyncio.create_task(interrupted())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(store._pool.get_size()):  # whichever connection comes next
        assert await store._value("SELECT to_regclass('pg_temp.half_done') IS NULL")
        # no transaction left open (the CREATE gave the transaction an id)
        assert await store._value("SELECT txid_current_if_assigned() IS NULL")


#: SQL that would leave state in a pooled session: a ``SET`` statement without ``LOCAL`` (one
#: that begins a string or follows a ``;``, as an ``UPDATE ... SET`` does not), a session-level
#: ``set_config``, a session advisory lock, a listener, a cursor held past its transaction.
_SESSION_STATE = re.compile(
    r"""[;"']\s*SET\s+(?!LOCAL\b)\w+\s*(?:=|\bTO\b)"""
    r"|set_config\([^)]*,\s*false\s*\)|pg_advisory_lock|pg_try_advisory_lock\b|\bLISTEN\b"
    r"|add_listener|WITH\s+HOLD",
    re.IGNORECASE,
)


def test_the_backend_leaves_no_session_state() -> None:
    """No statement of the PostgreSQL backend sets a session-level setting, takes a session
    advisory lock, listens or holds a cursor: connections go back to the pool as they came."""
    found = [
        f"{path.name}: {match.group(0)}"
        for path in sorted(BACKEND.rglob("*.py"))
        for match in _SESSION_STATE.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []
