"""Korean summary bullets for papers without an archive summary, from a chat-completions model.

Any server that speaks the OpenAI chat-completions protocol will do (a hosted API, Ollama,
vLLM, llama.cpp): ``POST {SUMMARY_API_URL}/chat/completions`` with ``SUMMARY_MODEL`` and, when
set, ``Authorization: Bearer {SUMMARY_API_KEY}``. The client is aiohttp, already the bot's HTTP
library: one request shape and one answer field are all we use, so the ``openai`` package
would add a dependency (and its own retry policy, which we need to control: ``Retry-After``,
jitter, a bound) for no gain.

:class:`Summariser` is the job: it asks the store for papers that need a summary
(:meth:`storage.ports.SummaryStore.summary_candidates`), claims each one before asking the
model (so two runs never summarise a paper twice), asks with bounded concurrency, and records
the bullets with their model and time, or the failure (retried by a later run, a bounded number
of times). A daily cap bounds the papers claimed per UTC day. Nothing here waits on Discord or
holds up a digest: the scheduler posts what the store has, and runs this after fetches.

The model's answer is untrusted text: :func:`parse_bullets` keeps 3-5 bullets, strips control
and invisible format characters, markdown links, emphasis and mention syntax, and caps each
bullet and the total; presentation escapes it again (``bot.discord_ui.embeds.escape``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.utils
import logging
import random
import re
import time
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp

from bot.core import summary_prompt
from storage.models import Bullet, Paper

if TYPE_CHECKING:
    from bot.config import Config
    from storage.ports import Store

log = logging.getLogger(__name__)

MIN_BULLETS = 3
MAX_BULLETS = 5
BULLET_CHARS = 600
LABEL_CHARS = 40
TOTAL_CHARS = 2400
#: The background runs look at papers listed this many days back at most.
RECENT_DAYS = 7
#: The most of the model's answer read at all (characters).
MAX_ANSWER_CHARS = 20_000

#: ``progress(done, total)`` after each paper of a run.
Progress = Callable[[int, int], None]


class SummaryFailure(Exception):
    """One attempt at a paper's summary failed; ``str()`` is a short technical reason."""


@dataclass(frozen=True, slots=True)
class SummarySettings:
    """How the summariser talks to the model and how much it does. The key stays out of repr."""

    url: str
    model: str
    api_key: str | None = field(default=None, repr=False)
    concurrency: int = 4
    daily_cap: int = 200
    timeout_seconds: float = 120.0
    requests: int = 4  # HTTP tries per attempt (429, 5xx, network errors and timeouts retried)
    backoff_seconds: float = 2.0
    max_wait_seconds: float = 60.0  # the longest Retry-After or backoff honoured
    attempts: int = 3  # attempts per paper, over runs (garbage and exhausted retries count)
    stale_after: dt.timedelta = dt.timedelta(minutes=30)

    @classmethod
    def from_config(cls, config: Config) -> SummarySettings | None:
        """The configured settings, or ``None`` when summaries are off."""
        if not config.summary_api_url or not config.summary_model:
            return None
        return cls(
            url=config.summary_api_url,
            model=config.summary_model,
            api_key=config.summary_api_key,
            concurrency=config.summary_concurrency,
            daily_cap=config.summary_daily_cap,
        )

    @property
    def endpoint(self) -> str:
        url = self.url.rstrip("/")
        return url if url.endswith("/chat/completions") else f"{url}/chat/completions"


# -- the model's answer, as bullets -------------------------------------------------------------

_LINK_RE = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MENTION_RE = re.compile(r"<(?:@[!&]?|#|/[^:>]*:)\d+>|@(?=everyone|here)", re.IGNORECASE)
_MARK_RE = re.compile(r"[*`~|]|__")
_ITEM_RE = re.compile(r"^\s*(?:[-*•·]|\d{1,2}[.)])\s+(.*)$")
_LABEL_RE = re.compile(r"^\*\*([^*]{1,60}?)\*\*\s*[:：]\s*(.*)$|^([A-Z][A-Za-z' ]{1,38}):\s+(.*)$")


def clean_text(text: str, limit: int) -> str:
    """``text`` safe to store and show: no control or invisible format characters, no
    markdown links (their text kept), emphasis, code, spoiler or mention syntax, spaces
    collapsed, at most ``limit`` characters (cut with an ellipsis)."""
    text = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text
    )
    text = _LINK_RE.sub(r"\1", text)
    text = _MENTION_RE.sub("", text)
    text = _MARK_RE.sub("", text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def parse_bullets(answer: str) -> tuple[Bullet, ...]:
    """The summary in a model's answer: its first 5 list items (``- **Label**: text``, label
    optional), cleaned and capped (see :func:`clean_text`; the total within
    :data:`TOTAL_CHARS`). Fewer than 3 items with text is :class:`SummaryFailure`."""
    bullets: list[Bullet] = []
    total = 0
    for line in answer[:MAX_ANSWER_CHARS].splitlines():
        item = _ITEM_RE.match(line)
        if item is None:
            continue
        body = item[1].strip()
        labelled = _LABEL_RE.match(body)
        label: str | None = None
        if labelled:
            label = clean_text(labelled[1] or labelled[3], LABEL_CHARS) or None
            body = labelled[2] if labelled[1] else labelled[4]
        text = clean_text(body, min(BULLET_CHARS, TOTAL_CHARS - total))
        if not text or not any(ch.isalpha() for ch in text):
            continue
        bullets.append(Bullet(label, text))
        total += len(text)
        if len(bullets) == MAX_BULLETS or total >= TOTAL_CHARS:
            break
    if len(bullets) < MIN_BULLETS:
        raise SummaryFailure(f"{len(bullets)} usable bullets in the answer")
    return tuple(bullets)


# -- the chat-completions client ----------------------------------------------------------------


def retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), if readable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # not '³': isdigit() alone takes it
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return max(0.0, moment.timestamp() - now)


class ChatClient:
    """``complete(messages)``: the model's answer, with the retries of :class:`SummarySettings`.

    429, 5xx, network errors and timeouts are retried after the answer's ``Retry-After`` or an
    exponential backoff with jitter (both capped); other answers raise :class:`SummaryFailure`
    at once. The key is sent in the header only and never logged.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        settings: SummarySettings,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._session = session
        self._settings = settings
        self._sleep = sleep
        self._jitter = jitter

    async def complete(self, messages: Sequence[dict[str, str]]) -> str:
        s = self._settings
        headers = {"Content-Type": "application/json"}
        if s.api_key:
            headers["Authorization"] = f"Bearer {s.api_key}"
        body = {"model": s.model, "messages": list(messages), "temperature": 0.3}
        timeout = aiohttp.ClientTimeout(total=s.timeout_seconds)
        reason = ""
        for attempt in range(s.requests):
            wait: float | None = None
            try:
                async with self._session.post(
                    s.endpoint, json=body, headers=headers, timeout=timeout
                ) as response:
                    if response.status == 200:
                        return _content(await response.json(content_type=None))
                    reason = f"HTTP {response.status}"
                    if response.status != 429 and response.status < 500:
                        raise SummaryFailure(reason)
                    wait = retry_after(response.headers.get("Retry-After"), time.time())
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                reason = type(exc).__name__
            if attempt + 1 < s.requests:
                if wait is None:
                    wait = s.backoff_seconds * 2**attempt * (0.5 + self._jitter())
                log.info("Summary request failed (%s); retrying in %.1f s", reason, wait)
                await self._sleep(min(wait, s.max_wait_seconds))
        raise SummaryFailure(f"{reason} ({s.requests} requests)")


def _content(data: Any) -> str:
    try:
        content = data["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise SummaryFailure("no choices[0].message.content in the answer") from None
    if not isinstance(content, str):
        raise SummaryFailure("the answer's content is not text")
    return content


# -- the job --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SummaryRun:
    """What one run did: papers summarised, attempts that failed (or found the paper taken),
    and whether today's cap left papers for tomorrow."""

    done: int = 0
    failed: int = 0
    cap_reached: bool = False


class Summariser:
    """Summarises the papers that need it (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        settings: SummarySettings,
        *,
        session: aiohttp.ClientSession | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.store = store
        self.settings = settings
        self._session = session
        self.clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()  # one run at a time in this process

    async def run(
        self,
        *,
        since: dt.date | None = None,
        limit: int | None = None,
        progress: Progress | None = None,
    ) -> SummaryRun:
        """Summarise up to ``limit`` papers last listed on ``since`` or later (default: all
        that need it), within what is left of today's cap."""
        async with self._lock:
            s = self.settings
            now = self.clock().astimezone(dt.UTC)
            day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
            left = max(0, s.daily_cap - await self.store.summaries_claimed_since(day_start))
            take = left if limit is None else min(limit, left)
            candidates = await self.store.summary_candidates(
                since=since,
                limit=take + 1,
                max_attempts=s.attempts,
                stale_before=now - s.stale_after,
            )
            papers = candidates[:take]
            cap_reached = len(candidates) > take and (limit is None or left < limit)
            if cap_reached:
                log.info("Daily summary cap (%d) reached; the rest waits", s.daily_cap)
            if not papers:
                return SummaryRun(cap_reached=cap_reached)
            session = self._session
            async with (
                contextlib.nullcontext(session) if session else aiohttp.ClientSession()
            ) as http:
                client = ChatClient(http, s, sleep=self._sleep)
                results = await self._summarise_all(client, papers, progress)
            done = sum(results)
            log.info("Summarised %d papers (%d failed) with %s", done, len(results) - done, s.model)
            return SummaryRun(done=done, failed=len(results) - done, cap_reached=cap_reached)

    async def _summarise_all(
        self, client: ChatClient, papers: Sequence[Paper], progress: Progress | None
    ) -> list[bool]:
        gate = asyncio.Semaphore(self.settings.concurrency)
        finished = 0

        async def one(paper: Paper) -> bool:
            nonlocal finished
            async with gate:
                ok = await self.summarise(client, paper)
            finished += 1
            if progress is not None:
                progress(finished, len(papers))
            return ok

        return list(await asyncio.gather(*(one(p) for p in papers)))

    async def summarise(self, client: ChatClient, paper: Paper) -> bool:
        """Claim ``paper``, ask the model, record the bullets or the failure; True when done."""
        s = self.settings
        now = self.clock()
        claimed = await self.store.claim_summary(
            paper.arxiv_id, at=now, max_attempts=s.attempts, stale_before=now - s.stale_after
        )
        if not claimed:
            return False
        try:
            bullets = parse_bullets(await client.complete(summary_prompt.messages(paper)))
        except SummaryFailure as exc:
            log.warning("No summary for %s: %s", paper.arxiv_id, exc)
            await self.store.record_summary_failure(paper.arxiv_id, str(exc), at=self.clock())
            return False
        except BaseException:
            # Cancelled or a bug: give the claim back as a failed attempt, then let it go on.
            await asyncio.shield(
                self.store.record_summary_failure(paper.arxiv_id, "interrupted", at=self.clock())
            )
            raise
        return await self.store.record_summary(
            paper.arxiv_id, bullets, model=s.model, at=self.clock()
        )


class BackgroundSummaries:
    """Runs the summariser as a background task after each fetch: :meth:`kick` starts a run
    over the papers listed in the last :data:`RECENT_DAYS` days (older ones are for
    ``papers-bot summarize``), unless one is under way; never awaited by the caller, so digests
    never wait for it. :meth:`stop` cancels it (a paper cut short is a failed attempt)."""

    def __init__(
        self,
        summariser: Summariser,
        *,
        then: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self.summariser = summariser
        #: Awaited after a run that summarised something (the digest posts' one edit).
        self.then = then
        self.task: asyncio.Task[SummaryRun | None] | None = None

    def kick(self) -> None:
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run(), name="summaries")

    async def _run(self) -> SummaryRun | None:
        summariser = self.summariser
        since = summariser.clock().astimezone(dt.UTC).date() - dt.timedelta(days=RECENT_DAYS)
        try:
            run = await summariser.run(since=since)
            if run.done and self.then is not None:
                await self.then()
            return run
        except Exception:
            log.exception("Summarising new papers failed")
            return None

    async def stop(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
