"""``/today``, ``/day``, ``/top`` and ``/paper``: a thin adapter over :mod:`bot.core.answers`.

Each command clamps its options again (Discord's client enforces ``Range``, the library does
not), defers anything that queries more than one row, asks :mod:`bot.core.answers` (the same code
the console uses), and shows the answer with :mod:`bot.discord_ui.presenters` (paging included).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import answers, research
from bot.core.errors import UserError
from bot.discord_ui import embeds, presenters
from bot.discord_ui.client import everywhere
from bot.discord_ui.options import PERIOD_CHOICES, RANK_CHOICES, DateOption, paper_choices
from bot.discord_ui.replies import reply, reply_error
from bot.discord_ui.research import card_view
from bot.discord_ui.translator import localized
from bot.i18n import phrases
from bot.i18n.catalog import tr

if TYPE_CHECKING:
    from bot.discord_ui.client import PapersBot

log = logging.getLogger(__name__)

#: The longest paper reference accepted: an id or an arXiv / Hugging Face link with room to spare.
REF_MAX = 200

Count = app_commands.Range[int, 1, answers.MAX_COUNT]


class Papers(commands.Cog):
    """Days, top papers and single papers."""

    def __init__(self, bot: PapersBot) -> None:
        self.bot = bot

    async def _send_day(
        self, interaction: discord.Interaction, answer: answers.DayAnswer, *, command: str
    ) -> None:
        embed, view = await presenters.present_day(
            answer,
            store=self.bot.store,
            owner=interaction.user,
            expires=self.bot.view_timeout,
            command=command,
        )
        await presenters.respond(interaction, embed, view)

    @app_commands.command(
        name=localized("cmd.today"), description=localized("cmd.today.description")
    )
    @app_commands.describe(count=localized("cmd.today.count.description"))
    @app_commands.rename(count=localized("cmd.today.count"))
    @everywhere
    async def today(self, interaction: discord.Interaction, count: Count = 10) -> None:
        """The newest day's Daily Papers, most voted first."""
        count = answers.clamp_count(count)
        await interaction.response.defer(thinking=True)
        answer = await answers.today(self.bot.store, count, now=self.bot.now())
        await self._send_day(interaction, answer, command="today")

    @app_commands.command(name=localized("cmd.day"), description=localized("cmd.day.description"))
    @app_commands.describe(
        date=localized("cmd.day.date.description"), count=localized("cmd.day.count.description")
    )
    @app_commands.rename(date=localized("cmd.day.date"), count=localized("cmd.day.count"))
    @everywhere
    async def day(
        self, interaction: discord.Interaction, date: DateOption, count: Count = 10
    ) -> None:
        """One day's Daily Papers, most voted first."""
        count = answers.clamp_count(count)
        await interaction.response.defer(thinking=True)
        answer = await answers.day(self.bot.store, date, count)
        await self._send_day(interaction, answer, command="day")

    @app_commands.command(name=localized("cmd.top"), description=localized("cmd.top.description"))
    @app_commands.describe(
        period=localized("cmd.top.period.description"),
        since=localized("cmd.top.since.description"),
        until=localized("cmd.top.until.description"),
        count=localized("cmd.top.count.description"),
        rank=localized("cmd.top.rank.description"),
    )
    @app_commands.rename(
        period=localized("cmd.top.period"),
        since=localized("cmd.top.since"),
        until=localized("cmd.top.until"),
        count=localized("cmd.top.count"),
        rank=localized("cmd.top.rank"),
    )
    @app_commands.choices(period=PERIOD_CHOICES, rank=RANK_CHOICES)
    @everywhere
    async def top(
        self,
        interaction: discord.Interaction,
        period: app_commands.Choice[str] | None = None,
        since: DateOption | None = None,
        until: DateOption | None = None,
        count: Count = 10,
        rank: app_commands.Choice[str] | None = None,
    ) -> None:
        """The most voted papers of a period or a date range (or those whose votes rose most)."""
        count = answers.clamp_count(count)
        period_name = period.value if period is not None else None
        answers.check_range(since, until)  # before deferring, so the error stays private
        await interaction.response.defer(thinking=True)
        store, now = self.bot.store, self.bot.now()
        if rank is not None and rank.value == "rising":
            rising = await research.rising(store, period_name, since, until, count, now=now)
            embed, view = await presenters.present_rising(
                rising, store=store, owner=interaction.user, expires=self.bot.view_timeout, now=now
            )
            await presenters.respond(interaction, embed, view)
            return
        answer = await answers.top(store, period_name, since, until, count, now=now)
        embed, view = await presenters.present_top(
            answer, store=store, owner=interaction.user, expires=self.bot.view_timeout, now=now
        )
        await presenters.respond(interaction, embed, view)

    @app_commands.command(
        name=localized("cmd.paper"), description=localized("cmd.paper.description")
    )
    @app_commands.describe(ref=localized("cmd.paper.id.description"))
    @app_commands.rename(ref=localized("cmd.paper.id"))
    @everywhere
    async def paper(
        self, interaction: discord.Interaction, ref: app_commands.Range[str, 1, REF_MAX]
    ) -> None:
        """One paper: title, authors, votes, days, Korean summary and links."""
        ref = ref.strip()
        found = await answers.paper(self.bot.store, ref)
        if found is None:
            await reply_error(interaction, await self._unknown_paper(ref))
            return
        await reply(interaction, embeds.paper_embed(found), view=card_view(found.arxiv_id))

    async def _unknown_paper(self, ref: str) -> discord.Embed:
        """Say the paper is unknown; when the text reads like a title, suggest close matches."""
        message = phrases.unknown_paper(embeds.escape(embeds.shorten(ref, 100)))
        if not answers.looks_like_paper_ref(ref):
            try:
                found = await answers.search(self.bot.store, ref, limit=5)
            except UserError:
                found = None
            if found is not None and found.found:
                lines = [
                    f"• {embeds.link(h.paper.title, h.paper.abs_url, limit=90)}"
                    f" `{h.paper.arxiv_id}`"
                    for h in found.hits.items
                ]
                message += "\n" + tr("paper.did_you_mean") + "\n" + "\n".join(lines)
                message += "\n" + tr("paper.use_an_id")
                return embeds.error_embed(message, title=tr("paper.unknown.title"))
        message += " " + tr("paper.check_id")
        return embeds.error_embed(message, title=tr("paper.unknown.title"))

    @paper.autocomplete("ref")
    async def paper_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await paper_choices(self.bot.store, current)


async def setup(bot: PapersBot) -> None:
    await bot.add_cog(Papers(bot))
