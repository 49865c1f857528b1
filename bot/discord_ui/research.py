"""Research answers on Discord: similar papers (and the Similar button), the trends chart, and
the papers whose votes rose (``/top rank:rising``).

The Similar button is a :class:`discord.ui.DynamicItem` like the Save button
(:mod:`bot.discord_ui.reading`): its custom id carries the paper (``similar:2406.01234``), so it
works on any card, for anyone, after a restart; its answer is private to the presser. Lists
carry the Save menu of their papers.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import discord

from bot.core import research
from bot.discord_ui import embeds
from bot.discord_ui.reading import (
    PAPER_ID,
    PaperButton,
    SaveButton,
    SavePicker,
    allowed,
    button_row,
    paper_options,
)
from bot.discord_ui.replies import reply, reply_error
from bot.i18n import charts, phrases
from bot.i18n.catalog import locale_from_discord, set_locale, tr
from storage.errors import UnknownPaper
from storage.models import Page, Paper, RisingPaper, SimilarPapers

if TYPE_CHECKING:
    from bot.discord_ui.client import PapersBot

#: The chart's attachment name.
CHART_FILE = "trends.png"


class SimilarButton(PaperButton, template=rf"similar:(?P<id>{PAPER_ID})"):
    """Show the presser (privately) the papers most like this one."""

    _prefix, _label, _emoji = "similar", "similar.button", "🧭"

    async def callback(self, interaction: discord.Interaction) -> None:
        set_locale(locale_from_discord(interaction.locale))
        if not await allowed(interaction):
            return
        bot: PapersBot = interaction.client  # type: ignore[assignment]
        try:
            found = await research.similar(bot.store, self.arxiv_id)
        except UnknownPaper as exc:
            await reply_error(interaction, embeds.error_embed(phrases.describe_error(exc)))
            return
        embed, view = present_similar(found)
        await reply(interaction, embed, ephemeral=True, view=view)


class SimilarPicker(discord.ui.DynamicItem[discord.ui.Select[Any]], template=r"similar:pick"):
    """A menu of the papers of a digest post: picking one shows the picker (privately) the
    papers most like it. Dynamic: anyone may use it, after restarts too."""

    def __init__(self) -> None:
        super().__init__(
            discord.ui.Select(
                placeholder=tr("similar.pick.placeholder"), custom_id="similar:pick", row=2
            )
        )

    def show(self, papers: Sequence[Paper]) -> None:
        """Offer ``papers`` (at most 25)."""
        self.item.options = paper_options(papers)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> SimilarPicker:
        return cls()

    async def callback(self, interaction: discord.Interaction) -> None:
        await SimilarButton(self.item.values[0]).callback(interaction)


def digest_view(papers: Sequence[Paper]) -> discord.ui.View | None:
    """The menus under a digest post: save one of its papers, or see the papers like one."""
    if not papers:
        return None
    saver, similar = SavePicker(), SimilarPicker()
    saver.show(papers)
    similar.show(papers)
    return button_row(saver, similar)


def card_view(arxiv_id: str) -> discord.ui.View:
    """The buttons under a paper card: Save and Similar."""
    return button_row(SaveButton(arxiv_id), SimilarButton(arxiv_id))


def _save_menu(papers: Sequence[Paper]) -> discord.ui.View | None:
    if not papers:
        return None
    picker = SavePicker()
    picker.show(papers)
    return button_row(picker)


def similar_embed(found: SimilarPapers) -> discord.Embed:
    """The papers like ``found.paper``, numbered, each with its reasons in a few words."""
    paper = found.paper
    lines = []
    for rank, item in enumerate(found.items, start=1):
        why = phrases.similar_reasons(item, shown=embeds.escape)
        lines.append(f"{embeds.paper_line(item.paper, rank)}\n  *{why}*")
    embed = embeds.paper_list_embed(
        tr("similar.title", title=embeds.shorten(embeds.one_line(paper.title), 200)),
        Page(tuple(i.paper for i in found.items), len(found.items), 0, max(1, len(found.items))),
        order=tr("similar.order"),
        empty=tr("similar.empty"),
    )
    if lines:
        header = tr("similar.of", id=paper.arxiv_id)
        embed.description = embeds.shorten(header + "\n\n" + "\n".join(lines), 4000)
    embed.url = paper.abs_url
    return embeds.fit(embed)


def present_similar(found: SimilarPapers) -> tuple[discord.Embed, discord.ui.View | None]:
    """The similar papers and a Save menu of them."""
    return similar_embed(found), _save_menu([i.paper for i in found.items])


async def trends_message(answer: research.TrendsAnswer) -> tuple[discord.Embed, discord.File]:
    """The chart as an attachment, in an embed whose text says what it shows."""
    png = await charts.chart_png(answer)
    embed = discord.Embed(
        title=embeds.shorten(tr("trends.title", terms=", ".join(answer.terms)), 256),
        description=embeds.escape(embeds.shorten(phrases.trends_summary(answer), 4000)),
        colour=discord.Colour.blurple(),
    )
    embed.set_image(url=f"attachment://{CHART_FILE}")
    embed.set_footer(text=phrases.credit())
    return embeds.fit(embed), discord.File(
        io.BytesIO(png),
        filename=CHART_FILE,
        description=embeds.shorten(phrases.trends_summary(answer), 1000),
    )


def trends_none_embed(answer: research.TrendsAnswer) -> discord.Embed:
    """No chart: why (no papers in the range mention the terms, or no data at all)."""
    return embeds.note_embed(
        embeds.escape(phrases.trends_note(answer)), title=tr("trends.none.title")
    )


def rising_embed(answer: research.RisingAnswer, page: Page[RisingPaper]) -> discord.Embed:
    """Papers by votes gained in the range, each with its gain."""
    lines = [
        f"{embeds.paper_line(item.paper, rank)} · "
        f"**{phrases.rising_gain(item.start_votes, item.end_votes)}**"
        for rank, item in enumerate(page.items, start=page.offset + 1)
    ]
    papers = Page(tuple(i.paper for i in page.items), page.total, page.offset, page.limit)
    embed = embeds.paper_list_embed(
        tr("rising.title", label=phrases.rising_label(answer)),
        papers,
        note=phrases.rising_note(answer) or None,
        order=tr("rising.order"),
        empty=tr("rising.empty"),
    )
    note = phrases.rising_note(answer)
    header = f"*{embeds.escape(note)}*\n\n" if note else ""
    if lines:
        embed.description = embeds.shorten(header + "\n".join(lines), 4000)
    return embeds.fit(embed)
