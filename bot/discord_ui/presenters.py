"""From an answer to a message: the first embed and the paging view, written once.

Every place that shows a :mod:`bot.core.answers` answer in Discord (``/search``, ``/today``,
``/day``, ``/top``, ``/author`` and plain-language questions) turns it into what to send here:
``(embed, view)``, where ``view`` is ``None`` when there is only one page (and, for an author,
no other matching author to switch to). Later pages are fetched on demand by asking
bot.core.answers again with the page's offset, so paging shows exactly what the command would.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import discord

from bot.core import answers, research
from bot.discord_ui import embeds
from bot.discord_ui.paginator import PageSource, Paginator, QueryPageSource
from bot.discord_ui.reading import SavePicker
from bot.discord_ui.replies import NO_MENTIONS, reply, reply_error
from bot.discord_ui.research import card_view, rising_embed
from bot.i18n import phrases
from bot.i18n.catalog import tr, trn
from storage.models import Author, AuthorProfile, Page, Paper, RisingPaper, SearchHit

if TYPE_CHECKING:
    from storage.ports import Store

log = logging.getLogger(__name__)

#: What to send for an answer: the first page's embed, and the view to page it (or ``None``;
#: a paper card's Save and Similar buttons, a view of dynamic items only, for an id).
Presented: TypeAlias = tuple[discord.Embed, Paginator | discord.ui.View | None]
#: Any answer :func:`present` can show.
Answer: TypeAlias = (
    answers.SearchAnswer | answers.TopAnswer | answers.DayAnswer | answers.AuthorAnswer
)

#: A select menu holds at most 25 options.
MAX_OPTIONS = 25
T = TypeVar("T")


# ---------------------------------------------------------------------- labels


def top_label(answer: answers.TopAnswer) -> str:
    """``last 7 days (2024-06-07 to 2024-06-13)``, ``all time``, ``since 2024-01-01``."""
    if answer.period == "all":
        return tr("top.label.all")
    span = phrases.span_label(answer.since, answer.until)
    days = answer.days
    if answer.period != "custom" and days is not None:
        last = tr("top.label.last_days", days=days)
        return tr("top.label.with_span", label=last, span=span) if span else last
    return span or tr("top.label.all")


def ask_author_hint() -> str:
    """What to do after an unknown author name, when the name came from a question."""
    return tr("author.hint.ask")


def unknown_author_embed(answer: answers.AuthorAnswer, *, hint: str | None = None) -> discord.Embed:
    """No author by that name: the suggestions, if any, and ``hint`` on what to do next
    (:func:`ask_author_hint` by default)."""
    message = phrases.unknown_author(f"**{embeds.escape(embeds.shorten(answer.query, 100))}**")
    if answer.suggestions:
        names = [embeds.escape(a.name) for a in answer.suggestions]
        message += "\n" + phrases.did_you_mean(names)
    message += "\n" + (hint if hint is not None else ask_author_hint())
    return embeds.error_embed(message, title=tr("author.unknown.title"))


# ---------------------------------------------------------------------- one per answer type


async def first_page(view: Paginator) -> Presented:
    """Page 1 of ``view``, and the view itself only when it has something to click."""
    embed = await view.source.get_page(0)
    if not view.has_controls():
        view.stop()
        return embed, None
    return embed, view


class PaperListView(Paginator):
    """A paged list of papers with a Save menu of the page shown (the buttons only when there
    is more than one page)."""

    def __init__(
        self,
        source: PageSource,
        picker: SavePicker,
        *,
        owner: discord.abc.User,
        command: str,
        timeout: float | None,
    ) -> None:
        super().__init__(source, owner=owner, command=command, timeout=timeout)
        if self.page_count <= 1:
            self.drop_page_buttons()
        self.picker = picker
        self.add_item(picker)

    def has_controls(self) -> bool:
        return bool(self.picker.item.options) or super().has_controls()


async def _paged(
    first: Page[T],
    fetch: Callable[[int, int], Awaitable[Page[T]]],
    render: Callable[[Page[T]], discord.Embed],
    papers: Callable[[Page[T]], Sequence[Paper]],
    *,
    owner: discord.abc.User,
    command: str,
    expires: float | None,
) -> Presented:
    picker = SavePicker()

    def render_page(page: Page[T]) -> discord.Embed:
        picker.show(papers(page))
        return render(page)

    source = QueryPageSource(first, fetch, render_page)
    view = PaperListView(source, picker, owner=owner, command=command, timeout=expires)
    return await first_page(view)


def _hit_papers(page: Page[SearchHit]) -> Sequence[Paper]:
    return [hit.paper for hit in page.items]


def _papers(page: Page[Paper]) -> Sequence[Paper]:
    return page.items


async def present_search(
    answer: answers.SearchAnswer,
    *,
    store: Store,
    owner: discord.abc.User,
    expires: float | None,
    command: str = "search",
) -> Presented:
    """A paper card for an id, "nothing found" with tips, or the hits paged."""
    if answer.paper is not None:
        return embeds.paper_embed(answer.paper), card_view(answer.paper.arxiv_id)
    if not answer.found:
        tips = [phrases.search_tip(tip) for tip in answer.tips]
        return embeds.nothing_found_embed(answer.query, tips), None
    text, since, until, sort = answer.query, answer.since, answer.until, answer.sort

    async def fetch(offset: int, limit: int) -> Page[SearchHit]:
        again = await answers.search(
            store, text, since=since, until=until, sort=sort, limit=limit, offset=offset
        )
        return again.hits

    render = partial(embeds.search_embed, text, sort=sort, note=phrases.note_text(answer) or None)
    return await _paged(
        answer.hits, fetch, render, _hit_papers, owner=owner, command=command, expires=expires
    )


async def present_top(
    answer: answers.TopAnswer,
    *,
    store: Store,
    owner: discord.abc.User,
    expires: float | None,
    now: dt.datetime,
    command: str = "top",
) -> Presented:
    """The most voted papers of the answer's period or range, paged; or why there are none."""
    if not answer.found:
        return embeds.note_embed(phrases.note_text(answer), title=tr("top.none.title")), None
    if answer.period == "custom":
        period, since, until = None, answer.since, answer.until
    else:
        period, since, until = answer.period, None, None

    async def fetch(offset: int, limit: int) -> Page[Paper]:
        again = await answers.top(store, period, since, until, limit, now=now, offset=offset)
        return again.papers

    note = phrases.note_text(answer) or None
    render = partial(embeds.top_list_embed, top_label(answer), note=note)
    return await _paged(
        answer.papers, fetch, render, _papers, owner=owner, command=command, expires=expires
    )


def _rising_papers(page: Page[RisingPaper]) -> Sequence[Paper]:
    return [item.paper for item in page.items]


async def present_rising(
    answer: research.RisingAnswer,
    *,
    store: Store,
    owner: discord.abc.User,
    expires: float | None,
    now: dt.datetime,
    command: str = "top",
) -> Presented:
    """The papers whose votes rose most in the answer's range, paged; or why there are none."""
    if not answer.found:
        message = embeds.escape(phrases.rising_note(answer))
        return embeds.note_embed(message, title=tr("rising.none.title")), None
    if answer.period == "custom":
        period, since, until = None, answer.since, answer.until
    else:
        period, since, until = answer.period, None, None

    async def fetch(offset: int, limit: int) -> Page[RisingPaper]:
        again = await research.rising(store, period, since, until, limit, now=now, offset=offset)
        return again.papers

    render = partial(rising_embed, answer)
    return await _paged(
        answer.papers, fetch, render, _rising_papers, owner=owner, command=command, expires=expires
    )


async def present_day(
    answer: answers.DayAnswer,
    *,
    store: Store,
    owner: discord.abc.User,
    expires: float | None,
    command: str = "day",
) -> Presented:
    """A day's papers, paged; or the nearest days with a digest; or "nothing yet"."""
    if answer.date is None:
        if answer.requested is not None and (answer.before or answer.after):
            return embeds.missing_day_embed(answer.requested, answer.before, answer.after), None
        return embeds.note_embed(phrases.note_text(answer), title=tr("day.nothing.title")), None
    date = answer.date

    async def fetch(offset: int, limit: int) -> Page[Paper]:
        return (await answers.day(store, date, limit, offset=offset)).papers

    render = partial(embeds.day_list_embed, date, note=phrases.note_text(answer) or None)
    return await _paged(
        answer.papers, fetch, render, _papers, owner=owner, command=command, expires=expires
    )


async def present_author(
    answer: answers.AuthorAnswer,
    *,
    store: Store,
    owner: discord.abc.User,
    expires: float | None,
    hint: str | None = None,
) -> Presented:
    """The author card with its papers paged (and a menu of other matches), or "unknown"."""
    if answer.profile is None:
        return unknown_author_embed(answer, hint=hint), None
    view = AuthorView(
        store,
        answer.profile,
        answer.matches,
        owner=owner,
        timeout=expires,
        per_page=answer.papers.limit,
    )
    return await first_page(view)


async def present(
    answer: Answer,
    *,
    store: Store,
    owner: discord.abc.User,
    expires: float | None,
    now: dt.datetime,
    command: str | None = None,
) -> Presented:
    """Any answer as the matching command shows it.

    ``command`` names the command the paging buttons point others to ("run /today to get
    your own"); it defaults to the command of the answer's type.
    """
    if isinstance(answer, answers.SearchAnswer):
        return await present_search(
            answer, store=store, owner=owner, expires=expires, command=command or "search"
        )
    if isinstance(answer, answers.TopAnswer):
        return await present_top(
            answer, store=store, owner=owner, expires=expires, now=now, command=command or "top"
        )
    if isinstance(answer, answers.DayAnswer):
        return await present_day(
            answer, store=store, owner=owner, expires=expires, command=command or "day"
        )
    return await present_author(answer, store=store, owner=owner, expires=expires)


async def respond(
    interaction: discord.Interaction,
    embed: discord.Embed,
    view: Paginator | discord.ui.View | None,
) -> None:
    """Send what :func:`present` made as the interaction's reply; a paging view learns where
    it is."""
    message = await reply(interaction, embed, view=view)
    if isinstance(view, Paginator):
        view.attach(message=message, interaction=interaction)


# ---------------------------------------------------------------------- the author card view


async def profile_page(
    store: Store, author: Author, *, limit: int, offset: int
) -> AuthorProfile | None:
    """One page of ``author``'s card, by way of :func:`answers.author` (the console's code).

    Names are not unique keys (two people can share a spelling), so when the name resolves to
    someone else the store is asked for this author's id directly.
    """
    answer = await answers.author(store, author.name, limit=limit, offset=offset)
    if answer.author is not None and answer.author.id == author.id:
        return answer.profile
    return await store.author_profile(author.id, limit=limit, offset=offset)


class AuthorSelect(discord.ui.Select["AuthorView"]):
    """The other authors that matched the name; picking one shows their card."""

    def __init__(self, matches: tuple[Author, ...], current: int) -> None:
        options = [
            discord.SelectOption(
                label=embeds.shorten(embeds.one_line(a.name), 100),
                value=str(a.id),
                description=trn("count.papers", a.paper_count),
                default=a.id == current,
            )
            for a in matches[:MAX_OPTIONS]
        ]
        super().__init__(
            placeholder=trn("author.pick", len(matches)),
            options=options,
            custom_id="author:pick",
            row=1,
        )
        self.matches = {a.id: a for a in matches[:MAX_OPTIONS]}

    async def callback(self, interaction: discord.Interaction) -> None:
        assert self.view is not None
        chosen = self.matches.get(int(self.values[0]))
        if chosen is None:  # pragma: no cover - Discord only sends our own values
            await interaction.response.defer()
            return
        await self.view.show_author(interaction, chosen)


class AuthorView(Paginator):
    """An author card with paging buttons and, when several matched, a menu to switch author."""

    def __init__(
        self,
        store: Store,
        profile: AuthorProfile,
        matches: tuple[Author, ...],
        *,
        owner: discord.abc.User,
        timeout: float | None,
        per_page: int = answers.DEFAULT_COUNT,
    ) -> None:
        self.store = store
        self.per_page = per_page
        super().__init__(self._source(profile), owner=owner, command="author", timeout=timeout)
        self.select: AuthorSelect | None = None
        if len(matches) > 1:
            self.select = AuthorSelect(matches, profile.author.id)
            self.add_item(self.select)
        self._toggle_pager()

    def _source(self, profile: AuthorProfile) -> QueryPageSource[Paper]:
        store = self.store
        author = profile.author
        cache: dict[int, AuthorProfile] = {profile.papers.offset: profile}

        async def fetch(offset: int, limit: int) -> Page[Paper]:
            found = await profile_page(store, author, limit=limit, offset=offset)
            if found is None:
                return Page(items=(), total=0, offset=offset, limit=limit)
            cache[offset] = found
            return found.papers

        def render(page: Page[Paper]) -> discord.Embed:
            card = cache.get(page.offset, profile)
            return embeds.author_embed(_with_page(card, page))

        return QueryPageSource(profile.papers, fetch, render)

    @property
    def pager_buttons(self) -> tuple[discord.ui.Button[Any], ...]:
        return (self.first_page, self.previous_page, self.indicator, self.next_page, self.last_page)

    def _toggle_pager(self) -> None:
        """Show the paging buttons only when there is more than one page."""
        for button in self.pager_buttons:
            if button in self.children:
                self.remove_item(button)
        if self.page_count > 1:
            for button in self.pager_buttons:
                self.add_item(button)

    def has_controls(self) -> bool:
        return self.page_count > 1 or self.select is not None

    async def show_author(self, interaction: discord.Interaction, author: Author) -> None:
        """Switch the card to ``author`` (from the menu), back on page 1."""
        profile = await profile_page(self.store, author, limit=self.per_page, offset=0)
        if profile is None:
            await reply_error(interaction, embeds.error_embed(tr("author.gone")))
            return
        self.source = self._source(profile)
        self.index = 0
        if self.select is not None:
            for option in self.select.options:
                option.default = option.value == str(author.id)
        self._toggle_pager()
        self._update_buttons()
        embed = await self.source.get_page(0)
        await interaction.response.edit_message(
            embed=embed, view=self, allowed_mentions=NO_MENTIONS
        )


def _with_page(profile: AuthorProfile, page: Page[Paper]) -> AuthorProfile:
    if profile.papers is page:
        return profile
    return AuthorProfile(
        author=profile.author,
        total_votes=profile.total_votes,
        first_day=profile.first_day,
        last_day=profile.last_day,
        coauthors=profile.coauthors,
        papers=page,
    )
