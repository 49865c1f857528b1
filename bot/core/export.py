"""Every paper out of the store as JSON Lines or CSV (``papers-bot export``).

:func:`paper_record` is also the JSON shape of one paper elsewhere (``console --json paper``).
A JSONL export is also a backup: ``papers-bot import EXPORT.jsonl`` restores it
(:mod:`storage.ingest.backup`), which is why it carries the API extras, the generated summary
with its provenance, the vote history (``vote_history``: ``at`` and ``votes`` of each point,
oldest first; filled by :func:`export`, empty elsewhere) and a record for each digest day that
lists no paper (:data:`DAY_RECORD_KEYS`), written before the papers.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final, Literal, TextIO

from storage.models import Paper, VotePoint

if TYPE_CHECKING:
    from storage.ports import Store

log = logging.getLogger(__name__)

ExportFormat = Literal["jsonl", "csv"]
FORMATS: Final[tuple[str, ...]] = ("jsonl", "csv")

#: The keys of one JSONL record, in order.
RECORD_KEYS: Final = (
    "arxiv_id",
    "title",
    "url",
    "authors",
    "authors_truncated",
    "votes",
    "media",
    "summary",
    "days",
    "ai_summary",
    "keywords",
    "github_repo",
    "github_stars",
    "project_page",
    "organization",
    "comments",
    "generated_summary",
    "vote_history",
)
#: The keys of the record of a digest day that lists no paper (``papers`` is always 0).
DAY_RECORD_KEYS: Final = ("day", "papers")

CSV_FIELDS: Final = (
    "arxiv_id",
    "title",
    "url",
    "authors",
    "authors_truncated",
    "votes",
    "media_kind",
    "media_url",
    "first_day",
    "last_day",
    "days",
    "summary",
)


def _authors(paper: Paper) -> list[str]:
    return [name for name in paper.authors if name.strip() and name.strip() != "+"]


def paper_record(paper: Paper, votes: Sequence[VotePoint] = ()) -> dict[str, Any]:
    """One paper as a JSON-ready dict with exactly :data:`RECORD_KEYS` (``votes``: its vote
    history, oldest first)."""
    return {
        "arxiv_id": paper.arxiv_id,
        "title": paper.title,
        "url": paper.url,
        "authors": _authors(paper),
        "authors_truncated": bool(paper.authors_truncated),
        "votes": paper.votes,
        "media": (
            None if paper.media is None else {"kind": paper.media.kind, "url": paper.media.url}
        ),
        "summary": [{"label": b.label, "text": b.text} for b in paper.summary],
        "days": [
            {"date": a.date.isoformat(), "position": a.position, "votes": a.votes}
            for a in paper.days
        ],
        "ai_summary": paper.ai_summary,
        "keywords": list(paper.keywords),
        "github_repo": paper.github_repo,
        "github_stars": paper.github_stars,
        "project_page": paper.project_page,
        "organization": paper.organization,
        "comments": paper.comments,
        "generated_summary": _generated(paper),
        "vote_history": [
            {"at": point.at.astimezone(dt.UTC).isoformat(), "votes": point.votes} for point in votes
        ],
    }


def _generated(paper: Paper) -> dict[str, Any] | None:
    """The generated Korean bullets with their provenance, or ``None``."""
    g = paper.generated
    if g is None:
        return None
    return {
        "model": g.model,
        "created_at": g.created_at.isoformat(),
        "bullets": [{"label": b.label, "text": b.text} for b in g.bullets],
    }


def summary_text(paper: Paper) -> str:
    """The summary bullets as plain text, one per line, ``Label: text`` when labelled."""
    return "\n".join(f"{b.label}: {b.text}" if b.label else b.text for b in paper.summary)


def csv_row(paper: Paper) -> dict[str, str]:
    """One paper as a flat CSV row keyed by :data:`CSV_FIELDS`."""
    days = "; ".join(
        f"{a.date.isoformat()} #{a.position}" + (f" ({a.votes})" if a.votes is not None else "")
        for a in paper.days
    )
    return {
        "arxiv_id": paper.arxiv_id,
        "title": paper.title,
        "url": paper.url,
        "authors": "; ".join(_authors(paper)),
        "authors_truncated": "true" if paper.authors_truncated else "false",
        "votes": "" if paper.votes is None else str(paper.votes),
        "media_kind": paper.media.kind if paper.media else "",
        "media_url": paper.media.url if paper.media else "",
        "first_day": paper.first_day.isoformat() if paper.first_day else "",
        "last_day": paper.last_day.isoformat() if paper.last_day else "",
        "days": days,
        "summary": summary_text(paper),
    }


async def export(
    store: Store,
    out: TextIO,
    *,
    fmt: str = "jsonl",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> int:
    """Write every paper (optionally only those listed within since..until) to ``out``.

    Returns how many papers were written.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    count = 0
    writer: csv.DictWriter[str] | None = None
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
        writer.writeheader()
    else:
        for day in sorted(d.date for d in await store.days() if not d.paper_count):
            if (since is None or day >= since) and (until is None or day <= until):
                out.write(json.dumps({"day": day.isoformat(), "papers": 0}) + "\n")
    history: dict[str, list[VotePoint]] = defaultdict(list)
    if writer is None:
        for arxiv_id, at, votes in sorted(await store.export_rows("vote_history")):
            history[arxiv_id].append(VotePoint(at, votes))
    async for paper in store.iter_papers(since=since, until=until):
        if writer is not None:
            writer.writerow(csv_row(paper))
        else:
            record = paper_record(paper, history.get(paper.arxiv_id, ()))
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    out.flush()
    log.info("Exported %d papers as %s", count, fmt)
    return count
