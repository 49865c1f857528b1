"""``/author``: an author card (papers, votes, first/last day, co-authors, papers newest first).

The name autocompletes (prefix, case- and diacritic-insensitive). When several authors match,
the card of the best match comes with a menu of the others to switch to; the papers are paged
with the same buttons as everything else, usable only by the person who asked.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import answers
from bot.discord_ui import presenters
from bot.discord_ui.client import everywhere
from bot.discord_ui.options import author_choices
from bot.discord_ui.replies import Refusal, reply_error
from bot.discord_ui.translator import localized
from bot.i18n.catalog import tr

if TYPE_CHECKING:
    from bot.discord_ui.client import PapersBot

log = logging.getLogger(__name__)

PER_PAGE = 10


class Authors(commands.Cog):
    """Author cards."""

    def __init__(self, bot: PapersBot) -> None:
        self.bot = bot
        self.per_page = PER_PAGE

    @app_commands.command(
        name=localized("cmd.author"), description=localized("cmd.author.description")
    )
    @app_commands.describe(name=localized("cmd.author.name.description"))
    @app_commands.rename(name=localized("cmd.author.name"))
    @everywhere
    async def author(
        self, interaction: discord.Interaction, name: app_commands.Range[str, 1, 200]
    ) -> None:
        """An author's papers, votes, first and last day, and frequent co-authors."""
        query = " ".join(name.split())[:200]
        if not query:
            raise Refusal(tr("author.refusal.empty"))
        await interaction.response.defer(thinking=True)
        answer = await answers.author(self.bot.store, query, limit=self.per_page)
        if answer.profile is None:
            embed = presenters.unknown_author_embed(answer, hint=tr("author.hint.command"))
            await reply_error(interaction, embed)
            return
        embed, view = await presenters.present_author(
            answer, store=self.bot.store, owner=interaction.user, expires=self.bot.view_timeout
        )
        await presenters.respond(interaction, embed, view)

    @author.autocomplete("name")
    async def author_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await author_choices(self.bot.store, current)


async def setup(bot: PapersBot) -> None:
    await bot.add_cog(Authors(bot))
