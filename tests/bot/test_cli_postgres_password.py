"""A wrong password for a PostgreSQL DATABASE_URL: the server asks for one (``scram-sha-256``
over TCP, as production servers are set up; the shared test server trusts everyone), and the
command line answers one line with the password shown as ``***``, exit 1, nothing written."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from harness.postgres import Cluster, free_port, running_cluster

from bot.__main__ import main

USER = "guarded"
PASSWORD = "right-horse-battery"


@pytest.fixture(scope="module")
def password_cluster() -> Iterator[Cluster]:
    """A server of its own that asks TCP clients for a password; a user ``guarded`` with one,
    owning the empty databases ``guarded`` (never opened with the right password by the
    program) and ``opened``."""
    with running_cluster(port=free_port(), password_auth=True) as cluster:
        cluster.psql(f"CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD}'")
        cluster.psql(f"CREATE DATABASE {USER} OWNER {USER}")
        cluster.psql(f"CREATE DATABASE opened OWNER {USER}")
        yield cluster


def table_count(cluster: Cluster, database: str = USER) -> int:
    """How many tables ``database`` holds (read with the right password)."""

    async def count() -> int:
        con = await asyncpg.connect(cluster.tcp_dsn(USER, PASSWORD, database))
        try:
            return int(
                await con.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            )
        finally:
            await con.close()

    return asyncio.run(count())


def test_wrong_password_is_one_line_and_nothing_written(
    env: Path, password_cluster: Cluster, capsys: pytest.CaptureFixture[str]
) -> None:
    """A wrong password: one line naming the URL with the password as ***, exit 1, no
    traceback, and the database stays empty (the right password opens it: the refusal was
    the password's)."""
    url = password_cluster.tcp_dsn(USER, "wrong-pass-word", USER)
    assert main(["--database", url, "console", "-c", "today"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "refused the connection" in err and "check DATABASE_URL" in err
    assert "wrong-pass-word" not in err and f"{USER}:***@127.0.0.1" in err
    assert table_count(password_cluster) == 0


def test_wrong_password_for_migrate_target_is_one_line(
    env: Path, password_cluster: Cluster, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same for ``migrate --to`` a URL with a wrong password: one line, exit 1."""
    source = env / "source.db"
    assert main(["--database", str(source), "console", "-c", "today"]) == 0
    capsys.readouterr()
    url = password_cluster.tcp_dsn(USER, "wrong-pass-word", USER)
    assert main(["--database", str(source), "migrate", "--to", url]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "wrong-pass-word" not in err and "***" in err
    assert table_count(password_cluster) == 0


def test_right_password_works(
    env: Path, password_cluster: Cluster, capsys: pytest.CaptureFixture[str]
) -> None:
    """With the right password the same URL is used as any other (tables created, seeded)."""
    url = password_cluster.tcp_dsn(USER, PASSWORD, "opened")
    assert main(["--database", url, "console", "-c", "today"]) == 0
    assert table_count(password_cluster, "opened") > 0
