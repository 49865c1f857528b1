"""``/saved list`` and ``/saved export``: each user's reading list, and the Save button.

A thin adapter over :mod:`bot.core.reading`; the pages, the remove menu, the button and the file
are :mod:`bot.discord_ui.reading`. Works everywhere (servers, DMs, group DMs; user-installable);
every reply is private, and a list is its user's alone, the same in every server and DM.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import reading
from bot.discord_ui import embeds
from bot.discord_ui.client import everywhere
from bot.discord_ui.reading import SaveButton, SavePicker, export_file, present_saved
from bot.discord_ui.replies import reply
from bot.discord_ui.translator import localized
from bot.i18n.catalog import tr, trn

if TYPE_CHECKING:
    from bot.discord_ui.client import PapersBot

FORMAT_CHOICES = [
    app_commands.Choice(name=localized("saved.format.bibtex"), value="bibtex"),
    app_commands.Choice(name=localized("saved.format.markdown"), value="markdown"),
    app_commands.Choice(name=localized("saved.format.csv"), value="csv"),
]


@everywhere
class Saved(
    commands.GroupCog,
    group_name=localized("cmd.saved"),
    group_description=localized("cmd.saved.description"),
):
    """Your reading list."""

    def __init__(self, bot: PapersBot) -> None:
        self.bot = bot
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(SaveButton, SavePicker)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(SaveButton, SavePicker)

    @app_commands.command(
        name=localized("cmd.saved.list"), description=localized("cmd.saved.list.description")
    )
    async def list_(self, interaction: discord.Interaction) -> None:
        """The papers you saved, newest first, with a menu to remove them."""
        embed, view = await present_saved(self.bot, interaction.user)
        await reply(interaction, embed, ephemeral=True, view=view)
        if view is not None:
            view.attach(interaction=interaction)

    @app_commands.command(
        name=localized("cmd.saved.export"), description=localized("cmd.saved.export.description")
    )
    @app_commands.describe(format=localized("cmd.saved.export.format.description"))
    @app_commands.rename(format=localized("cmd.saved.export.format"))
    @app_commands.choices(format=FORMAT_CHOICES)
    async def export(
        self, interaction: discord.Interaction, format: app_commands.Choice[str]
    ) -> None:
        """Your reading list as a BibTeX, Markdown or CSV file."""
        fmt = reading.export_format(format.value)
        saved = await reading.saved_all(self.bot.store, interaction.user.id)
        if not saved:
            embed = embeds.note_embed(tr("saved.empty"), title=tr("saved.title"))
            await reply(interaction, embed, ephemeral=True)
            return
        embed = embeds.note_embed(
            trn("saved.export.done", len(saved)), title=tr("saved.export.title")
        )
        await reply(interaction, embed, ephemeral=True, file=export_file(saved, fmt))


async def setup(bot: PapersBot) -> None:
    await bot.add_cog(Saved(bot))
