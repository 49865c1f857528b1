"""Sending replies: one place that picks response or followup and never pings anyone.

Every message the bot sends goes through :func:`reply` or :func:`reply_error`, which pass
``allowed_mentions=AllowedMentions.none()`` explicitly (the bot default is the same; paper
titles and author names are untrusted text) and choose ``response`` or ``followup`` by
``interaction.response.is_done()``.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()


class Refusal(Exception):
    """A command refuses what it was given; ``message`` (ready to show) says why and what to
    do. The global error handler shows it like a core :class:`~bot.core.errors.UserError`."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


#: ``interaction.extras`` key set once a real message (not just a deferral) was sent.
REPLIED = "papers_bot_replied"


async def reply(
    interaction: discord.Interaction,
    embed: discord.Embed,
    *,
    ephemeral: bool = False,
    view: discord.ui.View | None = None,
    file: discord.File | None = None,
) -> discord.WebhookMessage | None:
    """Reply with one embed (and ``file`` attached, if any), by response or followup depending
    on ``is_done()``.

    Returns the followup message, or ``None`` for a first response (that message is the
    interaction's original response).
    """
    kwargs: dict[str, Any] = {
        "embed": embed,
        "ephemeral": ephemeral,
        "allowed_mentions": NO_MENTIONS,
    }
    if view is not None:
        kwargs["view"] = view
    if file is not None:
        kwargs["file"] = file
    if interaction.response.is_done():
        message = await interaction.followup.send(wait=True, **kwargs)
        interaction.extras[REPLIED] = True
        return message
    await interaction.response.send_message(**kwargs)
    interaction.extras[REPLIED] = True
    return None


async def reply_error(interaction: discord.Interaction, embed: discord.Embed) -> None:
    """Tell only the person who asked (ephemeral), whatever state the interaction is in.

    After a public ``defer()`` the first followup would replace the "thinking..." message and
    could not be ephemeral, so that message is deleted first.
    """
    kwargs: dict[str, Any] = {"embed": embed, "ephemeral": True, "allowed_mentions": NO_MENTIONS}
    if not interaction.response.is_done():
        await interaction.response.send_message(**kwargs)
        return
    if (
        interaction.response.type is discord.InteractionResponseType.deferred_channel_message
        and not interaction.extras.get(REPLIED)
    ):
        try:
            await interaction.delete_original_response()
        except discord.HTTPException as exc:
            log.debug("Could not delete the deferred response: %s", exc)
    await interaction.followup.send(**kwargs)
    interaction.extras[REPLIED] = True
