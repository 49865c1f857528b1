"""Frozen dataclasses shared by the parser, the store and every renderer.

Data flows one way: digest text -> parser (``Parsed*``) -> store -> (``Paper``, ``Author``...)
-> renderers. Nothing here does I/O.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, Literal, TypeVar

T = TypeVar("T")

MediaKind = Literal["image", "video"]
SortOrder = Literal["relevance", "votes", "newest"]

#: A real arXiv identifier (new style ``2406.06523`` or old style ``hep-th/9901001``, optional
#: version), to ``fullmatch``; group 1 is the id without its version. Ids we derive for non-arXiv
#: links do not match this.
ARXIV_ID_RE = re.compile(r"(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?")
#: An arXiv abstract, PDF or HTML page (scheme, ``www.``/``export.`` host optional), to
#: ``match``; ``id`` is the path's id as written (version kept, ``.pdf`` and slashes dropped).
ARXIV_URL_RE = re.compile(
    r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/+(?:abs|pdf|html)/+(?P<id>[^?#\s]+?)(?:\.pdf)?/*"
    r"(?:[?#].*)?$",
    re.IGNORECASE,
)
#: A Hugging Face paper page, absolute or root-relative, to ``match``; ``id`` as written.
HF_PAPER_URL_RE = re.compile(
    r"^(?:(?:https?://)?(?:www\.)?huggingface\.co)?/papers/(?P<id>[^/?#\s]+)/*(?:[?#].*)?$",
    re.IGNORECASE,
)

_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")


@dataclass(frozen=True, slots=True)
class Media:
    """An image or video attached to a paper in the digest."""

    kind: MediaKind
    url: str

    @property
    def is_embeddable_image(self) -> bool:
        """True when Discord (or a terminal link) can show this as an image.

        Relative URLs, avatar images and video files disguised as images are not.
        """
        if self.kind != "image":
            return False
        url = self.url.lower()
        scheme, sep, rest = url.partition("://")
        if scheme not in ("https", "http") or not sep:
            return False
        host, _, path = rest.partition("/")
        if "avatars" in host or path.startswith("avatars/") or "/avatars/" in path:
            return False
        path = path.split("?", 1)[0].split("#", 1)[0]
        return path.endswith(_IMAGE_SUFFIXES)


@dataclass(frozen=True, slots=True)
class Bullet:
    """One summary bullet; ``label`` keeps sections such as ``What's New`` (without asterisks)."""

    label: str | None
    text: str


@dataclass(frozen=True, slots=True)
class ParsedPaper:
    """One ``### [Title](link)`` block of a digest, as the parser read it."""

    arxiv_id: str
    title: str
    url: str
    authors: tuple[str, ...]
    authors_truncated: bool
    votes: int | None
    media: Media | None
    summary: tuple[Bullet, ...]
    position: int  # 1-based position in the day, in file order
    line: int  # 1-based line number of the ``### `` heading
    # What the Hugging Face daily papers API adds (storage/hfapi.py); markdown digests leave
    # these at their defaults.
    ai_summary: str | None = None
    keywords: tuple[str, ...] = ()
    github_repo: str | None = None
    github_stars: int | None = None
    project_page: str | None = None
    organization: str | None = None  # the submitting organisation's full name
    comments: int | None = None  # comments on the paper's Hugging Face page


class ProblemCode(StrEnum):
    """What was wrong in an imported file; the comment names the :attr:`Problem.values`."""

    NOT_UTF8 = "not_utf8"  # (the bad byte as two hex digits,)
    CANNOT_READ = "cannot_read"  # (the system's reason,)
    NO_DIGEST_HEADER = "no_digest_header"  # (): not a digest at all
    NO_VALID_HEADER_DATE = "no_valid_header_date"  # (): only headers with impossible dates
    IMPOSSIBLE_HEADER_DATE = "impossible_header_date"  # (the header line,)
    HEADER_DATE_DIFFERS = "header_date_differs"  # (this header's day, the first header's day)
    DUPLICATE_PAPER = "duplicate_paper"  # (arXiv id, line of its first listing)
    HEADING_EMPTY = "heading_empty"  # (the heading,)
    HEADING_NOT_A_LINK = "heading_not_a_link"  # (the heading,)
    HEADING_NO_LINK = "heading_no_link"  # (the heading,)
    HEADING_LINK_NOT_CLOSED = "heading_link_not_closed"  # (the heading,)
    HEADING_EMPTY_TITLE = "heading_empty_title"  # (the heading,)
    HEADING_EMPTY_LINK = "heading_empty_link"  # (the heading,)
    UNREADABLE_VOTE = "unreadable_vote"  # (the value,)
    ITEM_NOT_AN_OBJECT = "item_not_an_object"  # (): an API list item
    ITEM_INCOMPLETE = "item_incomplete"  # (): an API item without paper id or title
    LISTED_AGAIN = "listed_again"  # (arXiv id,): an API item repeated
    NOT_A_LIST = "not_a_list"  # (the JSON type found,): an API answer
    WRONG_DAY = "wrong_day"  # (the digest's day, the day asked for)
    COULD_NOT_STORE = "could_not_store"  # (the database's error,)
    BAD_RECORD = "bad_record"  # (what is wrong,): a line of an export read back as a backup
    EMPTY_BACKUP = "empty_backup"  # (): an export with no paper and no day
    FILE_TOO_LARGE = "file_too_large"  # (the file's size in bytes, the limit in bytes)
    TOO_MANY_PAPERS = "too_many_papers"  # (papers listed, the limit): the rest not imported
    TOO_MANY_PROBLEMS = "too_many_problems"  # (how many more problems were not listed,)
    FUTURE_DAY = "future_day"  # (the digest's day, the latest day accepted): not imported


@dataclass(frozen=True, slots=True)
class Problem:
    """Something the parser or importer could not use: where, what (a code) and its data.

    ``values`` are the code's data as text (see :class:`ProblemCode`); the presentation layer
    words them. ``str()`` is a technical form for logs.
    """

    file: str
    line: int
    code: ProblemCode
    values: tuple[str, ...] = ()

    def __str__(self) -> str:
        data = f" {list(self.values)}" if self.values else ""
        return f"{self.file}:{self.line}: {self.code.value}{data}"


@dataclass(frozen=True, slots=True)
class ParsedDigest:
    """One digest file: its day, its papers in order, and what could not be read."""

    date: dt.date
    papers: tuple[ParsedPaper, ...]
    problems: tuple[Problem, ...] = ()
    source: str = ""  # file name or URL the text came from


@dataclass(frozen=True, slots=True)
class Appearance:
    """A paper listed on one day, with that day's votes and position."""

    date: dt.date
    position: int
    votes: int | None


@dataclass(frozen=True, slots=True)
class GeneratedSummary:
    """Summary bullets a language model wrote for a paper, with their provenance."""

    bullets: tuple[Bullet, ...]
    model: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class VotePoint:
    """A paper's votes as seen at one moment (one point of its vote history)."""

    at: dt.datetime
    votes: int


@dataclass(frozen=True, slots=True)
class Paper:
    """A paper as stored: one row per arXiv id, however many days it appeared."""

    arxiv_id: str
    title: str
    url: str
    authors: tuple[str, ...]
    authors_truncated: bool
    votes: int | None  # latest known votes
    media: Media | None
    summary: tuple[Bullet, ...]
    days: tuple[Appearance, ...] = ()  # oldest first
    # From the Hugging Face daily papers API, when the paper came from there (see ParsedPaper).
    ai_summary: str | None = None
    keywords: tuple[str, ...] = ()
    github_repo: str | None = None
    github_stars: int | None = None
    project_page: str | None = None
    organization: str | None = None
    comments: int | None = None
    #: Korean bullets a language model wrote for a paper without an archive summary.
    generated: GeneratedSummary | None = None
    #: The votes first recorded in the paper's vote history (see ``VoteStore``), if any.
    first_votes: int | None = None

    @property
    def has_archive_summary(self) -> bool:
        """True when the summary is the archive's bullets, not the API's abstract.

        The API gives the abstract as one unlabelled bullet; an archive summary has several
        bullets or labelled ones. Papers without one are the summariser's work.
        """
        return len(self.summary) > 1 or any(b.label for b in self.summary)

    @property
    def vote_rise(self) -> int | None:
        """Votes gained since the first recorded point (the paper's day when fetched then)."""
        if self.votes is None or self.first_votes is None:
            return None
        return self.votes - self.first_votes

    @property
    def is_arxiv(self) -> bool:
        return bool(ARXIV_ID_RE.fullmatch(self.arxiv_id))

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}" if self.is_arxiv else self.url

    @property
    def pdf_url(self) -> str | None:
        return f"https://arxiv.org/pdf/{self.arxiv_id}" if self.is_arxiv else None

    @property
    def hf_url(self) -> str | None:
        return f"https://huggingface.co/papers/{self.arxiv_id}" if self.is_arxiv else None

    @property
    def first_day(self) -> dt.date | None:
        return self.days[0].date if self.days else None

    @property
    def last_day(self) -> dt.date | None:
        return self.days[-1].date if self.days else None


@dataclass(frozen=True, slots=True)
class DaySummary:
    """A day that has a digest, and how many papers it lists."""

    date: dt.date
    paper_count: int


@dataclass(frozen=True, slots=True)
class Author:
    """A normalized author; ``name`` is the spelling shown to people."""

    id: int
    name: str
    paper_count: int


@dataclass(frozen=True, slots=True)
class CoAuthor:
    author: Author
    shared_papers: int


@dataclass(frozen=True, slots=True)
class AuthorProfile:
    """An author card: totals, frequent co-authors and one page of papers (newest first)."""

    author: Author
    total_votes: int
    first_day: dt.date | None
    last_day: dt.date | None
    coauthors: tuple[CoAuthor, ...]
    papers: Page[Paper]


#: A snippet is a run of parts; the second item says whether that part matched the query.
Snippet = tuple[tuple[str, bool], ...]


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One search result; ``score`` is the relevance (higher is better) when sorted by relevance,
    0 when sorted by votes or recency."""

    paper: Paper
    snippet: Snippet
    score: float


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a longer result: ``total`` counts every match, not just this page; when
    ``more`` is set, there are more matches than ``total`` (a search counts up to
    :data:`storage.text.COUNT_CAP`), and pages go as far as ``total``."""

    items: tuple[T, ...]
    total: int
    offset: int = 0
    limit: int = 10
    more: bool = False

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total // self.limit)) if self.limit > 0 else 1


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What importing one digest changed."""

    source: str
    date: dt.date | None
    new_papers: int = 0
    updated_papers: int = 0
    problems: tuple[Problem, ...] = field(default_factory=tuple)


# --------------------------------------------------------------------------- servers

RunOutcome = Literal["posted", "skipped", "failed", "sending"]
#: Outcomes that settle a slot: a later attempt for the same slot does nothing.
FINAL_OUTCOMES: tuple[str, ...] = ("posted", "skipped")


@dataclass(frozen=True, slots=True)
class DigestSettings:
    """One server's daily digest: where, when (local time in ``timezone``), how many papers."""

    guild_id: int
    channel_id: int
    post_time: dt.time
    timezone: str
    count: int = 10
    enabled: bool = True
    updated_at: dt.datetime | None = None
    last_error: str | None = None
    last_error_at: dt.datetime | None = None
    #: The language chosen for the posts (a tag such as ``ko``); ``None``: the server's own.
    language: str | None = None
    #: The server's own language (Discord's ``guild_locale``), as of the last settings saved.
    guild_locale: str | None = None

    @property
    def post_language(self) -> str | None:
        """The language the digest is posted in: the chosen one, else the server's."""
        return self.language or self.guild_locale


@dataclass(frozen=True, slots=True)
class DigestRun:
    """What happened at one scheduled slot (the server's local day)."""

    guild_id: int
    slot: dt.date
    outcome: RunOutcome
    digest_date: dt.date | None
    detail: str | None
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class DigestPost:
    """A digest day posted in a server: where, which messages, when."""

    guild_id: int
    digest_date: dt.date
    channel_id: int
    message_ids: tuple[int, ...]
    slot: dt.date | None
    posted_at: dt.datetime


@dataclass(frozen=True, slots=True)
class WatchedFile:
    """A file of ``WATCH_DIR`` as last imported."""

    path: str
    mtime_ns: int
    size: int
    sha256: str


# --------------------------------------------------------------------------- alerts

AlertKind = Literal["keywords", "author"]
#: At most this many alerts per user.
MAX_ALERTS = 25
#: The longest keyword query an alert keeps.
MAX_ALERT_QUERY_CHARS = 200


@dataclass(frozen=True, slots=True)
class Alert:
    """One user's alert: papers matching ``query`` (keywords) or by an author (``query`` is the
    name, ``match_key`` its normalized key)."""

    id: int
    user_id: int
    kind: AlertKind
    query: str
    match_key: str
    created_at: dt.datetime
    seen_seq: int
    paused_at: dt.datetime | None = None
    pause_noticed: bool = False
    #: The language of the user's last command (a tag such as ``ko``): their DMs speak it.
    language: str | None = None

    @property
    def paused(self) -> bool:
        return self.paused_at is not None


# --------------------------------------------------------------------------- reading lists

#: At most this many papers in one user's reading list.
MAX_SAVED = 500


@dataclass(frozen=True, slots=True)
class SavedPaper:
    """A paper in a user's reading list, and when it was saved."""

    paper: Paper
    saved_at: dt.datetime


@dataclass(frozen=True, slots=True)
class FeedBatch:
    """The papers that got a new appearance between two feed positions (``after``, ``upto``]."""

    after: int
    upto: int
    #: arXiv id -> paper row id, for every paper with a new appearance.
    papers: Mapping[str, int]
    since: dt.date | None
    until: dt.date | None


# --------------------------------------------------------------------------- several processes


@dataclass(frozen=True, slots=True)
class ProcessRecord:
    """A running bot process as recorded in the database: its id (``host:pid:random``), the
    shards it was started with (of ``shard_count``), when it started and last beat."""

    process_id: str
    shards: tuple[int, ...]
    shard_count: int
    started_at: dt.datetime
    last_beat: dt.datetime
    version: str


@dataclass(frozen=True, slots=True)
class ShardLease:
    """A shard held by a process until ``expires_at``; ``adopted``: held by another process
    than the one started with it, for its digests only, while its own is gone."""

    shard_id: int
    shard_count: int
    holder: str
    adopted: bool
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class JobLease:
    """A global job (fetching, alert DMs) held by one process until ``expires_at``, since
    ``since``."""

    job: str
    holder: str
    expires_at: dt.datetime
    since: dt.datetime


@dataclass(frozen=True, slots=True)
class Held:
    """What a process holds after a beat: its shards (``adopted`` ones apart) and jobs;
    ``registered`` is False when its process row was gone (it registers again)."""

    shards: frozenset[int]
    adopted: frozenset[int]
    jobs: frozenset[str]
    registered: bool = True


@dataclass(frozen=True, slots=True)
class AlertSend:
    """A user's alert DM claimed for sending; ``unfinished_since``: an earlier send to them
    that never recorded its end (its process died, perhaps after the DM went out)."""

    user_id: int
    unfinished_since: dt.datetime | None = None


# --------------------------------------------------------------------------- research


class SimilarReason(StrEnum):
    """Why a paper is like another (:class:`SimilarPaper`); the words are the catalogues'."""

    TERMS = "terms"  # key words of title, keywords or summary in common (``terms``)
    SUMMARY = "summary"  # words of the Korean summaries in common (no Latin word to show)
    AUTHORS = "authors"  # authors in common (``authors``)
    SAME_DAY = "same_day"  # listed on the same day (``day``)


@dataclass(frozen=True, slots=True)
class SimilarPaper:
    """A paper like the one asked about, its score and why (reasons as codes, with data)."""

    paper: Paper
    score: float
    reasons: tuple[SimilarReason, ...]
    #: The shared key terms (folded, as indexed), strongest first.
    terms: tuple[str, ...] = ()
    #: The shared authors, as the paper lists them.
    authors: tuple[str, ...] = ()
    #: A day both papers were listed on.
    day: dt.date | None = None


@dataclass(frozen=True, slots=True)
class SimilarPapers:
    """The papers most like ``paper``, most similar first."""

    paper: Paper
    items: tuple[SimilarPaper, ...]


TrendBucket = Literal["week", "month"]


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One week or month (starting on ``start``): papers mentioning a term and their votes."""

    start: dt.date
    papers: int
    votes: int


@dataclass(frozen=True, slots=True)
class TermTrend:
    """A term's papers per week or month, only the buckets that have any (oldest first).

    A paper counts once, in the bucket of its first day within the range; ``votes`` sums the
    latest votes of those papers."""

    term: str
    points: tuple[TrendPoint, ...]

    @property
    def papers(self) -> int:
        return sum(p.papers for p in self.points)

    @property
    def votes(self) -> int:
        return sum(p.votes for p in self.points)


@dataclass(frozen=True, slots=True)
class RisingPaper:
    """A paper whose votes grew within a range (from its vote history): from ``start_votes``
    (its last point before the range, else its first in it) to ``end_votes`` (its last in it)."""

    paper: Paper
    start_votes: int
    end_votes: int

    @property
    def gained(self) -> int:
        return self.end_votes - self.start_votes
