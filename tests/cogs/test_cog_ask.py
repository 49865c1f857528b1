"""Plain-text questions end to end: MESSAGE_CREATE payloads through the real ConnectionState,
and /ask through the real CommandTree, answered like the matching commands."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from harness import ALICE, BOB, BOT_USER, DM_CHANNEL_ID, Harness, Result, mention

from bot.core import answers
from bot.i18n.catalog import use_locale
from bot.i18n.phrases import guide

NO_PING = {"parse": [], "replied_user": False}


def user(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {**ALICE, "id": str(user_id), "username": name, "global_name": name, "bot": bot}


async def search_command(harness: Harness, query: str, since: str, until: str) -> Result:
    return await harness.command("search", query=query, since=since, until=until)


# --------------------------------------------------------------------------- DMs


async def test_dm_question_gets_search_results_with_paging(harness: Harness) -> None:
    """A DM with words gets /search's embed and buttons, as a reply to it; next pages on."""
    asked = await harness.message("model this week")
    assert [r.kind for r in asked.requests] == ["send"]
    sent = asked.last
    assert sent.path == f"/channels/{DM_CHANNEL_ID}/messages"
    expected = await search_command(harness, "model", "2025-05-03", "2025-05-09")
    assert sent.embed == expected.embed
    assert sent.custom_ids == expected.last.custom_ids
    assert "pager:next" in sent.custom_ids
    assert sent.content == "Read as: search 'model' from 2025-05-03 to 2025-05-09 (this week)"

    pressed = await harness.press(asked.message_id, "pager:next", context="dm")
    assert pressed.last.callback_type == 7
    assert "Showing 6-10" in pressed.embed["footer"]["text"]
    assert harness.discord.messages[asked.message_id]["embeds"] == pressed.last.embeds


async def test_dm_reply_references_the_question_and_pings_no_one(harness: Harness) -> None:
    """The answer replies to the question (reference) with no mentions, not even the author."""
    asked = await harness.message("model")
    body = asked.last.body
    assert body["allowed_mentions"] == NO_PING
    assert body["message_reference"]["message_id"] == int(asked.payload["id"])
    assert body["message_reference"]["fail_if_not_exists"] is False


async def test_dm_help_gets_the_guide(harness: Harness) -> None:
    """`help` in a DM gets the short guide and no "Read as" line."""
    asked = await harness.message("help")
    assert asked.embed["description"] == guide()
    assert asked.last.content == ""
    assert asked.last.components in (None, [])


async def test_dm_paging_buttons_only_for_the_asker(harness: Harness) -> None:
    """Someone else pressing the buttons gets an ephemeral "only X can page this"."""
    asked = await harness.message("model this week")
    pressed = await harness.press(asked.message_id, "pager:next", user=BOB, context="dm")
    assert pressed.ephemeral
    assert "Only Alice can page this" in pressed.embed["description"]


async def test_dm_without_words_is_ignored(harness: Harness) -> None:
    """A DM with no words (an attachment only, say) gets no answer."""
    asked = await harness.message("   ")
    assert asked.requests == []


# --------------------------------------------------------------------------- the examples


async def test_example_korean_week_like_search(harness: Harness) -> None:
    """`이번 주 에이전트 논문 top 5` is answered exactly like /search over this week."""
    asked = await harness.message("이번 주 에이전트 논문 top 5")
    harness.locale = "ko"  # a Korean question is answered in Korean
    expected = await search_command(harness, "에이전트", "2025-05-03", "2025-05-09")
    assert asked.embed == expected.embed
    assert asked.last.content.endswith("(이번 주) '에이전트' 검색, 상위 5편")


async def test_example_author_like_author_command(harness: Harness) -> None:
    """`papers by Yejin Choi this month` is /author's card; the month is said to be ignored."""
    asked = await harness.message("papers by Yejin Choi this month")
    expected = await harness.command("author", name="Yejin Choi")
    assert asked.embed == expected.embed
    assert "this month ignored" in asked.last.content


async def test_example_yesterday_like_search(harness: Harness) -> None:
    """`diffusion video yesterday` is /search on 2025-05-08, with the reading line."""
    asked = await harness.message("diffusion video yesterday")
    expected = await search_command(harness, "diffusion video", "2025-05-08", "2025-05-08")
    assert asked.embed == expected.embed
    assert asked.last.content == "Read as: search 'diffusion video' on 2025-05-08 (yesterday)"


async def test_period_without_topic_like_top(harness: Harness) -> None:
    """`this month` alone is /top period:month."""
    asked = await harness.message("this month")
    expected = await harness.command("top", period="month")
    assert asked.embed == expected.embed


# --------------------------------------------------------------------------- servers


async def test_guild_mention_is_answered(harness: Harness) -> None:
    """In a server, a message mentioning the bot is a question (the mention is removed)."""
    asked = await harness.message(
        f"{mention(BOT_USER)} model this week", context="guild", mentions=[BOT_USER]
    )
    expected = await search_command(harness, "model", "2025-05-03", "2025-05-09")
    assert asked.embed == expected.embed
    assert asked.last.allowed_mentions == NO_PING
    assert asked.last.content.startswith("Read as: search 'model'")


async def test_guild_message_without_mention_is_ignored(harness: Harness) -> None:
    """Server messages that do not mention the bot get nothing (not even a request)."""
    asked = await harness.message("model this week", context="guild")
    assert asked.requests == []


async def test_guild_bare_mention_gets_the_guide(harness: Harness) -> None:
    """A mention with nothing else gets the guide."""
    asked = await harness.message(mention(BOT_USER), context="guild", mentions=[BOT_USER])
    assert asked.embed["description"] == guide()


async def test_guild_mention_logs_no_command_error(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """A mention is a question, not an unknown prefix command: nothing is logged as an error."""
    with caplog.at_level(logging.WARNING):
        await harness.message(f"{mention(BOT_USER)} model", context="guild", mentions=[BOT_USER])
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize("context", ["dm", "guild"])
async def test_own_messages_are_ignored(harness: Harness, context: str) -> None:
    """The bot never answers itself, even when its message mentions it."""
    asked = await harness.message(
        f"{mention(BOT_USER)} model", user=BOT_USER, context=context, mentions=[BOT_USER]
    )
    assert asked.requests == []


async def test_other_bots_are_ignored(harness: Harness) -> None:
    """Messages from other bots are ignored (no bot-to-bot loops)."""
    other = user(950_000_000_000_000_001, "otherbot", bot=True)
    asked = await harness.message("model", user=other)
    assert asked.requests == []


# --------------------------------------------------------------------------- /ask


async def test_ask_command_through_the_tree(harness: Harness) -> None:
    """/ask reads the question like a DM and answers with /search's embed and buttons."""
    asked = await harness.command("ask", question="model this week")
    expected = await search_command(harness, "model", "2025-05-03", "2025-05-09")
    assert asked.requests[0].callback_type == 5
    assert asked.embed == expected.embed
    assert asked.last.content.startswith("Read as: search 'model'")
    assert asked.last.allowed_mentions == {"parse": []}
    pressed = await harness.press(asked.message_id, "pager:next")
    assert "Showing 6-10" in pressed.embed["footer"]["text"]


async def test_ask_command_in_dm(harness: Harness) -> None:
    """/ask works in DMs too (user-installed app)."""
    asked = await harness.command("ask", question="papers by Yejin Choi", context="dm")
    expected = await harness.command("author", name="Yejin Choi", context="dm")
    assert asked.embed == expected.embed


async def test_ask_command_help(harness: Harness) -> None:
    """/ask help shows the guide."""
    asked = await harness.command("ask", question="도움말")
    with use_locale("ko"):
        assert asked.embed["description"] == guide()


async def test_failure_apologises_and_logs(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An unexpected error while answering a DM is logged and the user gets an apology."""

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(answers, "search", broken)
    with caplog.at_level(logging.ERROR):
        asked = await harness.message("model")
    assert asked.embed["title"] == "Something went wrong"
    assert any("failed" in r.getMessage() for r in caplog.records)


async def test_intents_need_no_privilege(harness: Harness) -> None:
    """DM and server messages are on; message content (privileged) stays off."""
    intents = harness.bot.intents
    assert intents.dm_messages and intents.guild_messages
    assert not intents.message_content
    assert not intents.members and not intents.presences


async def test_dm_buttons_removed_on_timeout(store: Any) -> None:
    """When the view times out, the bot edits its own DM message so the buttons go away."""
    harness = await Harness.create(store, view_timeout=0.05)
    try:
        asked = await harness.message("model this week")
        assert harness.discord.messages[asked.message_id]["components"]
        for _ in range(100):
            await asyncio.sleep(0.02)
            if not harness.discord.messages[asked.message_id]["components"]:
                break
        edit = harness.discord.requests[-1]
        assert (edit.method, edit.kind) == ("PATCH", "edit_message")
        assert edit.path == f"/channels/{DM_CHANNEL_ID}/messages/{asked.message_id}"
        assert edit.payload["components"] == []
        assert harness.discord.messages[asked.message_id]["embeds"]
    finally:
        await harness.close()
