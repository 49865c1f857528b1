"""``/author``: an author card (papers, votes, first/last day, co-authors, papers newest first).

The name autocompletes (prefix, case- and diacritic-insensitive). When several authors match,
the card of the best match comes with a menu of the others to switch to; the papers are paged
with the same buttons as everything else, usable only by the person who asked.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import answers, embeds
from bot.bot import everywhere
from bot.options import author_choices
from bot.paginator import Paginator, QueryPageSource
from bot.replies import NO_MENTIONS, reply, reply_error
from storage.models import Author, AuthorProfile, Page, Paper

if TYPE_CHECKING:
    from bot.bot import PapersBot
    from storage.store import Store

log = logging.getLogger(__name__)

PER_PAGE = 10
#: A select menu holds at most 25 options.
MAX_OPTIONS = 25


async def profile_page(
    store: Store, author: Author, *, limit: int, offset: int
) -> AuthorProfile | None:
    """One page of ``author``'s card, by way of :func:`answers.author` (the console's code).

    Names are not unique keys (two people can share a spelling), so when the name resolves to
    someone else the store is asked for this author's id directly.
    """
    answer = await answers.author(store, author.name, limit=limit, offset=offset)
    if answer.author is not None and answer.author.id == author.id:
        return answer.profile
    return await store.author_profile(author.id, limit=limit, offset=offset)


class AuthorSelect(discord.ui.Select["AuthorView"]):
    """The other authors that matched the name; picking one shows their card."""

    def __init__(self, matches: tuple[Author, ...], current: int) -> None:
        options = [
            discord.SelectOption(
                label=embeds.shorten(embeds.one_line(a.name), 100),
                value=str(a.id),
                description=embeds.plural(a.paper_count, "paper"),
                default=a.id == current,
            )
            for a in matches[:MAX_OPTIONS]
        ]
        super().__init__(
            placeholder=f"{len(matches)} authors match: pick one",
            options=options,
            custom_id="author:pick",
            row=1,
        )
        self.matches = {a.id: a for a in matches[:MAX_OPTIONS]}

    async def callback(self, interaction: discord.Interaction) -> None:
        assert self.view is not None
        chosen = self.matches.get(int(self.values[0]))
        if chosen is None:  # pragma: no cover - Discord only sends our own values
            await interaction.response.defer()
            return
        await self.view.show_author(interaction, chosen)


class AuthorView(Paginator):
    """An author card with paging buttons and, when several matched, a menu to switch author."""

    def __init__(
        self,
        store: Store,
        profile: AuthorProfile,
        matches: tuple[Author, ...],
        *,
        owner: discord.abc.User,
        timeout: float | None,
        per_page: int = PER_PAGE,
    ) -> None:
        self.store = store
        self.per_page = per_page
        super().__init__(self._source(profile), owner=owner, command="author", timeout=timeout)
        self.select: AuthorSelect | None = None
        if len(matches) > 1:
            self.select = AuthorSelect(matches, profile.author.id)
            self.add_item(self.select)
        self._toggle_pager()

    def _source(self, profile: AuthorProfile) -> QueryPageSource[Paper]:
        store = self.store
        author = profile.author
        cache: dict[int, AuthorProfile] = {profile.papers.offset: profile}

        async def fetch(offset: int, limit: int) -> Page[Paper]:
            found = await profile_page(store, author, limit=limit, offset=offset)
            if found is None:
                return Page(items=(), total=0, offset=offset, limit=limit)
            cache[offset] = found
            return found.papers

        def render(page: Page[Paper]) -> discord.Embed:
            card = cache.get(page.offset, profile)
            return embeds.author_embed(_with_page(card, page))

        return QueryPageSource(profile.papers, fetch, render)

    @property
    def pager_buttons(self) -> tuple[discord.ui.Button[Any], ...]:
        return (self.first_page, self.previous_page, self.indicator, self.next_page, self.last_page)

    def _toggle_pager(self) -> None:
        """Show the paging buttons only when there is more than one page."""
        for button in self.pager_buttons:
            if button in self.children:
                self.remove_item(button)
        if self.page_count > 1:
            for button in self.pager_buttons:
                self.add_item(button)

    def has_controls(self) -> bool:
        return self.page_count > 1 or self.select is not None

    async def start(self, interaction: discord.Interaction, *, ephemeral: bool = False) -> None:
        if not self.has_controls():
            await super().start(interaction, ephemeral=ephemeral)
            return
        embed = await self.source.get_page(0)
        self._update_buttons()
        message = await reply(interaction, embed, view=self, ephemeral=ephemeral)
        self.attach(message=message, interaction=interaction)

    async def show_author(self, interaction: discord.Interaction, author: Author) -> None:
        """Switch the card to ``author`` (from the menu), back on page 1."""
        profile = await profile_page(self.store, author, limit=self.per_page, offset=0)
        if profile is None:
            await reply_error(
                interaction, embeds.error_embed("That author is no longer in the database.")
            )
            return
        self.source = self._source(profile)
        self.index = 0
        if self.select is not None:
            for option in self.select.options:
                option.default = option.value == str(author.id)
        self._toggle_pager()
        self._update_buttons()
        embed = await self.source.get_page(0)
        await interaction.response.edit_message(
            embed=embed, view=self, allowed_mentions=NO_MENTIONS
        )


def _with_page(profile: AuthorProfile, page: Page[Paper]) -> AuthorProfile:
    if profile.papers is page:
        return profile
    return AuthorProfile(
        author=profile.author,
        total_votes=profile.total_votes,
        first_day=profile.first_day,
        last_day=profile.last_day,
        coauthors=profile.coauthors,
        papers=page,
    )


class Authors(commands.Cog):
    """Author cards."""

    def __init__(self, bot: PapersBot) -> None:
        self.bot = bot
        self.per_page = PER_PAGE

    @app_commands.command(name="author")
    @app_commands.describe(name="The author's name (suggestions as you type; accents optional)")
    @everywhere
    async def author(
        self, interaction: discord.Interaction, name: app_commands.Range[str, 1, 200]
    ) -> None:
        """An author's papers, votes, first and last day, and frequent co-authors."""
        query = " ".join(name.split())[:200]
        if not query:
            raise answers.UserError("Which author? Type a name and pick one of the suggestions.")
        await interaction.response.defer(thinking=True)
        answer = await answers.author(self.bot.store, query, limit=self.per_page)
        if answer.profile is None:
            message = f"No author named **{embeds.escape(embeds.shorten(query, 100))}**."
            if answer.suggestions:
                names = ", ".join(embeds.escape(a.name) for a in answer.suggestions)
                message += f"\nDid you mean: {names}?"
            message += "\nStart typing a name and pick one of the suggestions."
            await reply_error(interaction, embeds.error_embed(message, title="Unknown author"))
            return
        view = AuthorView(
            self.bot.store,
            answer.profile,
            answer.matches,
            owner=interaction.user,
            timeout=self.bot.view_timeout,
            per_page=self.per_page,
        )
        await view.start(interaction)

    @author.autocomplete("name")
    async def author_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await author_choices(self.bot.store, current)


async def setup(bot: PapersBot) -> None:
    await bot.add_cog(Authors(bot))
