"""/similar, the Similar button, /trends and /top rank:rising through the real CommandTree, in
servers and DMs; the chart opened with Pillow; bad input answered clearly."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from harness import ALICE, BOB, CHANNEL_ID, Harness, Result
from PIL import Image

from bot.core.digests import DigestContent
from bot.discord_ui.poster import ChannelPoster
from bot.i18n import charts
from storage.ingest.hfapi import parse_daily_papers
from storage.ports import Store

NONE = {"parse": []}
PAPER = "2406.06523"  # NaRCan: diffusion prior for video editing


def assert_quiet(result: Result) -> None:
    """Nothing the bot sent may ping anyone."""
    for request in result.sent:
        assert request.allowed_mentions == NONE, request


def embed_text(result: Result) -> str:
    embed = result.embed
    return f"{embed.get('title', '')}\n{embed.get('description', '')}"


# ---------------------------------------------------------------------- /similar


async def test_similar_lists_papers_with_reasons(harness: Harness) -> None:
    """/similar answers with up to 8 other papers, most similar first, each with its reason
    (shared terms here), and a Save menu of them; nothing pings."""
    result = await harness.command("similar", paper=PAPER)
    assert_quiet(result)
    assert not result.ephemeral
    text = embed_text(result)
    assert text.startswith("Papers like: NaRCan")
    assert "shared terms:" in text and "diffusion" in text
    lines = [line for line in result.embed["description"].splitlines() if line.startswith("`")]
    assert 5 <= len(lines) <= 8
    assert all(PAPER not in line for line in lines)
    assert "save:pick" in result.last.custom_ids


async def test_similar_in_a_dm_and_by_link(harness: Harness) -> None:
    """A user-installed app answers /similar in a DM; a link works like the id."""
    result = await harness.command(
        "similar", paper=f"https://huggingface.co/papers/{PAPER}", context="dm"
    )
    assert embed_text(result).startswith("Papers like: NaRCan")


async def test_similar_of_an_unknown_paper_is_a_private_error(harness: Harness) -> None:
    """An id the archive does not hold gets one clear private message."""
    result = await harness.command("similar", paper="2406.99999")
    assert result.ephemeral
    assert "No paper '2406.99999' in the archive" in result.embed["description"]


async def test_similar_suggests_papers_as_you_type(harness: Harness) -> None:
    """The paper option suggests titles, like /paper's."""
    choices = await harness.autocomplete("similar", "paper", paper="NaRCan")
    assert any(c["value"] == PAPER for c in choices)


async def card(harness: Harness, context: str = "guild") -> Result:
    shown = await harness.command("paper", id=PAPER, context=context)
    assert shown.message_id is not None
    return shown


async def test_paper_card_has_save_and_similar_buttons(harness: Harness) -> None:
    """/paper's card carries Save and Similar, each naming the paper."""
    shown = await card(harness)
    assert shown.last.custom_ids == [f"save:{PAPER}", f"similar:{PAPER}"]


async def test_similar_button_answers_the_presser_privately(harness: Harness) -> None:
    """Bob pressing Similar on Alice's card gets the list for himself only, in a DM too."""
    for context in ("guild", "dm"):
        shown = await card(harness, context)
        assert shown.message_id is not None
        result = await harness.press(
            shown.message_id, f"similar:{PAPER}", user=BOB, context=context
        )
        assert result.ephemeral
        assert_quiet(result)
        assert embed_text(result).startswith("Papers like: NaRCan")


async def test_search_and_ask_cards_carry_the_buttons(harness: Harness) -> None:
    """An id given to /search or /ask shows the paper card with Save and Similar."""
    searched = await harness.command("search", query=PAPER)
    assert searched.last.custom_ids == [f"save:{PAPER}", f"similar:{PAPER}"]
    asked = await harness.command("ask", question=PAPER)
    assert asked.last.custom_ids == [f"save:{PAPER}", f"similar:{PAPER}"]


async def test_save_menu_under_similar_saves_to_the_pickers_own_list(
    harness: Harness, store: Store
) -> None:
    """Bob picks a paper from the Save menu of Alice's /similar: it goes to Bob's list only."""
    shown = await harness.command("similar", paper=PAPER)
    assert shown.message_id is not None
    result = await harness.press(shown.message_id, "save:pick", user=BOB, values=["2406.07547"])
    assert result.ephemeral
    bob = await store.saved_papers(int(BOB["id"]))
    alice = await store.saved_papers(int(ALICE["id"]))
    assert [s.paper.arxiv_id for s in bob.items] == ["2406.07547"] and alice.total == 0


# ---------------------------------------------------------------------- /trends


async def test_trends_answers_with_a_png_chart_and_its_summary(harness: Harness) -> None:
    """/trends: the chart as trends.png (a valid PNG of the promised size, drawn in several
    colours, both terms' colours among them), shown in the embed, whose text summarises it."""
    result = await harness.command("trends", terms="diffusion, 모델", range="all")
    assert_quiet(result)
    files = result.last.files
    assert list(files) == ["trends.png"]
    image = Image.open(io.BytesIO(files["trends.png"]))
    assert image.format == "PNG"
    assert image.size == (charts.WIDTH_PX, charts.HEIGHT_PX)
    colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 20
    present = {rgb for _, rgb in colours}
    assert {(0x00, 0x72, 0xB2), (0xE6, 0x9F, 0x00)} <= present
    assert result.embed["image"]["url"] == "attachment://trends.png"
    summary = result.embed["description"]
    assert summary.startswith("Papers per month")
    assert "'diffusion'" in summary and "'모델'" in summary and "papers" in summary


async def test_trends_in_a_dm_per_week(harness: Harness) -> None:
    """In a DM too; a quarter is counted per week."""
    result = await harness.command("trends", terms="model", range="quarter", context="dm")
    assert result.embed["description"].startswith("Papers per week")
    assert "trends.png" in result.last.files


async def test_trends_with_four_terms_is_refused(harness: Harness) -> None:
    """Four terms: a private message naming the limit and how to write phrases, no chart."""
    result = await harness.command("trends", terms="a, b, c, d")
    assert result.ephemeral and not result.last.files
    assert "at most 3 terms; 4 were given" in result.embed["description"]


async def test_trends_with_four_terms_in_korean(harness: Harness) -> None:
    """The same refusal in Korean for a Korean client."""
    result = await harness.command("trends", terms="a b c d", locale="ko")
    assert result.ephemeral
    assert "용어를 3개까지" in result.embed["description"]


async def test_trends_with_empty_terms_is_refused(harness: Harness) -> None:
    """Terms that are only commas or quotes: a private message saying what to type."""
    result = await harness.command("trends", terms=' , "" ,')
    assert result.ephemeral and not result.last.files
    assert "Name up to 3 terms" in result.embed["description"]


async def test_trends_with_no_papers_in_the_range_says_so(harness: Harness) -> None:
    """A term no paper of the range mentions: no chart, a note saying what to try."""
    result = await harness.command("trends", terms="zzyzxqq", range="month")
    assert not result.last.files
    assert "No paper in this range mentions 'zzyzxqq'" in result.embed["description"]


# ---------------------------------------------------------------------- /top rank:rising


async def votes_over_time(store: Store, *counts: tuple[str, int]) -> None:
    """API fetches of sample papers' votes, one after the other (each a vote-history point)."""
    for arxiv_id, votes in counts:
        item: dict[str, Any] = {
            "paper": {"id": arxiv_id, "title": "t", "upvotes": votes},
            "summary": "An abstract.",
        }
        await store.import_api_digest(parse_daily_papers([item], dt.date(2024, 6, 13), source="hf"))


async def test_top_rising_ranks_by_votes_gained(harness: Harness, store: Store) -> None:
    """/top rank:rising lists the papers whose votes grew, most gained first, with the gain;
    papers that did not grow are left out; a Save menu of them."""
    await votes_over_time(
        store, (PAPER, 5), ("2406.07547", 30), (PAPER, 40), ("2406.07547", 32), ("2406.04127", 9)
    )
    result = await harness.command("top", rank="rising", period="all")
    assert_quiet(result)
    text = embed_text(result)
    assert text.startswith("Rising papers")
    assert text.index(PAPER) < text.index("2406.07547")
    assert "+35 votes (5 → 40)" in text and "+2 votes (30 → 32)" in text
    assert "2406.04127" not in text
    assert "save:pick" in result.last.custom_ids


async def test_top_rising_without_history_says_where_it_comes_from(harness: Harness) -> None:
    """No vote history (the bundled archive has none): a note, in a DM too."""
    result = await harness.command("top", rank="rising", context="dm")
    assert "No paper's votes rose" in result.embed["description"]
    assert not result.last.components


# ---------------------------------------------------------------------- digest posts


async def test_digest_post_rows_can_be_saved_and_followed_to_similar_papers(
    harness: Harness, store: Store
) -> None:
    """A digest post's last message carries a Save menu and a Similar menu of its papers
    (from the research cog); anyone picking from them gets a private answer for themselves."""
    day = dt.date(2024, 6, 13)
    page = await store.day_papers(day, limit=25)

    async def resolve(channel_id: int) -> Any:
        return harness.bot.get_partial_messageable(channel_id)

    poster = ChannelPoster(resolve, menus=harness.bot.digest_menus)
    ids = await poster.send(CHANNEL_ID, DigestContent(day, tuple(page.items), page.total))
    last = harness.discord.messages[ids[-1]]
    menus = {
        c["custom_id"]: [o["value"] for o in c["options"]]
        for row in last["components"]
        for c in row["components"]
    }
    shown = [p.arxiv_id for p in page.items]
    assert menus == {"save:pick": shown, "similar:pick": shown}
    for earlier in ids[:-1]:
        assert not harness.discord.messages[earlier].get("components")
    similar = await harness.press(ids[-1], "similar:pick", user=BOB, values=[PAPER])
    assert similar.ephemeral and embed_text(similar).startswith("Papers like: NaRCan")
    saved = await harness.press(ids[-1], "save:pick", user=BOB, values=[PAPER])
    assert saved.ephemeral
    assert [s.paper.arxiv_id for s in (await store.saved_papers(int(BOB["id"]))).items] == [PAPER]
