"""The daily digest scheduler: one cron job per server, exactly one post per server and day.

:class:`DigestScheduler` owns an APScheduler 3 ``AsyncIOScheduler``. Each enabled server gets a
``CronTrigger`` at its local time in its own ``ZoneInfo`` (so daylight-saving changes move the
UTC time, not the local one); an optional interval job fetches new days (:mod:`bot.core.fetch`).

Exactly once. A scheduled post belongs to a *slot*: the server's local date of the trigger's
fire time. Before posting, the slot is looked up in the store: a slot already ``posted`` or
``skipped`` does nothing, so a second fire on the same local day (the repeated hour when clocks
go back) or a restart after posting never posts again. Just before the first message is sent
the slot is recorded as ``sending`` (with the day and the time); the post is recorded only
after every message was sent (a digest that fails halfway is ``failed``, which a later attempt
within the grace window retries). A digest day is also posted at most once per server
(``digest_posts``).

In flight. A slot found ``sending`` means an earlier process died after it began to send and
before it recorded the post. The channel's history since then (less :data:`HISTORY_MARGIN`) is
read for the bot's own post of that day (the Discord poster): when it is there,
the post is recorded without sending anything; when it is not (or the history cannot be read:
``Forbidden``, logged), the digest is posted (at least once beats never), or, past the grace
window, the slot is skipped as any missed slot is.

Catch-up. On start, and every 10 minutes after, for each server the latest fire time at or
before now is checked: when its slot is unsettled (never tried, or failed) and it is at most
``grace`` old, the digest is posted at once; older, the slot is recorded as skipped. Slots
before the settings were saved are ignored. So a failed post is retried every 10 minutes until
the grace window ends, never in a tight loop.

Faults. A deleted channel or a lost permission (``discord.NotFound``/``Forbidden``) is logged and
recorded on the server's settings (``/digest show``); other servers are not affected. Rate
limits are waited out by discord.py; nothing here retries in a loop.

Time comes from an injected clock, so tests never sleep.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol
from zoneinfo import ZoneInfo

import discord
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.discord_ui.digest import closes_digest, digest_messages, opens_digest
from bot.discord_ui.replies import NO_MENTIONS
from storage.models import FINAL_OUTCOMES, DigestRun, DigestSettings

if TYPE_CHECKING:
    from storage.ports import Store

log = logging.getLogger(__name__)

FETCH_JOB_ID = "fetch"
CATCH_UP_JOB_ID = "catch-up"
#: How often unsettled slots (a failed post) are tried again, within the grace window.
CATCH_UP_EVERY = dt.timedelta(minutes=10)
#: An in-flight post is looked for in the channel from this long before it was recorded
#: (clock skew between this machine and Discord).
HISTORY_MARGIN = dt.timedelta(minutes=5)
#: How many messages after that moment are read when looking for it.
HISTORY_LIMIT = 100
Outcome = Literal["posted", "skipped", "failed", "settled", "off"]


def job_id(guild_id: int) -> str:
    return f"digest:{guild_id}"


def zone(name: str) -> dt.tzinfo:
    """The ``ZoneInfo`` for an IANA name (``UTC`` also without a tz database)."""
    try:
        return ZoneInfo(name)
    except Exception:
        if name.upper() in ("UTC", "ETC/UTC"):
            return dt.UTC
        raise


def cron_trigger(settings: DigestSettings) -> CronTrigger:
    """Every day at the server's local time, in its time zone."""
    return CronTrigger(
        hour=settings.post_time.hour,
        minute=settings.post_time.minute,
        timezone=zone(settings.timezone),
    )


def fire_time_on(trigger: CronTrigger, day: dt.date, tz: dt.tzinfo) -> dt.datetime | None:
    """When ``trigger`` fires on the local date ``day`` (the trigger decides DST gaps)."""
    midnight = dt.datetime.combine(day, dt.time(0), tz)
    fire = trigger.get_next_fire_time(None, midnight)
    if fire is None or fire.astimezone(tz).date() != day:
        return None
    return fire


def last_fire_time(settings: DigestSettings, now: dt.datetime) -> dt.datetime | None:
    """The latest fire time of the server's trigger at or before ``now``."""
    tz = zone(settings.timezone)
    trigger = cron_trigger(settings)
    today = now.astimezone(tz).date()
    for day in (today, today - dt.timedelta(days=1), today - dt.timedelta(days=2)):
        fire = fire_time_on(trigger, day, tz)
        if fire is not None and fire <= now:
            return fire
    return None


def slot_of(settings: DigestSettings, fire: dt.datetime) -> dt.date:
    """The slot (local date) a fire time belongs to."""
    return fire.astimezone(zone(settings.timezone)).date()


def describe_error(exc: BaseException) -> str:
    """A short human reason for a failed post (shown to admins)."""
    if isinstance(exc, discord.NotFound):
        return (
            "The digest channel no longer exists (or the bot cannot see it): choose another "
            "with /digest set"
        )
    if isinstance(exc, discord.Forbidden):
        return (
            "The bot lost permission to post in the digest channel (it needs View Channel, "
            "Send Messages and Embed Links)"
        )
    if isinstance(exc, discord.HTTPException):
        return f"Discord refused the post ({exc.status}: {exc.text or exc.__class__.__name__})"
    return f"Posting failed ({exc.__class__.__name__}: {exc})"


class Poster(Protocol):
    """Sends the messages of one digest to a channel; returns the message ids."""

    async def send(self, channel_id: int, messages: Sequence[Sequence[discord.Embed]]) -> list[int]:
        """Send every message or raise; on failure, what was sent is deleted (best effort)."""
        ...

    async def find_sent(self, channel_id: int, day: dt.date, *, after: dt.datetime) -> list[int]:
        """The ids of the bot's own post of the ``day`` digest sent after ``after``, when it
        was sent whole; ``[]`` when not. Raises ``discord.HTTPException`` (e.g. ``Forbidden``
        without Read Message History) when the channel's history cannot be read."""
        ...


class ChannelPoster:
    """Posts through discord.py channel objects; ``resolve`` finds the channel by id."""

    def __init__(
        self,
        resolve: Callable[[int], Awaitable[Any]],
        *,
        me: Callable[[], int | None] = lambda: None,
    ) -> None:
        self.resolve = resolve
        self.me = me  # the bot's user id (None: unknown, any author counts)

    @classmethod
    def for_client(cls, client: discord.Client) -> ChannelPoster:
        async def resolve(channel_id: int) -> Any:
            return client.get_channel(channel_id) or await client.fetch_channel(channel_id)

        return cls(resolve, me=lambda: client.user.id if client.user else None)

    async def find_sent(self, channel_id: int, day: dt.date, *, after: dt.datetime) -> list[int]:
        """Read the channel's history after ``after`` (oldest first) for the bot's own post
        of ``day``: from its first message to the one carrying the footer marker."""
        channel = await self.resolve(channel_id)
        me = self.me()
        ids: list[int] = []
        collecting = False
        async for message in channel.history(limit=HISTORY_LIMIT, after=after, oldest_first=True):
            if me is not None and getattr(message.author, "id", None) != me:
                continue
            message_embeds = list(message.embeds)
            message_id = int(message.id)
            if opens_digest(message_embeds, day):
                collecting, ids = True, [message_id]
            elif collecting and message_embeds and not message_embeds[0].title:
                ids.append(message_id)  # a continuation: no title
            if closes_digest(message_embeds, day):
                if not ids or ids[-1] != message_id:
                    ids.append(message_id)
                return ids
        return []  # not there, or only partly (its last message never went out)

    async def send(self, channel_id: int, messages: Sequence[Sequence[discord.Embed]]) -> list[int]:
        channel = await self.resolve(channel_id)
        sent: list[Any] = []
        try:
            for embeds in messages:
                sent.append(await channel.send(embeds=list(embeds), allowed_mentions=NO_MENTIONS))
        except BaseException:
            for message in sent:  # a half-posted digest is not left behind
                try:
                    await message.delete()
                except Exception as exc:
                    log.debug("Could not delete part of a failed digest: %s", exc)
            raise
        return [int(m.id) for m in sent]


@dataclass(frozen=True, slots=True)
class RunResult:
    """What one attempt did: ``outcome`` and, when posted, the day; ``detail`` says why not."""

    guild_id: int
    outcome: Outcome
    digest_date: dt.date | None = None
    detail: str | None = None


class DigestScheduler:
    """Schedules and posts every server's daily digest (see the module docstring)."""

    def __init__(
        self,
        *,
        store: Store,
        poster: Poster,
        clock: Callable[[], dt.datetime],
        grace: dt.timedelta = dt.timedelta(hours=6),
        fetch: Callable[[], Awaitable[Any]] | None = None,
        fetch_interval: dt.timedelta | None = None,
        scheduler: AsyncIOScheduler | None = None,
    ) -> None:
        self.store = store
        self.poster = poster
        self.clock = clock
        self.grace = grace
        self.fetch = fetch
        self.fetch_interval = fetch_interval
        self.scheduler = scheduler or AsyncIOScheduler(timezone=dt.UTC)
        self._locks: dict[int, asyncio.Lock] = {}
        self._startup: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def running(self) -> bool:
        return bool(self.scheduler.running)

    async def start(self, *, catch_up: bool = True) -> None:
        """Start the scheduler with a job per enabled server, then (in the background) fetch
        once and post what is due within the grace window."""
        self.scheduler.start()
        for settings in await self.store.all_digest_settings():
            self._add_job(settings)
        if self.fetch is not None and self.fetch_interval:
            self.scheduler.add_job(
                self._fetch_job,
                IntervalTrigger(seconds=self.fetch_interval.total_seconds(), timezone=dt.UTC),
                id=FETCH_JOB_ID,
                replace_existing=True,
                coalesce=True,
                max_instances=1,
            )
        if catch_up:
            self.scheduler.add_job(
                self.catch_up,
                IntervalTrigger(seconds=CATCH_UP_EVERY.total_seconds(), timezone=dt.UTC),
                id=CATCH_UP_JOB_ID,
                replace_existing=True,
                coalesce=True,
                max_instances=1,
            )
            self._startup = asyncio.create_task(self._on_start(), name="digest-startup")

    async def _on_start(self) -> None:
        if self.fetch is not None:
            await self._fetch_job()
        await self.catch_up()

    async def wait_started(self) -> None:
        """Wait for the start-up fetch and catch-up (tests)."""
        if self._startup is not None:
            await self._startup

    async def stop(self) -> None:
        """Stop the scheduler and the start-up task (safe to call twice)."""
        if self._startup is not None and not self._startup.done():
            self._startup.cancel()
            try:
                await self._startup
            except (asyncio.CancelledError, Exception):
                pass
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # AsyncIOScheduler finishes its shutdown on the loop

    # ------------------------------------------------------------------ jobs

    def _add_job(self, settings: DigestSettings) -> None:
        try:
            trigger = cron_trigger(settings)
        except Exception:
            log.exception("Guild %s: bad digest schedule %r", settings.guild_id, settings)
            return
        self.scheduler.add_job(
            self.run_due,
            trigger,
            args=(settings.guild_id,),
            id=job_id(settings.guild_id),
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=max(1, int(self.grace.total_seconds())),
        )

    async def reschedule(self, guild_id: int) -> dt.datetime | None:
        """Rebuild the server's job from the store at once; returns the next post time."""
        job = self.scheduler.get_job(job_id(guild_id))
        if job is not None:
            job.remove()
        settings = await self.store.digest_settings(guild_id)
        if settings is None or not settings.enabled:
            return None
        self._add_job(settings)
        return self.next_run(guild_id)

    def next_run(self, guild_id: int) -> dt.datetime | None:
        """The next post time of the server's job (``None`` when it has none)."""
        job = self.scheduler.get_job(job_id(guild_id))
        if job is None:
            return None
        next_time = getattr(job, "next_run_time", None)
        if next_time is None:  # scheduler not started yet: ask the trigger
            next_time = job.trigger.get_next_fire_time(None, self.clock())
        return next_time

    async def _fetch_job(self) -> None:
        assert self.fetch is not None
        try:
            await self.fetch()
        except Exception:
            log.exception("Fetching new digests failed")

    # ------------------------------------------------------------------ posting

    def _lock(self, guild_id: int) -> asyncio.Lock:
        return self._locks.setdefault(guild_id, asyncio.Lock())

    async def catch_up(self) -> list[RunResult]:
        """For every enabled server, post a due digest within the grace window or record the
        skip; one server's failure never stops the others."""
        results = []
        for settings in await self.store.all_digest_settings():
            try:
                results.append(await self.run_due(settings.guild_id))
            except Exception as exc:
                log.exception("Guild %s: digest catch-up failed", settings.guild_id)
                results.append(RunResult(settings.guild_id, "failed", detail=str(exc)))
        return results

    async def run_due(self, guild_id: int) -> RunResult:
        """The job: handle the server's latest slot at or before now (post, skip, or nothing)."""
        now = self.clock()
        settings = await self.store.digest_settings(guild_id)
        if settings is None or not settings.enabled:
            return RunResult(guild_id, "off")
        fire = last_fire_time(settings, now)
        if fire is None or (settings.updated_at is not None and fire < settings.updated_at):
            return RunResult(guild_id, "settled", detail="no slot since the settings were saved")
        slot = slot_of(settings, fire)
        if now - fire > self.grace:
            async with self._lock(guild_id):
                run = await self.store.digest_run(guild_id, slot)
                if run is not None and run.outcome in FINAL_OUTCOMES:
                    return RunResult(guild_id, "settled", run.digest_date, run.detail)
                if run is not None and run.outcome == "sending":
                    found = await self._recover(settings, slot, run)
                    if found is not None:
                        return found
                local = fire.astimezone(zone(settings.timezone))
                detail = (
                    f"Missed: the bot was not running at {local:%Y-%m-%d %H:%M %Z} "
                    f"and the {self.grace} grace window has passed"
                )
                await self.store.record_digest_run(guild_id, slot, "skipped", at=now, detail=detail)
                log.info("Guild %s: skipped the %s digest (%s)", guild_id, slot, detail)
                return RunResult(guild_id, "skipped", detail=detail)
        return await self.post(guild_id, slot=slot)

    async def post(self, guild_id: int, *, slot: dt.date | None = None) -> RunResult:
        """Post the newest day not yet posted in the server (for ``slot``, or now when
        ``None``); record the post, the skip, or the error."""
        async with self._lock(guild_id):
            now = self.clock()
            if slot is not None:
                run = await self.store.digest_run(guild_id, slot)
                if run is not None and run.outcome in FINAL_OUTCOMES:
                    return RunResult(guild_id, "settled", run.digest_date, run.detail)
            settings = await self.store.digest_settings(guild_id)
            if settings is None:
                return RunResult(guild_id, "off")
            if slot is not None and run is not None and run.outcome == "sending":
                found = await self._recover(settings, slot, run)
                if found is not None:
                    return found
            day = await self.store.next_digest_day(guild_id)
            if day is None:
                detail = "No new digest day since the last post"
                if slot is not None:
                    await self.store.record_digest_run(
                        guild_id, slot, "skipped", at=now, detail=detail
                    )
                log.info("Guild %s: nothing new to post (%s)", guild_id, slot)
                return RunResult(guild_id, "skipped", detail=detail)
            page = await self.store.day_papers(day, limit=settings.count)
            messages = digest_messages(day, page.items, total=page.total)
            if slot is not None:
                await self.store.record_digest_sending(guild_id, slot, day, at=self.clock())
            try:
                ids = await self.poster.send(settings.channel_id, messages)
            except (discord.HTTPException, discord.ClientException) as exc:
                detail = describe_error(exc)
                log.warning(
                    "Guild %s: could not post the %s digest in channel %s: %s",
                    guild_id,
                    day,
                    settings.channel_id,
                    exc,
                )
                await self.store.record_digest_error(guild_id, detail, at=now)
                if slot is not None:
                    await self.store.record_digest_run(
                        guild_id, slot, "failed", at=now, detail=detail
                    )
                return RunResult(guild_id, "failed", day, detail)
            await self._record_post(settings, day, ids, slot)
            log.info("Guild %s: posted the %s digest (%d messages)", guild_id, day, len(ids))
            return RunResult(guild_id, "posted", day)

    async def _record_post(
        self, settings: DigestSettings, day: dt.date, ids: Sequence[int], slot: dt.date | None
    ) -> bool:
        """Record the server's post of ``day`` (its messages in its channel) for ``slot``."""
        return await self.store.record_digest_post(
            settings.guild_id,
            day,
            channel_id=settings.channel_id,
            message_ids=ids,
            at=self.clock(),
            slot=slot,
        )

    async def _recover(
        self, settings: DigestSettings, slot: dt.date, run: DigestRun
    ) -> RunResult | None:
        """A slot left ``sending`` by an earlier process: when its post is in the channel,
        record it (nothing is sent) and return the result; otherwise ``None`` (post it)."""
        guild_id, day = settings.guild_id, run.digest_date
        assert day is not None
        after = run.at - HISTORY_MARGIN
        try:
            ids = await self.poster.find_sent(settings.channel_id, day, after=after)
        except (discord.HTTPException, discord.ClientException) as exc:
            log.warning(
                "Guild %s: cannot read channel %s to see whether the %s digest went out before "
                "a restart (%s); posting it, perhaps a second time",
                guild_id,
                settings.channel_id,
                day,
                exc,
            )
            return None
        if not ids:
            log.info(
                "Guild %s: the %s digest in flight since %s is not in channel %s; posting it",
                guild_id,
                day,
                run.at,
                settings.channel_id,
            )
            return None
        recorded = await self._record_post(settings, day, ids, slot)
        if not recorded:  # that day was recorded meanwhile (e.g. /digest now)
            return None
        log.info(
            "Guild %s: the %s digest was already posted before a restart (found in channel %s); "
            "recorded it without posting again",
            guild_id,
            day,
            settings.channel_id,
        )
        return RunResult(guild_id, "posted", day, "found in the channel's history")
