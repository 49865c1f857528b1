"""Security checks: the bot token never reaches a log line or an error message."""

from __future__ import annotations

import logging
import traceback
from typing import Any

import discord
import pytest
from harness import Harness
from harness.faults import Response

from bot.config import ConfigError, load_config
from bot.discord_ui.client import run_bot
from storage.sqlite.store import Store

TOKEN = "MTAxMDEwMTAxMDEwMTAxMDEw.GsEcRt.SECRETtokenPARTthatMUSTneverLEAK_0123456789"
#: Pieces a partial leak would show (the three dot-separated parts of a Discord token).
PIECES = TOKEN.split(".")


class Unauthorized:
    """An aiohttp session to which Discord answers every request 401 (a rejected token),
    remembering the Authorization headers it was sent."""

    closed = False

    def __init__(self) -> None:
        self.authorizations: list[str] = []

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        self.authorizations.append(kwargs.get("headers", {}).get("Authorization", ""))
        return Response(401, {"message": "401: Unauthorized", "code": 0})

    async def close(self) -> None:
        self.closed = True


def leaked(text: str) -> list[str]:
    return [piece for piece in PIECES if piece in text]


async def test_token_never_logged_over_a_session(
    store: Store, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At DEBUG, over config loading, commands, paging, a crash with its traceback and a login
    that Discord rejects (through discord.py's real HTTP client), no log record (message,
    arguments or traceback) holds any part of the token."""
    for name in ("", "discord", "discord.http", "bot", "storage"):  # even the chatty HTTP layer
        caplog.set_level(logging.DEBUG, logger=name)
    config = load_config({"DISCORD_TOKEN": TOKEN}, env_file=None)
    harness = await Harness.create(store, config=config)
    try:
        result = await harness.command("search", query="model")
        assert result.message_id is not None
        await harness.press(result.message_id, "pager:next")
        await harness.command("today")

        async def broken(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("the store broke")

        monkeypatch.setattr(harness.bot.store, "search", broken)
        crashed = await harness.command("search", query="x")
        assert crashed.embed["title"] == "Something went wrong"
    finally:
        await harness.close()

    discord_says_401 = Unauthorized()
    monkeypatch.setattr(discord.http.aiohttp, "ClientSession", lambda **_: discord_says_401)
    assert await run_bot(config, store) == 1
    assert discord_says_401.authorizations == [f"Bot {TOKEN}"]  # the real login was tried
    text = "\n".join(
        record.getMessage()
        + "".join(traceback.format_exception(*record.exc_info) if record.exc_info else [])
        for record in caplog.records
    )
    assert "the store broke" in text  # the traceback was logged
    assert "has returned 401" in text  # and discord.py's own DEBUG lines of the login
    assert leaked(text) == []
    assert leaked(caplog.text) == []


@pytest.mark.parametrize("bad", [TOKEN + " trailing words", TOKEN + "\x01", "Bot " + TOKEN])
def test_a_bad_token_is_not_echoed_in_the_error(bad: str) -> None:
    """A malformed DISCORD_TOKEN is refused with a message that quotes none of it."""
    try:
        config = load_config({"DISCORD_TOKEN": bad}, env_file=None)
    except ConfigError as error:
        assert leaked(str(error)) == []
    else:
        assert leaked(repr(config)) == [] and leaked(str(config)) == []
