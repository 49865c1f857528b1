"""``/ask`` and plain-text questions: in the bot's DMs, or in a server when the bot is mentioned.

A thin adapter over :mod:`bot.core.question` (which reads the question and answers it with
:mod:`bot.core.answers`, the code behind every command): the answer is rendered with the same
embeds and paging buttons as the matching command (``/search``, ``/today``, ``/day``,
``/top``, ``/author``), with one line above it saying how the question was read.

Messages need no privileged intent: Discord delivers the content of DMs to the bot and of
server messages that mention it. Other server messages, and messages from bots (the bot
itself included), are ignored. Replies reference the question without pinging anyone.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import answers
from bot.core import question as plain
from bot.core.errors import UserError
from bot.discord_ui import embeds, presenters
from bot.discord_ui.client import everywhere
from bot.discord_ui.limits import RateLimited, question_limited
from bot.discord_ui.paginator import Paginator
from bot.discord_ui.replies import NO_MENTIONS, REPLIED
from bot.discord_ui.translator import localized
from bot.i18n import phrases
from bot.i18n.catalog import current_locale, language_of, tr, trn, use_locale
from cogs.search import PER_PAGE as SEARCH_PER_PAGE
from cogs.search import QUERY_MAX

if TYPE_CHECKING:
    from bot.discord_ui.client import PapersBot

log = logging.getLogger(__name__)

#: The longest question read (Discord allows 2,000 characters in a message).
QUESTION_MAX = 300
#: Messages of these types can be questions (not joins, pins, thread starts...).
QUESTION_TYPES = (discord.MessageType.default, discord.MessageType.reply)
CONTENT_LIMIT = 2000

#: Sends one reply: ``send(content=..., embed=..., view=...)`` -> the message it made.
Send = Callable[..., Awaitable["discord.Message | None"]]


def reading_line(answered: plain.Answered) -> str:
    """The "Read as: ..." line shown above an answer, safe as message content."""
    line = discord.utils.escape_markdown(phrases.reading_of(answered))
    return embeds.shorten(discord.utils.escape_mentions(line), CONTENT_LIMIT)


class Ask(commands.Cog):
    """Questions in plain language: /ask, DMs, and mentions in servers."""

    def __init__(self, bot: PapersBot) -> None:
        self.bot = bot

    # ------------------------------------------------------------------ what to answer

    def question_in(self, message: discord.Message) -> str | None:
        """The question in ``message``, or ``None`` when the bot should not answer it.

        DMs are questions when they have words in them; in servers only a message that
        mentions the bot is (the mention is removed; a bare mention asks for the guide).
        """
        me = self.bot.user
        author = message.author
        if me is None or author.bot or author.id == me.id or message.webhook_id is not None:
            return None
        if message.type not in QUESTION_TYPES:
            return None
        content = message.content or ""
        mention = re.compile(rf"<@!?{me.id}>")
        in_dm = message.guild is None and isinstance(message.channel, discord.DMChannel)
        if in_dm:
            text = " ".join(mention.sub(" ", content).split())
            return text[:QUESTION_MAX] or None
        if not mention.search(content):
            return None
        return " ".join(mention.sub(" ", content).split())[:QUESTION_MAX]

    # ------------------------------------------------------------------ rendering

    async def render(
        self, answered: plain.Answered, *, owner: discord.abc.User, now: dt.datetime
    ) -> presenters.Presented:
        """The embed (and paging view, if any) the matching command would send."""
        answer = answered.answer
        if answer is None:
            return embeds.note_embed(phrases.guide(), title=tr("ask.guide.title")), None
        is_today = isinstance(answer, answers.DayAnswer) and answered.question.kind == "today"
        return await presenters.present(
            answer,
            store=self.bot.store,
            owner=owner,
            expires=self.bot.view_timeout,
            now=now,
            command="today" if is_today else None,
        )

    async def answer(
        self, text: str, *, owner: discord.abc.User, send: Send
    ) -> discord.Message | None:
        """Read ``text``, answer it, and send the answer with ``send``, in the current language.

        Raises :class:`~bot.core.errors.UserError` for a question that cannot be answered.
        """
        now = self.bot.now()
        answered = await plain.ask(self.bot.store, text, now=now, search_per_page=SEARCH_PER_PAGE)
        log.debug("Question %r read as %s", text, answered.question)
        embed, view = await self.render(answered, owner=owner, now=now)
        content = None if answered.answer is None else reading_line(answered)
        message = await send(content=content, embed=embed, view=view)
        if isinstance(view, Paginator):
            view.attach(message=message)
        return message

    # ------------------------------------------------------------------ /ask

    @app_commands.command(name=localized("cmd.ask"), description=localized("cmd.ask.description"))
    @app_commands.describe(question=localized("cmd.ask.question.description"))
    @app_commands.rename(question=localized("cmd.ask.question"))
    @everywhere
    @question_limited()
    async def ask(
        self, interaction: discord.Interaction, question: app_commands.Range[str, 1, QUERY_MAX]
    ) -> None:
        """Ask in plain words, English or Korean: a topic, an author, a day or a week."""
        text = " ".join(question.split())[:QUESTION_MAX]
        asked_in = language_of(text, otherwise=current_locale())  # else the client's
        await interaction.response.defer(thinking=True)

        async def send(**kwargs: Any) -> discord.Message:
            options = {k: v for k, v in kwargs.items() if v is not None}
            message = await interaction.followup.send(
                wait=True, allowed_mentions=NO_MENTIONS, **options
            )
            interaction.extras[REPLIED] = True
            return message

        with use_locale(asked_in):
            await self.answer(text, owner=interaction.user, send=send)

    # ------------------------------------------------------------------ messages

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        text = self.question_in(message)
        if text is None:
            return
        reference = message.to_reference(fail_if_not_exists=False)

        async def send(**kwargs: Any) -> discord.Message:
            options = {k: v for k, v in kwargs.items() if v is not None}
            return await message.channel.send(
                reference=reference, mention_author=False, allowed_mentions=NO_MENTIONS, **options
            )

        with use_locale(language_of(text)):
            limiter = self.bot.limits.questions
            retry_after = limiter.hit(message.author.id)
            if retry_after is not None:
                if not limiter.tell(message.author.id, retry_after):
                    return
                wait = RateLimited(retry_after).seconds
                await self._send_quietly(send, embeds.error_embed(trn("error.cooldown", wait)))
                return
            try:
                await self.answer(text, owner=message.author, send=send)
            except UserError as error:
                await self._send_quietly(send, embeds.error_embed(phrases.describe_error(error)))
            except Exception:
                log.exception(
                    "Question %r failed (user %s, channel %s)",
                    text,
                    message.author.id,
                    message.channel.id,
                )
                await self._send_quietly(send, embeds.apology_embed())

    async def _send_quietly(self, send: Send, embed: discord.Embed) -> None:
        try:
            await send(embed=embed)
        except discord.HTTPException as exc:
            log.warning("Could not answer a question: %s", exc)

    @commands.Cog.listener()
    async def on_command_error(self, context: commands.Context[Any], error: Exception) -> None:
        """There are no prefix commands: a mention is a question, not an unknown command."""
        if isinstance(error, commands.CommandNotFound):
            return
        log.error("Prefix command %r failed", context.invoked_with, exc_info=error)


async def setup(bot: PapersBot) -> None:
    await bot.add_cog(Ask(bot))
