"""The command line on a PostgreSQL DATABASE_URL: it works, and every way the database cannot be
used is one line naming it (password never shown), exit 1, no traceback, nothing written."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from backends import clone_database, drop_database, run_apart
from harness.postgres import Cluster

from bot.__main__ import main


@pytest.fixture
def pg_url(pg_cluster: Cluster) -> Iterator[str]:
    """A new, migrated, empty PostgreSQL database for the test; dropped after."""
    url = run_apart(clone_database(pg_cluster))
    yield url
    run_apart(drop_database(pg_cluster, url))


def tables(url: str) -> set[str]:
    async def read() -> set[str]:
        con = await asyncpg.connect(url)
        try:
            rows = await con.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            return {r[0] for r in rows}
        finally:
            await con.close()

    return asyncio.run(read())


def test_database_url_is_used_and_seeded(
    env: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With DATABASE_URL set, commands read and write PostgreSQL (no SQLite file appears)."""
    monkeypatch.setenv("DATABASE_URL", pg_url)
    assert main(["console", "-c", "search 모델", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] > 0
    assert not (env / "papers.db").exists()


def test_unreachable_server_is_one_line_without_password(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No server at the URL: one line saying so, the password redacted, exit 1."""
    url = f"postgresql://papers:sekrit@/papers?host={tmp_path}/nowhere&port=5999"
    assert main(["--database", url, "console", "-c", "today"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "cannot reach the database server" in err
    assert "sekrit" not in err and "papers:***@" in err


@pytest.mark.parametrize("kind", ["no such database", "no such user"])
def test_refused_connection_is_one_line(
    env: Path, pg_cluster: Cluster, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A database or user the server does not know: one line naming the URL, exit 1."""
    if kind == "no such database":
        url = pg_cluster.database_dsn("no_such_database")
    else:
        url = pg_cluster.dsn.replace("papers@", "nobody@")
    assert main(["--database", url, "console", "-c", "today"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "refused the connection" in err and "check DATABASE_URL" in err


def test_newer_schema_is_one_line_and_untouched(
    env: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A database a newer papers-bot wrote: one line, exit 1, not a row or table changed."""

    async def age() -> None:
        con = await asyncpg.connect(pg_url)
        try:
            await con.execute("INSERT INTO schema_migrations (version, name) VALUES (999, 'x')")
        finally:
            await con.close()

    asyncio.run(age())
    before = tables(pg_url)
    assert main(["--database", pg_url, "console", "-c", "today"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "newer papers-bot" in err and "Traceback" not in err
    said = err[err.index("the database was written") :]  # after the URL
    assert "Nothing was changed" in said and "file" not in said  # a server's, not a file
    assert tables(pg_url) == before


@pytest.mark.parametrize(
    "value", ["mysql://u@h/db", "postgresql://u@h:notaport/db", "postgresql://u@h/db x"]
)
def test_bad_database_url_is_a_config_error(
    env: Path, value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A DATABASE_URL that is not a PostgreSQL URL: exit 2, one line naming the variable."""
    monkeypatch.setenv("DATABASE_URL", value)
    assert main(["console", "-c", "today"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("DATABASE_URL") or "DATABASE_URL" in err.splitlines()[0]


@pytest.mark.parametrize("value", ["postgresql://u:secret@h:notaport/db", "postgresql://u@h/db x"])
def test_bad_database_option_is_named_as_the_option(
    env: Path, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad URL given with ``--database`` names the option, not DATABASE_URL or .env (where it
    was not), and never echoes the URL."""
    assert main(["--database", value, "console", "-c", "today"]) == 2
    err = capsys.readouterr().err
    first = err.splitlines()[0]
    assert "--database" in first
    assert "DATABASE_URL" not in err and ".env" not in err
    assert "secret" not in err and "notaport" not in err
