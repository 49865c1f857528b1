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
read for the bot's own post of that day (:meth:`Poster.find_sent`): when it is there,
the post is recorded without sending anything; when it is not (or the history cannot be read:
:class:`PostFailed`, logged), the digest is posted (at least once beats never), or, past the grace
window, the slot is skipped as any missed slot is.

Catch-up. On start, and every 10 minutes after, for each server the latest fire time at or
before now is checked: when its slot is unsettled (never tried, or failed) and it is at most
``grace`` old, the digest is posted at once; older, the slot is recorded as skipped. Slots
before the settings were saved are ignored. So a failed post is retried every 10 minutes until
the grace window ends, never in a tight loop.

Faults. The :class:`Poster` (the Discord one is :class:`bot.discord_ui.poster.ChannelPoster`)
raises :class:`PostFailed` saying what went wrong: a deleted channel, a lost permission, another
refusal. It is logged and recorded on the server's settings (``/digest show``); other servers are
not affected. Rate limits are waited out by the poster; nothing here retries in a loop.

Words. Nothing here is a sentence: what is recorded (``detail`` of a run, the server's last
error) is a short code, :meth:`RunDetail.encode` (``forbidden``, ``http_error:503``,
``missed:...``), which the presentation turns into words (:mod:`bot.i18n.phrases`).

Time comes from an injected clock, so tests never sleep.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.config import zone
from bot.core.coordination import DEFAULT_LEASE, Coordinator, new_process_id
from storage.errors import Unavailable
from storage.models import FINAL_OUTCOMES, DigestRun, DigestSettings, Paper

if TYPE_CHECKING:
    from storage.ports import Store

log = logging.getLogger(__name__)

FETCH_JOB_ID = "fetch"
CATCH_UP_JOB_ID = "catch-up"
#: How often unsettled slots (a failed post) are tried again, within the grace window.
CATCH_UP_EVERY = dt.timedelta(minutes=10)
#: A digest post is edited for summaries that arrive at most this many days after its day.
REFRESH_DAYS = 2
#: An in-flight post is looked for in the channel from this long before it was recorded
#: (clock skew between this machine and Discord).
HISTORY_MARGIN = dt.timedelta(minutes=5)
Outcome = Literal["posted", "skipped", "failed", "settled", "off"]


def job_id(guild_id: int) -> str:
    return f"digest:{guild_id}"


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


class PostProblem(StrEnum):
    """Why a poster could not post (or read back) a digest."""

    CHANNEL_MISSING = "channel_missing"  # deleted, or the bot cannot see it
    FORBIDDEN = "forbidden"  # a permission is missing
    REJECTED = "rejected"  # another refusal (``status`` says which)
    OTHER = "other"  # not an answer from the platform (e.g. the client is closed)


class PostFailed(Exception):
    """A digest could not be posted, or the channel's history could not be read."""

    def __init__(self, problem: PostProblem, status: int | None = None) -> None:
        super().__init__(problem.value if status is None else f"{problem.value} ({status})")
        self.problem = problem
        self.status = status


@dataclass(frozen=True, slots=True)
class DigestContent:
    """What one digest post shows: the ``day``'s top ``papers`` (in order) of ``total``, and
    the ``language`` tag it is written in (``None``: the default)."""

    day: dt.date
    papers: tuple[Paper, ...]
    total: int
    language: str | None = None


class Poster(Protocol):
    """Posts one digest in a channel and finds it again; raises :class:`PostFailed`."""

    async def send(self, channel_id: int, content: DigestContent) -> list[int]:
        """Post the digest, return the message ids; on failure, what was sent is deleted (best
        effort) and :class:`PostFailed` raised."""
        ...

    async def find_sent(self, channel_id: int, day: dt.date, *, after: dt.datetime) -> list[int]:
        """The ids of the bot's own post of the ``day`` digest sent after ``after``, when it
        was sent whole; ``[]`` when not. Raises :class:`PostFailed` when the channel's history
        cannot be read."""
        ...

    async def edit(
        self, channel_id: int, message_ids: Sequence[int], content: DigestContent
    ) -> bool:
        """Rewrite a posted digest's messages with ``content``; False (nothing edited) when
        ``content`` needs another number of messages. Raises :class:`PostFailed`."""
        ...


class RunCode(StrEnum):
    """What a run's ``detail`` (or a server's last error) records, as a code."""

    CHANNEL_MISSING = "channel_missing"
    FORBIDDEN = "forbidden"
    HTTP_ERROR = "http_error"  # with ``status``
    POST_FAILED = "post_failed"
    MISSED = "missed"  # with ``fired_at``, ``timezone`` and ``grace``
    NOTHING_NEW = "nothing_new"
    #: Only in a :class:`RunResult`: no slot since the settings were saved.
    NO_SLOT = "no_slot"
    #: Only in a :class:`RunResult`: an in-flight post was found in the channel's history.
    FOUND_IN_HISTORY = "found_in_history"
    #: Only in a :class:`RunResult`: another live process is sending this slot.
    IN_FLIGHT = "in_flight"
    #: Only in a :class:`RunResult`: the server's shard is another process's.
    ELSEWHERE = "elsewhere"


_PROBLEM_CODES: dict[PostProblem, RunCode] = {
    PostProblem.CHANNEL_MISSING: RunCode.CHANNEL_MISSING,
    PostProblem.FORBIDDEN: RunCode.FORBIDDEN,
    PostProblem.REJECTED: RunCode.HTTP_ERROR,
    PostProblem.OTHER: RunCode.POST_FAILED,
}


@dataclass(frozen=True, slots=True)
class RunDetail:
    """A run's detail: its :class:`RunCode` and the values a sentence about it needs.

    Stored as text by :meth:`encode`: the code alone (``forbidden``), ``http_error:<status>``,
    or ``missed:<grace in seconds>:<time zone>:<fire time, ISO 8601 UTC>`` (the slot's fire time
    and the grace window then in force, so the words stay right after the settings change).
    """

    code: RunCode
    status: int | None = None
    fired_at: dt.datetime | None = None
    timezone: str | None = None
    grace: dt.timedelta | None = None

    @classmethod
    def for_failure(cls, failed: PostFailed) -> RunDetail:
        code = _PROBLEM_CODES[failed.problem]
        return cls(code, status=failed.status if code is RunCode.HTTP_ERROR else None)

    def encode(self) -> str:
        if self.code is RunCode.HTTP_ERROR and self.status is not None:
            return f"{self.code.value}:{self.status}"
        if self.code is RunCode.MISSED and self.fired_at and self.timezone and self.grace:
            fired = self.fired_at.astimezone(dt.UTC).isoformat()
            return f"{self.code.value}:{int(self.grace.total_seconds())}:{self.timezone}:{fired}"
        return self.code.value

    @classmethod
    def decode(cls, text: str | None) -> RunDetail | None:
        """The detail :meth:`encode` wrote; ``None`` for no detail or text that is not a code
        (sentences recorded by older versions)."""
        name, _, rest = (text or "").partition(":")
        try:
            code = RunCode(name)
        except ValueError:
            return None
        try:
            if code is RunCode.HTTP_ERROR and rest:
                return cls(code, status=int(rest))
            if code is RunCode.MISSED and rest:
                grace, timezone, fired = rest.split(":", 2)
                return cls(
                    code,
                    fired_at=dt.datetime.fromisoformat(fired),
                    timezone=timezone,
                    grace=dt.timedelta(seconds=int(grace)),
                )
        except ValueError:
            return None
        return None if rest else cls(code)


@dataclass(frozen=True, slots=True)
class RunResult:
    """What one attempt did: ``outcome`` and, when posted, the day; ``detail`` says why not."""

    guild_id: int
    outcome: Outcome
    digest_date: dt.date | None = None
    detail: RunDetail | None = None


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
        coordinator: Coordinator | None = None,
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
        #: Which servers this process posts for, and who it is in ``digest_runs.holder``;
        #: without one, every server, as a process of its own.
        self.coordinator = coordinator
        self.holder = coordinator.process_id if coordinator is not None else new_process_id()
        self.lease = coordinator.lease if coordinator is not None else DEFAULT_LEASE
        self._catching_up: asyncio.Task[Any] | None = None
        #: Slots found in flight in another process, looked at again after a lease.
        self._rechecks: dict[int, asyncio.Task[Any]] = {}
        self.recheck_after = self.lease * 1.25

    # ------------------------------------------------------------------ lifecycle

    @property
    def running(self) -> bool:
        return bool(self.scheduler.running)

    async def start(self, *, catch_up: bool = True) -> None:
        """Start the scheduler with a job per enabled server, then (in the background) fetch
        once and post what is due within the grace window. Once per process: a second call
        (``on_ready`` again after a reconnect) starts nothing."""
        if self.running:
            log.debug("The digest scheduler is already running")
            return
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
        for task in self._rechecks.values():
            task.cancel()
        self._rechecks.clear()
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

    # ------------------------------------------------------------------ summaries

    async def refresh_summaries(self) -> int:
        """Edit each server's latest digest post, once, when every paper it shows without an
        archive summary now has its generated Korean one (posted within the last
        :data:`REFRESH_DAYS` days). The edit is claimed in the store first, so it happens at
        most once even if it fails; returns the posts edited."""
        edited = 0
        today = self.clock().astimezone(dt.UTC).date()
        for settings in await self.store.all_digest_settings():
            post = await self.store.last_digest_post(settings.guild_id)
            if post is None or post.digest_date < today - dt.timedelta(days=REFRESH_DAYS):
                continue
            page = await self.store.day_papers(post.digest_date, limit=settings.count)
            waiting = [p for p in page.items if not p.has_archive_summary]
            if not waiting or any(p.generated is None for p in waiting):
                continue
            if not await self.store.claim_digest_refresh(
                settings.guild_id, post.digest_date, at=self.clock()
            ):
                continue
            content = DigestContent(
                post.digest_date, page.items, page.total, settings.post_language
            )
            try:
                if await self.poster.edit(post.channel_id, post.message_ids, content):
                    edited += 1
            except PostFailed as exc:
                log.warning("Guild %s: could not edit its digest: %s", settings.guild_id, exc)
        return edited

    # ------------------------------------------------------------------ posting

    def _lock(self, guild_id: int) -> asyncio.Lock:
        return self._locks.setdefault(guild_id, asyncio.Lock())

    def owns(self, guild_id: int) -> bool:
        """Whether this process posts the server's digest (its shard is ours or adopted)."""
        return self.coordinator is None or self.coordinator.owns_guild(guild_id)

    def catch_up_soon(self, _shards: object = None) -> None:
        """Catch up in the background (shards were just adopted); one at a time."""
        if self._catching_up is None or self._catching_up.done():
            self._catching_up = asyncio.create_task(self.catch_up(), name="digest-adopt")

    async def _claim(self, guild_id: int, slot: dt.date, day: dt.date) -> bool:
        """Take the slot for this process (atomic across processes): False when it is
        settled or another live process is sending it."""
        now = self.clock()
        return await self.store.claim_digest_slot(
            guild_id, slot, day, at=now, holder=self.holder, alive_since=now - self.lease
        )

    async def catch_up(self) -> list[RunResult]:
        """For every enabled server, post a due digest within the grace window or record the
        skip; one server's failure never stops the others."""
        results = []
        for settings in await self.store.all_digest_settings():
            if not self.owns(settings.guild_id):
                continue
            if self.scheduler.running and self.scheduler.get_job(job_id(settings.guild_id)) is None:
                self._add_job(settings)  # set up in another process
            try:
                results.append(await self.run_due(settings.guild_id))
            except Unavailable as exc:  # the database is away: tried again once it is back
                log.warning("Guild %s: digest catch-up failed: %s", settings.guild_id, exc)
                detail = RunDetail(RunCode.POST_FAILED)
                results.append(RunResult(settings.guild_id, "failed", detail=detail))
            except Exception:
                log.exception("Guild %s: digest catch-up failed", settings.guild_id)
                detail = RunDetail(RunCode.POST_FAILED)
                results.append(RunResult(settings.guild_id, "failed", detail=detail))
        return results

    async def run_due(self, guild_id: int) -> RunResult:
        """The job: handle the server's latest slot at or before now (post, skip, or nothing).

        A slot another process is sending is looked at again once a lease has passed: if that
        process died meanwhile, this one takes the slot over (and finds the post in the channel
        if it went out) instead of leaving it to the next scheduled run."""
        result = await self._run_due(guild_id)
        if result.detail is not None and result.detail.code is RunCode.IN_FLIGHT:
            self._recheck_later(guild_id)
        return result

    def _recheck_later(self, guild_id: int) -> None:
        if guild_id in self._rechecks and not self._rechecks[guild_id].done():
            return

        async def recheck() -> None:
            await asyncio.sleep(self.recheck_after.total_seconds())
            del self._rechecks[guild_id]
            try:
                await self.run_due(guild_id)
            except Exception:
                log.exception("Guild %s: digest re-check failed", guild_id)

        self._rechecks[guild_id] = asyncio.create_task(recheck(), name=f"digest-recheck-{guild_id}")

    async def _run_due(self, guild_id: int) -> RunResult:
        now = self.clock()
        if not self.owns(guild_id):
            return RunResult(guild_id, "settled", detail=RunDetail(RunCode.ELSEWHERE))
        settings = await self.store.digest_settings(guild_id)
        if settings is None or not settings.enabled:
            return RunResult(guild_id, "off")
        fire = last_fire_time(settings, now)
        if fire is None or (settings.updated_at is not None and fire < settings.updated_at):
            return RunResult(guild_id, "settled", detail=RunDetail(RunCode.NO_SLOT))
        slot = slot_of(settings, fire)
        if now - fire > self.grace:
            async with self._lock(guild_id):
                run = await self.store.digest_run(guild_id, slot)
                if run is not None and run.outcome in FINAL_OUTCOMES:
                    return _settled(run)
                if run is not None and run.outcome == "sending":
                    assert run.digest_date is not None
                    if not await self._claim(guild_id, slot, run.digest_date):
                        return _in_flight(guild_id, run)
                    found = await self._recover(settings, slot, run)
                    if found is not None:
                        return found
                detail = RunDetail(
                    RunCode.MISSED, fired_at=fire, timezone=settings.timezone, grace=self.grace
                )
                await self.store.record_digest_run(
                    guild_id, slot, "skipped", at=now, detail=detail.encode()
                )
                log.info("Guild %s: skipped the %s digest (missed %s)", guild_id, slot, fire)
                return RunResult(guild_id, "skipped", detail=detail)
        return await self.post(guild_id, slot=slot)

    async def post(self, guild_id: int, *, slot: dt.date | None = None) -> RunResult:
        """Post the newest day not yet posted in the server (for ``slot``, or now when
        ``None``: ``/digest now``); record the post, the skip, or the error.

        ``/digest now`` claims today's slot (the server's local date) like the scheduled post
        does, unless that slot is already settled: a crash while it sends is recovered like a
        scheduled one (the post is found in the channel, not sent again), and the scheduled
        post later that day finds the slot posted and does not post again. A day later than
        the server's local today (a digest dated in the future) is never posted."""
        async with self._lock(guild_id):
            now = self.clock()
            manual = slot is None
            run: DigestRun | None = None
            if slot is not None:
                run = await self.store.digest_run(guild_id, slot)
                if run is not None and run.outcome in FINAL_OUTCOMES:
                    return _settled(run)
            settings = await self.store.digest_settings(guild_id)
            if settings is None:
                return RunResult(guild_id, "off")
            today = now.astimezone(zone(settings.timezone)).date()
            if manual:
                run = await self.store.digest_run(guild_id, today)
                if run is None or run.outcome not in FINAL_OUTCOMES:
                    slot = today  # claimed below, before the first message
            if slot is not None and run is not None and run.outcome == "sending":
                assert run.digest_date is not None
                if not await self._claim(guild_id, slot, run.digest_date):
                    return _in_flight(guild_id, run)
                found = await self._recover(settings, slot, run)
                if found is not None:
                    return found
            day = await self.store.next_digest_day(guild_id, until=today)
            if day is None:
                detail = RunDetail(RunCode.NOTHING_NEW)
                if slot is not None and not manual:
                    await self.store.record_digest_run(
                        guild_id, slot, "skipped", at=now, detail=detail.encode()
                    )
                log.info("Guild %s: nothing new to post (%s)", guild_id, slot)
                return RunResult(guild_id, "skipped", detail=detail)
            page = await self.store.day_papers(day, limit=settings.count)
            content = DigestContent(day, page.items, page.total, settings.post_language)
            if slot is not None and not await self._claim(guild_id, slot, day):
                run = await self.store.digest_run(guild_id, slot)
                if run is not None and run.outcome in FINAL_OUTCOMES:
                    return _settled(run)
                return RunResult(guild_id, "settled", day, RunDetail(RunCode.IN_FLIGHT))
            try:
                ids = await self.poster.send(settings.channel_id, content)
            except PostFailed as exc:
                detail = RunDetail.for_failure(exc)
                log.warning(
                    "Guild %s: could not post the %s digest in channel %s: %s",
                    guild_id,
                    day,
                    settings.channel_id,
                    exc.__cause__ or exc,
                )
                code = detail.encode()
                await self.store.record_digest_error(guild_id, code, at=now)  # positional
                if slot is not None:
                    await self.store.record_digest_run(
                        guild_id, slot, "failed", at=now, detail=code
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
        except PostFailed as exc:
            log.warning(
                "Guild %s: cannot read channel %s to see whether the %s digest went out before "
                "a restart (%s); posting it, perhaps a second time",
                guild_id,
                settings.channel_id,
                day,
                exc.__cause__ or exc,
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
        return RunResult(guild_id, "posted", day, RunDetail(RunCode.FOUND_IN_HISTORY))


def _in_flight(guild_id: int, run: DigestRun) -> RunResult:
    """A slot another live process is sending."""
    log.info("Guild %s: the %s digest is being sent by another process", guild_id, run.slot)
    return RunResult(guild_id, "settled", run.digest_date, RunDetail(RunCode.IN_FLIGHT))


def _settled(run: DigestRun) -> RunResult:
    """A slot already settled: what was recorded for it."""
    return RunResult(run.guild_id, "settled", run.digest_date, RunDetail.decode(run.detail))
