"""The interaction-from-payload harness, for tests and ``bench/`` (the code is in bot.testing).

It lives in the package so the benchmarks can import it without pytest's path handling; import
from here or from ``bot.testing``, they are the same objects.
"""

from __future__ import annotations

from bot.testing import (
    ALICE,
    APP_ID,
    BOB,
    CHANNEL_ID,
    EPHEMERAL,
    FIXED_NOW,
    GUILD_ID,
    OWNER,
    FakeDiscord,
    Harness,
    Request,
    Result,
    command_data,
    interaction_payload,
    run_command,
)

__all__ = [
    "ALICE",
    "APP_ID",
    "BOB",
    "CHANNEL_ID",
    "EPHEMERAL",
    "FIXED_NOW",
    "GUILD_ID",
    "OWNER",
    "FakeDiscord",
    "Harness",
    "Request",
    "Result",
    "command_data",
    "interaction_payload",
    "run_command",
]
