"""``/help`` (what the bot can do, with examples and the data credit) and owner-only ``/sync``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_ui import embeds
from bot.discord_ui.client import everywhere, owner_only
from bot.discord_ui.replies import reply
from bot.discord_ui.translator import command_name, localized
from bot.i18n.catalog import tr, trn

if TYPE_CHECKING:
    from bot.discord_ui.client import PapersBot

log = logging.getLogger(__name__)

#: The message with an example of each command, in the order /help lists them.
EXAMPLES: dict[str, str] = {
    "today": "help.example.today",
    "day": "help.example.day",
    "top": "help.example.top",
    "paper": "help.example.paper",
    "author": "help.example.author",
    "search": "help.example.search",
    "alerts": "help.example.alerts",
    "ask": "help.example.ask",
    "help": "help.example.help",
}

SYNC_SCOPES = [
    app_commands.Choice(name=localized("choice.scope.guild"), value="guild"),
    app_commands.Choice(name=localized("choice.scope.global"), value="global"),
]


class Meta(commands.Cog):
    """Help and administration."""

    def __init__(self, bot: PapersBot) -> None:
        self.bot = bot

    def command_help(self) -> list[tuple[str, str, str]]:
        """``(name, description, example)`` for every public command, in :data:`EXAMPLES` order
        and the current language."""
        found = {c.name for c in self.bot.tree.get_commands(type=discord.AppCommandType.chat_input)}
        return [
            (command_name(name), tr(f"cmd.{name}.description"), tr(example))
            for name, example in EXAMPLES.items()
            if name in found
        ]

    @app_commands.command(name=localized("cmd.help"), description=localized("cmd.help.description"))
    @everywhere
    async def help(self, interaction: discord.Interaction) -> None:
        """What this bot can do, with examples."""
        await reply(interaction, embeds.help_embed(self.command_help()), ephemeral=True)

    @app_commands.command(name=localized("cmd.sync"), description=localized("cmd.sync.description"))
    @app_commands.describe(scope=localized("cmd.sync.scope.description"))
    @app_commands.rename(scope=localized("cmd.sync.scope"))
    @app_commands.choices(scope=SYNC_SCOPES)
    @app_commands.default_permissions(administrator=True)
    @app_commands.allowed_installs(guilds=True, users=False)
    @app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)
    @owner_only()
    async def sync(
        self, interaction: discord.Interaction, scope: app_commands.Choice[str] | None = None
    ) -> None:
        """Owner only: register the slash commands with Discord."""
        where = scope.value if scope is not None else "guild"
        await interaction.response.defer(thinking=True, ephemeral=True)
        if where == "guild" and interaction.guild_id is not None:
            synced = await self.bot.sync_to_guild(interaction.guild_id)
            text = trn("sync.guild", len(synced))
        else:
            synced = await self.bot.tree.sync()
            text = trn("sync.global", len(synced))
        log.info("/sync by %s: %d commands (%s)", interaction.user.id, len(synced), where)
        await reply(interaction, embeds.note_embed(text, title=tr("sync.title")), ephemeral=True)


async def setup(bot: PapersBot) -> None:
    await bot.add_cog(Meta(bot))
