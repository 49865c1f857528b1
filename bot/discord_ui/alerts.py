"""The Discord side of personal alerts: the DM, the ``/alerts`` cards, and the messenger.

:class:`ClientMessenger` is the :class:`bot.core.alerts.Messenger` of the bot: it renders the
matches as :func:`alert_dm_embed`, sends the DM without pinging anyone, and turns discord.py's
exceptions into :class:`~bot.core.alerts.DmClosed` (403, 404) or
:class:`~bot.core.alerts.DmFailed` (anything else).
"""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.core.alerts import AlertMatch, DmClosed, DmFailed
from bot.discord_ui import embeds
from bot.discord_ui.replies import NO_MENTIONS
from storage.models import Alert

#: Papers listed per alert in one DM; the rest are counted.
MAX_LINES_PER_ALERT = 10


class ClientMessenger:
    """DMs through a discord.py client: open (or reuse) the DM channel, then send."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def send_alerts(self, user_id: int, matches: Sequence[AlertMatch]) -> None:
        try:
            channel = await self.client.create_dm(discord.Object(id=user_id))
            await channel.send(embeds=[alert_dm_embed(matches)], allowed_mentions=NO_MENTIONS)
        except (discord.Forbidden, discord.NotFound) as exc:
            raise DmClosed() from exc
        except (discord.HTTPException, discord.ClientException, OSError) as exc:
            raise DmFailed() from exc


def alert_label(alert: Alert) -> str:
    """``“diffusion models”`` or ``author Yejin Choi`` (escaped, one line)."""
    text = embeds.escape(embeds.shorten(embeds.one_line(alert.query), 80))
    return f"author {text}" if alert.kind == "author" else f"“{text}”"


def alert_choice_name(alert: Alert) -> str:
    """An autocomplete label for an alert (no markdown there)."""
    kind = "Author" if alert.kind == "author" else "Keywords"
    paused = " (paused)" if alert.paused else ""
    return embeds.choice_name(f"#{alert.id} {kind}: {alert.query}{paused}")


def alert_dm_embed(matches: Sequence[AlertMatch]) -> discord.Embed:
    """One DM: every alert with new papers, each with its papers (numbered, linked, votes)."""
    total = len({p.arxiv_id for m in matches for p in m.papers})
    budget = embeds.DESCRIPTION_LIMIT - 80
    parts: list[str] = []
    used = 0
    for index, match in enumerate(matches):
        count = len(match.papers)
        header = f"**{alert_label(match.alert)}** · {embeds.plural(count, 'new paper')}"
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
            block.append(f"… and {hidden} more")
        text = "\n".join(block)
        if used + len(text) + 2 > budget:
            parts.append(f"… and {len(matches) - index} more alerts with new papers")
            break
        parts.append(text)
        used += len(text) + 2
    embed = discord.Embed(
        title=f"New papers for your alerts ({total})",
        description="\n\n".join(parts),
        colour=embeds.COLOUR,
    )
    embed.set_footer(text=f"/alerts list · /alerts remove · {embeds.CREDIT}")
    return embeds.fit(embed)


def alert_list_embed(
    alerts: Sequence[Alert], *, limit: int, note: str | None = None
) -> discord.Embed:
    """``/alerts list``: each alert with its number, kind, since when, and paused state."""
    lines = []
    for alert in alerts:
        kind = "👤" if alert.kind == "author" else "🔑"
        paused = " · **paused**" if alert.paused else ""
        lines.append(
            f"`#{alert.id}` {kind} {alert_label(alert)} · since "
            f"{alert.created_at.date().isoformat()}{paused}"
        )
    body = (
        "\n".join(lines)
        if lines
        else ("You have no alerts. `/alerts add keywords:…` or `/alerts add author:…` adds one.")
    )
    if note:
        body = f"*{note}*\n\n{body}"
    embed = discord.Embed(
        title=f"Your alerts ({len(alerts)}/{limit})", description=body, colour=embeds.COLOUR
    )
    embed.set_footer(text="New papers that match are sent to you by DM when new days are imported.")
    return embeds.fit(embed)


def paused_notice_embed(count: int) -> discord.Embed:
    """Told once after a DM bounced: the alerts are kept but paused."""
    return embeds.note_embed(
        f"I couldn't send you a direct message (your DMs are closed to me), so your "
        f"{embeds.plural(count, 'alert')} {'is' if count == 1 else 'are'} paused. Allow direct "
        "messages from this app (or a server we share), then use `/alerts list` to turn them "
        "back on.",
        title="Alerts paused",
    )
