"""``/similar`` and ``/trends``: papers like a paper, and a chart of terms over time.

A thin adapter over :mod:`bot.core.research`; the embeds, the chart attachment and the Similar
button (registered here, a dynamic item answered after restarts too) are
:mod:`bot.discord_ui.research`. ``/top rank:rising`` is in :mod:`cogs.papers`. Works everywhere
(servers, DMs, group DMs; user-installable). Both draw on the per-user question limit
(``QUESTION_RATE_LIMIT``), like ``/search``: each costs a few queries, a chart its drawing too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import research
from bot.discord_ui.client import everywhere
from bot.discord_ui.limits import question_limited
from bot.discord_ui.options import TREND_RANGE_CHOICES, paper_choices
from bot.discord_ui.replies import reply
from bot.discord_ui.research import (
    SimilarButton,
    SimilarPicker,
    digest_view,
    present_similar,
    trends_message,
    trends_none_embed,
)
from bot.discord_ui.translator import localized
from cogs.papers import REF_MAX

if TYPE_CHECKING:
    from bot.discord_ui.client import PapersBot

#: The longest ``terms`` text accepted (three terms of up to 60 characters, with separators).
TERMS_MAX = 200


class Research(commands.Cog):
    """Similar papers and term trends."""

    def __init__(self, bot: PapersBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(SimilarButton, SimilarPicker)
        self.bot.digest_menus = digest_view

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(SimilarButton, SimilarPicker)
        self.bot.digest_menus = None

    @app_commands.command(
        name=localized("cmd.similar"), description=localized("cmd.similar.description")
    )
    @app_commands.describe(paper=localized("cmd.similar.paper.description"))
    @app_commands.rename(paper=localized("cmd.similar.paper"))
    @everywhere
    @question_limited()
    async def similar(
        self, interaction: discord.Interaction, paper: app_commands.Range[str, 1, REF_MAX]
    ) -> None:
        """The papers most like one paper, each with the reason: shared terms, authors, day."""
        found = await research.similar(self.bot.store, paper)
        embed, view = present_similar(found)
        await reply(interaction, embed, view=view)

    @similar.autocomplete("paper")
    async def paper_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await paper_choices(self.bot.store, current)

    @app_commands.command(
        name=localized("cmd.trends"), description=localized("cmd.trends.description")
    )
    @app_commands.describe(
        terms=localized("cmd.trends.terms.description"),
        range=localized("cmd.trends.range.description"),
    )
    @app_commands.rename(terms=localized("cmd.trends.terms"), range=localized("cmd.trends.range"))
    @app_commands.choices(range=TREND_RANGE_CHOICES)
    @everywhere
    @question_limited()
    async def trends(
        self,
        interaction: discord.Interaction,
        terms: app_commands.Range[str, 1, TERMS_MAX],
        range: app_commands.Choice[str] | None = None,
    ) -> None:
        """A chart of how many papers mention up to 3 terms per week or month, and their votes."""
        research.parse_terms(terms)  # before deferring, so the error stays private
        await interaction.response.defer(thinking=True)
        answer = await research.trends(
            self.bot.store, terms, range.value if range is not None else None
        )
        if not answer.found:
            await reply(interaction, trends_none_embed(answer))
            return
        embed, file = await trends_message(answer)
        await reply(interaction, embed, file=file)


async def setup(bot: PapersBot) -> None:
    await bot.add_cog(Research(bot))
