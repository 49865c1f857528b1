"""`papers-bot import EXPORT.jsonl`: an export is a backup that restores exactly."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.core.export import export
from storage.ingest.hfapi import parse_daily_papers
from storage.ingest.importer import import_backup
from storage.models import Bullet, ProblemCode
from storage.sqlite.store import Store

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "hf_daily_papers_sample.json"
#: The API paper of the fixture: a generated summary is added for it.
GENERATED = "2602.23229"

#: What a restore must give back: the rows behind every answer (ids aside).
SNAPSHOT_QUERIES = {
    "digests": "SELECT date, paper_count FROM digests ORDER BY date",
    "papers": """SELECT arxiv_id, title, url, authors_truncated, media_kind, media_url, summary,
                        votes, best_votes, first_date, last_date, ai_summary, keywords,
                        github_repo, github_stars, project_page, author_names
                 FROM papers ORDER BY arxiv_id""",
    "appearances": """SELECT p.arxiv_id, a.date, a.position, a.votes FROM appearances a
                      JOIN papers p ON p.id = a.paper_id ORDER BY 1, 2""",
    "authors": "SELECT name, norm_key, paper_count FROM authors ORDER BY norm_key",
    "summaries": """SELECT p.arxiv_id, s.state, s.bullets, s.model, s.created_at FROM summaries s
                    JOIN papers p ON p.id = s.paper_id ORDER BY 1""",
    "vote_history": """SELECT p.arxiv_id, h.at, h.votes FROM vote_history h
                       JOIN papers p ON p.id = h.paper_id ORDER BY 1, 2""",
}


def snapshot(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(path) as db:
        return {name: db.execute(sql).fetchall() for name, sql in SNAPSHOT_QUERIES.items()}


def export_to(path: Path, database: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["--database", str(database), "export"]) == 0
    text = capsys.readouterr().out
    path.write_text(text, encoding="utf-8")
    return text


async def add_api_day(database: Path) -> None:
    """An API day too, so the export carries AI summaries, keywords, GitHub and stars; fetched
    twice with the votes changed (a vote history of two points), and a generated Korean
    summary for a paper of the samples."""
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    at = dt.datetime(2025, 6, 2, 3, 4, 5, tzinfo=dt.UTC)
    async with await Store.open(database) as store:
        await store.import_api_digest(parse_daily_papers(data, dt.date(2025, 6, 2), source="hf"))
        data[0]["paper"]["upvotes"] += 7
        await store.import_api_digest(parse_daily_papers(data, dt.date(2025, 6, 2), source="hf"))
        stale = at - dt.timedelta(hours=1)
        assert await store.claim_summary(GENERATED, at=at, max_attempts=3, stale_before=stale)
        bullets = (Bullet("핵심", "생성된 요약입니다."), Bullet(None, "둘째 줄"))
        assert await store.record_summary(GENERATED, bullets, model="test-model", at=at)


def test_round_trip_restores_everything_including_empty_days(
    env: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Export, restore into an empty database, export again: the same text, and the same rows
    (days without papers, votes per day, authors and their counts, the API extras, the
    generated summary with its model and moment, every point of the vote history)."""
    asyncio.run(add_api_day(seeded_db))
    first = export_to(env / "backup.jsonl", seeded_db, capsys)
    restored = env / "restored.db"
    assert main(["--database", str(restored), "import", str(env / "backup.jsonl")]) == 0
    capsys.readouterr()
    second = export_to(env / "again.jsonl", restored, capsys)
    assert second == first
    assert '"day": "2023-11-22"' in first and '"ai_summary": "' in first
    assert '"model": "test-model"' in first and '"votes": 17}]' in first
    expected = snapshot(seeded_db)
    assert len(expected["summaries"]) == 1 and len(expected["vote_history"]) == 2
    assert snapshot(restored) == expected


def test_restoring_twice_changes_nothing(
    env: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Re-importing the same backup duplicates nothing."""
    export_to(env / "backup.jsonl", seeded_db, capsys)
    restored = env / "restored.db"
    for _ in range(2):
        assert main(["--database", str(restored), "import", str(env / "backup.jsonl")]) == 0
    assert snapshot(restored) == snapshot(seeded_db)


def test_unreadable_lines_are_problems_and_the_rest_is_restored(
    env: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A line that is not a record is reported with file and line; every other line is restored."""
    lines = export_to(env / "backup.jsonl", seeded_db, capsys).splitlines()
    broken = [lines[0], '{"arxiv_id": "x", "days": "soon"', *lines[1:], "[1, 2]"]
    (env / "broken.jsonl").write_text("\n".join(broken) + "\n", encoding="utf-8")
    restored = env / "restored.db"
    assert main(["--database", str(restored), "import", str(env / "broken.jsonl")]) == 0
    out = capsys.readouterr().out
    assert f"{env / 'broken.jsonl'}:2: not a record of an export" in out
    assert f"{env / 'broken.jsonl'}:{len(broken)}: not a record of an export" in out
    assert snapshot(restored) == snapshot(seeded_db)


async def test_a_backup_is_restored_whole_or_not_at_all(env: Path, store: Store) -> None:
    """When the database refuses one day of a backup, no day of it is kept."""
    with (env / "backup.jsonl").open("w", encoding="utf-8") as out:
        await export(store, out)
    async with await Store.open(env / "restored.db") as store:
        real = store.import_digests

        async def second_fails(digests: list[object]) -> list[object]:
            results = await real(digests)  # type: ignore[arg-type]
            results[1] = sqlite3.IntegrityError("refused")
            return results

        store.import_digests = second_fails  # type: ignore[method-assign]
        [outcome] = await import_backup(store, env / "backup.jsonl")
        assert outcome.error is not None and outcome.error.code is ProblemCode.COULD_NOT_STORE
        assert await store.is_empty()


async def test_an_empty_file_is_not_a_backup(env: Path) -> None:
    """A .jsonl with nothing in it is one failed file, not a silent success."""
    (env / "empty.jsonl").write_text("\n", encoding="utf-8")
    async with await Store.open(env / "x.db") as store:
        [outcome] = await import_backup(store, env / "empty.jsonl")
    assert outcome.error is not None and outcome.error.code is ProblemCode.EMPTY_BACKUP
