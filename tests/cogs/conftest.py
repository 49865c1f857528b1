"""Fixtures for the cog tests: a real Store over the bundled samples, and the bot harness.

The database is built once per session (parse + import every bundled sample) and copied for
each test, so every test gets its own real SQLite file under ``tmp_path``.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from harness import Harness

from storage.ingest.importer import ensure_seeded
from storage.ingest.parser import parse_digest
from storage.sqlite.store import Store

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
        store = await Store.open(path)
        try:
            assert await ensure_seeded(store) is not None
            await store.import_digest(parse_digest(NASTY_DIGEST, "nasty.md"))
        finally:
            await store.close()

    asyncio.run(build())
    return path


@pytest.fixture
async def store(tmp_path: Path, sample_db: Path) -> AsyncIterator[Store]:
    """An open store over a private copy of the sample database."""
    target = tmp_path / "papers.db"
    shutil.copyfile(sample_db, target)
    async with await Store.open(target) as opened:
        yield opened


@pytest.fixture
async def harness(store: Store) -> AsyncIterator[Harness]:
    """The bot with every cog loaded, talking to a fake Discord."""
    made = await Harness.create(store)
    try:
        yield made
    finally:
        await made.close()
