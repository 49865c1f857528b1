"""/author through the real CommandTree: autocomplete, the card, paging, and the author picker."""

from __future__ import annotations

import re

from harness import BOB, Harness


async def test_author_autocomplete_is_diacritic_insensitive(harness: Harness) -> None:
    """Typing "niess" offers Matthias Nießner (case- and diacritic-insensitive prefix)."""
    choices = await harness.autocomplete("author", "name", name="niess")
    assert choices[0]["value"] == "Matthias Nießner"
    assert "1 paper" in choices[0]["name"]


async def test_author_autocomplete_empty_offers_prolific_authors(harness: Harness) -> None:
    """With nothing typed, the authors with most papers come first (at most 25, <= 100 chars)."""
    choices = await harness.autocomplete("author", "name")
    assert choices[0]["value"] == "Hengshuang Zhao"
    assert 0 < len(choices) <= 25
    assert all(len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in choices)


async def test_author_card(harness: Harness) -> None:
    """The card shows papers, total votes, first and last day, co-authors, papers newest first."""
    result = await harness.command("author", name="Hengshuang Zhao")
    embed = result.embed
    assert embed["title"] == "Hengshuang Zhao"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Papers"] == "3"
    assert int(fields["Total votes"].replace(",", "")) > 0
    assert "first" in fields["Appeared"] and "last" in fields["Appeared"]
    assert "Frequent co-authors" in fields
    days = re.findall(r"· (\d{4}-\d{2}-\d{2})$", embed["description"], re.MULTILINE)
    assert len(days) == 3
    assert days == sorted(days, reverse=True)
    assert "3 papers, newest first" in embed["footer"]["text"]
    assert result.last.allowed_mentions == {"parse": []}


async def test_author_single_page_has_no_buttons(harness: Harness) -> None:
    """One page and one match: no components at all."""
    result = await harness.command("author", name="Matthias Nießner")
    assert not result.last.components


async def test_author_papers_are_paged(harness: Harness) -> None:
    """An author with more papers than a page gets paging buttons that move through them."""
    harness.bot.get_cog("Authors").per_page = 1
    result = await harness.command("author", name="Hengshuang Zhao")
    assert "Showing 1-1 of 3 papers" in result.embed["footer"]["text"]
    pressed = await harness.press(result.message_id, "pager:last")
    assert "Showing 3-3 of 3 papers" in pressed.embed["footer"]["text"]
    assert pressed.embed["title"] == "Hengshuang Zhao"


async def test_author_several_matches_offer_a_picker(harness: Harness) -> None:
    """A name several authors match shows the best one and a menu of all of them."""
    result = await harness.command("author", name="Wang")
    assert "author:pick" in result.last.custom_ids
    select = next(
        c
        for row in result.last.components
        for c in row["components"]
        if c["custom_id"] == "author:pick"
    )
    assert len(select["options"]) <= 25
    assert sum(1 for o in select["options"] if o.get("default")) == 1


async def test_author_picker_switches_card(harness: Harness) -> None:
    """Picking another author in the menu edits the message to that author's card."""
    result = await harness.command("author", name="Wang")
    first = result.embed["title"]
    select = next(c for row in result.last.components for c in row["components"] if c["type"] == 3)
    other = next(o for o in select["options"] if not o.get("default"))
    picked = await harness.press(result.message_id, "author:pick", values=[other["value"]])
    assert picked.last.callback_type == 7
    assert picked.embed["title"] == other["label"]
    assert picked.embed["title"] != first


async def test_author_picker_only_for_the_asker(harness: Harness) -> None:
    """Someone else using the menu gets an ephemeral refusal; the card does not change."""
    result = await harness.command("author", name="Wang")
    select = next(c for row in result.last.components for c in row["components"] if c["type"] == 3)
    other = next(o for o in select["options"] if not o.get("default"))
    picked = await harness.press(
        result.message_id, "author:pick", values=[other["value"]], user=BOB
    )
    assert picked.ephemeral
    assert "Only Alice" in picked.embed["description"]


async def test_author_unknown_is_ephemeral_with_suggestions(harness: Harness) -> None:
    """An unknown name is an ephemeral reply with near names and what to do."""
    result = await harness.command("author", name="Hengshuang Zhaoo")
    assert result.ephemeral
    assert result.embed["title"] == "Unknown author"
    assert "Hengshuang Zhao" in result.embed["description"]
    # The public "thinking..." placeholder was removed so the error could be ephemeral.
    assert any(r.kind == "delete_original" for r in result.requests)
