"""bot.discord_ui.paginator: the pure page sources and the button view's state."""

from __future__ import annotations

from types import SimpleNamespace

import discord

from bot.discord_ui.paginator import ListPageSource, Paginator, QueryPageSource, clamp_page
from storage.models import Page


def render(page: Page[int]) -> discord.Embed:
    return discord.Embed(
        description=",".join(map(str, page.items)), title=f"{page.offset}/{page.total}"
    )


def owner() -> discord.abc.User:
    return SimpleNamespace(id=1, display_name="Alice")  # type: ignore[return-value]


def test_clamp_page() -> None:
    """Page indexes are kept within 0..count-1 (and 0 for an empty source)."""
    assert clamp_page(-3, 5) == 0
    assert clamp_page(9, 5) == 4
    assert clamp_page(2, 0) == 0


async def test_list_source_pages() -> None:
    """A list source splits entries into pages and counts them."""
    source = ListPageSource(list(range(23)), render, per_page=10)
    assert source.page_count == 3
    assert source.page(2).items == (20, 21, 22)
    assert source.page(2).total == 23
    embed = await source.get_page(1)
    assert embed.description == ",".join(map(str, range(10, 20)))


async def test_list_source_empty_has_one_page() -> None:
    """An empty list still has one (empty) page."""
    source = ListPageSource([], render)
    assert source.page_count == 1
    assert source.page(0).items == ()


async def test_query_source_fetches_once_and_caches() -> None:
    """A query source fetches a page the first time it is asked for, then uses its cache."""
    calls: list[tuple[int, int]] = []

    async def fetch(offset: int, limit: int) -> Page[int]:
        calls.append((offset, limit))
        return Page(
            tuple(range(offset, min(offset + limit, 12))), total=12, offset=offset, limit=limit
        )

    first = Page((0, 1, 2, 3, 4), total=12, offset=0, limit=5)
    source = QueryPageSource(first, fetch, render)
    assert source.page_count == 3
    assert (await source.page(0)).items == (0, 1, 2, 3, 4)
    assert calls == []
    assert (await source.page(2)).items == (10, 11)
    await source.page(2)
    assert calls == [(10, 5)]


async def test_query_source_clamps_out_of_range() -> None:
    """Asking past the end gives the last page."""

    async def fetch(offset: int, limit: int) -> Page[int]:
        return Page((offset,), total=6, offset=offset, limit=limit)

    source = QueryPageSource(Page((0, 1), total=6, offset=0, limit=2), fetch, render)
    assert (await source.page(99)).offset == 4


async def test_paginator_buttons_follow_the_page() -> None:
    """First/prev are disabled on page 1, next/last on the last page; the indicator counts."""
    source = ListPageSource(list(range(25)), render, per_page=10)
    view = Paginator(source, owner=owner(), command="search")
    assert view.first_page.disabled and view.previous_page.disabled
    assert not view.next_page.disabled and not view.last_page.disabled
    assert view.indicator.label == "1/3"
    view.index = 2
    view._update_buttons()
    assert view.next_page.disabled and view.last_page.disabled
    assert not view.first_page.disabled
    assert view.indicator.label == "3/3"
    view.stop()


async def test_paginator_custom_ids_and_timeout() -> None:
    """The buttons have stable custom ids and the view times out (it is not persistent)."""
    view = Paginator(ListPageSource([1], render), owner=owner(), command="today", timeout=12)
    ids = [item.custom_id for item in view.children]  # type: ignore[attr-defined]
    assert ids == ["pager:first", "pager:prev", "pager:indicator", "pager:next", "pager:last"]
    assert view.timeout == 12
    assert not view.is_persistent()
    view.stop()
