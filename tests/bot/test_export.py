"""Export: JSONL records with exactly the documented keys, CSV that parses back, date filters."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from bot.__main__ import main
from bot.core.export import CSV_FIELDS, DAY_RECORD_KEYS, RECORD_KEYS, export
from storage.sqlite.store import Store

NARCAN = {
    "arxiv_id": "2406.06523",
    "title": "NaRCan: Natural Refined Canonical Image with Integration of Diffusion Prior for "
    "Video Editing",
    "url": "https://arxiv.org/abs/2406.06523",
    "authors": [
        "Hau-Shiang Shiu",
        "Jiewen Chan",
        "Chang-Han Yeh",
        "Yu-Lun Liu",
        "Shih-Han Yen",
        "Ting-Hsuan Chen",
    ],
    "authors_truncated": False,
    "votes": 47,
    "media": {
        "kind": "image",
        "url": "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2406.06523.png",
    },
    "days": [{"date": "2024-06-13", "position": 1, "votes": 47}],
}


def _records(capsys: pytest.CaptureFixture[str], *extra: str) -> list[dict[str, Any]]:
    assert main(["export", *extra]) == 0
    out = capsys.readouterr().out
    return [json.loads(line) for line in out.splitlines()]


def _jsonl(capsys: pytest.CaptureFixture[str], *extra: str) -> list[dict[str, Any]]:
    """The paper records of an export (without the records of days that list no paper)."""
    return [r for r in _records(capsys, *extra) if "arxiv_id" in r]


def test_jsonl_has_exactly_the_keys(
    env: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every JSONL record has exactly the documented keys, in order, for every paper."""
    records = _jsonl(capsys)
    assert len(records) == 143
    assert RECORD_KEYS == (
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
    assert all(list(r) == list(RECORD_KEYS) for r in records)


def test_days_without_papers_are_records_first(
    env: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A digest day that lists no paper is exported too (a record of its own, before the papers),
    so an export is a whole backup; the date filter applies to it."""
    records = _records(capsys)
    days = [r for r in records if "arxiv_id" not in r]
    assert days == [{"day": "2023-11-22", "papers": 0}]
    assert list(days[0]) == list(DAY_RECORD_KEYS)
    assert records[0] == days[0]
    assert not [r for r in _records(capsys, "--since", "2024-01-01") if "arxiv_id" not in r]


def test_jsonl_known_paper(env: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The NaRCan paper is exported with the values from its digest."""
    record = next(r for r in _jsonl(capsys) if r["arxiv_id"] == "2406.06523")
    for key, value in NARCAN.items():
        assert record[key] == value, key
    assert [b["label"] for b in record["summary"]] == [
        "What's New",
        "Technical Details",
        "Performance Highlights",
    ]
    assert record["summary"][0]["text"].startswith("이번 논문에서는 NaRCan이라는")


def test_jsonl_is_not_ascii_escaped(
    env: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Korean text is written as is (ensure_ascii=False)."""
    assert main(["export"]) == 0
    out = capsys.readouterr().out
    assert "이번 논문에서는" in out
    assert "\\uc774" not in out


def test_jsonl_value_types(env: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Types hold for every record: lists, bools, int-or-null votes, media shape."""
    for record in _jsonl(capsys):
        assert isinstance(record["authors"], list)
        assert "+" not in record["authors"]
        assert isinstance(record["authors_truncated"], bool)
        assert record["votes"] is None or isinstance(record["votes"], int)
        assert record["media"] is None or set(record["media"]) == {"kind", "url"}
        assert record["media"] is None or record["media"]["kind"] in ("image", "video")
        assert all(set(b) == {"label", "text"} for b in record["summary"])
        assert all(set(d) == {"date", "position", "votes"} for d in record["days"])
        assert record["days"]


def test_jsonl_truncated_authors(
    env: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A list cut short with `+` is flagged, and the marker is not an author."""
    truncated = [r for r in _jsonl(capsys) if r["authors_truncated"]]
    assert truncated
    assert all("+" not in r["authors"] for r in truncated)


def test_jsonl_papers_without_votes(
    env: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Papers from before votes were shown export votes as null."""
    records = _jsonl(capsys, "--until", "2023-11-20")
    assert len(records) == 11
    assert all(r["votes"] is None for r in records)


def test_since_until_filter(env: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--since/--until keep papers listed within the range."""
    records = _jsonl(capsys, "--since", "2024-06-13", "--until", "2024-06-13")
    assert len(records) == 21
    assert all(any(d["date"] == "2024-06-13" for d in r["days"]) for r in records)


def test_since_after_until_is_error(
    env: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--since after --until is a usage error, exit 2."""
    assert main(["export", "--since", "2024-06-14", "--until", "2024-06-13"]) == 2
    assert "after --until" in capsys.readouterr().err


def test_bad_date_is_usage_error(
    env: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad --since is reported by argparse, exit 2."""
    assert main(["export", "--since", "last week"]) == 2
    assert "Not a date" in capsys.readouterr().err


def test_csv_parses_back(env: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """CSV output reads back with the csv module: header, one row per paper, flat values."""
    assert main(["export", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 143
    assert tuple(rows[0]) == CSV_FIELDS
    row = next(r for r in rows if r["arxiv_id"] == "2406.06523")
    assert row["authors"] == "; ".join(NARCAN["authors"])
    assert row["votes"] == "47"
    assert row["authors_truncated"] == "false"
    assert row["media_kind"] == "image"
    assert row["days"] == "2024-06-13 #1 (47)"
    assert row["summary"].splitlines()[0].startswith("What's New: 이번 논문에서는")


async def test_export_function_counts(store: Store) -> None:
    """export() returns how many papers it wrote: one line per paper, plus one per empty day."""
    out = io.StringIO()
    count = await export(store, out, fmt="jsonl")
    assert count == 143
    assert len(out.getvalue().splitlines()) == 143 + 1


async def test_export_rejects_unknown_format(store: Store) -> None:
    """An unknown format is refused before anything is written."""
    out = io.StringIO()
    with pytest.raises(ValueError):
        await export(store, out, fmt="xml")
    assert out.getvalue() == ""
