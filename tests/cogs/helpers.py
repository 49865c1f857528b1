"""The interaction-from-payload harness (``tests/harness``), re-exported for the cog tests."""

from __future__ import annotations

from harness import (
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
