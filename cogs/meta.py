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

if TYPE_CHECKING:
    from bot.discord_ui.client import PapersBot

log = logging.getLogger(__name__)

#: An example for each command, in the order /help lists them.
EXAMPLES: dict[str, str] = {
    "today": "/today count:5",
    "day": "/day date:2024-06-13",
    "top": "/top period:month",
    "paper": "/paper id:2406.06523",
    "author": "/author name:Yejin Choi",
    "search": "/search query:확산 모델 sort:votes",
    "alerts": "/alerts add keywords:확산 모델",
    "ask": "/ask question:이번 주 에이전트 논문 top 5",
    "help": "/help",
}

SYNC_SCOPES = [
    app_commands.Choice(name="this server only (instant)", value="guild"),
    app_commands.Choice(
        name="global (every server and user install; up to an hour)", value="global"
    ),
]


class Meta(commands.Cog):
    """Help and administration."""

    def __init__(self, bot: PapersBot) -> None:
        self.bot = bot

    def command_help(self) -> list[tuple[str, str, str]]:
        """``(name, description, example)`` for every public command, in :data:`EXAMPLES` order."""
        found = {
            c.name: c for c in self.bot.tree.get_commands(type=discord.AppCommandType.chat_input)
        }
        rows = []
        for name, example in EXAMPLES.items():
            command = found.get(name)
            if command is not None:
                rows.append((name, command.description, example))
        return rows

    @app_commands.command(name="help")
    @everywhere
    async def help(self, interaction: discord.Interaction) -> None:
        """What this bot can do, with examples."""
        await reply(interaction, embeds.help_embed(self.command_help()), ephemeral=True)

    @app_commands.command(name="sync")
    @app_commands.describe(scope="Where to register the commands (default: this server)")
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
            text = f"Synced {embeds.plural(len(synced), 'command')} to this server."
        else:
            synced = await self.bot.tree.sync()
            text = (
                f"Synced {embeds.plural(len(synced), 'command')} globally; "
                "they can take up to an hour to appear everywhere."
            )
        log.info("/sync by %s: %s", interaction.user.id, text)
        await reply(interaction, embeds.note_embed(text, title="Commands synced"), ephemeral=True)


async def setup(bot: PapersBot) -> None:
    await bot.add_cog(Meta(bot))
