"""bot.discord_ui.presenters: an answer becomes an embed plus a paging view only when it pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from unittest.mock import Mock

import discord
import pytest
from digests import import_day

from bot.core import answers
from bot.discord_ui import presenters
from bot.discord_ui.paginator import Paginator
from storage.models import Page
from storage.sqlite.store import Store

NOW = dt.datetime(2024, 1, 3, 12, tzinfo=dt.UTC)
EXPIRES = 60.0


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """Three quantum papers by Ada on 2024-01-01, one lone paper by Carol on 2024-01-02."""
    opened = await Store.open(tmp_path / "presenters.db")
    await import_day(
        opened,
        "2024-01-01",
        [
            ("2401.00001", "Quantum cats one", "Ada Lovelace, Bob Smith"),
            ("2401.00002", "Quantum cats two", "Ada Lovelace, Bob Smith"),
            ("2401.00003", "Quantum cats three", "Ada Lovelace, Bob Smith"),
        ],
    )
    await import_day(opened, "2024-01-02", [("2401.00004", "Lonely paper", "Carol Single")])
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def owner() -> discord.abc.User:
    user = Mock(spec=discord.User)
    user.id = 42
    user.display_name = "asker"
    return user


def footer(embed: discord.Embed) -> str:
    return embed.footer.text or ""


JAN1, JAN2 = dt.date(2024, 1, 1), dt.date(2024, 1, 2)
#: Makes an answer from the test store.
Ask = Callable[[Store], Awaitable[presenters.Answer]]


def spy(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    """Record the ``offset`` of every later call to ``answers.<name>``."""
    real: Callable[..., Awaitable[Any]] = getattr(answers, name)
    offsets: list[int] = []

    async def recording(*args: Any, **kwargs: Any) -> Any:
        offsets.append(kwargs.get("offset", 0))
        return await real(*args, **kwargs)

    monkeypatch.setattr(answers, name, recording)
    return offsets


# --------------------------------------------------------------------------- first page

#: (answer, embed title, footer start, (page count, command) of the view or None for no view)
FIRST_PAGES: dict[str, tuple[Ask, str, str, tuple[int, str] | None]] = {
    "day, two pages": (
        lambda s: answers.day(s, JAN1, 2),
        "Daily Papers · Mon, Jan 1, 2024",
        "Showing 1-2 of 3 papers, by votes",
        (2, "day"),
    ),
    "day, one page": (
        lambda s: answers.day(s, JAN1, 10),
        "Daily Papers · Mon, Jan 1, 2024",
        "3 papers, by votes",
        (1, "day"),
    ),
    "top range, two pages": (
        lambda s: answers.top(s, None, JAN1, JAN2, 3, now=NOW),
        "Top papers · 2024-01-01 to 2024-01-02",
        "Showing 1-3 of 4 papers, by votes",
        (2, "top"),
    ),
    "top all time, one page": (
        lambda s: answers.top(s, "all", None, None, 10, now=NOW),
        "Top papers · all time",
        "4 papers, by votes",
        (1, "top"),
    ),
    "search, two pages": (
        lambda s: answers.search(s, "quantum", limit=2),
        "Search: quantum",
        "Showing 1-2 of 3 results, by relevance",
        (2, "search"),
    ),
    "search, one page": (
        lambda s: answers.search(s, "lonely", limit=5),
        "Search: lonely",
        "1 result, by relevance",
        (1, "search"),
    ),
    "author, two pages": (
        lambda s: answers.author(s, "Ada Lovelace", limit=2),
        "Ada Lovelace",
        "Showing 1-2 of 3 papers, newest first",
        (2, "author"),
    ),
    "author, one page": (
        lambda s: answers.author(s, "Carol Single", limit=10),
        "Carol Single",
        "1 paper, newest first",
        None,
    ),
}


@pytest.mark.parametrize("case", FIRST_PAGES)
async def test_first_page_and_view(store: Store, owner: discord.abc.User, case: str) -> None:
    """Each answer type gives its title and count line, and a view when it pages or lists papers
    (the Save menu); a one-page author card has none."""
    ask, title, count, paged = FIRST_PAGES[case]
    embed, view = await presenters.present(
        await ask(store), store=store, owner=owner, expires=EXPIRES, now=NOW
    )
    assert embed.title == title
    assert footer(embed).startswith(count)
    if paged is None:
        assert view is None
    else:
        assert isinstance(view, Paginator)
        assert (view.page_count, view.command, view.timeout) == (*paged, EXPIRES)


#: (answers function re-asked, answer, the offset of page 2, page 2's footer start)
SECOND_PAGES: dict[str, tuple[str, Ask, int, str]] = {
    "day": ("day", lambda s: answers.day(s, JAN1, 2), 2, "Showing 3-3 of 3 papers"),
    "top": (
        "top",
        lambda s: answers.top(s, None, JAN1, JAN2, 3, now=NOW),
        3,
        "Showing 4-4 of 4 papers",
    ),
    "search": (
        "search",
        lambda s: answers.search(s, "quantum", sort="newest", limit=2),
        2,
        "Showing 3-3 of 3 results, newest first",
    ),
    "author": (
        "author",
        lambda s: answers.author(s, "Ada Lovelace", limit=2),
        2,
        "Showing 3-3 of 3 papers",
    ),
}


@pytest.mark.parametrize("case", SECOND_PAGES)
async def test_page_two_asks_answers_again_at_the_offset(
    store: Store, owner: discord.abc.User, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    """Page 2 re-asks the same bot.core.answers function with offset = one page."""
    name, ask, offset, count = SECOND_PAGES[case]
    answer = await ask(store)
    offsets = spy(monkeypatch, name)
    _, view = await presenters.present(answer, store=store, owner=owner, expires=EXPIRES, now=NOW)
    assert isinstance(view, Paginator)
    page_two = await view.source.get_page(1)
    assert offsets == [offset]
    assert footer(page_two).startswith(count)


# --------------------------------------------------------------------------- nothing there

#: (answer, embed title, text the description holds)
NOTHING: dict[str, tuple[Ask, str, str]] = {
    "missing day": (
        lambda s: answers.day(s, dt.date(2023, 12, 31), 10),
        "No digest that day",
        "after: **Mon, Jan 1, 2024**",
    ),
    "empty range": (
        lambda s: answers.top(s, None, dt.date(2020, 1, 1), dt.date(2020, 1, 2), 10, now=NOW),
        "No papers there",
        "No papers from 2020-01-01 to 2020-01-02.",
    ),
    "no hits": (
        lambda s: answers.search(s, "zebra", limit=5),
        "No results",
        "Try the Korean term too",
    ),
    "unknown author": (
        lambda s: answers.author(s, "Nobody Atall", limit=10),
        "Unknown author",
        "Try `/author` and pick a name from the suggestions.",
    ),
}


@pytest.mark.parametrize("case", NOTHING)
async def test_single_embed_answers(store: Store, owner: discord.abc.User, case: str) -> None:
    """Missing days, empty ranges, no hits, a paper id and unknown authors have no view."""
    ask, title, text = NOTHING[case]
    embed, view = await presenters.present(
        await ask(store), store=store, owner=owner, expires=EXPIRES, now=NOW
    )
    assert title in (embed.title or "")
    assert text in (embed.description or "") + "".join(str(f.value) for f in embed.fields)
    assert view is None


async def test_an_id_is_a_card_with_save_and_similar(store: Store, owner: discord.abc.User) -> None:
    """A search that is a paper id shows the paper card with its Save and Similar buttons
    (dynamic items, no paging view)."""
    answer = await answers.search(store, "2401.00004", limit=5)
    embed, view = await presenters.present(
        answer, store=store, owner=owner, expires=EXPIRES, now=NOW
    )
    assert "Lonely paper" in (embed.title or "")
    assert view is not None and not isinstance(view, presenters.Paginator)
    ids = [getattr(item, "custom_id", None) for item in view.children]
    assert ids == ["save:2401.00004", "similar:2401.00004"]


async def test_empty_archive_says_nothing_yet(tmp_path: Path, owner: discord.abc.User) -> None:
    """/today on an empty database says "Nothing yet" without a view."""
    empty = await Store.open(tmp_path / "empty.db")
    try:
        answer = await answers.today(empty, 10, now=NOW)
        embed, view = await presenters.present_day(
            answer, store=empty, owner=owner, expires=EXPIRES, command="today"
        )
    finally:
        await empty.close()
    assert embed.title == "Nothing yet"
    assert view is None


async def test_unknown_author_ends_with_the_hint(store: Store, owner: discord.abc.User) -> None:
    """/author passes its own hint for what to do after an unknown name."""
    answer = await answers.author(store, "Nobody Atall", limit=10)
    embed, view = await presenters.present_author(
        answer, store=store, owner=owner, expires=EXPIRES, hint="Pick one."
    )
    assert (embed.description or "").endswith("\nPick one.")
    assert view is None


async def test_present_uses_the_given_command(store: Store, owner: discord.abc.User) -> None:
    """A day answer to a question read as "today" pages under /today."""
    answer = await answers.day(store, JAN1, 2)
    _, view = await presenters.present(
        answer, store=store, owner=owner, expires=EXPIRES, now=NOW, command="today"
    )
    assert isinstance(view, Paginator)
    assert view.command == "today"


@pytest.mark.parametrize(
    ("period", "since", "until", "label"),
    [
        ("all", None, None, "all time"),
        ("week", JAN1, dt.date(2024, 1, 7), "last 7 days (2024-01-01 to 2024-01-07)"),
        ("custom", JAN1, None, "since 2024-01-01"),
        ("custom", None, JAN2, "until 2024-01-02"),
    ],
)
def test_top_label(period: str, since: dt.date | None, until: dt.date | None, label: str) -> None:
    """/top titles name the period and its dates."""
    page = Page(items=(), total=0, offset=0, limit=10)
    answer = answers.TopAnswer(period, since, until, page, answers.TopNote.RANGE)
    assert presenters.top_label(answer) == label
