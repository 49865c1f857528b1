"""/today, /day, /top and /paper through the real CommandTree, with real interactions."""

from __future__ import annotations

import re

import pytest
from harness import EPHEMERAL, Harness, Result

#: The paper of the "nasty" day the conftest imports on top of the samples.
NASTY_ID = "2501.00001"

NONE = {"parse": []}


def votes_in(description: str) -> list[int]:
    """The ``▲ N`` numbers of a paper list, in order (``▲ –`` skipped)."""
    return [int(v) for v in re.findall(r"▲ (\d+)", description)]


def ranks_in(description: str) -> list[int]:
    """The numbers of the numbered lines (`` ` 1.` ``) of a list."""
    return [int(n) for n in re.findall(r"^`\s*(\d+)\.`", description, re.MULTILINE)]


def assert_no_pings(result: Result) -> None:
    for request in result.sent:
        assert request.allowed_mentions == NONE, request


# -------------------------------------------------------------------------------- /today


async def test_today_defers_then_shows_newest_day(harness: Harness) -> None:
    """/today defers first, then shows the newest digest day (2025-05-09) in the followup."""
    result = await harness.command("today")
    assert result.requests[0].callback_type == 5  # deferred "thinking..."
    assert result.last.kind == "followup"
    assert "May 9, 2025" in result.embed["title"]
    assert not result.ephemeral
    assert_no_pings(result)


async def test_today_explains_weekend(harness: Harness) -> None:
    """On a Saturday the reply says which day is shown and that there are no weekend digests."""
    result = await harness.command("today")
    assert "weekend" in result.embed["description"]
    assert "May 9, 2025" in result.embed["description"]


async def test_today_sorted_by_votes_and_counts_all(harness: Harness) -> None:
    """The list is by votes, descending, and the footer says how many there are in all."""
    result = await harness.command("today", count=5)
    votes = votes_in(result.embed["description"])
    assert len(votes) == 5
    assert votes == sorted(votes, reverse=True)
    assert "Showing 1-5 of 20 papers" in result.embed["footer"]["text"]


async def test_count_is_clamped(harness: Harness) -> None:
    """count beyond 25 is clamped in code (the library does not enforce Range)."""
    result = await harness.command("top", period="all", count=500)
    assert ranks_in(result.embed["description"]) == list(range(1, 26))
    assert "Showing 1-25 of" in result.embed["footer"]["text"]


async def test_today_in_dm_as_user_install(harness: Harness) -> None:
    """A user-installed app in a DM gets the same answer."""
    result = await harness.command("today", context="dm")
    assert "May 9, 2025" in result.embed["title"]
    assert_no_pings(result)


async def test_today_in_group_dm(harness: Harness) -> None:
    """A user-installed app in a group DM (private channel) works too."""
    result = await harness.command("today", context="private")
    assert "May 9, 2025" in result.embed["title"]


async def test_today_pages_with_buttons(harness: Harness) -> None:
    """More papers than fit on a page: buttons are attached, and next shows the next page."""
    result = await harness.command("today", count=5)
    assert result.last.custom_ids == [
        "pager:first",
        "pager:prev",
        "pager:indicator",
        "pager:next",
        "pager:last",
        "save:pick",
    ]
    pressed = await harness.press(result.message_id, "pager:next")
    assert pressed.last.callback_type == 7
    assert "Showing 6-10 of 20 papers" in pressed.embed["footer"]["text"]


async def test_a_slow_page_is_deferred_then_shown(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A press whose page is not ready at once (a busy store) is answered with a deferral,
    then the message shows the page, once, without pinging anyone."""
    import bot.discord_ui.paginator as paginator

    result = await harness.command("today", count=5)
    monkeypatch.setattr(paginator, "DEFER_PAGE_AFTER", 0.0)
    pressed = await harness.press(result.message_id, "pager:next")
    assert pressed.requests[0].callback_type == 6  # deferred update
    assert [r.kind for r in pressed.sent] == ["edit_original"]
    assert "Showing 6-10 of 20 papers" in pressed.embed["footer"]["text"]
    assert_no_pings(pressed)


# -------------------------------------------------------------------------------- /day


async def test_day_shows_that_day(harness: Harness) -> None:
    """/day with a digest day lists that day's papers, by that day's votes."""
    result = await harness.command("day", date="2024-06-13")
    assert "Jun 13, 2024" in result.embed["title"]
    votes = votes_in(result.embed["description"])
    assert votes == sorted(votes, reverse=True)
    assert votes[0] == 47  # NaRCan, the day's most voted
    assert "of 21 papers" in result.embed["footer"]["text"]


async def test_day_without_digest_names_nearest_days(harness: Harness) -> None:
    """A day without a digest gets a reply naming the nearest days before and after."""
    result = await harness.command("day", date="2024-06-14")
    text = result.embed["description"]
    assert "Jun 14, 2024" in text
    assert "Jun 13, 2024" in text
    assert "Oct 18, 2024" in text


async def test_day_with_empty_digest_says_so(harness: Harness) -> None:
    """A day whose digest lists no papers says so (and names the nearest days)."""
    result = await harness.command("day", date="2023-11-22")
    assert "Nov 22, 2023" in result.embed["title"]
    assert "lists no papers" in result.embed["description"]
    assert "0 papers" in result.embed["footer"]["text"]


async def test_day_bad_date_is_ephemeral_error(harness: Harness) -> None:
    """A date that is not a date is answered at once, ephemerally, saying the format to use."""
    result = await harness.command("day", date="June 13th")
    assert len(result.requests) == 1
    assert result.requests[0].callback_type == 4
    assert result.requests[0].body["flags"] & EPHEMERAL
    assert "YYYY-MM-DD" in result.embed["description"]
    assert_no_pings(result)


async def test_day_autocomplete_prefix(harness: Harness) -> None:
    """Typing a prefix offers only the digest days that start with it."""
    choices = await harness.autocomplete("day", "date", date="2024-06")
    assert [c["value"] for c in choices] == ["2024-06-13", "2024-06-12"]
    assert "papers" in choices[0]["name"]


async def test_day_autocomplete_empty_offers_newest(harness: Harness) -> None:
    """Empty input offers the newest days first, at most 25, names at most 100 characters."""
    choices = await harness.autocomplete("day", "date")
    assert choices[0]["value"] == "2025-05-09"
    assert 0 < len(choices) <= 25
    assert all(len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in choices)


async def test_day_autocomplete_suggests_nearest_for_missing_date(harness: Harness) -> None:
    """A full date without a digest suggests the nearest days that have one."""
    choices = await harness.autocomplete("day", "date", date="2024-06-14")
    assert {c["value"] for c in choices} == {"2024-06-13", "2024-10-18"}


# -------------------------------------------------------------------------------- /top


async def test_top_default_week_is_anchored(harness: Harness) -> None:
    """/top with no period shows the last 7 days, sorted by votes, saying which range."""
    result = await harness.command("top")
    assert "last 7 days" in result.embed["title"]
    assert "2025-05-03 to 2025-05-09" in result.embed["title"]
    votes = votes_in(result.embed["description"])
    assert votes == sorted(votes, reverse=True)


async def test_top_all_time_period_choice(harness: Harness) -> None:
    """period=all covers every day, the best first."""
    result = await harness.command("top", period="all", count=3)
    assert "all time" in result.embed["title"]
    votes = votes_in(result.embed["description"])
    assert votes == sorted(votes, reverse=True)
    assert re.search(r"Showing 1-3 of \d+ papers", result.embed["footer"]["text"])


async def test_top_explicit_range(harness: Harness) -> None:
    """since/until give an inclusive explicit range."""
    result = await harness.command("top", since="2024-06-12", until="2024-06-13", count=25)
    assert "2024-06-12 to 2024-06-13" in result.embed["title"]
    assert "of 37 papers" in result.embed["footer"]["text"]


async def test_top_reversed_range_is_ephemeral_error(harness: Harness) -> None:
    """since after until is an expected failure: ephemeral, says to swap them, no deferral."""
    result = await harness.command("top", since="2024-06-13", until="2024-06-01")
    assert result.requests[0].callback_type == 4
    assert result.ephemeral
    assert "swap" in result.embed["description"]


async def test_top_empty_range_says_so(harness: Harness) -> None:
    """A range without papers says so (and names the newest digest)."""
    result = await harness.command("top", since="2030-01-01")
    assert "No papers" in result.text


# -------------------------------------------------------------------------------- /paper


async def test_paper_card(harness: Harness) -> None:
    """/paper shows the linked title, authors, votes, day, image, labelled bullets and links."""
    result = await harness.command("paper", id="2406.06523")
    embed = result.embed
    assert embed["title"].startswith("NaRCan")
    assert embed["url"] == "https://arxiv.org/abs/2406.06523"
    assert embed["image"]["url"].endswith("2406.06523.png")
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert "Hau-Shiang Shiu" in fields["Authors (6)"]
    assert fields["Votes"] == "▲ 47"
    assert "Jun 13, 2024" in fields["Appeared"]
    assert "https://arxiv.org/pdf/2406.06523" in fields["Links"]
    assert "https://huggingface.co/papers/2406.06523" in fields["Links"]
    assert "**What's New**" in embed["description"]
    assert not result.ephemeral
    assert_no_pings(result)


async def test_paper_by_url_with_version(harness: Harness) -> None:
    """An arXiv URL with a version finds the paper."""
    result = await harness.command("paper", id="https://arxiv.org/abs/2406.06523v2")
    assert result.embed["url"] == "https://arxiv.org/abs/2406.06523"


async def test_paper_video_media_is_not_an_image(harness: Harness) -> None:
    """A video (or an avatar svg) is never set as the embed image."""
    result = await harness.command("paper", id="2312.02981")
    assert "image" not in result.embed
    result = await harness.command("paper", id="2406.07520")
    assert "image" not in result.embed


async def test_paper_unknown_is_ephemeral_and_says_what_to_do(harness: Harness) -> None:
    """An unknown id gets an ephemeral reply pointing at /search."""
    result = await harness.command("paper", id="2401.99999")
    assert result.ephemeral
    assert "/search" in result.embed["description"]
    assert_no_pings(result)


async def test_paper_title_text_suggests_matches(harness: Harness) -> None:
    """Typing a title instead of an id suggests the papers it matches, with their ids."""
    result = await harness.command("paper", id="Magpie alignment")
    assert result.ephemeral
    assert "2406.08464" in result.embed["description"]


async def test_paper_autocomplete_by_title(harness: Harness) -> None:
    """The id option autocompletes by title, the value being the arXiv id."""
    choices = await harness.autocomplete("paper", "id", id="Magpie")
    assert choices[0]["value"] == "2406.08464"
    assert choices[0]["name"].startswith("Magpie")
    assert all(len(c["name"]) <= 100 for c in choices)


async def test_paper_autocomplete_empty_offers_newest(harness: Harness) -> None:
    """With nothing typed, the newest papers are offered (at most 25)."""
    choices = await harness.autocomplete("paper", "id")
    assert 0 < len(choices) <= 25


async def test_paper_untrusted_text_is_escaped_and_limited(harness: Harness) -> None:
    """Markdown, mentions and <EOS> in a title show literally; 700 authors are shortened."""
    result = await harness.command("paper", id=NASTY_ID)
    embed = result.embed
    assert embed["title"].startswith(r"A\* Search <EOS> @")
    assert "@everyone" not in embed["title"]  # broken up for display
    assert r"\*\*Bold\*\*" in embed["title"]
    assert r"GPT-\[n\]" in embed["title"]
    authors = next(f["value"] for f in embed["fields"] if f["name"].startswith("Authors"))
    assert len(authors) <= 1024
    assert re.search(r"\.\.\. \+\d+ more$", authors)
    assert len(embed["description"]) <= 4096
    assert "<EOS>" in embed["description"]
    assert "\\# not a header" in embed["description"]
    assert_no_pings(result)


async def test_paper_every_embed_fits_the_total_limit(harness: Harness) -> None:
    """The nasty paper's embed stays within Discord's 6000-character total."""
    result = await harness.command("paper", id=NASTY_ID)
    embed = result.embed
    total = len(embed.get("title", "")) + len(embed.get("description", ""))
    total += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
    total += len(embed.get("footer", {}).get("text", ""))
    assert total <= 6000


@pytest.mark.parametrize("context", ["guild", "dm"])
async def test_paper_works_in_every_context(harness: Harness, context: str) -> None:
    """/paper answers in a server and in a DM alike."""
    result = await harness.command("paper", id="2406.08464", context=context)
    assert result.embed["title"].startswith("Magpie")
