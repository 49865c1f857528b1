"""Reading back an export (``papers-bot export --format jsonl``) as the digests it came from.

An export holds one JSON object a line: a paper with every day it was listed on (``days``: date,
position, votes), or a digest day that lists no paper (``{"day": "YYYY-MM-DD", "papers": 0}``).
:func:`read_backup` turns them into one :class:`~storage.models.ParsedDigest` per day, oldest
first, each paper at its position with that day's votes and its stored content, so importing
them into an empty store gives back the same papers, days, votes and authors (a paper's content
is the same on every day of a backup: what the store kept, its newest). A line that cannot be
read is a :class:`~storage.models.Problem` at that line; the other lines still count.
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

#: What a backup file's name ends with.
BACKUP_SUFFIX = ".jsonl"


@dataclass(frozen=True, slots=True)
class Backup:
    """The digests of a backup, oldest day first, and the lines that could not be read."""

    digests: tuple[ParsedDigest, ...]
    problems: tuple[Problem, ...]

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
            for day, paper in _paper_listings(record, number):
                by_day[day].append(paper)
        except (ValueError, _BadRecord) as exc:  # json.JSONDecodeError is a ValueError
            problems.append(Problem(source, number, ProblemCode.BAD_RECORD, (str(exc),)))
    return Backup(_digests(by_day, source), tuple(problems))
