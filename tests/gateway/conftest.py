"""Fixtures for tests with the loopback fake Discord and real bot processes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from harness.discord_server import DiscordServer


@pytest.fixture
async def server() -> AsyncIterator[DiscordServer]:
    """A fake Discord on loopback, stopped after the test."""
    async with DiscordServer() as fake:
        yield fake
