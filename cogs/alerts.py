"""``/alerts``: personal alerts (add, list, remove), DMed by :mod:`bot.core.alerts` on new imports.

A thin adapter over the store's alerts (:mod:`storage.ports`). Works everywhere (servers, DMs,
group DMs; user-installable); every reply is private. Using any ``/alerts`` command turns alerts
that were paused (a DM to the user bounced) back on, and the reply says so.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.alerts import check_keywords
from bot.discord_ui import embeds
from bot.discord_ui.alerts import alert_choice_name, alert_label, alert_list_embed
from bot.discord_ui.client import everywhere
from bot.discord_ui.options import author_choices, safe_choices
from bot.discord_ui.replies import Refusal, reply
from bot.discord_ui.translator import localized
from bot.i18n.catalog import current_locale, tr, trn
from storage.models import MAX_ALERT_QUERY_CHARS, MAX_ALERTS, AlertKind
from storage.text import name_key

if TYPE_CHECKING:
    from bot.discord_ui.client import PapersBot

log = logging.getLogger(__name__)

#: The longest /alerts remove value: an alert id as suggested, or ``#id`` and its query as typed.
MAX_ALERT_CHOICE_CHARS = MAX_ALERT_QUERY_CHARS + 24

#: ``interaction.extras`` key: how many paused alerts this interaction turned back on.
RESUMED = "papers_bot_alerts_resumed"


def resumed_note(interaction: discord.Interaction) -> str | None:
    count = int(interaction.extras.get(RESUMED) or 0)
    if not count:
        return None
    return trn("alerts.resumed", count)


@everywhere
class Alerts(
    commands.GroupCog,
    group_name=localized("cmd.alerts"),
    group_description=localized("cmd.alerts.description"),
):
    """DMs when new papers match your keywords or an author."""

    def __init__(self, bot: PapersBot) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        resumed = await self.bot.store.resume_alerts(interaction.user.id)
        if resumed:
            log.info("User %s: %d paused alerts resumed", interaction.user.id, resumed)
        interaction.extras[RESUMED] = resumed
        return True

    @app_commands.command(
        name=localized("cmd.alerts.add"), description=localized("cmd.alerts.add.description")
    )
    @app_commands.describe(
        keywords=localized("cmd.alerts.add.keywords.description"),
        author=localized("cmd.alerts.add.author.description"),
    )
    @app_commands.rename(
        keywords=localized("cmd.alerts.add.keywords"), author=localized("cmd.alerts.add.author")
    )
    async def add(
        self,
        interaction: discord.Interaction,
        keywords: app_commands.Range[str, 1, MAX_ALERT_QUERY_CHARS] | None = None,
        author: app_commands.Range[str, 1, MAX_ALERT_QUERY_CHARS] | None = None,
    ) -> None:
        """Get a DM when newly imported papers match keywords or an author."""
        if (keywords is None) == (author is None):
            raise Refusal(tr("alerts.refusal.one_of"))
        store = self.bot.store
        note = None
        kind: AlertKind
        if keywords is not None:
            kind, query = "keywords", check_keywords(keywords[:MAX_ALERT_QUERY_CHARS])
        else:
            kind, query = "author", " ".join((author or "").split())[:MAX_ALERT_QUERY_CHARS]
            found = await store.find_authors(query, limit=1)
            if found and name_key(found[0].name) == name_key(query):
                query = found[0].name  # the stored spelling
            else:
                note = tr("alerts.add.unknown_author")
        # AlertExists, AlertLimitReached, EmptyAlertQuery: the error handler says why.
        alert = await store.add_alert(
            interaction.user.id,
            kind,
            query,
            now=self.bot.now(),
            limit=MAX_ALERTS,
            language=current_locale(),
        )
        count = len(await store.alerts(interaction.user.id))
        lines = [
            tr("alerts.add.done", id=alert.id, label=alert_label(alert)),
            tr("alerts.add.count", count=count, limit=MAX_ALERTS),
        ]
        lines += [text for text in (note, resumed_note(interaction)) if text]
        await reply(
            interaction,
            embeds.note_embed("\n".join(lines), title=tr("alerts.add.title")),
            ephemeral=True,
        )

    @add.autocomplete("author")
    async def author_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await author_choices(self.bot.store, current)

    @app_commands.command(
        name=localized("cmd.alerts.list"), description=localized("cmd.alerts.list.description")
    )
    async def list_(self, interaction: discord.Interaction) -> None:
        """Your alerts (and turn paused ones back on)."""
        alerts = await self.bot.store.alerts(interaction.user.id)
        embed = alert_list_embed(alerts, limit=MAX_ALERTS, note=resumed_note(interaction))
        await reply(interaction, embed, ephemeral=True)

    @app_commands.command(
        name=localized("cmd.alerts.remove"), description=localized("cmd.alerts.remove.description")
    )
    @app_commands.describe(alert=localized("cmd.alerts.remove.alert.description"))
    @app_commands.rename(alert=localized("cmd.alerts.remove.alert"))
    async def remove(
        self,
        interaction: discord.Interaction,
        alert: app_commands.Range[str, 1, MAX_ALERT_CHOICE_CHARS],
    ) -> None:
        """Stop an alert."""
        text = alert.strip().lstrip("#").split(" ", 1)[0]
        removed = None
        if text.isascii() and text.isdigit():  # "³" is a digit to isdigit, not to int
            removed = await self.bot.store.remove_alert(interaction.user.id, int(text))
        if removed is None:
            raise Refusal(tr("alerts.refusal.not_yours"))
        message = tr("alerts.remove.done", id=removed.id, label=alert_label(removed))
        note = resumed_note(interaction)
        if note:
            message += f"\n{note}"
        title = tr("alerts.remove.title")
        await reply(interaction, embeds.note_embed(message, title=title), ephemeral=True)

    @remove.autocomplete("alert")
    async def alert_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        async def make() -> list[app_commands.Choice[str]]:
            text = current.strip().lstrip("#").casefold()
            alerts = await self.bot.store.alerts(interaction.user.id)
            return [
                app_commands.Choice(name=alert_choice_name(a), value=str(a.id))
                for a in alerts
                if not text or text in str(a.id) or text in a.query.casefold()
            ]

        return await safe_choices("alerts", make)


async def setup(bot: PapersBot) -> None:
    await bot.add_cog(Alerts(bot))
