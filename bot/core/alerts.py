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
move on). The DM itself is the :class:`Messenger`'s (the Discord one is
:class:`bot.discord_ui.alerts.ClientMessenger`): a DM that fails (:class:`DmFailed`) is retried
on the next tick; when the user cannot be reached (:class:`DmClosed`: DMs closed, or no such
user), their alerts are paused and they are told the next time they use a command (see
``PapersBot.on_app_command_completion``). Time comes from an injected clock; tests call
:meth:`AlertService.tick` directly and never sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.core.backoff import Backoff
from bot.core.coordination import DEFAULT_LEASE, new_process_id
from bot.core.errors import EmptyQuery, Wanted
from storage.errors import Unavailable
from storage.models import Alert, FeedBatch
from storage.text import one_line, parse_query

if TYPE_CHECKING:
    from storage.models import Paper
    from storage.ports import Store

log = logging.getLogger(__name__)

#: How often the store is checked for new imports (seconds).
TICK_SECONDS = 30.0
#: The longest wait between two attempts at a user's failing DM (seconds).
RETRY_CAP_SECONDS = 3600.0
#: Search results read per keyword alert and tick, at most (pages of 100).
MAX_SEARCH_RESULTS = 2000
_SEARCH_PAGE = 100


def check_keywords(text: str) -> str:
    """The keywords of a new alert, on one line; :class:`~bot.core.errors.EmptyQuery` when
    nothing in them is searchable (only punctuation)."""
    query = one_line(text or "")
    if parse_query(query).is_empty:
        raise EmptyQuery(Wanted.ALERT_KEYWORDS)
    return query


class DmClosed(Exception):
    """The user cannot be sent a direct message (DMs closed, or no such user): pause."""


class DmFailed(Exception):
    """A direct message failed for now (a server error, a rate limit, the network): try again
    after a backoff, at least ``retry_after`` seconds when Discord said so."""

    def __init__(self, *args: object, retry_after: float | None = None) -> None:
        super().__init__(*args)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class AlertMatch:
    """An alert and its new papers (newest first), with their row ids (same order)."""

    alert: Alert
    papers: tuple[Paper, ...]
    paper_ids: tuple[int, ...] = ()


class Messenger(Protocol):
    """Sends a user one direct message listing every new match (newest first per alert)."""

    async def send_alerts(self, user_id: int, matches: Sequence[AlertMatch]) -> None:
        """Send the DM; raise :class:`DmClosed` or :class:`DmFailed` when it is not sent."""
        ...


class FindsSent(Protocol):
    """A messenger that can also look for a DM it sent (the Discord one reads the DM channel)."""

    async def find_sent(
        self, user_id: int, matches: Sequence[AlertMatch], *, after: dt.datetime
    ) -> bool:
        """Whether a DM listing ``matches`` was sent to the user after ``after``; raises
        :class:`DmClosed` or :class:`DmFailed` when the DM channel cannot be read."""
        ...


#: An unfinished DM is looked for from this long before its claim (clock skew).
HISTORY_MARGIN = dt.timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Delivery:
    """What one tick did for one user."""

    user_id: int
    outcome: str  # "sent", "nothing", "paused", "failed"
    matches: tuple[AlertMatch, ...] = ()


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
        backoff: Backoff[int] | None = None,
        gate: Callable[[], Awaitable[bool]] | None = None,
        holder: str | None = None,
        lease: dt.timedelta = DEFAULT_LEASE,
    ) -> None:
        self.store = store
        #: Who this process is in ``alert_sends``, and how long a silent one stays alive.
        self.holder = holder or new_process_id()
        self.lease = lease
        #: Asked before each tick: False when another process sends the DMs now (its lease).
        self.gate = gate
        self.messenger = messenger
        self.clock = clock
        self.interval = interval
        #: Users whose last DM failed, and when they may be tried again.
        self.backoff = backoff or Backoff(base=interval, cap=max(interval, RETRY_CAP_SECONDS))
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
            except Unavailable as exc:  # the database is away: the next tick tries again
                log.warning("Alerts tick failed: %s", exc)
            except Exception:
                log.exception("Alerts tick failed")

    # ------------------------------------------------------------------ one tick

    async def tick(self) -> list[Delivery]:
        """Deliver what was imported since each alert's position; one DM per user at most."""
        async with self._lock:
            if self.gate is not None and not await self.gate():
                return []
            upto = await self.store.feed_position()
            now = self.clock()
            pending = [
                a
                for a in await self.store.pending_alerts(upto)
                if self.backoff.ready(a.user_id, now)
            ]
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
            # A search counts up to 1,000 (page.more: there are more), pages go on past it.
            done = offset >= page.total and not (page.more and page.items)
            if done or len(found) >= len(batch.papers):
                break
        return found

    async def _found(self, user_id: int, found: Sequence[AlertMatch], since: dt.datetime) -> bool:
        """Whether the DM of a send left unfinished (its process died) is in the DM channel;
        False when the messenger cannot tell (then it is sent: at least once beats never)."""
        finder = getattr(self.messenger, "find_sent", None)
        if finder is None:
            return False
        checked: FindsSent = self.messenger  # type: ignore[assignment]
        return await checked.find_sent(user_id, found, after=since - HISTORY_MARGIN)

    async def _deliver(
        self, user_id: int, alerts: Sequence[Alert], found: tuple[AlertMatch, ...], upto: int
    ) -> Delivery:
        ids = [a.id for a in alerts]
        if not found:
            await self.store.record_alert_run(ids, {}, upto=upto, at=self.clock())
            return Delivery(user_id, "nothing")
        now = self.clock()
        claim = await self.store.claim_alert_send(
            user_id, at=now, holder=self.holder, alive_since=now - self.lease
        )
        if claim is None:  # another live process is sending it right now
            return Delivery(user_id, "elsewhere", found)
        deliveries = {m.alert.id: m.paper_ids for m in found}
        try:
            if claim.unfinished_since is not None and await self._found(
                user_id, found, claim.unfinished_since
            ):
                log.info("User %s: their alert DM went out before a restart; recorded", user_id)
            else:
                await self.messenger.send_alerts(user_id, found)
        except DmClosed as exc:
            reason = exc.__cause__ or exc
            log.info("User %s: DMs closed (%s); pausing their alerts", user_id, reason)
            await self.store.pause_alerts(user_id, at=self.clock())
            await self.store.finish_alert_send(user_id, self.holder)
            return Delivery(user_id, "paused", found)
        except DmFailed as exc:
            reason = exc.__cause__ or exc
            wait = self.backoff.failed(user_id, self.clock(), retry_after=exc.retry_after)
            log.warning(
                "User %s: could not send their alerts (retry in %.0f s): %s", user_id, wait, reason
            )
            if claim.unfinished_since is None:  # nothing of this send can have gone out
                await self.store.finish_alert_send(user_id, self.holder)
            return Delivery(user_id, "failed", found)
        self.backoff.succeeded(user_id)
        await self.store.record_alert_run(ids, deliveries, upto=upto, at=self.clock())
        await self.store.finish_alert_send(user_id, self.holder)
        log.info(
            "User %s: sent %d new papers for %d alerts",
            user_id,
            sum(len(m.papers) for m in found),
            len(found),
        )
        return Delivery(user_id, "sent", found)
