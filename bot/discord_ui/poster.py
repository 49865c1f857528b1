"""The Discord side of the daily digest: :class:`ChannelPoster`, the scheduler's poster.

It renders a :class:`~bot.core.digests.DigestContent` as the messages of
:func:`bot.discord_ui.digest.digest_messages` in the post's language, sends them through
discord.py channel objects without pinging anyone, finds a post again in the channel's history
(:func:`opens_digest` / :func:`closes_digest`), and turns discord.py's exceptions into
:class:`~bot.core.digests.PostFailed`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from bot.core.digests import DigestContent, PostFailed, PostProblem
from bot.discord_ui.digest import closes_digest, digest_messages, opens_digest
from bot.discord_ui.replies import NO_MENTIONS
from bot.i18n.catalog import DEFAULT, use_locale
from storage.models import Paper

log = logging.getLogger(__name__)

#: What goes under a digest post's last message, from the papers it shows (``None``: nothing).
Menus = Callable[[Sequence[Paper]], "discord.ui.View | None"]

#: How many messages of the channel's history are read when looking for a post.
HISTORY_LIMIT = 100


def post_failure(exc: discord.HTTPException | discord.ClientException) -> PostFailed:
    """The :class:`PostFailed` for a discord.py exception (404, 403, another status, other)."""
    if isinstance(exc, discord.NotFound):
        return PostFailed(PostProblem.CHANNEL_MISSING, exc.status)
    if isinstance(exc, discord.Forbidden):
        return PostFailed(PostProblem.FORBIDDEN, exc.status)
    if isinstance(exc, discord.HTTPException):
        return PostFailed(PostProblem.REJECTED, exc.status)
    return PostFailed(PostProblem.OTHER)


async def _delete(messages: Sequence[Any]) -> None:
    """Delete the messages of a post that was cut short (best effort)."""
    for message in messages:
        try:
            await message.delete()
        except (discord.HTTPException, discord.ClientException) as exc:
            log.warning("Could not delete part of an unfinished digest: %s", exc)
    log.info("Deleted %d messages of an unfinished digest post", len(messages))


class ChannelPoster:
    """Posts through discord.py channel objects; ``resolve`` finds the channel by id."""

    def __init__(
        self,
        resolve: Callable[[int], Awaitable[Any]],
        *,
        me: Callable[[], int | None] = lambda: None,
        menus: Menus | None = None,
    ) -> None:
        self.resolve = resolve
        self.me = me  # the bot's user id (None: unknown, any author counts)
        self.menus = menus

    @classmethod
    def for_client(cls, client: discord.Client, *, menus: Menus | None = None) -> ChannelPoster:
        async def resolve(channel_id: int) -> Any:
            return client.get_channel(channel_id) or await client.fetch_channel(channel_id)

        return cls(resolve, me=lambda: client.user.id if client.user else None, menus=menus)

    async def find_sent(self, channel_id: int, day: dt.date, *, after: dt.datetime) -> list[int]:
        """Read the channel's history after ``after`` (oldest first) for the bot's own post
        of ``day``: from its first message to the one carrying the footer marker.

        A post that is there only in part (the process died between its first and last
        message) is deleted, best effort, so the digest posted again is the only copy."""
        try:
            return await self._find_sent(channel_id, day, after)
        except (discord.HTTPException, discord.ClientException) as exc:
            raise post_failure(exc) from exc

    async def _find_sent(self, channel_id: int, day: dt.date, after: dt.datetime) -> list[int]:
        channel = await self.resolve(channel_id)
        me = self.me()
        ids: list[int] = []
        seen: list[Any] = []
        collecting = False
        async for message in channel.history(limit=HISTORY_LIMIT, after=after, oldest_first=True):
            if me is not None and getattr(message.author, "id", None) != me:
                continue
            seen.append(message)
            message_embeds = list(message.embeds)
            message_id = int(message.id)
            if opens_digest(message_embeds, day):
                collecting, ids = True, [message_id]
            elif collecting and message_embeds and not message_embeds[0].title:
                ids.append(message_id)  # a continuation: no title
            if closes_digest(message_embeds, day):
                if not ids or ids[-1] != message_id:
                    ids.append(message_id)
                return ids
        if ids:  # only partly there: its last message never went out
            await _delete([m for m in seen if int(m.id) in ids])
        return []

    async def send(self, channel_id: int, content: DigestContent) -> list[int]:
        """Send the digest's messages in order, the last one with :attr:`menus` (to save a
        paper of the post or see the papers like one: :func:`bot.discord_ui.research.digest_view`,
        set by the research cog); on failure delete what went out, then raise
        :class:`PostFailed` (discord.py's exception is its cause)."""
        with use_locale(content.language or DEFAULT):
            messages = digest_messages(content.day, content.papers, total=content.total)
            view = self.menus(content.papers) if self.menus is not None else None
        sent: list[Any] = []
        try:
            channel = await self.resolve(channel_id)
            for index, embeds in enumerate(messages):
                extra = {"view": view} if view is not None and index == len(messages) - 1 else {}
                sent.append(
                    await channel.send(embeds=list(embeds), allowed_mentions=NO_MENTIONS, **extra)
                )
        except BaseException as exc:
            for message in sent:  # a half-posted digest is not left behind
                try:
                    await message.delete()
                except Exception as delete_error:
                    log.debug("Could not delete part of a failed digest: %s", delete_error)
            if isinstance(exc, discord.HTTPException | discord.ClientException):
                raise post_failure(exc) from exc
            raise
        return [int(m.id) for m in sent]

    async def edit(
        self, channel_id: int, message_ids: Sequence[int], content: DigestContent
    ) -> bool:
        """Rewrite a posted digest's messages in place (same number of messages only)."""
        with use_locale(content.language or DEFAULT):
            messages = digest_messages(content.day, content.papers, total=content.total)
        if len(messages) != len(message_ids):
            return False
        try:
            channel = await self.resolve(channel_id)
            for message_id, embeds in zip(message_ids, messages, strict=True):
                await channel.get_partial_message(message_id).edit(
                    embeds=list(embeds), allowed_mentions=NO_MENTIONS
                )
        except (discord.HTTPException, discord.ClientException) as exc:
            raise post_failure(exc) from exc
        return True
