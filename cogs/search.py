"""``/search``: full-text search in English or Korean, paged with buttons only the searcher uses."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import answers
from bot.discord_ui import presenters
from bot.discord_ui.client import everywhere
from bot.discord_ui.limits import question_limited
from bot.discord_ui.options import SORT_CHOICES, DateOption
from bot.discord_ui.replies import Refusal
from bot.discord_ui.translator import localized
from bot.i18n.catalog import tr

if TYPE_CHECKING:
    from bot.discord_ui.client import PapersBot

log = logging.getLogger(__name__)

#: Results per page (each carries a snippet, so fewer than a plain list).
PER_PAGE = 5
QUERY_MAX = 200


class Search(commands.Cog):
    """Full-text search over titles, authors and the Korean summaries."""

    def __init__(self, bot: PapersBot) -> None:
        self.bot = bot

    @app_commands.command(
        name=localized("cmd.search"), description=localized("cmd.search.description")
    )
    @app_commands.describe(
        query=localized("cmd.search.query.description"),
        since=localized("cmd.search.since.description"),
        until=localized("cmd.search.until.description"),
        sort=localized("cmd.search.sort.description"),
    )
    @app_commands.rename(
        query=localized("cmd.search.query"),
        since=localized("cmd.search.since"),
        until=localized("cmd.search.until"),
        sort=localized("cmd.search.sort"),
    )
    @app_commands.choices(sort=SORT_CHOICES)
    @everywhere
    @question_limited()
    async def search(
        self,
        interaction: discord.Interaction,
        query: app_commands.Range[str, 1, QUERY_MAX],
        since: DateOption | None = None,
        until: DateOption | None = None,
        sort: app_commands.Choice[str] | None = None,
    ) -> None:
        """Search papers by title, author or Korean summary."""
        text = " ".join(query.split())[:QUERY_MAX]
        sort_name = sort.value if sort is not None else "relevance"
        if not text:
            raise Refusal(tr("search.refusal.empty"))
        answers.check_range(since, until)  # before deferring, so the error stays private
        await interaction.response.defer(thinking=True)
        answer = await answers.search(
            self.bot.store, text, since=since, until=until, sort=sort_name, limit=PER_PAGE
        )
        embed, view = await presenters.present_search(
            answer, store=self.bot.store, owner=interaction.user, expires=self.bot.view_timeout
        )
        await presenters.respond(interaction, embed, view)


async def setup(bot: PapersBot) -> None:
    await bot.add_cog(Search(bot))
