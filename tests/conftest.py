"""Fixtures every test package shares: the bundled samples, a store on a real SQLite file, and
the session's throw-away PostgreSQL server with a fresh database per test that asks for one."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest
from backends import PG_TEMPLATE, clone_database, drop_database, run_apart
from harness.postgres import Cluster, running_cluster

from storage.postgres.store import Store as PostgresStore
from storage.sqlite.store import Store

#: The bundled sample digests (whole days and format variants), as shipped in the package.
SAMPLES = Path(__file__).resolve().parents[1] / "storage" / "ingest" / "samples"
#: Every backend the contract tests run on.
BACKENDS = ("sqlite", "postgres")


@pytest.fixture
async def empty_store(tmp_path: Path) -> AsyncIterator[Store]:
    """An open, empty store over a new SQLite file under ``tmp_path``."""
    async with await Store.open(tmp_path / "empty.db") as store:
        yield store


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """The session's PostgreSQL server (started on first use; a server that cannot start fails
    the tests that need it, never skips them), with :data:`PG_TEMPLATE` migrated."""
    with running_cluster(port=5433) as cluster:

        async def prepare() -> None:
            admin = await asyncpg.connect(cluster.dsn)
            try:
                await admin.execute(f"CREATE DATABASE {PG_TEMPLATE}")
            finally:
                await admin.close()
            store = await PostgresStore.open(cluster.database_dsn(PG_TEMPLATE))
            await store.close()

        run_apart(prepare())
        yield cluster


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The storage backend a contract test runs on (each test runs on every one)."""
    return str(request.param)


@pytest.fixture
async def new_database(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Callable[[], Awaitable[str]]]:
    """Make fresh, empty (migrated) databases of the test's backend: ``await new_database()``
    gives where one is (a file path or a ``postgresql://`` URL). Dropped after the test."""
    made: list[str] = []
    cluster = request.getfixturevalue("pg_cluster") if backend == "postgres" else None

    async def make() -> str:
        if cluster is None:
            where = str(tmp_path / f"db{len(made)}.db")
        else:
            where = await clone_database(cluster)
        made.append(where)
        return where

    yield make
    if cluster is not None:
        for url in made:
            await drop_database(cluster, url)


@pytest.fixture
async def database(new_database: Callable[[], Awaitable[str]]) -> str:
    """Where the test's database is: a new SQLite file or a new PostgreSQL database."""
    return await new_database()
