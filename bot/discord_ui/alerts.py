"""The Discord side of personal alerts: the DM, the ``/alerts`` cards, and the messenger.

:class:`ClientMessenger` is the :class:`bot.core.alerts.Messenger` of the bot: it renders the
matches as :func:`alert_dm_embed` in the user's language, sends the DM without pinging anyone,
and turns discord.py's exceptions into :class:`~bot.core.alerts.DmClosed` (403, 404) or
:class:`~bot.core.alerts.DmFailed` (anything else).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import discord

from bot.core.alerts import AlertMatch, DmClosed, DmFailed
from bot.discord_ui import embeds
from bot.discord_ui.replies import NO_MENTIONS
from bot.discord_ui.translator import command_name
from bot.i18n import phrases
from bot.i18n.catalog import DEFAULT, tr, trn, use_locale
from storage.models import Alert

#: Papers listed per alert in one DM; the rest are counted.
MAX_LINES_PER_ALERT = 10


class ClientMessenger:
    """DMs through a discord.py client: open (or reuse) the DM channel, then send."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def send_alerts(self, user_id: int, matches: Sequence[AlertMatch]) -> None:
        """One DM with every match, in the user's language (stored with their alerts)."""
        language = next((m.alert.language for m in matches if m.alert.language), DEFAULT)
        with use_locale(language):
            embed = alert_dm_embed(matches)
        try:
            channel = await self.client.create_dm(discord.Object(id=user_id))
            await channel.send(embeds=[embed], allowed_mentions=NO_MENTIONS)
        except (discord.Forbidden, discord.NotFound) as exc:
            raise DmClosed() from exc
        except discord.RateLimited as exc:  # longer than the client waits by itself
            raise DmFailed(retry_after=exc.retry_after) from exc
        except (discord.HTTPException, discord.ClientException, OSError) as exc:
            raise DmFailed() from exc

    async def find_sent(
        self, user_id: int, matches: Sequence[AlertMatch], *, after: dt.datetime
    ) -> bool:
        """Whether the bot's DM to the user after ``after`` lists one of ``matches``' papers
        (a send whose process died before recording it)."""
        wanted = {p.abs_url for m in matches for p in m.papers}
        me = self.client.user.id if self.client.user is not None else None
        try:
            channel = await self.client.create_dm(discord.Object(id=user_id))
            async for message in channel.history(limit=HISTORY_LIMIT, after=after):
                if message.author.id != me:
                    continue
                text = " ".join(e.description or "" for e in message.embeds)
                if any(url in text for url in wanted):
                    return True
        except (discord.Forbidden, discord.NotFound) as exc:
            raise DmClosed() from exc
        except (discord.HTTPException, discord.ClientException, OSError) as exc:
            raise DmFailed() from exc
        return False


#: DMs read back at most when looking for an alert DM sent before a crash.
HISTORY_LIMIT = 50


def alert_label(alert: Alert) -> str:
    """``“diffusion models”`` or ``author Yejin Choi`` (escaped, one line)."""
    text = embeds.escape(embeds.shorten(embeds.one_line(alert.query), 80))
    return tr(
        "alerts.label.author" if alert.kind == "author" else "alerts.label.keywords", text=text
    )


def alert_choice_name(alert: Alert) -> str:
    """An autocomplete label for an alert (no markdown there)."""
    key = _CHOICE_NAMES[alert.kind, alert.paused]
    return embeds.choice_name(tr(key, id=alert.id, query=alert.query))


_CHOICE_NAMES = {
    ("author", False): "alerts.choice.author",
    ("keywords", False): "alerts.choice.keywords",
    ("author", True): "alerts.choice.author_paused",
    ("keywords", True): "alerts.choice.keywords_paused",
}


def alert_dm_embed(matches: Sequence[AlertMatch]) -> discord.Embed:
    """One DM: every alert with new papers, each with its papers (numbered, linked, votes)."""
    total = len({p.arxiv_id for m in matches for p in m.papers})
    budget = embeds.DESCRIPTION_LIMIT - 80
    parts: list[str] = []
    used = 0
    for index, match in enumerate(matches):
        count = len(match.papers)
        header = f"**{alert_label(match.alert)}** · {trn('alerts.dm.new_papers', count)}"
        lines = [
            embeds.paper_line(p, n, day=p.last_day)
            for n, p in enumerate(match.papers[:MAX_LINES_PER_ALERT], start=1)
        ]
        block = [header]
        for line in lines:
            if used + len("\n".join([*block, line])) > budget:
                break
            block.append(line)
        hidden = count - (len(block) - 1)
        if hidden:
            block.append(trn("alerts.dm.more_papers", hidden))
        text = "\n".join(block)
        if used + len(text) + 2 > budget:
            parts.append(trn("alerts.dm.more_alerts", len(matches) - index))
            break
        parts.append(text)
        used += len(text) + 2
    embed = discord.Embed(
        title=tr("alerts.dm.title", total=total),
        description="\n\n".join(parts),
        colour=embeds.COLOUR,
    )
    commands = f"/{command_name('alerts list')} · /{command_name('alerts remove')}"
    embed.set_footer(text=f"{commands} · {phrases.credit()}")
    return embeds.fit(embed)


def alert_list_embed(
    alerts: Sequence[Alert], *, limit: int, note: str | None = None
) -> discord.Embed:
    """``/alerts list``: each alert with its number, kind, since when, and paused state."""
    lines = []
    for alert in alerts:
        kind = "👤" if alert.kind == "author" else "🔑"
        since = tr("alerts.list.since", day=embeds.format_date(alert.created_at.date()))
        paused = f" · **{tr('alerts.list.paused')}**" if alert.paused else ""
        lines.append(f"`#{alert.id}` {kind} {alert_label(alert)} · {since}{paused}")
    body = "\n".join(lines) if lines else tr("alerts.list.none")
    if note:
        body = f"*{note}*\n\n{body}"
    embed = discord.Embed(
        title=tr("alerts.list.title", count=len(alerts), limit=limit),
        description=body,
        colour=embeds.COLOUR,
    )
    embed.set_footer(text=tr("alerts.list.footer"))
    return embeds.fit(embed)


def paused_notice_embed(count: int) -> discord.Embed:
    """Told once after a DM bounced: the alerts are kept but paused."""
    return embeds.note_embed(trn("alerts.paused.text", count), title=tr("alerts.paused.title"))
