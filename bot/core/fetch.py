"""New digest days from the configured sources, imported into the store.

Sources (see :mod:`bot.config`):

* ``WATCH_DIR``: every ``*.md`` below it, imported when new or changed (mtime and size, then a
  SHA-256 of the content, recorded in the store after a successful import).
* ``HF_API_BASE``: ``GET {base}/api/daily_papers?date=YYYY-MM-DD`` (JSON, read by
  :func:`storage.ingest.hfapi.parse_daily_papers`).
* ``DIGEST_URL_TEMPLATE``: a markdown digest per day, read by the markdown parser.

The HTTP sources are asked for the last few days on every run (``days_back``), so each day's
votes stay current (re-importing a day updates its votes), and once a UTC day for the last
:data:`VOTE_REFRESH_DAYS` days: each API import adds a point to a paper's vote history when its
votes changed. A day is parsed whole before it is
imported, and imported in one transaction: nothing half-written reaches the store. Network
errors, timeouts, 5xx/429 answers and undecodable bodies are logged and retried a bounded number
of times with exponential backoff, jittered and capped (:class:`bot.core.backoff.Backoff`); a
``Retry-After`` the source sends (seconds or an HTTP date) is waited at least, and one longer
than the cap ends this run's attempts for that day instead of holding the job up. A day that
failed is asked for again on every later scheduled run until it imports (:attr:`Fetcher.missed`,
at most :data:`MISSED_DAYS_KEPT` days back), so an outage longer than ``days_back`` loses no
day; a day imports whole or not at all, and importing it again changes nothing (votes, days and
vote history are keyed), so a recovery never doubles anything. A 404 means there is no digest
for that day. What happened
to each day is a typed :class:`FetchOutcome` (``papers-bot fetch`` prints it in words:
:func:`bot.cli.describe_fetch_outcome`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import hashlib
import json
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp

from bot.core.backoff import Backoff
from storage.ingest.hfapi import parse_daily_papers
from storage.ingest.importer import latest_day_accepted, too_large, within_limits
from storage.ingest.parser import DigestError, parse_digest
from storage.models import Problem, ProblemCode, WatchedFile

if TYPE_CHECKING:
    from bot.config import Config
    from storage.models import ParsedDigest
    from storage.ports import Store

log = logging.getLogger(__name__)

DAYS_BACK = 3
#: Days whose votes the daily refresh (and ``papers-bot fetch --refresh-votes``) asks for again.
VOTE_REFRESH_DAYS = 7
ATTEMPTS = 3
BACKOFF_SECONDS = 2.0
#: The longest wait between two attempts (a larger ``Retry-After`` ends the run's attempts).
BACKOFF_CAP_SECONDS = 60.0
TIMEOUT_SECONDS = 30.0
#: Days that failed are asked for again on later runs while at most this many days old.
MISSED_DAYS_KEPT = 30
USER_AGENT = "papers-bot (+https://github.com/l-yohai/daily_papers_ko)"

#: ``progress(done, total, label)`` after each day and source.
Progress = Callable[[int, int, str], None]


class FetchNote(StrEnum):
    """Why a source and day imported no papers (the first three are not failures)."""

    NO_PAPERS = "no_papers"  # the day's digest lists no papers
    NOT_FOUND = "not_found"  # no digest for that day (404)
    UNCHANGED = "unchanged"  # a watched file touched, not changed
    HTTP_STATUS = "http_status"  # the source answered ``status`` for ``url`` (not retried)
    GAVE_UP = "gave_up"  # ``attempts`` attempts failed; ``reason`` is the last failure
    BAD_RESPONSE = "bad_response"  # the body could not be read (``reason``)
    NOT_STORED = "not_stored"  # the store could not take the day (``reason``)
    UNREADABLE = "unreadable"  # a watched file could not be read (``reason``)
    NOT_A_DIGEST = "not_a_digest"  # a watched file is not a digest (``reason``: the parser's)


class FetchError(Exception):
    """A source could not be read: it answered ``status`` for ``url``, or every attempt failed
    (``attempts``, the last failure's text in ``reason``)."""

    def __init__(
        self, *, url: str, status: int | None = None, reason: str = "", attempts: int = 0
    ) -> None:
        super().__init__(f"HTTP {status} from {url}" if status else f"{reason} ({attempts}x)")
        self.url = url
        self.status = status
        self.reason = reason
        self.attempts = attempts
        self.retry_after: float | None = None


class _Retry(Exception):
    """A failure worth another attempt (``retry_after``: the seconds the source asked for)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


def retry_after_seconds(value: str | None, now: dt.datetime) -> float | None:
    """The seconds of a ``Retry-After`` header (delta-seconds or an HTTP date), never negative;
    ``None`` when absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(min(int(text), 10**9))
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())


@dataclass(frozen=True, slots=True)
class FetchOutcome:
    """One source and day (or one watched file): what was imported, or (``note``) why not.

    ``reason`` is the technical text of a failure (an exception's message, never a sentence of
    ours); ``status``, ``url`` and ``attempts`` go with :attr:`FetchNote.HTTP_STATUS` and
    :attr:`FetchNote.GAVE_UP`.
    """

    source: str
    date: dt.date | None
    ok: bool
    papers: int = 0
    new_papers: int = 0
    note: FetchNote | None = None
    reason: str = ""
    status: int | None = None
    url: str = ""
    attempts: int = 0
    #: The wait the source asked for (``Retry-After``) when it was longer than the backoff cap.
    retry_after: float | None = None
    #: What was wrong with the content, when the parser said so (a coded problem).
    problem: Problem | None = None

    @classmethod
    def failed(
        cls, source: str, date: dt.date | None, note: FetchNote, reason: object = ""
    ) -> FetchOutcome:
        """A failure; an error that carries a parser :class:`Problem` keeps it."""
        problem = getattr(reason, "problem", None)
        return cls(
            source,
            date,
            False,
            note=note,
            reason=str(reason),
            problem=problem if isinstance(problem, Problem) else None,
        )


def days_between(since: dt.date, until: dt.date) -> list[dt.date]:
    """Every day from ``since`` to ``until``, inclusive, oldest first."""
    count = (until - since).days + 1
    return [since + dt.timedelta(days=i) for i in range(max(0, count))]


class Fetcher:
    """Fetches and imports new days from the configured sources (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], dt.datetime],
        hf_api_base: str | None = None,
        url_template: str | None = None,
        watch_dir: Path | None = None,
        days_back: int = DAYS_BACK,
        attempts: int = ATTEMPTS,
        backoff: float = BACKOFF_SECONDS,
        backoff_cap: float = BACKOFF_CAP_SECONDS,
        timeout: float = TIMEOUT_SECONDS,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.hf_api_base = hf_api_base.rstrip("/") if hf_api_base else None
        self.url_template = url_template
        self.watch_dir = watch_dir
        self.days_back = max(1, days_back)
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.backoff_cap = max(backoff, backoff_cap)
        self.timeout = timeout
        self.sleep = sleep
        self.rng = rng or random.Random()
        #: ``(source, day)`` pairs that failed and are asked for again on the next runs (kept in
        #: the store too, read back on the first run: a restart forgets none of them).
        self.missed: set[tuple[str, dt.date]] = set()
        self._misses_read = False
        self._lock = asyncio.Lock()

    @classmethod
    def from_config(cls, config: Config, store: Store, **kwargs: Any) -> Fetcher:
        return cls(
            store,
            hf_api_base=config.hf_api_base,
            url_template=config.digest_url_template,
            watch_dir=config.watch_dir,
            **kwargs,
        )

    @property
    def has_sources(self) -> bool:
        return bool(self.hf_api_base or self.url_template or self.watch_dir)

    def vote_refresh_days(self) -> list[dt.date]:
        """The days whose votes a refresh asks for again: the last :data:`VOTE_REFRESH_DAYS`
        (UTC), oldest first."""
        today = self.clock().astimezone(dt.UTC).date()
        return days_between(today - dt.timedelta(days=VOTE_REFRESH_DAYS - 1), today)

    def recent_days(self) -> list[dt.date]:
        """The days asked for on a scheduled run: the last ``days_back`` (UTC), oldest first."""
        today = self.clock().astimezone(dt.UTC).date()
        return days_between(today - dt.timedelta(days=self.days_back - 1), today)

    # ------------------------------------------------------------------ running

    async def run(
        self, dates: Sequence[dt.date] | None = None, *, progress: Progress | None = None
    ) -> list[FetchOutcome]:
        """Import the watched directory, then each day from each HTTP source.

        A scheduled run (``dates`` is ``None``) also asks again for the days that failed before
        (:attr:`missed`), oldest first."""
        async with self._lock:  # the scheduled job and `fetch` never overlap in one process
            if dates is not None:
                days = list(dates)
            else:
                days = sorted(set(self.recent_days()) | await self.missed_days())
            outcomes: list[FetchOutcome] = []
            if self.watch_dir is not None:
                outcomes.extend(await self.scan_watch_dir())
            sources: list[
                tuple[str, Callable[[aiohttp.ClientSession, dt.date], Awaitable[FetchOutcome]]]
            ] = []
            if self.hf_api_base:
                sources.append(("hf", self.fetch_hf_day))
            if self.url_template:
                sources.append(("url", self.fetch_template_day))
            total = len(days) * len(sources)
            if total:
                timeout = aiohttp.ClientTimeout(total=self.timeout)
                headers = {"User-Agent": USER_AGENT}
                async with aiohttp.ClientSession(timeout=timeout, headers=headers) as session:
                    done = 0
                    for day in days:
                        for name, fetch in sources:
                            outcome = await fetch(session, day)
                            await self._remember(name, day, outcome)
                            outcomes.append(outcome)
                            done += 1
                            if progress is not None:
                                progress(done, total, f"{day.isoformat()} {name}")
            failed = [o for o in outcomes if not o.ok]
            log.info(
                "Fetched %d days from %d sources: %d imported, %d failed",
                len(days),
                len(sources),
                sum(1 for o in outcomes if o.ok and o.papers),
                len(failed),
            )
            return outcomes

    async def missed_days(self) -> set[dt.date]:
        """The days that failed before (in this process or, read from the store, an earlier
        one) and are still worth asking for; older ones are forgotten."""
        if not self._misses_read:
            try:
                self.missed |= await self.store.fetch_misses()
                self._misses_read = True
            except Exception as exc:  # the database is away: this run asks for what it knows
                log.warning("Could not read the days to fetch again: %s", exc)
        oldest = self.clock().astimezone(dt.UTC).date() - dt.timedelta(days=MISSED_DAYS_KEPT)
        for name, day in [m for m in self.missed if m[1] < oldest]:
            self.missed.discard((name, day))
            await self._store_miss(name, day, missed=False)
        return {day for _name, day in self.missed}

    async def _remember(self, name: str, day: dt.date, outcome: FetchOutcome) -> None:
        """Keep a failed day to ask for again; forget it once it imported."""
        missed = not (outcome.ok or outcome.note is FetchNote.HTTP_STATUS)  # a 4xx stays away
        if missed == ((name, day) in self.missed):
            return
        if missed:
            self.missed.add((name, day))
        else:
            self.missed.discard((name, day))
        await self._store_miss(name, day, missed=missed)

    async def _store_miss(self, name: str, day: dt.date, *, missed: bool) -> None:
        try:
            await self.store.record_fetch_miss(name, day, missed=missed, at=self.clock())
        except Exception as exc:  # kept in memory meanwhile; written on the next change
            log.warning("Could not record %s %s to fetch again: %s", day, name, exc)

    def _backoff(self) -> Backoff[str]:
        return Backoff(base=self.backoff, cap=self.backoff_cap, rng=self.rng)

    async def _get(
        self, session: aiohttp.ClientSession, url: str, backoff: Backoff[str] | None = None
    ) -> bytes | None:
        """The body of ``url`` (``None`` for 404), retrying transient failures with backoff
        (exponential, jittered, capped; at least the ``Retry-After`` of a 429 or 503)."""
        backoff = backoff or self._backoff()
        last: BaseException | None = None
        for attempt in range(1, self.attempts + 1):
            try:
                async with session.get(url) as response:
                    if response.status == 404:
                        return None
                    if response.status == 429 or response.status >= 500:
                        raise _Retry(
                            f"HTTP {response.status}",
                            retry_after_seconds(response.headers.get("Retry-After"), self.clock()),
                        )
                    if response.status >= 400:
                        raise FetchError(url=url, status=response.status)
                    return await response.read()
            except FetchError:
                raise
            except (aiohttp.ClientError, TimeoutError, _Retry) as exc:
                last = exc
                reason = str(exc) or exc.__class__.__name__
                asked = exc.retry_after if isinstance(exc, _Retry) else None
                if asked is not None and asked > self.backoff_cap:
                    # Longer than we wait within a run: the next scheduled run asks again.
                    log.warning(
                        "%s: %s, asked to retry after %.0fs; trying again on a later run",
                        url,
                        reason,
                        asked,
                    )
                    error = FetchError(url=url, reason=reason, attempts=attempt)
                    error.retry_after = asked
                    raise error from exc
                if attempt < self.attempts:
                    delay = backoff.failed(url, self.clock(), retry_after=asked)
                    log.warning(
                        "%s: %s (attempt %d of %d); retrying in %.1fs",
                        url,
                        reason,
                        attempt,
                        self.attempts,
                        delay,
                    )
                    await self.sleep(delay)
                else:
                    log.warning("%s: %s (attempt %d of %d)", url, reason, attempt, self.attempts)
        reason = str(last) or (last.__class__.__name__ if last else "unknown error")
        raise FetchError(url=url, reason=reason, attempts=self.attempts)

    async def _import(
        self, digest: ParsedDigest, label: str, *, extras: bool = False
    ) -> FetchOutcome:
        if not digest.papers:
            return FetchOutcome(label, digest.date, True, note=FetchNote.NO_PAPERS)
        if extras:
            result = await self.store.import_api_digest(digest)
        else:
            result = await self.store.import_digest(digest)
        for problem in result.problems:
            log.info("%s", problem)
        return FetchOutcome(
            label,
            digest.date,
            True,
            papers=len(digest.papers),
            new_papers=result.new_papers,
        )

    async def _fetch_parsed(
        self,
        session: aiohttp.ClientSession,
        url: str,
        label: str,
        day: dt.date,
        parse: Callable[[bytes], ParsedDigest],
        *,
        extras: bool = False,
    ) -> FetchOutcome:
        """GET, parse (malformed bodies retried like network errors), import; never raises
        for a bad source. One backoff for the day: each failure waits longer than the last."""
        last: Exception | None = None
        backoff = self._backoff()
        for attempt in range(1, self.attempts + 1):
            try:
                body = await self._get(session, url, backoff)
            except FetchError as exc:
                log.warning("%s %s: %s", label, day, exc)
                note = FetchNote.HTTP_STATUS if exc.status else FetchNote.GAVE_UP
                return FetchOutcome(
                    label,
                    day,
                    False,
                    note=note,
                    reason=exc.reason,
                    status=exc.status,
                    url=exc.url,
                    attempts=exc.attempts,
                    retry_after=exc.retry_after,
                )
            if body is None:
                return FetchOutcome(label, day, True, note=FetchNote.NOT_FOUND)
            try:
                digest = parse(body)
            except (ValueError, UnicodeDecodeError) as exc:  # JSON, ApiDataError, DigestError
                last = exc
                log.warning(
                    "%s %s: bad response: %s (attempt %d of %d)",
                    label,
                    day,
                    exc,
                    attempt,
                    self.attempts,
                )
                if attempt < self.attempts:
                    await self.sleep(backoff.failed(url, self.clock()))
                continue
            try:
                return await self._import(digest, label, extras=extras)
            except Exception as exc:
                log.exception("%s %s: could not store the day", label, day)
                return FetchOutcome.failed(label, day, FetchNote.NOT_STORED, exc)
        return FetchOutcome.failed(label, day, FetchNote.BAD_RESPONSE, last or "")

    async def fetch_hf_day(self, session: aiohttp.ClientSession, day: dt.date) -> FetchOutcome:
        """One day of the Hugging Face daily papers API."""
        assert self.hf_api_base is not None
        url = f"{self.hf_api_base}/api/daily_papers?date={day.isoformat()}"

        def parse(body: bytes) -> ParsedDigest:
            return parse_daily_papers(json.loads(body.decode("utf-8")), day, source=url)

        return await self._fetch_parsed(session, url, "hf", day, parse, extras=True)

    def template_url(self, day: dt.date) -> str:
        assert self.url_template is not None
        return self.url_template.format(
            date=day.isoformat(),
            year=f"{day.year:04d}",
            month=f"{day.month:02d}",
            day=f"{day.day:02d}",
        )

    async def fetch_template_day(
        self, session: aiohttp.ClientSession, day: dt.date
    ) -> FetchOutcome:
        """One day's markdown digest from ``DIGEST_URL_TEMPLATE``."""
        url = self.template_url(day)

        def parse(body: bytes) -> ParsedDigest:
            digest = parse_digest(body.decode("utf-8-sig"), url)
            if digest.date != day:
                raise DigestError(
                    url, 1, ProblemCode.WRONG_DAY, (digest.date.isoformat(), day.isoformat())
                )
            return digest

        return await self._fetch_parsed(session, url, "url", day, parse)

    # ------------------------------------------------------------------ watched directory

    async def scan_watch_dir(self) -> list[FetchOutcome]:
        """Import every new or changed ``*.md`` file below ``WATCH_DIR``."""
        assert self.watch_dir is not None
        known = await self.store.watched_files()
        files = await asyncio.to_thread(
            lambda: sorted(p for p in self.watch_dir.rglob("*.md") if p.is_file())  # type: ignore[union-attr]
        )
        outcomes: list[FetchOutcome] = []
        for path in files:
            key = str(path.resolve())
            try:
                stat = path.stat()
            except OSError as exc:
                outcomes.append(FetchOutcome.failed(key, None, FetchNote.UNREADABLE, exc))
                continue
            seen = known.get(key)
            if seen is not None and (seen.mtime_ns, seen.size) == (stat.st_mtime_ns, stat.st_size):
                continue
            outcomes.append(
                await self._import_watched(path, key, stat.st_mtime_ns, stat.st_size, seen)
            )
        return outcomes

    async def _import_watched(
        self, path: Path, key: str, mtime_ns: int, size: int, seen: WatchedFile | None
    ) -> FetchOutcome:
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            return FetchOutcome.failed(key, None, FetchNote.UNREADABLE, exc)
        digest_hash = hashlib.sha256(data).hexdigest()
        record = WatchedFile(key, mtime_ns, size, digest_hash)
        if seen is not None and seen.sha256 == digest_hash:  # touched, not changed
            await self.store.record_watched_file(record, at=self.clock())
            return FetchOutcome(key, None, True, note=FetchNote.UNCHANGED)
        try:
            problem = too_large(key, len(data))
            if problem is not None:
                raise DigestError(key, problem.line, problem.code, problem.values)
            digest = parse_digest(data.decode("utf-8-sig"), key)
        except (DigestError, UnicodeDecodeError) as exc:
            log.warning("%s: not imported: %s", key, exc)
            # Remembered, so it is read again only once it changes (not on every run).
            await self.store.record_watched_file(record, at=self.clock())
            return FetchOutcome.failed(key, None, FetchNote.NOT_A_DIGEST, exc)
        limited = within_limits(digest, latest=latest_day_accepted(self.clock()))
        if isinstance(limited, Problem):  # a day in the future: held back, read again later
            log.warning("%s: not imported yet: %s", key, limited)
            error = DigestError(key, limited.line, limited.code, limited.values)
            return FetchOutcome.failed(key, digest.date, FetchNote.NOT_A_DIGEST, error)
        outcome = await self._import(limited, key)
        await self.store.record_watched_file(record, at=self.clock())
        return outcome


def fetch_job_for(
    config: Config,
    store: Store,
    *,
    clock: Callable[[], dt.datetime],
    after: Callable[[], None] | None = None,
    **options: Any,
) -> Callable[[], Awaitable[list[FetchOutcome]]] | None:
    """The scheduled fetch, or ``None`` without sources: the recent days from every source, and
    the first run of each UTC day the last :data:`VOTE_REFRESH_DAYS` days instead (their votes
    refreshed, so their vote history grows). ``after()`` is called after each run, without
    being awaited (the summaries start there: they never hold up the digest). Days that
    failed are asked for again on the next runs (:meth:`Fetcher.missed_days`); ``options`` go
    to :class:`Fetcher` (tests: ``sleep``, ``backoff``)."""
    fetcher = Fetcher.from_config(config, store, clock=clock, **options)
    if not fetcher.has_sources:
        return None
    refreshed: list[dt.date] = []  # the UTC day of the last vote refresh

    async def job() -> list[FetchOutcome]:
        today = clock().astimezone(dt.UTC).date()
        days = None
        if refreshed[-1:] != [today]:
            days = sorted(set(fetcher.vote_refresh_days()) | await fetcher.missed_days())
            refreshed[:] = [today]
        outcomes = await fetcher.run(days)
        if after is not None:
            after()
        return outcomes

    return job


__all__ = [
    "FetchError",
    "FetchNote",
    "FetchOutcome",
    "Fetcher",
    "days_between",
    "fetch_job_for",
]
