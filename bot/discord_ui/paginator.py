"""Pagination: pure page sources plus one generic button view.

A page source knows how many pages there are and builds page ``n`` as an embed; it knows nothing
about buttons and is tested without Discord. :class:`Paginator` is the view: first / previous /
next / last buttons and a page indicator, usable only by the person who asked (anyone else gets
an ephemeral "only X can page this"), and it removes its buttons when it times out by editing
the message (RoboDanny's ``RoboPages`` pattern, without reactions).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, Protocol, TypeVar

import discord

from bot.discord_ui import embeds
from bot.discord_ui.limits import RateLimited, limits_of
from bot.discord_ui.replies import NO_MENTIONS, reply_error
from bot.discord_ui.translator import command_name
from bot.i18n.catalog import current_locale, locale_from_discord, set_locale, tr, trn
from storage.models import Page

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_TIMEOUT = 180.0
#: A page not fetched within this many seconds of a press is shown after a deferral (Discord
#: wants a first response within 3 s); a quicker one replaces the message at once.
DEFER_PAGE_AFTER = 0.5


class PageSource(Protocol):
    """Anything that can say how many pages it has and build one of them."""

    @property
    def page_count(self) -> int: ...

    async def get_page(self, index: int) -> discord.Embed: ...


class ListPageSource(Generic[T]):
    """Pages over an in-memory list: ``render(items_on_page, page)`` builds the embed.

    ``page`` is a :class:`~storage.models.Page` so renderers print "Showing 11-20 of N".
    """

    def __init__(
        self,
        entries: Sequence[T],
        render: Callable[[Page[T]], discord.Embed],
        *,
        per_page: int = 10,
    ) -> None:
        self.entries = tuple(entries)
        self.render = render
        self.per_page = max(1, per_page)

    @property
    def page_count(self) -> int:
        return max(1, -(-len(self.entries) // self.per_page))

    def page(self, index: int) -> Page[T]:
        index = clamp_page(index, self.page_count)
        start = index * self.per_page
        return Page(
            items=self.entries[start : start + self.per_page],
            total=len(self.entries),
            offset=start,
            limit=self.per_page,
        )

    async def get_page(self, index: int) -> discord.Embed:
        return self.render(self.page(index))


class QueryPageSource(Generic[T]):
    """Pages fetched on demand: ``fetch(offset, limit)`` returns a :class:`Page`.

    The first page is passed in (the command already has it, and it tells the total); the others
    are fetched when asked for and cached. ``render(page)`` builds the embed.
    """

    def __init__(
        self,
        first: Page[T],
        fetch: Callable[[int, int], Awaitable[Page[T]]],
        render: Callable[[Page[T]], discord.Embed],
    ) -> None:
        self.per_page = max(1, first.limit)
        self.total = first.total
        self.fetch = fetch
        self.render = render
        self._cache: dict[int, Page[T]] = {first.offset // self.per_page: first}

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total // self.per_page))

    async def page(self, index: int) -> Page[T]:
        index = clamp_page(index, self.page_count)
        cached = self._cache.get(index)
        if cached is None:
            cached = await self.fetch(index * self.per_page, self.per_page)
            self._cache[index] = cached
            # The data can change between pages (a new digest was imported): follow it.
            self.total = cached.total
        return cached

    async def get_page(self, index: int) -> discord.Embed:
        return self.render(await self.page(index))


def clamp_page(index: int, page_count: int) -> int:
    """Keep a page index within ``0 .. page_count - 1``."""
    return max(0, min(index, max(1, page_count) - 1))


class OwnedView(discord.ui.View):
    """A view only its owner may use, which removes its components when it times out.

    Remember where the message is with :meth:`attach` (the message returned by a followup, or the
    interaction whose original response holds the view).
    """

    def __init__(
        self, *, owner: discord.abc.User, command: str, timeout: float | None = DEFAULT_TIMEOUT
    ):
        super().__init__(timeout=timeout)
        self.owner_id = owner.id
        self.owner_name = owner.display_name
        self.command = command
        #: The language of the answer: later pages speak it too.
        self.language = current_locale()
        self.message: discord.Message | None = None
        self.interaction: discord.Interaction | None = None

    def attach(
        self,
        *,
        message: discord.Message | None = None,
        interaction: discord.Interaction | None = None,
    ) -> None:
        """Record where this view is shown, so the timeout can edit it."""
        if message is not None:
            self.message = message
        if interaction is not None:
            self.interaction = interaction

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Only the owner may use it (the pages speak the answer's language), within the button
        rate limit; anyone else is told so in their own."""
        if interaction.user.id == self.owner_id:
            set_locale(self.language)
            limits = limits_of(interaction.client)
            retry_after = limits.buttons.hit(interaction.user.id) if limits else None
            if retry_after is None:
                return True
            await interaction.response.send_message(
                embed=embeds.error_embed(trn("error.cooldown", RateLimited(retry_after).seconds)),
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )
            return False
        set_locale(locale_from_discord(interaction.locale))
        name = discord.utils.escape_mentions(discord.utils.escape_markdown(self.owner_name))
        await interaction.response.send_message(
            embed=embeds.error_embed(
                tr("pager.not_yours", name=name, command=command_name(self.command)),
                title=tr("pager.not_yours.title"),
            ),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )
        return False

    async def on_timeout(self) -> None:
        await self.remove_components()

    async def remove_components(self) -> None:
        """Edit the message so the (now dead) components go away; keep the embed."""
        self.stop()
        try:
            if self.message is not None:
                await self.message.edit(view=None, allowed_mentions=NO_MENTIONS)
            elif self.interaction is not None:
                await self.interaction.edit_original_response(
                    view=None, allowed_mentions=NO_MENTIONS
                )
        except discord.HTTPException as exc:
            # The message was deleted, or the interaction token expired: nothing to clean up.
            log.debug("Could not remove the components of %r: %s", self, exc)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        log.error(
            "Component %r of /%s failed (user %s)",
            getattr(item, "custom_id", item),
            self.command,
            interaction.user.id,
            exc_info=error,
        )
        await reply_error(interaction, embeds.apology_embed())


class Paginator(OwnedView):
    """First / previous / next / last buttons over a :class:`PageSource`.

    Page 1 and whether to send the view at all come from :func:`.presenters.first_page`.
    """

    def __init__(
        self,
        source: PageSource,
        *,
        owner: discord.abc.User,
        command: str,
        timeout: float | None = DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__(owner=owner, command=command, timeout=timeout)
        self.source = source
        self.index = 0
        self.previous_page.label = tr("pager.previous")
        self.next_page.label = tr("pager.next")
        self._update_buttons()

    @property
    def page_count(self) -> int:
        return self.source.page_count

    def has_controls(self) -> bool:
        """Whether there is anything to click (more than one page, by default)."""
        return self.page_count > 1

    def drop_page_buttons(self) -> None:
        """Take the paging buttons off (a one-page view sent for its other components)."""
        for button in (
            self.first_page,
            self.previous_page,
            self.indicator,
            self.next_page,
            self.last_page,
        ):
            self.remove_item(button)

    def _update_buttons(self) -> None:
        last = self.page_count - 1
        self.first_page.disabled = self.previous_page.disabled = self.index <= 0
        self.next_page.disabled = self.last_page.disabled = self.index >= last
        self.indicator.label = tr("pager.indicator", page=self.index + 1, pages=self.page_count)

    async def show_page(self, interaction: discord.Interaction, index: int) -> None:
        self.index = clamp_page(index, self.page_count)
        fetching = asyncio.ensure_future(self.source.get_page(self.index))
        done, _ = await asyncio.wait({fetching}, timeout=DEFER_PAGE_AFTER)
        if not done:  # a busy store: answer the press now, show the page when it comes
            await interaction.response.defer()
        embed = await fetching
        self._update_buttons()
        if interaction.response.is_done():
            await interaction.edit_original_response(
                embed=embed, view=self, allowed_mentions=NO_MENTIONS
            )
        else:
            await interaction.response.edit_message(
                embed=embed, view=self, allowed_mentions=NO_MENTIONS
            )

    @discord.ui.button(label="≪", style=discord.ButtonStyle.secondary, custom_id="pager:first")
    async def first_page(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        """Go to the first page."""
        await self.show_page(interaction, 0)

    @discord.ui.button(label="‹ Prev", style=discord.ButtonStyle.primary, custom_id="pager:prev")
    async def previous_page(
        self, interaction: discord.Interaction, button: discord.ui.Button
    ) -> None:
        """Go back one page."""
        await self.show_page(interaction, self.index - 1)

    @discord.ui.button(
        label="1/1", style=discord.ButtonStyle.secondary, custom_id="pager:indicator", disabled=True
    )
    async def indicator(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        """Shows the page number (never enabled)."""
        await interaction.response.defer()

    @discord.ui.button(label="Next ›", style=discord.ButtonStyle.primary, custom_id="pager:next")
    async def next_page(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        """Go forward one page."""
        await self.show_page(interaction, self.index + 1)

    @discord.ui.button(label="≫", style=discord.ButtonStyle.secondary, custom_id="pager:last")
    async def last_page(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        """Go to the last page."""
        await self.show_page(interaction, self.page_count - 1)
