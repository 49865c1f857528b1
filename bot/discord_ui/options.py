"""Option types and autocomplete shared by the cogs.

Autocomplete reads from indexed store queries, returns at most 25 choices of at most 100
characters, has a useful default for empty input, and never raises (a failure is logged and the
user sees no choices rather than "loading options failed").
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands

from bot.core import answers
from bot.core.errors import InvalidDate
from bot.discord_ui import embeds
from bot.discord_ui.translator import localized
from bot.i18n.catalog import tr, trn

if TYPE_CHECKING:
    from storage.ports import Store

log = logging.getLogger(__name__)

MAX_CHOICES = 25
CHOICE_LIMIT = embeds.CHOICE_LIMIT

T = TypeVar("T")

#: The periods of ``/top``, in the order the menu shows them.
PERIOD_CHOICES: list[app_commands.Choice[str]] = [
    app_commands.Choice(name=localized("choice.period.week"), value="week"),
    app_commands.Choice(name=localized("choice.period.month"), value="month"),
    app_commands.Choice(name=localized("choice.period.year"), value="year"),
    app_commands.Choice(name=localized("choice.period.all"), value="all"),
]

#: ``/top rank``: most voted (the default), or the votes gained in the range (vote history).
RANK_CHOICES: list[app_commands.Choice[str]] = [
    app_commands.Choice(name=localized("choice.rank.votes"), value="votes"),
    app_commands.Choice(name=localized("choice.rank.rising"), value="rising"),
]

#: ``/trends range``.
TREND_RANGE_CHOICES: list[app_commands.Choice[str]] = [
    app_commands.Choice(name=localized("choice.trend_range.month"), value="month"),
    app_commands.Choice(name=localized("choice.trend_range.quarter"), value="quarter"),
    app_commands.Choice(name=localized("choice.trend_range.year"), value="year"),
    app_commands.Choice(name=localized("choice.trend_range.all"), value="all"),
]

SORT_CHOICES: list[app_commands.Choice[str]] = [
    app_commands.Choice(name=localized("choice.sort.relevance"), value="relevance"),
    app_commands.Choice(name=localized("choice.sort.votes"), value="votes"),
    app_commands.Choice(name=localized("choice.sort.newest"), value="newest"),
]


def store_of(interaction: discord.Interaction) -> Store:
    """The store of the bot handling ``interaction``."""
    return interaction.client.store  # type: ignore[attr-defined]


def choice(name: str, value: str) -> app_commands.Choice[str]:
    """A choice within Discord's limits (name and value 1-100 characters)."""
    return app_commands.Choice(
        name=embeds.choice_name(name), value=embeds.shorten(value, CHOICE_LIMIT, placeholder="")
    )


async def safe_choices(
    what: str, make: Callable[[], Awaitable[list[app_commands.Choice[str]]]]
) -> list[app_commands.Choice[str]]:
    """Run an autocomplete body; log and return no choices if it fails. Cap at 25, dedupe."""
    try:
        made = await make()
    except Exception:
        log.exception("Autocomplete for %s failed", what)
        return []
    seen: set[str] = set()
    out: list[app_commands.Choice[str]] = []
    for c in made:
        if c.value in seen or not c.value:
            continue
        seen.add(c.value)
        out.append(c)
        if len(out) >= MAX_CHOICES:
            break
    return out


async def day_choices(store: Store, current: str) -> list[app_commands.Choice[str]]:
    """Digest days starting with what was typed (newest first); the newest days when empty.

    When nothing starts like that but it reads as a date, offer the nearest days with a digest.
    """

    async def make() -> list[app_commands.Choice[str]]:
        text = current.strip()
        days = await store.days(prefix=text, limit=MAX_CHOICES)
        if not days and text:
            try:
                wanted = answers.parse_date(text)
            except InvalidDate:
                wanted = None
            if wanted is not None:
                before, after = await store.nearest_days(wanted)
                return [
                    choice(
                        tr("choice.day.nearest", day=embeds.format_date(d), wanted=wanted),
                        d.isoformat(),
                    )
                    for d in (before, after)
                    if d is not None
                ]
        return [
            choice(
                f"{embeds.format_date(d.date)} · {trn('count.papers', d.paper_count)}",
                d.date.isoformat(),
            )
            for d in days
        ]

    return await safe_choices("days", make)


class DateTransformer(app_commands.Transformer):
    """A ``YYYY-MM-DD`` option (also ``/`` or ``.``, or ``YYYYMMDD``) with digest days suggested.

    A bad date raises :class:`~bot.core.errors.InvalidDate`, which discord.py wraps in a
    ``TransformerError``; the global error handler says what is wrong, ephemerally.
    """

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.string

    @property
    def max_value(self) -> int:
        return 32

    async def transform(self, interaction: discord.Interaction, value: Any, /) -> dt.date:
        return answers.parse_date(str(value))

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction, value: str, /
    ) -> list[app_commands.Choice[str]]:
        return await day_choices(store_of(interaction), str(value))


DateOption = app_commands.Transform[dt.date, DateTransformer]


async def paper_choices(store: Store, current: str) -> list[app_commands.Choice[str]]:
    """Papers whose title starts like (or has a word starting like) what was typed."""

    async def make() -> list[app_commands.Choice[str]]:
        text = current.strip()
        out: list[app_commands.Choice[str]] = []
        if text and answers.looks_like_paper_ref(text):
            found = await store.paper(text)
            if found is not None:
                out.append(choice(f"{found.arxiv_id} · {found.title}", found.arxiv_id))
        for paper in await store.suggest_papers(text, limit=MAX_CHOICES):
            day = paper.last_day.isoformat() if paper.last_day else "?"
            out.append(choice(f"{paper.title} ({day})", paper.arxiv_id))
        return out

    return await safe_choices("papers", make)


async def author_choices(store: Store, current: str) -> list[app_commands.Choice[str]]:
    """Authors by name prefix (case- and diacritic-insensitive), most papers first."""

    async def make() -> list[app_commands.Choice[str]]:
        authors = await store.suggest_authors(current.strip(), limit=MAX_CHOICES)
        return [
            choice(f"{a.name} ({trn('count.papers', a.paper_count)})", a.name)
            for a in authors
            if len(a.name) <= CHOICE_LIMIT
        ]

    return await safe_choices("authors", make)
