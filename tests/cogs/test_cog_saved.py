"""Reading lists through the real CommandTree: the Save button on paper cards, /saved list with
its remove menu, /saved export; in servers and DMs, each user's list private to them."""

from __future__ import annotations

import csv
import io
from typing import Any

import bibtexparser
import pytest
from harness import ALICE, BOB, Harness, Result, interaction_payload, snowflake

from bot.core import reading
from storage.ports import Store

ALICE_ID = int(ALICE["id"])
BOB_ID = int(BOB["id"])
NONE = {"parse": []}
PAPER = "2406.06523"
OTHER = "2406.04127"


async def saved_cmd(
    harness: Harness,
    sub: str,
    *,
    user: dict[str, Any] = ALICE,
    context: str = "guild",
    **options: Any,
) -> Result:
    rendered = [{"name": k, "type": 3, "value": v} for k, v in options.items()]
    data = {
        "id": str(snowflake()),
        "name": "saved",
        "type": 1,
        "options": [{"name": sub, "type": 1, "options": rendered}],
    }
    return await harness.dispatch(interaction_payload(2, data, user=user, context=context))


async def save_from_card(
    harness: Harness, arxiv_id: str = PAPER, *, user: dict[str, Any] = ALICE, context: str = "guild"
) -> Result:
    card = await harness.command("paper", id=arxiv_id, context=context)
    assert card.message_id is not None
    return await harness.press(card.message_id, f"save:{arxiv_id}", user=user, context=context)


async def listed(store: Store, user_id: int) -> list[str]:
    return [s.paper.arxiv_id for s in (await store.saved_papers(user_id, limit=50)).items]


def assert_private(result: Result) -> None:
    assert result.ephemeral
    for request in result.sent:
        assert request.allowed_mentions == NONE, request


async def test_paper_card_has_a_save_button(harness: Harness) -> None:
    """/paper's card carries a Save button naming the paper."""
    card = await harness.command("paper", id=PAPER)
    assert f"save:{PAPER}" in card.last.custom_ids


async def test_save_button_saves_privately(harness: Harness, store: Store) -> None:
    """Pressing Save adds the paper to the presser's list and says so only to them."""
    result = await save_from_card(harness)
    assert_private(result)
    assert "Saved" in result.embed["description"] and "(1/500)" in result.embed["description"]
    assert await listed(store, ALICE_ID) == [PAPER]


async def test_save_button_in_a_dm(harness: Harness, store: Store) -> None:
    """The button works in a DM with a user-installed app, into the same list."""
    await save_from_card(harness, context="dm")
    await save_from_card(harness, OTHER)
    assert await listed(store, ALICE_ID) == [OTHER, PAPER]


async def test_saving_twice_says_already_saved(harness: Harness, store: Store) -> None:
    """A second press tells the paper is already there and keeps one copy."""
    await save_from_card(harness)
    result = await save_from_card(harness)
    assert "already in your reading list" in result.embed["description"]
    assert await listed(store, ALICE_ID) == [PAPER]


async def test_someone_elses_press_saves_to_their_own_list(harness: Harness, store: Store) -> None:
    """Bob pressing Save on Alice's card fills Bob's list and leaves Alice's alone."""
    await save_from_card(harness, user=BOB)
    assert await listed(store, BOB_ID) == [PAPER]
    assert await listed(store, ALICE_ID) == []


async def test_full_list_is_refused_clearly(
    harness: Harness, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At the per-user limit the press is refused with the limit and what to do."""
    monkeypatch.setattr(reading, "MAX_SAVED", 1)
    await save_from_card(harness)
    result = await save_from_card(harness, OTHER)
    assert_private(result)
    assert "reading list is full (1 papers)" in result.embed["description"]
    assert await listed(store, ALICE_ID) == [PAPER]


async def test_saved_list_is_newest_first_and_private(harness: Harness) -> None:
    """/saved list shows the papers newest saved first, ephemerally, with the remove menu."""
    await save_from_card(harness)
    await save_from_card(harness, OTHER)
    result = await saved_cmd(harness, "list")
    assert_private(result)
    description = result.embed["description"]
    assert description.index(OTHER) < description.index(PAPER)
    assert "saved:remove" in result.last.custom_ids


async def test_saved_list_of_another_user_is_theirs(harness: Harness) -> None:
    """Bob's /saved list, in a DM, does not show what Alice saved."""
    await save_from_card(harness)
    result = await saved_cmd(harness, "list", user=BOB, context="dm")
    assert_private(result)
    assert "empty" in result.embed["description"] and PAPER not in result.embed["description"]
    assert not result.last.components


async def test_remove_menu_removes_the_paper(harness: Harness, store: Store) -> None:
    """Picking a paper in the menu removes it and shows the list without it."""
    await save_from_card(harness)
    await save_from_card(harness, OTHER)
    shown = await saved_cmd(harness, "list")
    assert shown.message_id is not None
    result = await harness.press(shown.message_id, "saved:remove", values=[PAPER])
    assert await listed(store, ALICE_ID) == [OTHER]
    assert PAPER not in result.embed["description"] and OTHER in result.embed["description"]


async def test_remove_menu_is_only_for_the_owner(harness: Harness, store: Store) -> None:
    """Bob cannot use the menu of Alice's list: he is told, and her list stays."""
    await save_from_card(harness)
    shown = await saved_cmd(harness, "list")
    assert shown.message_id is not None
    result = await harness.press(shown.message_id, "saved:remove", user=BOB, values=[PAPER])
    assert result.ephemeral
    assert await listed(store, ALICE_ID) == [PAPER]


async def test_export_bibtex_is_an_attachment_that_parses(harness: Harness) -> None:
    """/saved export bibtex answers privately with saved-papers.bib holding each paper."""
    await save_from_card(harness)
    await save_from_card(harness, OTHER)
    result = await saved_cmd(harness, "export", format="bibtex")
    assert_private(result)
    library = bibtexparser.parse_string(result.last.files["saved-papers.bib"].decode())
    assert [e["eprint"] for e in library.entries] == [OTHER, PAPER]
    assert "2 papers" in result.embed["description"]


async def test_export_csv_and_markdown(harness: Harness) -> None:
    """CSV and Markdown exports come as saved-papers.csv and saved-papers.md in a DM too."""
    await save_from_card(harness, context="dm")
    as_csv = await saved_cmd(harness, "export", context="dm", format="csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.last.files["saved-papers.csv"].decode())))
    assert [r["arxiv_id"] for r in rows] == [PAPER]
    as_md = await saved_cmd(harness, "export", context="dm", format="markdown")
    assert as_md.last.files["saved-papers.md"].decode().startswith("# Reading list\n")


async def test_export_of_an_empty_list_says_so(harness: Harness) -> None:
    """Exporting an empty list sends no file, just the note that it is empty."""
    result = await saved_cmd(harness, "export", user=BOB, format="bibtex")
    assert_private(result)
    assert not result.last.files and "empty" in result.embed["description"]


async def test_list_rows_have_a_save_menu(harness: Harness, store: Store) -> None:
    """/today's list carries a Save menu of its page; picking a paper saves it privately."""
    shown = await harness.command("today", count=5)
    assert shown.message_id is not None and "save:pick" in shown.last.custom_ids
    result = await harness.press(shown.message_id, "save:pick", values=[PAPER])
    assert_private(result)
    assert await listed(store, ALICE_ID) == [PAPER]


async def test_anyone_may_save_from_someone_elses_list(harness: Harness, store: Store) -> None:
    """Bob picks from the menu of Alice's list: it goes to Bob's list, not Alice's."""
    shown = await harness.command("top", period="all", count=5)
    assert shown.message_id is not None
    result = await harness.press(shown.message_id, "save:pick", user=BOB, values=[OTHER])
    assert_private(result)
    assert await listed(store, BOB_ID) == [OTHER]
    assert await listed(store, ALICE_ID) == []


async def test_one_page_list_has_only_the_menus(harness: Harness) -> None:
    """A list that fits one page shows its menu without the paging buttons."""
    await save_from_card(harness)
    saved = await saved_cmd(harness, "list")
    assert saved.last.custom_ids == ["saved:remove"]
    day = await harness.command("day", date="2024-06-13", count=25)
    assert day.last.custom_ids == ["save:pick"]
