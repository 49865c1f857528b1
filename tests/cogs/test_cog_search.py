"""/search through the real CommandTree: results, snippets, paging buttons and their owner."""

from __future__ import annotations

import asyncio
import re

import pytest
from harness import BOB, Harness


async def test_search_english_lists_results_with_count(harness: Harness) -> None:
    """An English query lists linked results and says how many there are in all."""
    result = await harness.command("search", query="diffusion")
    assert result.requests[0].callback_type == 5
    assert result.embed["title"] == "Search: diffusion"
    assert re.search(r"Showing 1-5 of \d+ results, by relevance", result.embed["footer"]["text"])
    assert "](https://arxiv.org/abs/" in result.embed["description"]


async def test_search_snippet_bolds_matches(harness: Harness) -> None:
    """Each result's snippet shows the matched words in bold."""
    result = await harness.command("search", query="diffusion")
    assert re.search(r"\*\*diffusion\*\*", result.embed["description"], re.IGNORECASE)


async def test_search_korean(harness: Harness) -> None:
    """A Korean word finds papers through the Korean summaries, particles and all."""
    result = await harness.command("search", query="모델")
    assert "results" in result.embed["footer"]["text"]
    assert "**모델" in result.embed["description"]


async def test_search_sort_by_votes(harness: Harness) -> None:
    """sort=votes orders the results by votes, descending."""
    result = await harness.command("search", query="model", sort="votes")
    votes = [int(v) for v in re.findall(r"▲ (\d+)", result.embed["description"])]
    assert votes == sorted(votes, reverse=True)
    assert "by votes" in result.embed["footer"]["text"]


async def test_search_date_range(harness: Harness) -> None:
    """since/until keep only papers listed in that range."""
    result = await harness.command("search", query="model", since="2024-06-13", until="2024-06-13")
    days = re.findall(r"· (\d{4}-\d{2}-\d{2})", result.embed["description"])
    assert days
    assert set(days) == {"2024-06-13"}


async def test_search_arxiv_id_opens_paper(harness: Harness) -> None:
    """An arXiv id (or URL) as the query opens that paper's card."""
    result = await harness.command("search", query="https://huggingface.co/papers/2406.08464")
    assert result.embed["title"].startswith("Magpie")
    assert result.embed["url"] == "https://arxiv.org/abs/2406.08464"


async def test_search_nothing_found_suggests(harness: Harness) -> None:
    """Nothing found: says so and suggests what to try."""
    result = await harness.command("search", query="zzzqqqxxx nonexistentword")
    assert result.embed["title"] == "No results"
    assert "fewer words" in result.embed["description"].lower()
    assert result.last.components in (None, [])


async def test_search_punctuation_only_is_safe(harness: Harness) -> None:
    """User text that is only FTS syntax gives a clean "no results", never an error."""
    result = await harness.command("search", query='"* OR NEAR( -')
    assert result.embed["title"] == "No results"


async def test_search_pages_forward_and_back(harness: Harness) -> None:
    """Next, last, previous and first move through the pages; the indicator follows."""
    result = await harness.command("search", query="model")
    message = result.message_id
    assert result.last.custom_ids[-3:] == ["pager:next", "pager:last", "save:pick"]
    nxt = await harness.press(message, "pager:next")
    assert "Showing 6-10" in nxt.embed["footer"]["text"]
    last = await harness.press(message, "pager:last")
    total = int(re.search(r"of (\d+) results", last.embed["footer"]["text"]).group(1))
    pages = -(-total // 5)
    indicator = last.last.components[0]["components"][2]
    assert indicator["label"] == f"{pages}/{pages}"
    assert last.last.components[0]["components"][3]["disabled"] is True  # next
    prev = await harness.press(message, "pager:prev")
    assert f"{pages - 1}/{pages}" in str(prev.last.components)
    first = await harness.press(message, "pager:first")
    assert "Showing 1-5" in first.embed["footer"]["text"]
    assert first.last.components[0]["components"][0]["disabled"] is True


async def test_search_buttons_only_for_the_searcher(harness: Harness) -> None:
    """Someone else pressing the buttons gets an ephemeral "only X can page this"; nothing moves."""
    result = await harness.command("search", query="model")
    before = harness.discord.messages[result.message_id]["embeds"]
    pressed = await harness.press(result.message_id, "pager:next", user=BOB)
    assert pressed.ephemeral
    assert "Only Alice can page this" in pressed.embed["description"]
    assert pressed.last.allowed_mentions == {"parse": []}
    assert harness.discord.messages[result.message_id]["embeds"] == before


async def test_search_buttons_removed_on_timeout(store) -> None:
    """When the view times out, the message is edited so the buttons go away."""
    harness = await Harness.create(store, view_timeout=0.05)
    try:
        result = await harness.command("search", query="model")
        assert harness.discord.messages[result.message_id]["components"]
        for _ in range(100):
            await asyncio.sleep(0.02)
            if not harness.discord.messages[result.message_id]["components"]:
                break
        edit = harness.discord.requests[-1]
        assert edit.kind == "edit_message"
        assert edit.payload["components"] == []
        assert edit.payload["allowed_mentions"] == {"parse": []}
        assert harness.discord.messages[result.message_id]["embeds"]  # the results stay
    finally:
        await harness.close()


async def test_search_in_dm(harness: Harness) -> None:
    """Search works for a user-installed app in a DM, buttons included."""
    result = await harness.command("search", query="model", context="dm")
    pressed = await harness.press(result.message_id, "pager:next", context="dm")
    assert "Showing 6-10" in pressed.embed["footer"]["text"]


async def test_search_past_the_count_cap_says_more_than(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A search matching more than the store counts (COUNT_CAP) says "more than" in English and
    in Korean; its last page is the one holding the cap."""
    from storage import text as textsearch

    monkeypatch.setattr(textsearch, "COUNT_CAP", 12)
    result = await harness.command("search", query="모델")
    footer = result.embed["footer"]["text"]
    assert "Showing 1-5 of more than 12 results, by relevance" in footer
    pressed = await harness.press(result.message_id, "pager:last")
    assert "Showing 11-15 of more than 12 results" in pressed.embed["footer"]["text"]
    korean = await harness.command("search", query="모델", locale="ko")
    assert "결과 12개 이상 중 1-5" in korean.embed["footer"]["text"]
