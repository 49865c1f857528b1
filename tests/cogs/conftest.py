"""Fixtures for the cog tests: a real Store over the bundled samples, and the bot harness.

Every command test runs on each backend (``backend``). The database is built once per session
per backend (parse + import every bundled sample) and copied for each test, so every test gets
its own real SQLite file under ``tmp_path`` or its own PostgreSQL database.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from backends import clone_database, drop_database, run_apart
from harness import Harness
from harness.postgres import Cluster

from storage.backends import open_store
from storage.ingest.importer import ensure_seeded
from storage.ingest.parser import parse_digest
from storage.ports import Store
from storage.sqlite.store import Store as SqliteStore

#: A digest day with the text that breaks naive renderers: markdown, mentions, <EOS>, a huge
#: author list, a long summary. Imported on top of the samples by the ``nasty`` fixtures.
NASTY_ID = "2501.00001"
NASTY_AUTHORS = ", ".join(f"Author{i} Surname{i}" for i in range(700))
NASTY_LONG = "매우 긴 문장입니다. " * 200
NASTY_DIGEST = f"""## Daily Papers (2025-01-06)

### [A* Search <EOS> @everyone **Bold** GPT-[n] _x_ ~~y~~]({f"https://arxiv.org/abs/{NASTY_ID}"})

![](https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{NASTY_ID}.png)

Vote: 12

Authors: {NASTY_AUTHORS}

- ***What's New***: <EOS> 토큰과 `코드` 그리고 @here 를 포함한 요약. {NASTY_LONG}
- ***Technical Details***: # not a header
- ***Performance Highlights***: > not a quote
"""


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database holding the bundled samples and the nasty day, built once."""
    path = tmp_path_factory.mktemp("cogs") / "samples.db"

    async def build() -> None:
        store = await SqliteStore.open(path)
        try:
            assert await ensure_seeded(store) is not None
            await store.import_digest(parse_digest(NASTY_DIGEST, "nasty.md"))
        finally:
            await store.close()

    run_apart(build())
    return path


@pytest.fixture(scope="session")
def sample_pg(pg_cluster: Cluster) -> str:
    """The name of a PostgreSQL database holding what :func:`sample_db` holds, built once."""

    async def build() -> str:
        url = await clone_database(pg_cluster)
        store = await open_store(url)
        try:
            assert await ensure_seeded(store) is not None
            await store.import_digest(parse_digest(NASTY_DIGEST, "nasty.md"))
        finally:
            await store.close()
        return urlsplit(url).path.lstrip("/")

    return run_apart(build())


@pytest.fixture
async def store(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Store]:
    """An open store over a private copy of the sample database (on the test's backend)."""
    if backend == "postgres":
        cluster: Cluster = request.getfixturevalue("pg_cluster")
        url = await clone_database(cluster, request.getfixturevalue("sample_pg"))
        try:
            async with await open_store(url) as opened:
                yield opened
        finally:
            await drop_database(cluster, url)
        return
    target = tmp_path / "papers.db"
    shutil.copyfile(request.getfixturevalue("sample_db"), target)
    async with await open_store(target) as opened:
        yield opened


@pytest.fixture
async def harness(store: Store) -> AsyncIterator[Harness]:
    """The bot with every cog loaded, talking to a fake Discord."""
    made = await Harness.create(store)
    try:
        yield made
    finally:
        await made.close()
