"""The storage API: one :class:`typing.Protocol` per aggregate, and :class:`Store`, all of them.

This is all the rest of the program may use of storage (``bot/``, ``cogs/``; the import-linter
contracts in ``pyproject.toml`` check it). Every backend (``storage/sqlite``, later
``storage/postgres``) implements :class:`Store`; the contract tests in ``tests/storage`` run one
body of expectations against each backend.

Values in and out are the frozen dataclasses of :mod:`storage.models`; failures are the typed
errors of :mod:`storage.errors`. Dates may be given as ``datetime.date`` or ``YYYY-MM-DD``;
moments must be timezone-aware.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Protocol, runtime_checkable

from storage.models import (
    Alert,
    AlertKind,
    AlertSend,
    Author,
    AuthorProfile,
    Bullet,
    DaySummary,
    DigestPost,
    DigestRun,
    DigestSettings,
    FeedBatch,
    Held,
    ImportResult,
    JobLease,
    Page,
    Paper,
    ParsedDigest,
    ProcessRecord,
    RisingPaper,
    RunOutcome,
    SavedPaper,
    SearchHit,
    ShardLease,
    SimilarPapers,
    SortOrder,
    TermTrend,
    TrendBucket,
    VotePoint,
    WatchedFile,
)
from storage.prepare import PreparedDigest
from storage.transfer import Row

DateLike = dt.date | str


class PaperStore(Protocol):
    """Papers: one by reference, suggestions, search, and every paper for export."""

    async def paper(self, ref: str) -> Paper | None: ...

    async def papers_by_ids(self, ids: Sequence[int]) -> list[Paper]: ...

    async def suggest_papers(self, text: str, *, limit: int = 25) -> list[Paper]: ...

    async def search(
        self,
        query: str,
        *,
        since: DateLike | None = None,
        until: DateLike | None = None,
        sort: SortOrder = "relevance",
        limit: int = 10,
        offset: int = 0,
    ) -> Page[SearchHit]: ...

    def iter_papers(
        self, *, since: DateLike | None = None, until: DateLike | None = None
    ) -> AsyncIterator[Paper]: ...

    async def paper_count(self) -> int: ...


class AuthorStore(Protocol):
    """Authors: suggestions as you type, lookup by name, and the author card."""

    async def suggest_authors(self, prefix: str, *, limit: int = 25) -> list[Author]: ...

    async def find_authors(self, name: str, *, limit: int = 25) -> list[Author]: ...

    async def author(self, author_id: int) -> Author | None: ...

    async def author_profile(
        self, author_id: int, *, limit: int = 10, offset: int = 0, coauthors: int = 10
    ) -> AuthorProfile | None: ...

    async def author_matches(
        self, keys: Iterable[str], paper_ids: Iterable[int]
    ) -> dict[str, set[int]]: ...


class DayStore(Protocol):
    """Digest days and the top papers of a day or a range."""

    async def is_empty(self) -> bool: ...

    async def latest_day(self) -> dt.date | None: ...

    async def days(self, *, prefix: str = "", limit: int | None = None) -> list[DaySummary]: ...

    async def nearest_days(self, date: DateLike) -> tuple[dt.date | None, dt.date | None]: ...

    async def day_papers(
        self, date: DateLike, *, limit: int = 10, offset: int = 0
    ) -> Page[Paper]: ...

    async def top_papers(
        self,
        since: DateLike | None,
        until: DateLike | None,
        *,
        limit: int = 10,
        offset: int = 0,
    ) -> Page[Paper]: ...


class ImportStore(Protocol):
    """Writing digests: each one whole or not at all; ``batch`` groups them in one commit."""

    #: Whether digests should come prepared with each paper's ``tsvector``
    #: (``prepare_digest(..., documents=True)``, built in the importer's worker processes).
    wants_documents: bool

    async def import_digest(self, digest: ParsedDigest | PreparedDigest) -> ImportResult: ...

    async def import_api_digest(self, digest: ParsedDigest | PreparedDigest) -> ImportResult: ...

    async def import_digests(
        self, digests: Sequence[ParsedDigest | PreparedDigest]
    ) -> list[ImportResult | Exception]: ...

    def batch(self) -> AbstractAsyncContextManager[None]: ...


class GuildStore(Protocol):
    """Each server's daily digest: settings, scheduled runs and the exactly-once post record."""

    async def digest_settings(self, guild_id: int) -> DigestSettings | None: ...

    async def all_digest_settings(self, *, enabled_only: bool = True) -> list[DigestSettings]: ...

    async def set_digest_settings(
        self,
        guild_id: int,
        *,
        channel_id: int,
        post_time: dt.time,
        timezone: str,
        count: int,
        now: dt.datetime,
        guild_locale: str | None = None,
    ) -> DigestSettings: ...

    async def set_digest_language(
        self, guild_id: int, language: str | None, *, guild_locale: str | None, now: dt.datetime
    ) -> DigestSettings | None: ...

    async def disable_digest(self, guild_id: int, *, now: dt.datetime) -> bool: ...

    async def record_digest_error(self, guild_id: int, code: str, *, at: dt.datetime) -> None: ...

    async def digest_run(self, guild_id: int, slot: dt.date) -> DigestRun | None: ...

    async def last_digest_run(self, guild_id: int) -> DigestRun | None: ...

    async def record_digest_run(
        self,
        guild_id: int,
        slot: dt.date,
        outcome: RunOutcome,
        *,
        at: dt.datetime,
        detail: str | None = None,
    ) -> bool: ...

    async def record_digest_sending(
        self, guild_id: int, slot: dt.date, digest_date: dt.date, *, at: dt.datetime
    ) -> bool: ...

    async def record_digest_post(
        self,
        guild_id: int,
        digest_date: dt.date,
        *,
        channel_id: int,
        message_ids: Sequence[int],
        at: dt.datetime,
        slot: dt.date | None = None,
    ) -> bool: ...

    async def last_digest_post(self, guild_id: int) -> DigestPost | None: ...

    async def claim_digest_refresh(
        self, guild_id: int, digest_date: DateLike, *, at: dt.datetime
    ) -> bool: ...

    async def next_digest_day(
        self, guild_id: int, *, until: dt.date | None = None
    ) -> dt.date | None: ...


class AlertStore(Protocol):
    """Personal alerts, the import feed they follow, and what was delivered."""

    async def add_alert(
        self,
        user_id: int,
        kind: AlertKind,
        query: str,
        *,
        now: dt.datetime,
        limit: int = ...,
        language: str | None = None,
    ) -> Alert: ...

    async def set_alerts_language(self, user_id: int, language: str) -> int: ...

    async def alerts(self, user_id: int) -> list[Alert]: ...

    async def remove_alert(self, user_id: int, alert_id: int) -> Alert | None: ...

    async def pause_alerts(self, user_id: int, *, at: dt.datetime) -> int: ...

    async def resume_alerts(self, user_id: int) -> int: ...

    async def take_pause_notice(self, user_id: int) -> int: ...

    async def feed_position(self) -> int: ...

    async def pending_alerts(self, upto: int) -> list[Alert]: ...

    async def feed_batch(self, after: int, upto: int) -> FeedBatch: ...

    async def delivered(self, alert_ids: Iterable[int]) -> dict[int, set[int]]: ...

    async def record_alert_run(
        self,
        alert_ids: Iterable[int],
        deliveries: Mapping[int, Iterable[int]],
        *,
        upto: int,
        at: dt.datetime,
    ) -> None: ...

    async def prune_import_feed(self) -> int: ...


class JobStore(Protocol):
    """Background jobs' own records: the watched directory's files already imported, and who
    first used a new database (an import, or the bundled samples)."""

    async def watched_files(self) -> dict[str, WatchedFile]: ...

    async def record_watched_file(self, file: WatchedFile, *, at: dt.datetime) -> None: ...

    async def fetch_misses(self) -> set[tuple[str, dt.date]]: ...

    async def record_fetch_miss(
        self, source: str, day: dt.date, *, missed: bool, at: dt.datetime
    ) -> None: ...

    async def claim_first_use(self, by: str, *, at: dt.datetime) -> bool: ...


class SummaryStore(Protocol):
    """Generated summaries: which papers need one, the claim that makes each one summarised
    once, the result with its provenance (read back as :attr:`Paper.generated`), the daily count.

    A paper needs one when it has no archive summary (at most one unlabelled bullet: the API's
    abstract) and no summary is done. A claim is a row per paper: taken when absent, when the
    last attempt failed and fewer than ``max_attempts`` were made, or when an attempt has been
    pending since before ``stale_before`` (its process died); each claim counts one attempt.
    """

    async def summary_candidates(
        self,
        *,
        since: DateLike | None = None,
        limit: int = 50,
        max_attempts: int = 3,
        stale_before: dt.datetime,
    ) -> list[Paper]: ...

    async def claim_summary(
        self, arxiv_id: str, *, at: dt.datetime, max_attempts: int, stale_before: dt.datetime
    ) -> bool: ...

    async def record_summary(
        self, arxiv_id: str, bullets: Sequence[Bullet], *, model: str, at: dt.datetime
    ) -> bool: ...

    async def record_summary_failure(
        self, arxiv_id: str, error: str, *, at: dt.datetime
    ) -> None: ...

    async def summaries_claimed_since(self, since: dt.datetime) -> int: ...


class VoteStore(Protocol):
    """Vote history: :meth:`ImportStore.import_api_digest` adds a point for each paper whose
    votes differ from its last point (rises and falls alike); :attr:`Paper.first_votes` is the
    first point."""

    async def vote_history(self, ref: str) -> list[VotePoint]: ...


class TransferStore(Protocol):
    """Every table's rows in the backend-neutral form of :mod:`storage.transfer`, and writing
    them back (``papers-bot migrate``)."""

    async def export_rows(self, table: str) -> list[Row]: ...

    async def import_rows(self, table: str, rows: Sequence[Row]) -> int: ...


class ReadingListStore(Protocol):
    """Each user's reading list (private to them, the same in every server and DM).

    :meth:`save_paper` takes a stored paper's arXiv id: True when it was added, False when it
    was there already; :class:`~storage.errors.UnknownPaper` for an id not stored,
    :class:`~storage.errors.SavedLimitReached` when the list holds ``limit`` papers.
    """

    async def save_paper(
        self, user_id: int, arxiv_id: str, *, at: dt.datetime, limit: int = ...
    ) -> bool: ...

    async def unsave_paper(self, user_id: int, arxiv_id: str) -> bool: ...

    async def saved_papers(
        self, user_id: int, *, limit: int = 10, offset: int = 0
    ) -> Page[SavedPaper]: ...


class CoordinationStore(Protocol):
    """Several bot processes on one database: who runs, which shards and jobs each holds.

    Every process has a row (:meth:`register_process`) and beats (:meth:`beat`), which also
    renews every lease it holds until ``expires_at``. A shard is claimed by the process started
    with it (:meth:`claim_shards`: the live leases in the way are returned and nothing is taken);
    a shard whose lease expired is *adopted* by any other process for its digests
    (:meth:`adopt_shards`) until a process started with it claims it again. A global job is held
    by one process at a time (:meth:`take_job`). :meth:`release` gives everything back at once.
    ``multi_process`` is False where only one process may use the database (SQLite).
    """

    #: Whether several processes may share this database (PostgreSQL), or only one (SQLite).
    multi_process: bool

    async def register_process(self, process: ProcessRecord) -> None: ...

    async def processes(self) -> list[ProcessRecord]: ...

    async def claim_shards(
        self,
        holder: str,
        shards: Sequence[int],
        shard_count: int,
        *,
        now: dt.datetime,
        expires_at: dt.datetime,
    ) -> list[ShardLease]: ...

    async def adopt_shards(
        self, holder: str, shard_count: int, *, now: dt.datetime, expires_at: dt.datetime
    ) -> list[int]: ...

    async def beat(self, holder: str, *, now: dt.datetime, expires_at: dt.datetime) -> Held: ...

    async def take_job(
        self, job: str, holder: str, *, now: dt.datetime, expires_at: dt.datetime
    ) -> bool: ...

    async def release(self, holder: str, *, now: dt.datetime) -> None: ...

    async def shard_leases(self) -> list[ShardLease]: ...

    async def job_leases(self) -> list[JobLease]: ...

    async def claim_digest_slot(
        self,
        guild_id: int,
        slot: dt.date,
        digest_date: dt.date,
        *,
        at: dt.datetime,
        holder: str,
        alive_since: dt.datetime,
    ) -> bool: ...

    async def claim_alert_send(
        self, user_id: int, *, at: dt.datetime, holder: str, alive_since: dt.datetime
    ) -> AlertSend | None: ...

    async def finish_alert_send(self, user_id: int, holder: str) -> None: ...


class ResearchStore(Protocol):
    """Research answers computed from the store alone: similar papers, term trends, rising
    papers.

    :meth:`similar_papers`: the ``limit`` papers most like the one ``ref`` names (as
    :meth:`PaperStore.paper` reads it), scored as :mod:`storage.similar` says; ``None`` for an
    unknown paper. :meth:`term_trends`: per term (searched like :meth:`PaperStore.search`: any
    text is safe; Korean words match inside words), the papers listed in the range that mention
    it, per week (starting Monday) or month, each paper once, in the bucket of its first day in
    the range, with the sum of their latest votes; buckets without papers are left out.
    :meth:`rising_papers`: papers with a vote-history point in the range (UTC days, inclusive)
    whose votes grew there, most gained first (ties: more votes, then the older row).
    """

    async def similar_papers(self, ref: str, *, limit: int = 8) -> SimilarPapers | None: ...

    async def term_trends(
        self,
        terms: Sequence[str],
        *,
        since: DateLike | None,
        until: DateLike | None,
        bucket: TrendBucket = "week",
    ) -> list[TermTrend]: ...

    async def rising_papers(
        self,
        since: DateLike | None,
        until: DateLike | None,
        *,
        limit: int = 10,
        offset: int = 0,
    ) -> Page[RisingPaper]: ...


@runtime_checkable
class Store(
    PaperStore,
    AuthorStore,
    DayStore,
    ImportStore,
    GuildStore,
    AlertStore,
    JobStore,
    SummaryStore,
    VoteStore,
    TransferStore,
    ReadingListStore,
    CoordinationStore,
    ResearchStore,
    Protocol,
):
    """Everything a backend provides, plus its lifecycle (``async with store: ...``)."""

    async def schema_version(self) -> int: ...

    async def close(self) -> None: ...

    async def __aenter__(self) -> Store: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
