"""Fixtures for the CLI/console/answers tests: a seeded SQLite database built once per session."""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.config import VARIABLES
from storage.ingest.importer import ensure_seeded
from storage.sqlite.store import Store


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database holding the bundled samples, built once and copied for each test."""
    path = tmp_path_factory.mktemp("template") / "seeded.db"

    async def build() -> None:
        store = await Store.open(path)
        try:
            assert await ensure_seeded(store) is not None
        finally:
            await store.close()

    asyncio.run(build())
    return path


@pytest.fixture
def seeded_db(tmp_path: Path, seeded_template: Path) -> Path:
    """A private copy of the seeded database at ``tmp_path/papers.db``."""
    target = tmp_path / "papers.db"
    shutil.copyfile(seeded_template, target)
    return target


@pytest.fixture
async def store(seeded_db: Path) -> AsyncIterator[Store]:
    """An open store over the bundled samples."""
    async with await Store.open(seeded_db) as opened:
        yield opened


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """A clean environment: none of the bot's variables set, cwd = tmp_path (so no .env)."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setenv("COLUMNS", "200")  # rich: wide enough that ids and titles stay whole
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")  # the console speaks English unless told otherwise
    monkeypatch.chdir(tmp_path)
    # main() installs a root log handler on this test's (captured) stderr and sets levels:
    # undone afterwards, so no later test's output holds this one's log lines.
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield tmp_path
    root.handlers[:] = handlers
    root.setLevel(level)
    for name in ("apscheduler", "discord.http"):
        logging.getLogger(name).setLevel(logging.NOTSET)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic corpus of digest files (bench/synth.py), written once."""
    from bench.synth import write_corpus

    directory = tmp_path_factory.mktemp("corpus") / "digests"
    from tests.harness.procs import CORPUS_PAPERS

    write_corpus(directory, CORPUS_PAPERS)
    return directory


@pytest.fixture(scope="session")
def reference(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus imported by one ``papers-bot import``, start to end, uninterrupted."""
    from tests.harness.procs import run

    where = tmp_path_factory.mktemp("reference")
    done = run(["--database", "ref.db", "import", str(corpus)], cwd=where)
    assert done.returncode == 0, done.stderr.decode()
    return where / "ref.db"
