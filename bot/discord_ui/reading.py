"""Reading lists on Discord: the Save button and menu, the ``/saved`` pages with their remove
menu, and the export file.

The Save button is a :class:`discord.ui.DynamicItem`: its custom id carries the paper
(``save:2406.01234``), so it works on any message, for anyone, after a restart. Lists carry a
Save menu of the page's papers (:class:`SavePicker`), dynamic too, so anyone may use it, not
only the list's owner. Views that hold only dynamic items are sent stopped
(:func:`button_row`): the client's dynamic-item registry answers them, and nothing is kept in
memory per message. Every answer is private (ephemeral) and concerns only the person who pressed
or typed.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Self

import discord

from bot.core import reading
from bot.discord_ui import embeds
from bot.discord_ui.limits import RateLimited, limits_of
from bot.discord_ui.paginator import Paginator, QueryPageSource
from bot.discord_ui.replies import NO_MENTIONS, reply, reply_error
from bot.i18n import bibliography, phrases
from bot.i18n.catalog import locale_from_discord, set_locale, tr
from storage.errors import ReadingListError
from storage.models import Page, Paper, SavedPaper

if TYPE_CHECKING:
    from bot.discord_ui.client import PapersBot

#: A select menu holds at most 25 options.
MAX_OPTIONS = 25
#: A paper id in a custom id (Discord allows 100 characters in all).
PAPER_ID = r"[0-9A-Za-z.\-/]{1,80}"


async def allowed(interaction: discord.Interaction) -> bool:
    """The button rate limit of the presser; tells them when they must wait."""
    limits = limits_of(interaction.client)
    retry_after = limits.buttons.hit(interaction.user.id) if limits else None
    if retry_after is None:
        return True
    seconds = RateLimited(retry_after).seconds
    await reply_error(interaction, embeds.error_embed(tr("error.cooldown", seconds=seconds)))
    return False


class PaperButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"(?!)"):
    """A button about one paper whose custom id is ``PREFIX:ARXIV_ID``, so it works on any
    message, for anyone, after a restart. A subclass names its prefix, label and emoji, and a
    template matching its prefix; this base matches no custom id."""

    _prefix: ClassVar[str]
    _label: ClassVar[str]
    _emoji: ClassVar[str]

    def __init__(self, arxiv_id: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=tr(self._label),
                emoji=self._emoji,
                style=discord.ButtonStyle.secondary,
                custom_id=f"{self._prefix}:{arxiv_id}",
            )
        )
        self.arxiv_id = arxiv_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(match["id"])


class SaveButton(PaperButton, template=rf"save:(?P<id>{PAPER_ID})"):
    """Save the paper to the presser's reading list."""

    _prefix, _label, _emoji = "save", "saved.button.save", "🔖"

    async def callback(self, interaction: discord.Interaction) -> None:
        await save_for(interaction, self.arxiv_id)


def paper_options(papers: Sequence[Paper]) -> list[discord.SelectOption]:
    """A menu's options for ``papers`` (at most :data:`MAX_OPTIONS`): title, arXiv id."""
    return [
        discord.SelectOption(
            label=embeds.shorten(embeds.one_line(p.title), 100),
            value=p.arxiv_id,
            description=p.arxiv_id,
        )
        for p in papers[:MAX_OPTIONS]
    ]


class SavePicker(discord.ui.DynamicItem[discord.ui.Select[Any]], template=r"save:pick"):
    """A menu of the papers on a list's page: picking one saves it to the picker's own list
    (anyone's, not only the list's owner: a dynamic item, outside the paging view's check)."""

    def __init__(self) -> None:
        super().__init__(
            discord.ui.Select(
                placeholder=tr("saved.pick.placeholder"), custom_id="save:pick", row=1
            )
        )

    def show(self, papers: Sequence[Paper]) -> None:
        """Offer ``papers`` (a page of a list)."""
        self.item.options = paper_options(papers)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> SavePicker:
        return cls()

    async def callback(self, interaction: discord.Interaction) -> None:
        await save_for(interaction, self.item.values[0])


async def save_for(interaction: discord.Interaction, arxiv_id: str) -> None:
    """Save the paper to the list of whoever clicked, and tell only them."""
    set_locale(locale_from_discord(interaction.locale))
    if not await allowed(interaction):
        return
    bot: PapersBot = interaction.client  # type: ignore[assignment]
    try:
        saved = await reading.save(bot.store, interaction.user.id, arxiv_id, now=bot.now())
    except ReadingListError as exc:
        await reply_error(interaction, embeds.error_embed(phrases.describe_error(exc)))
        return
    shown = f"**{embeds.escape(embeds.shorten(embeds.one_line(saved.paper.title), 150))}**"
    embed = embeds.note_embed(phrases.saved(saved, shown), title=tr("saved.button.done_title"))
    await reply(interaction, embed, ephemeral=True)


def button_row(*items: discord.ui.Item[Any]) -> discord.ui.View:
    """A stopped view of dynamic items only: sent as components, answered by the registry."""
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    view.stop()
    return view


# ---------------------------------------------------------------------- /saved list


def saved_embed(page: Page[SavedPaper]) -> discord.Embed:
    """One page of the reading list: numbered, linked titles with the day each was saved."""
    papers = Page(tuple(s.paper for s in page.items), page.total, page.offset, page.limit)
    embed = embeds.paper_list_embed(
        tr("saved.title"),
        papers,
        order=tr("saved.order"),
        empty=tr("saved.empty"),
    )
    return embed


class RemoveSelect(discord.ui.Select["SavedView"]):
    """The papers of the page shown; picking one removes it from the list."""

    def __init__(self) -> None:
        super().__init__(
            placeholder=tr("saved.remove.placeholder"), custom_id="saved:remove", row=1
        )

    def show(self, page: Page[SavedPaper]) -> None:
        """Offer the papers of ``page`` (the menu is hidden by the view when it is empty)."""
        self.options = [
            discord.SelectOption(
                label=embeds.shorten(embeds.one_line(s.paper.title), 100),
                value=s.paper.arxiv_id,
                description=s.paper.arxiv_id,
            )
            for s in page.items
        ]

    async def callback(self, interaction: discord.Interaction) -> None:
        assert self.view is not None
        await self.view.remove(interaction, self.values[0])


class SavedView(Paginator):
    """``/saved``: paging buttons and the remove menu, for the list's owner only."""

    def __init__(
        self, bot: PapersBot, first: Page[SavedPaper], *, owner: discord.abc.User, timeout: float
    ) -> None:
        self.bot = bot
        self.user_id = owner.id
        self.remover = RemoveSelect()
        source = QueryPageSource(first, self._fetch, self._render)
        super().__init__(source, owner=owner, command="saved", timeout=timeout)
        if self.page_count <= 1:
            self.drop_page_buttons()
        self.add_item(self.remover)
        self.remover.show(first)

    async def _fetch(self, offset: int, limit: int) -> Page[SavedPaper]:
        return await reading.saved_page(self.bot.store, self.user_id, offset=offset)

    def _render(self, page: Page[SavedPaper]) -> discord.Embed:
        self.remover.show(page)
        return saved_embed(page)

    def has_controls(self) -> bool:
        return self.source.page_count > 1 or bool(self.remover.options)

    async def remove(self, interaction: discord.Interaction, arxiv_id: str) -> None:
        """Remove the paper, then show the current page again as it is now (no components
        once the list is empty)."""
        await reading.unsave(self.bot.store, self.user_id, arxiv_id)
        first = await reading.saved_page(self.bot.store, self.user_id)
        self.source = QueryPageSource(first, self._fetch, self._render)
        if not first.total:
            self.stop()
            await interaction.response.edit_message(
                embed=saved_embed(first), view=None, allowed_mentions=NO_MENTIONS
            )
            return
        await self.show_page(interaction, self.index)


async def present_saved(
    bot: PapersBot, owner: discord.abc.User
) -> tuple[discord.Embed, SavedView | None]:
    """Page 1 of ``owner``'s list, with its view when there is anything to click."""
    first = await reading.saved_page(bot.store, owner.id)
    view = SavedView(bot, first, owner=owner, timeout=bot.view_timeout)
    embed = saved_embed(first)
    if not view.has_controls():
        view.stop()
        return embed, None
    return embed, view


def export_file(saved: list[SavedPaper], fmt: reading.ExportFormat) -> discord.File:
    """The reading list as an attachment."""
    data = bibliography.export(saved, fmt).encode("utf-8")
    return discord.File(io.BytesIO(data), filename=bibliography.file_name(fmt))
