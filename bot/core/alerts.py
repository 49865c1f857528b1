"""Personal alerts: match newly imported papers against each user's alerts and DM the matches.

:class:`AlertService` runs a tick every :data:`TICK_SECONDS` (started in ``PapersBot.setup_hook``,
stopped in ``close``). A tick reads the store's import clock (:meth:`Store.feed_position`, a
sequence bumped by a trigger in every import's transaction, so imports by the bot's own fetch
job and by ``papers-bot import`` in another process are both seen within one tick). For each
user with alerts behind that position it gathers the papers with a new appearance since each
alert's position, matches them, and sends one DM listing every new match, grouped by alert:

* keyword alerts use :meth:`Store.search` over the new papers' days, kept to the new papers;
* author alerts match the normalized author key (:meth:`Store.author_matches`).

Papers already sent for an alert are never sent again. The deliveries and the new positions are
recorded only after the DM was sent; a user with no new match gets no DM (their alerts still
move on). A DM that fails is retried on the next tick, except when Discord answers 403 (the
user's DMs are closed) or 404: then the user's alerts are paused and they are told the next time
they use a command (see ``PapersBot.on_app_command_completion``). Time comes from an injected
clock; tests call :meth:`AlertService.tick` directly and never sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import discord

from bot.core import answers
from bot.discord_ui import embeds
from bot.discord_ui.replies import NO_MENTIONS
from storage.models import Alert, FeedBatch
from storage.text import parse_query

if TYPE_CHECKING:
    from storage.models import Paper
    from storage.ports import Store

log = logging.getLogger(__name__)

#: How often the store is checked for new imports (seconds).
TICK_SECONDS = 30.0
#: Search results read per keyword alert and tick, at most (pages of 100).
MAX_SEARCH_RESULTS = 2000
_SEARCH_PAGE = 100
#: Papers listed per alert in one DM; the rest are counted.
MAX_LINES_PER_ALERT = 10


class Messenger(Protocol):
    """Sends a direct message; raises ``discord.HTTPException`` subclasses on failure."""

    async def send_dm(self, user_id: int, embeds: Sequence[discord.Embed]) -> None: ...


class ClientMessenger:
    """DMs through a discord.py client: open (or reuse) the DM channel, then send."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def send_dm(self, user_id: int, embeds: Sequence[discord.Embed]) -> None:
        channel = await self.client.create_dm(discord.Object(id=user_id))
        await channel.send(embeds=list(embeds), allowed_mentions=NO_MENTIONS)


@dataclass(frozen=True, slots=True)
class AlertMatch:
    """An alert and its new papers (newest first), with their row ids (same order)."""

    alert: Alert
    papers: tuple[Paper, ...]
    paper_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Delivery:
    """What one tick did for one user."""

    user_id: int
    outcome: str  # "sent", "nothing", "paused", "failed"
    matches: tuple[AlertMatch, ...] = ()


# --------------------------------------------------------------------------- rendering


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


def check_keywords(text: str) -> str:
    """The keywords of a new alert, one line; :class:`answers.UserError` when nothing in them
    is searchable (only punctuation)."""
    query = " ".join((text or "").split())
    if parse_query(query).is_empty:
        raise answers.UserError(
            "Those keywords have nothing to search for: use words in English or Korean "
            "(e.g. `diffusion`, `확산 모델`)."
        )
    return query


def paused_notice_embed(count: int) -> discord.Embed:
    """Told once after a DM bounced: the alerts are kept but paused."""
    return embeds.note_embed(
        f"I couldn't send you a direct message (your DMs are closed to me), so your "
        f"{embeds.plural(count, 'alert')} {'is' if count == 1 else 'are'} paused. Allow direct "
        "messages from this app (or a server we share), then use `/alerts list` to turn them "
        "back on.",
        title="Alerts paused",
    )


# --------------------------------------------------------------------------- the service


class AlertService:
    """Matches new imports against alerts and DMs each user once per import (see module doc)."""

    def __init__(
        self,
        *,
        store: Store,
        messenger: Messenger,
        clock: Callable[[], dt.datetime],
        interval: float = TICK_SECONDS,
    ) -> None:
        self.store = store
        self.messenger = messenger
        self.clock = clock
        self.interval = interval
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Tick every ``interval`` seconds in the background (the first tick after one)."""
        if not self.running:
            self._task = asyncio.create_task(self._loop(), name="alerts-watcher")

    async def stop(self) -> None:
        """Stop ticking (safe to call twice); a tick in progress is cancelled."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.tick()
            except Exception:
                log.exception("Alerts tick failed")

    # ------------------------------------------------------------------ one tick

    async def tick(self) -> list[Delivery]:
        """Deliver what was imported since each alert's position; one DM per user at most."""
        async with self._lock:
            upto = await self.store.feed_position()
            pending = await self.store.pending_alerts(upto)
            if not pending:
                return []
            matches = await self._match(pending, upto)
            by_user: dict[int, list[Alert]] = defaultdict(list)
            for alert in pending:
                by_user[alert.user_id].append(alert)
            results = []
            for user_id, alerts in by_user.items():
                found = tuple(m for a in alerts if (m := matches.get(a.id)) and m.papers)
                results.append(await self._deliver(user_id, alerts, found, upto))
            await self.store.prune_import_feed()
            return results

    async def _match(self, pending: Sequence[Alert], upto: int) -> dict[int, AlertMatch]:
        """Each pending alert's new, not yet delivered papers."""
        batches: dict[int, FeedBatch] = {}
        for after in sorted({a.seen_seq for a in pending}):
            batches[after] = await self.store.feed_batch(after, upto)
        delivered = await self.store.delivered(a.id for a in pending)
        keyword_hits: dict[tuple[str, int], set[str]] = {}
        author_hits: dict[int, dict[str, set[int]]] = {}
        wanted: dict[int, list[int]] = {}
        for alert in pending:
            batch = batches[alert.seen_seq]
            if not batch.papers:
                continue
            if alert.kind == "author":
                if alert.seen_seq not in author_hits:
                    keys = {a.match_key for a in pending if a.kind == "author"}
                    author_hits[alert.seen_seq] = await self.store.author_matches(
                        keys, batch.papers.values()
                    )
                ids = author_hits[alert.seen_seq].get(alert.match_key, set())
            else:
                cache_key = (alert.match_key, alert.seen_seq)
                if cache_key not in keyword_hits:
                    keyword_hits[cache_key] = await self._search(alert.query, batch)
                ids = {batch.papers[a] for a in keyword_hits[cache_key]}
            fresh = ids - delivered.get(alert.id, set())
            if fresh:
                wanted[alert.id] = sorted(fresh)
        every_id = sorted({i for ids in wanted.values() for i in ids})
        papers = {p.arxiv_id: p for p in await self.store.papers_by_ids(every_id)}
        ids_by_arxiv = {pid: arxiv for b in batches.values() for arxiv, pid in b.papers.items()}
        out: dict[int, AlertMatch] = {}
        for alert in pending:
            chosen = [
                (i, papers[ids_by_arxiv[i]])
                for i in wanted.get(alert.id, ())
                if ids_by_arxiv.get(i) in papers
            ]
            chosen.sort(key=lambda c: (c[1].last_day or dt.date.min, c[1].votes or 0), reverse=True)
            out[alert.id] = AlertMatch(
                alert, tuple(p for _, p in chosen), tuple(i for i, _ in chosen)
            )
        return out

    async def _search(self, query: str, batch: FeedBatch) -> set[str]:
        """arXiv ids of the batch's papers that the store's search finds for ``query``."""
        found: set[str] = set()
        offset = 0
        while offset < MAX_SEARCH_RESULTS:
            page = await self.store.search(
                query,
                since=batch.since,
                until=batch.until,
                sort="newest",
                limit=_SEARCH_PAGE,
                offset=offset,
            )
            found.update(h.paper.arxiv_id for h in page.items if h.paper.arxiv_id in batch.papers)
            offset += _SEARCH_PAGE
            if offset >= page.total or len(found) >= len(batch.papers):
                break
        return found

    async def _deliver(
        self, user_id: int, alerts: Sequence[Alert], found: tuple[AlertMatch, ...], upto: int
    ) -> Delivery:
        ids = [a.id for a in alerts]
        if not found:
            await self.store.record_alert_run(ids, {}, upto=upto, at=self.clock())
            return Delivery(user_id, "nothing")
        try:
            await self.messenger.send_dm(user_id, [alert_dm_embed(found)])
        except (discord.Forbidden, discord.NotFound) as exc:
            log.info("User %s: DMs closed (%s); pausing their alerts", user_id, exc)
            await self.store.pause_alerts(user_id, at=self.clock())
            return Delivery(user_id, "paused", found)
        except (discord.HTTPException, discord.ClientException, OSError) as exc:
            log.warning("User %s: could not send their alerts (will retry): %s", user_id, exc)
            return Delivery(user_id, "failed", found)
        deliveries = {m.alert.id: m.paper_ids for m in found}
        await self.store.record_alert_run(ids, deliveries, upto=upto, at=self.clock())
        log.info(
            "User %s: sent %d new papers for %d alerts",
            user_id,
            sum(len(m.papers) for m in found),
            len(found),
        )
        return Delivery(user_id, "sent", found)
