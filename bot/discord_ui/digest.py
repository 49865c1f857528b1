"""What a server's daily digest post looks like, and the ``/digest show`` card: pure functions.

A digest post is one or more messages, each a list of embeds within Discord's limits (at most
10 embeds and 6,000 characters per message, 4,096 per description). Every paper is one block:
rank, linked title, votes, one or two lines of summary, and links. Blocks are never split.

A post can be recognised later in the channel's history
(:meth:`bot.discord_ui.poster.ChannelPoster.find_sent`): its first embed links to the day on
Hugging Face (:func:`day_url`) and its last embed's footer starts with :func:`digest_marker`
(``Daily Papers digest · 2024-06-13``), so a post whose footer is there was sent whole.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import discord

from bot.discord_ui import embeds
from bot.discord_ui.embeds import ELLIPSIS, escape, format_votes, link, one_line, shorten
from bot.i18n import phrases
from bot.i18n.catalog import LANGUAGES, supported, tr, trn, use_locale
from storage.models import DigestPost, DigestRun, DigestSettings, Paper, RunOutcome

EMBEDS_PER_MESSAGE = 10
#: Room kept under the 6,000 total for the title and footer of each embed.
MESSAGE_BUDGET = embeds.TOTAL_LIMIT - 400
DESCRIPTION_BUDGET = embeds.DESCRIPTION_LIMIT - 96
SUMMARY_CHARS = 220
#: Before a summary line a language model wrote (the card says so in words).
MACHINE_MARK = "\N{ROBOT FACE}"
TITLE_CHARS = 150


def summary_line(paper: Paper, *, limit: int = SUMMARY_CHARS) -> str:
    """One or two lines of summary, shortened: the digest's first bullet (the Korean "What's
    New"); for a paper known only from the API (its abstract), the first generated Korean bullet
    after a robot mark (machine-written) when there is one, else the API's shorter AI summary."""
    if not paper.has_archive_summary and paper.generated and paper.generated.bullets:
        text = paper.generated.bullets[0].text
        return f"{MACHINE_MARK} {escape(shorten(one_line(text), limit - 2))}"
    if paper.ai_summary and not paper.has_archive_summary:
        text = paper.ai_summary
    else:
        text = paper.summary[0].text if paper.summary else ""
    return escape(shorten(one_line(text), limit)) if text else ""


def paper_block(paper: Paper, rank: int, day: dt.date) -> str:
    """One paper of the digest: ``1. [Title](abs) ▲ 47``, its summary line, and links."""
    votes = next((a.votes for a in paper.days if a.date == day), paper.votes)
    lines = [
        f"**{rank}.** {link(paper.title, paper.abs_url, limit=TITLE_CHARS)} {format_votes(votes)}"
    ]
    summary = summary_line(paper)
    if summary:
        lines.append(summary)
    links = embeds.link_row(paper, abstract=False, extras=False)
    if links:
        lines.append(links)
    return "\n".join(lines)


def digest_marker(day: dt.date) -> str:
    """The stable start of a digest post's last footer: ``Daily Papers digest · 2024-06-13``
    (in the post's language)."""
    return tr("digest.marker", day=day.isoformat())


def day_url(day: dt.date) -> str:
    return f"https://huggingface.co/papers?date={day.isoformat()}"


def opens_digest(message_embeds: Sequence[discord.Embed], day: dt.date) -> bool:
    """Whether a message's embeds are the first message of the ``day`` digest post."""
    return bool(message_embeds) and message_embeds[0].url == day_url(day)


def closes_digest(message_embeds: Sequence[discord.Embed], day: dt.date) -> bool:
    """Whether a message's embeds end the ``day`` digest post (the marker in the footer, in
    any language: the server may have changed its digest language since)."""
    markers = []
    for language in LANGUAGES:
        with use_locale(language):
            markers.append(digest_marker(day))
    footers = [e.footer.text or "" for e in message_embeds]
    return any(footer.startswith(marker) for footer in footers for marker in markers)


def digest_messages(
    day: dt.date, papers: Sequence[Paper], *, total: int | None = None
) -> list[list[discord.Embed]]:
    """The messages of one digest post: the day's ``papers`` (already in order) as blocks.

    The first embed carries the title (linked to the day on Hugging Face); later embeds
    continue the list. Each message holds at most 10 embeds and stays under 6,000 characters.
    """
    total = len(papers) if total is None else total
    blocks = [paper_block(p, rank, day) for rank, p in enumerate(papers, start=1)]
    if not blocks:
        blocks = [f"*{tr('digest.empty')}*"]
    descriptions: list[str] = []
    current = ""
    for block in blocks:
        block = shorten(block, DESCRIPTION_BUDGET)
        candidate = f"{current}\n\n{block}" if current else block
        if len(candidate) > DESCRIPTION_BUDGET or (
            current and len(candidate) > MESSAGE_BUDGET // 2
        ):
            descriptions.append(current)
            current = block
        else:
            current = candidate
    descriptions.append(current)

    shown = len(papers)
    top = trn("digest.top", shown, total=trn("count.papers", total))
    footer = f"{digest_marker(day)} · {top} · {phrases.credit()}"
    messages: list[list[discord.Embed]] = [[]]
    used = 0
    for index, description in enumerate(descriptions):
        embed = discord.Embed(description=description, colour=embeds.COLOUR)
        if index == 0:
            embed.title = embeds.day_title(day)
            embed.url = day_url(day)
        if index == len(descriptions) - 1:
            embed.set_footer(text=footer)
        embeds.fit(embed)
        size = len(embed)
        if messages[-1] and (
            used + size > MESSAGE_BUDGET or len(messages[-1]) >= EMBEDS_PER_MESSAGE
        ):
            messages.append([])
            used = 0
        messages[-1].append(embed)
        used += size
    return messages


_LANGUAGE_NAMES = {"ko": "language.ko", "en": "language.en"}


def post_language_name(settings: DigestSettings) -> str:
    """``한국어``, ``English``, or ``the server's (한국어)`` when none was chosen."""
    if settings.language is not None:
        return tr(_LANGUAGE_NAMES[supported(settings.language)])
    own = tr(_LANGUAGE_NAMES[supported(settings.guild_locale)])
    return tr("digest.language.server", language=own)


#: How a run's outcome is said.
_OUTCOMES: dict[RunOutcome, str] = {
    "posted": "digest.outcome.posted",
    "skipped": "digest.outcome.skipped",
    "failed": "digest.outcome.failed",
    "sending": "digest.outcome.sending",
}


def _when(moment: dt.datetime | None, tz: dt.tzinfo) -> str:
    if moment is None:
        return "—"
    local = moment.astimezone(tz)
    return f"{local:%Y-%m-%d %H:%M} ({local.tzname()}) · <t:{int(moment.timestamp())}:R>"


def settings_embed(
    settings: DigestSettings | None,
    *,
    tz: dt.tzinfo,
    next_run: dt.datetime | None,
    last_post: DigestPost | None,
    last_run: DigestRun | None,
) -> discord.Embed:
    """``/digest show``: the settings, the next post time, the last post, the last error."""
    if settings is None:
        return embeds.note_embed(tr("digest.show.none"), title=tr("digest.state.off"))
    state = "digest.state.on" if settings.enabled else "digest.state.off"
    embed = discord.Embed(title=tr(state), colour=embeds.COLOUR)
    embed.add_field(name=tr("digest.field.channel"), value=f"<#{settings.channel_id}>", inline=True)
    embed.add_field(
        name=tr("digest.field.time"),
        value=f"{settings.post_time:%H:%M} {escape(settings.timezone)}",
        inline=True,
    )
    embed.add_field(name=tr("digest.field.papers"), value=str(settings.count), inline=True)
    embed.add_field(
        name=tr("digest.field.language"), value=post_language_name(settings), inline=True
    )
    embed.add_field(
        name=tr("digest.field.next"),
        value=_when(next_run, tz) if settings.enabled else tr("digest.next.off"),
        inline=False,
    )
    if last_post is not None:
        embed.add_field(
            name=tr("digest.field.last_post"),
            value=tr(
                "digest.last_post",
                day=embeds.format_date(last_post.digest_date),
                channel=f"<#{last_post.channel_id}>",
                when=_when(last_post.posted_at, tz),
            ),
            inline=False,
        )
    if last_run is not None and last_run.outcome != "posted":
        if last_run.outcome == "sending" and last_run.digest_date is not None:
            text = phrases.sending_digest(last_run.digest_date)
        else:
            text = phrases.recorded_detail(last_run.detail)
        detail = escape(shorten(one_line(text), 300)) or ELLIPSIS
        embed.add_field(
            name=tr(
                "digest.field.last_run",
                slot=last_run.slot.isoformat(),
                outcome=tr(_OUTCOMES[last_run.outcome]),
            ),
            value=detail,
            inline=False,
        )
    if settings.last_error:
        error = escape(shorten(one_line(phrases.recorded_detail(settings.last_error)), 600))
        embed.add_field(
            name=tr("digest.field.last_error"),
            value=f"{error}\n{_when(settings.last_error_at, tz)}",
            inline=False,
        )
        embed.colour = embeds.ERROR_COLOUR
    return embeds.fit(embed)
