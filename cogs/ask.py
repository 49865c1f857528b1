"""``/ask`` and plain-text questions: in the bot's DMs, or in a server when the bot is mentioned.

A thin adapter over :mod:`bot.question` (which reads the question and answers it with
:mod:`bot.answers`, the code behind every command): the answer is rendered with the same
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

from bot import answers, embeds
from bot import question as plain
from bot.bot import everywhere
from bot.paginator import Paginator, QueryPageSource
from bot.replies import NO_MENTIONS, REPLIED
from cogs.authors import AuthorView
from cogs.papers import top_label
from cogs.search import PER_PAGE as SEARCH_PER_PAGE
from cogs.search import QUERY_MAX
from storage.models import Page, Paper, SearchHit

if TYPE_CHECKING:
    from bot.bot import PapersBot

log = logging.getLogger(__name__)

#: The longest question read (Discord allows 2,000 characters in a message).
QUESTION_MAX = 300
#: Messages of these types can be questions (not joins, pins, thread starts...).
QUESTION_TYPES = (discord.MessageType.default, discord.MessageType.reply)
GUIDE_TITLE = "Ask me in plain words"
CONTENT_LIMIT = 2000

#: Sends one reply: ``send(content=..., embed=..., view=...)`` -> the message it made.
Send = Callable[..., Awaitable["discord.Message | None"]]


def reading_line(answered: plain.Answered) -> str:
    """The "Read as: ..." line shown above an answer, safe as message content."""
    text = discord.utils.escape_markdown(answered.reading)
    return embeds.shorten(discord.utils.escape_mentions(text), CONTENT_LIMIT)


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
    ) -> tuple[discord.Embed, Paginator | None]:
        """The embed (and paging view, if any) the matching command would send."""
        answer = answered.answer
        store = self.bot.store
        timeout = self.bot.view_timeout
        if answer is None:
            return embeds.note_embed(plain.GUIDE, title=GUIDE_TITLE), None

        if isinstance(answer, answers.SearchAnswer):
            text, since, until, sort = answer.query, answer.since, answer.until, answer.sort
            if answer.paper is not None:
                return embeds.paper_embed(answer.paper), None
            if not answer.found:
                return embeds.nothing_found_embed(text, answer.suggestions), None
            note = answer.note or None

            async def fetch_hits(offset: int, limit: int) -> Page[SearchHit]:
                again = await answers.search(
                    store, text, since=since, until=until, sort=sort, limit=limit, offset=offset
                )
                return again.hits

            def render_hits(page: Page[SearchHit]) -> discord.Embed:
                return embeds.search_embed(text, page, sort=sort, note=note)

            source: Any = QueryPageSource(answer.hits, fetch_hits, render_hits)
            return await self._paged(source, owner, "search", timeout)

        if isinstance(answer, answers.TopAnswer):
            if not answer.found:
                return embeds.note_embed(answer.note, title="No papers there"), None
            if answer.period == "custom":
                period, since, until = None, answer.since, answer.until
            else:
                period, since, until = answer.period, None, None
            label, note = top_label(answer), answer.note or None

            async def fetch_top(offset: int, limit: int) -> Page[Paper]:
                again = await answers.top(
                    store, period, since, until, limit, now=now, offset=offset
                )
                return again.papers

            def render_top(page: Page[Paper]) -> discord.Embed:
                return embeds.top_list_embed(label, page, note=note)

            source = QueryPageSource(answer.papers, fetch_top, render_top)
            return await self._paged(source, owner, "top", timeout)

        if isinstance(answer, answers.DayAnswer):
            if answer.date is None:
                if answer.requested is not None and (answer.before or answer.after):
                    embed = embeds.missing_day_embed(answer.requested, answer.before, answer.after)
                    return embed, None
                return embeds.note_embed(answer.note, title="Nothing yet"), None
            date, note = answer.date, answer.note or None

            async def fetch_day(offset: int, limit: int) -> Page[Paper]:
                return (await answers.day(store, date, limit, offset=offset)).papers

            def render_day(page: Page[Paper]) -> discord.Embed:
                return embeds.day_list_embed(date, page, note=note)

            source = QueryPageSource(answer.papers, fetch_day, render_day)
            command = "today" if answered.question.kind == "today" else "day"
            return await self._paged(source, owner, command, timeout)

        # An author card, as /author shows it.
        if answer.profile is None:
            query = answer.query
            message = f"No author named **{embeds.escape(embeds.shorten(query, 100))}**."
            if answer.suggestions:
                names = ", ".join(embeds.escape(a.name) for a in answer.suggestions)
                message += f"\nDid you mean: {names}?"
            message += "\nTry `/author` and pick a name from the suggestions."
            return embeds.error_embed(message, title="Unknown author"), None
        view = AuthorView(
            store,
            answer.profile,
            answer.matches,
            owner=owner,
            timeout=timeout,
            per_page=answer.papers.limit,
        )
        embed = await view.source.get_page(0)
        if not view.has_controls():
            view.stop()
            return embed, None
        return embed, view

    async def _paged(
        self, source: Any, owner: discord.abc.User, command: str, expires: float | None
    ) -> tuple[discord.Embed, Paginator | None]:
        view = Paginator(source, owner=owner, command=command, timeout=expires)
        embed = await source.get_page(0)
        if view.page_count <= 1:
            view.stop()
            return embed, None
        return embed, view

    async def answer(
        self, text: str, *, owner: discord.abc.User, send: Send
    ) -> discord.Message | None:
        """Read ``text``, answer it, and send the answer with ``send``.

        Raises :class:`answers.UserError` for a question that cannot be answered.
        """
        now = self.bot.now()
        answered = await plain.ask(self.bot.store, text, now=now, search_per_page=SEARCH_PER_PAGE)
        log.debug("Question %r read as %s", text, answered.question)
        embed, view = await self.render(answered, owner=owner, now=now)
        content = None if answered.answer is None else reading_line(answered)
        message = await send(content=content, embed=embed, view=view)
        if view is not None:
            view.attach(message=message)
        return message

    # ------------------------------------------------------------------ /ask

    @app_commands.command(name="ask")
    @app_commands.describe(
        question="e.g. 이번 주 에이전트 논문 top 5, papers by Yejin Choi, diffusion video yesterday"
    )
    @everywhere
    async def ask(
        self, interaction: discord.Interaction, question: app_commands.Range[str, 1, QUERY_MAX]
    ) -> None:
        """Ask in plain words, English or Korean: a topic, an author, a day or a week."""
        text = " ".join(question.split())[:QUESTION_MAX]
        await interaction.response.defer(thinking=True)

        async def send(**kwargs: Any) -> discord.Message:
            options = {k: v for k, v in kwargs.items() if v is not None}
            message = await interaction.followup.send(
                wait=True, allowed_mentions=NO_MENTIONS, **options
            )
            interaction.extras[REPLIED] = True
            return message

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

        try:
            await self.answer(text, owner=message.author, send=send)
        except answers.UserError as error:
            await self._send_quietly(send, embeds.error_embed(error.message))
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
