"""Reading back an export (``papers-bot export --format jsonl``) as the digests it came from.

An export holds one JSON object a line: a paper with every day it was listed on (``days``: date,
position, votes), or a digest day that lists no paper (``{"day": "YYYY-MM-DD", "papers": 0}``).
:func:`read_backup` turns them into one :class:`~storage.models.ParsedDigest` per day, oldest
first, each paper at its position with that day's votes and its stored content, so importing
them into an empty store gives back the same papers, days, votes and authors (a paper's content
is the same on every day of a backup: what the store kept, its newest). A paper's generated
summary (``generated_summary``: bullets, model, moment) and vote history (``vote_history``)
come back as the rows :meth:`storage.ports.TransferStore.import_rows` writes (``summaries``,
``vote_history``), after the days. A line that cannot be read is a
:class:`~storage.models.Problem` at that line; the other lines still count.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from storage.models import (
    Bullet,
    Media,
    ParsedDigest,
    ParsedPaper,
    Problem,
    ProblemCode,
)
from storage.transfer import Row

#: What a backup file's name ends with.
BACKUP_SUFFIX = ".jsonl"


@dataclass(frozen=True, slots=True)
class Backup:
    """The digests of a backup, oldest day first, and the lines that could not be read; the
    generated summaries and vote points as rows of :data:`storage.transfer.COLUMNS`."""

    digests: tuple[ParsedDigest, ...]
    problems: tuple[Problem, ...]
    summaries: tuple[Row, ...] = ()
    votes: tuple[Row, ...] = ()

    @property
    def paper_count(self) -> int:
        return len({p.arxiv_id for d in self.digests for p in d.papers})


class _BadRecord(ValueError):
    """A record without a field it needs, or with one of the wrong type."""


def _text(record: dict[str, Any], key: str, *, optional: bool = False) -> str | None:
    value = record.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise _BadRecord(f"{key} is not text")
    return value


def _int(value: Any, key: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _BadRecord(f"{key} is not a whole number")
    return value


def _date(value: Any, key: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise _BadRecord(f"{key} is not a YYYY-MM-DD date") from None


def _strings(value: Any, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _BadRecord(f"{key} is not a list of text")
    return tuple(value)


def _media(value: Any) -> Media | None:
    if value is None:
        return None
    if not isinstance(value, dict) or value.get("kind") not in ("image", "video"):
        raise _BadRecord("media is not an image or video")
    url = value.get("url")
    if not isinstance(url, str):
        raise _BadRecord("media has no url")
    return Media(value["kind"], url)


def _summary(value: Any) -> tuple[Bullet, ...]:
    if not isinstance(value, list):
        raise _BadRecord("summary is not a list")
    bullets = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise _BadRecord("a summary bullet has no text")
        label = item.get("label")
        if label is not None and not isinstance(label, str):
            raise _BadRecord("a summary label is not text")
        bullets.append(Bullet(label, item["text"]))
    return tuple(bullets)


def _moment(value: Any, key: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise _BadRecord(f"{key} is not an ISO 8601 moment") from None
    if moment.tzinfo is None:
        raise _BadRecord(f"{key} has no time zone")
    return moment.astimezone(dt.UTC)


def _generated(arxiv_id: str, value: Any) -> Row | None:
    """The ``summaries`` row of a paper's generated summary (done, one attempt)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _BadRecord("generated_summary is not an object")
    model = _text(value, "model")
    created = _moment(value.get("created_at"), "generated_summary.created_at")
    bullets = tuple((b.label, b.text) for b in _summary(value.get("bullets")))
    return (arxiv_id, "done", 1, created, bullets, model, created, None)


def _votes(arxiv_id: str, value: Any) -> list[Row]:
    """The ``vote_history`` rows of a paper's vote points."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise _BadRecord("vote_history is not a list")
    rows: list[Row] = []
    for point in value:
        if not isinstance(point, dict):
            raise _BadRecord("a vote point is not an object")
        votes = _int(point.get("votes"), "votes")
        if votes is None:
            raise _BadRecord("a vote point has no votes")
        rows.append((arxiv_id, _moment(point.get("at"), "vote_history.at"), votes))
    return rows


def _paper_listings(record: dict[str, Any], line: int) -> list[tuple[dt.date, ParsedPaper]]:
    """The paper of one record as listed on each of its days."""
    days = record.get("days")
    if not isinstance(days, list) or not days:
        raise _BadRecord("days is not a list of days")
    content: dict[str, Any] = {
        "arxiv_id": _text(record, "arxiv_id"),
        "title": _text(record, "title"),
        "url": _text(record, "url"),
        "authors": _strings(record.get("authors"), "authors"),
        "authors_truncated": bool(record.get("authors_truncated")),
        "media": _media(record.get("media")),
        "summary": _summary(record.get("summary")),
        "ai_summary": _text(record, "ai_summary", optional=True),
        "keywords": _strings(record.get("keywords"), "keywords"),
        "github_repo": _text(record, "github_repo", optional=True),
        "github_stars": _int(record.get("github_stars"), "github_stars"),
        "project_page": _text(record, "project_page", optional=True),
        "organization": _text(record, "organization", optional=True),
        "comments": _int(record.get("comments"), "comments"),
        "line": line,
    }
    listings = []
    for day in days:
        if not isinstance(day, dict):
            raise _BadRecord("a day is not an object")
        position = _int(day.get("position"), "position")
        if position is None or position < 1:
            raise _BadRecord("a day has no position")
        paper = ParsedPaper(position=position, votes=_int(day.get("votes"), "votes"), **content)
        listings.append((_date(day.get("date"), "date"), paper))
    return listings


def _digests(by_day: dict[dt.date, list[ParsedPaper]], source: str) -> tuple[ParsedDigest, ...]:
    return tuple(
        ParsedDigest(day, tuple(sorted(papers, key=lambda p: p.position)), (), source)
        for day, papers in sorted(by_day.items())
    )


def digests_of(records: Iterable[dict[str, Any]], source: str) -> tuple[ParsedDigest, ...]:
    """The digests listing the papers of ``records`` (export records of papers, as
    :func:`bot.core.export.paper_record` makes them): one per day they are listed on, each
    paper at its position that day. Raises ``ValueError`` for a record that is not one."""
    by_day: dict[dt.date, list[ParsedPaper]] = defaultdict(list)
    for number, record in enumerate(records, start=1):
        try:
            for day, paper in _paper_listings(record, number):
                by_day[day].append(paper)
        except _BadRecord as exc:
            raise ValueError(f"record {number}: {exc}") from None
    return _digests(by_day, source)


def read_backup(text: str, source: str) -> Backup:
    """The digests of an export's ``text`` (see the module docstring)."""
    by_day: dict[dt.date, list[ParsedPaper]] = defaultdict(list)
    problems: list[Problem] = []
    summaries: list[Row] = []
    votes: list[Row] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
            if not isinstance(record, dict):
                raise _BadRecord("not a JSON object")
            if "day" in record and "arxiv_id" not in record:
                by_day.setdefault(_date(record["day"], "day"), [])
                continue
            listings = _paper_listings(record, number)
            arxiv_id = listings[0][1].arxiv_id
            generated = _generated(arxiv_id, record.get("generated_summary"))
            points = _votes(arxiv_id, record.get("vote_history"))
            for day, paper in listings:
                by_day[day].append(paper)
            if generated is not None:
                summaries.append(generated)
            votes.extend(points)
        except (ValueError, _BadRecord) as exc:  # json.JSONDecodeError is a ValueError
            problems.append(Problem(source, number, ProblemCode.BAD_RECORD, (str(exc),)))
    return Backup(_digests(by_day, source), tuple(problems), tuple(summaries), tuple(votes))
