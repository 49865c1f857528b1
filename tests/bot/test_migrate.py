"""``papers-bot migrate --to``: SQLite to PostgreSQL and back, every table verified; a second
run changes nothing; a target that cannot be used is one line with nothing written."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from backends import clone_database, drop_database, run_apart
from harness.postgres import Cluster

from bot.__main__ import main
from storage.backends import open_store
from storage.ingest.parser import parse_digest
from storage.models import Bullet, ParsedDigest, ParsedPaper, WatchedFile
from storage.transfer import COLUMNS, TABLES, Row, canonical

SAMPLES = Path(__file__).resolve().parents[2] / "storage" / "ingest" / "samples"
AT = dt.datetime(2024, 6, 14, 8, 30, tzinfo=dt.UTC)


@pytest.fixture
def pg_url(pg_cluster: Cluster) -> Iterator[str]:
    """A new, migrated, empty PostgreSQL database for the test; dropped after."""
    url = run_apart(clone_database(pg_cluster))
    yield url
    run_apart(drop_database(pg_cluster, url))


async def _import(store: object, name: str) -> None:
    text = (SAMPLES / name).read_text(encoding="utf-8")
    await store.import_digest(parse_digest(text, name))  # type: ignore[attr-defined]


async def _seed(path: Path) -> None:
    """Papers, an empty day, guild settings, runs and posts (one refreshed), alerts (one paused,
    both with a backlog), deliveries, a watched file, API extras with vote history, reading
    lists, and generated summaries (done, failed, pending): a row in every table."""
    async with await open_store(path) as store:
        await _import(store, "2023-12-06.md")
        await _import(store, "2024-02-15.md")
        await store.import_digest(ParsedDigest(dt.date(2024, 2, 17), ()))
        await store.set_digest_settings(
            7, channel_id=70, post_time=dt.time(9), timezone="Asia/Seoul", count=5, now=AT
        )
        await store.set_digest_language(7, "en", guild_locale="ko", now=AT)
        await store.record_digest_run(7, dt.date(2024, 6, 13), "skipped", at=AT, detail="empty")
        await store.record_digest_sending(7, dt.date(2024, 6, 14), dt.date(2024, 2, 15), at=AT)
        await store.record_digest_post(
            7,
            dt.date(2024, 2, 15),
            channel_id=70,
            message_ids=[101, 102],
            at=AT,
            slot=dt.date(2024, 6, 14),
        )
        await store.record_digest_error(7, "missing_access", at=AT)
        await _api_extras(store)  # before the alerts: the copy's feed is in day order
        words = await store.add_alert(1, "keywords", "model", now=AT, language="ko")
        await store.add_alert(2, "keywords", "diffusion", now=AT)
        await store.pause_alerts(2, at=AT)
        await store.take_pause_notice(2)
        upto = await store.feed_position()
        paper_id = next(iter((await store.feed_batch(0, upto)).papers.values()))
        await store.record_alert_run([words.id], {words.id: [paper_id]}, upto=upto, at=AT)
        await _import(store, "2024-06-13.md")
        await store.record_watched_file(WatchedFile("in/a.md", 1, 2, "ab" * 32), at=AT)
        await store.claim_digest_refresh(7, dt.date(2024, 2, 15), at=AT)
        papers = [p.arxiv_id for p in (await store.day_papers(dt.date(2024, 2, 15))).items]
        await store.save_paper(1, papers[0], at=AT)
        await store.save_paper(1, papers[1], at=AT + dt.timedelta(seconds=1))
        await store.save_paper(2, papers[0], at=AT)
        stale = AT - dt.timedelta(hours=1)
        for arxiv_id in papers[:3]:
            assert await store.claim_summary(arxiv_id, at=AT, max_attempts=3, stale_before=stale)
        await store.record_summary(
            papers[0], (Bullet("요약", "생성된 요약"), Bullet(None, "둘째")), model="m1", at=AT
        )
        await store.record_summary_failure(papers[1], "timeout", at=AT)


async def _api_extras(store: object) -> None:
    """A day of the API twice, votes rising: organisation, comments, keywords, vote history."""
    stored = await store.day_papers(dt.date(2024, 2, 15))  # type: ignore[attr-defined]
    first = stored.items[0]
    for votes in (40, 41):
        api = ParsedPaper(
            arxiv_id=first.arxiv_id,
            title=first.title,
            url=first.url,
            authors=first.authors,
            authors_truncated=False,
            votes=votes,
            media=None,
            summary=(),
            position=1,
            line=1,
            ai_summary="An AI summary.",
            keywords=("diffusion", "모델"),
            github_repo="https://github.com/o/r",
            github_stars=12,
            project_page="https://example.org",
            organization="Example Lab",
            comments=3,
        )
        new = dataclasses.replace(
            api, arxiv_id="2402.99999", title="A new one", position=2, authors_truncated=True
        )
        await store.import_api_digest(  # type: ignore[attr-defined]
            ParsedDigest(dt.date(2024, 2, 15), (api, new), (), "api")
        )


async def _export(where: str | Path, table: str) -> list[Row]:
    async with await open_store(where) as store:
        return sorted(await store.export_rows(table), key=canonical)


async def _rows(where: str | Path) -> dict[str, list[str]]:
    """Every table's rows on ``where``, in canonical form, sorted."""
    async with await open_store(where) as store:
        return {t: sorted(map(canonical, await store.export_rows(t))) for t in TABLES}


@pytest.fixture
def seeded(env: Path) -> Path:
    """A seeded SQLite database at ``env/source.db``."""
    path = env / "source.db"
    asyncio.run(_seed(path))
    return path


def test_seed_fills_every_table_and_column(seeded: Path) -> None:
    """Every table of the neutral form has rows and every column a value somewhere, so a table
    or column the copy missed makes the round-trip tests below fail."""

    async def filled() -> dict[str, list[bool]]:
        async with await open_store(seeded) as store:
            out = {}
            for table in TABLES:
                rows = await store.export_rows(table)
                out[table] = [
                    any(row[i] not in (None, (), False) for row in rows)
                    for i in range(len(COLUMNS[table]))
                ]
            return out

    empty = {
        f"{table}.{COLUMNS[table][i]}"
        for table, columns in asyncio.run(filled()).items()
        for i, has in enumerate(columns)
        if not has
    }
    assert not empty


def test_neutral_form_covers_the_schema(seeded: Path) -> None:
    """Every column of every SQLite table is in the neutral form, or is a surrogate id, a
    derived value or machinery (listed here): a new table or column must be added to
    storage.transfer (and so to the copy and its checksum) or here, with the reason."""
    import sqlite3

    not_copied = {
        "papers": {"id", "content_date"},  # surrogate; which digest gave the content
        "appearances": {"paper_id"},
        "authors": {"id"},
        "paper_authors": {"paper_id", "author_id"},
        "alerts": {"id", "seen_seq", "backlog"},  # seen_seq is carried as the backlog
        "alert_deliveries": {"alert_id", "paper_id"},
        "summaries": {"paper_id"},
        "vote_history": {"paper_id"},
        "saved_papers": {"paper_id"},
        "digest_runs": {"holder"},  # the process sending the slot, on the source
    }
    # Derived, or about the processes running on the source right now (leases, the sender of
    # a digest slot, who first used the database): not data to carry to another database.
    machinery = {
        "import_feed",
        "author_terms",
        "feed_clock",
        "schema_migrations",
        "database_claims",
        "processes",
        "shard_leases",
        "job_leases",
        "alert_sends",
        "fetch_misses",  # the source's fetch job's own retries, for days the target may have
    }
    db = sqlite3.connect(seeded)
    try:
        tables = [
            name
            for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not name.startswith(("paper_fts", "sqlite_")) and name not in machinery
        ]
        for table in tables:
            columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
            assert table in COLUMNS, f"table {table} is not copied by migrate"
            missing = columns - set(COLUMNS[table]) - not_copied.get(table, set())
            names = {"arxiv_id", "norm_key", "user_id", "kind", "match_key"}
            assert not missing - names, f"{table}: {missing - names} not copied"
    finally:
        db.close()


def test_sqlite_to_postgres_verifies_every_table(
    seeded: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every table is copied and verified: one matching line per table, a summary, exit 0."""
    assert main(["--database", str(seeded), "migrate", "--to", pg_url]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out[:-1]] == list(TABLES)
    assert all(line.endswith(": match") for line in out[:-1])
    assert out[-1] == f"All {len(TABLES)} tables match: the copy is complete."
    assert asyncio.run(_rows(pg_url)) == asyncio.run(_rows(seeded))


def test_postgres_back_to_sqlite_is_the_same(
    seeded: Path, pg_url: str, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """SQLite -> PostgreSQL -> a new SQLite file: the last holds what the first did."""
    back = env / "back.db"
    assert main(["--database", str(seeded), "migrate", "--to", pg_url]) == 0
    assert main(["--database", pg_url, "migrate", "--to", str(back)]) == 0
    assert asyncio.run(_rows(back)) == asyncio.run(_rows(seeded))


def test_the_copy_keeps_alert_backlogs_and_pauses(seeded: Path, pg_url: str) -> None:
    """Alerts keep their language, paused state and the papers they have yet to look at."""
    assert main(["--database", str(seeded), "migrate", "--to", pg_url]) == 0
    words, diffusion = asyncio.run(_export(pg_url, "alerts"))
    assert words[7] == "ko" and words[5] is None
    assert diffusion[5] == AT and diffusion[7] is None
    assert words[-1] and words[-1] == diffusion[-1]
    assert {day for _, day in words[-1]} == {dt.date(2024, 6, 13)}


def test_second_run_changes_nothing(
    seeded: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Migrating again writes no new rows and verifies again."""
    assert main(["--database", str(seeded), "migrate", "--to", pg_url]) == 0
    before = asyncio.run(_rows(pg_url))
    capsys.readouterr()
    assert main(["--database", str(seeded), "migrate", "--to", pg_url]) == 0
    assert capsys.readouterr().out.endswith("the copy is complete.\n")
    assert asyncio.run(_rows(pg_url)) == before


def test_newer_target_is_one_line_and_untouched(
    seeded: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A target a newer papers-bot wrote: one line, exit 1, no row written."""

    async def age_and_count(age: bool) -> int:
        con = await asyncpg.connect(pg_url)
        try:
            if age:
                await con.execute("INSERT INTO schema_migrations (version, name) VALUES (999, 'x')")
            return int(await con.fetchval("SELECT count(*) FROM papers"))
        finally:
            await con.close()

    asyncio.run(age_and_count(True))
    assert main(["--database", str(seeded), "migrate", "--to", pg_url]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "newer papers-bot" in err
    assert asyncio.run(age_and_count(False)) == 0


def test_unreachable_target_is_one_line(
    seeded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No server at the target URL: one line saying so, exit 1."""
    url = f"postgresql://papers@/papers?host={tmp_path}/nowhere&port=5999"
    assert main(["--database", str(seeded), "migrate", "--to", url]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot reach the database server" in err


def test_target_holding_more_is_reported(
    seeded: Path, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A target with a row the source lacks: that table's line says it differs, exit 1."""
    target = env / "target.db"

    async def other_guild() -> None:
        async with await open_store(target) as store:
            await store.set_digest_settings(
                8, channel_id=80, post_time=dt.time(7), timezone="UTC", count=3, now=AT
            )

    asyncio.run(other_guild())
    assert main(["--database", str(seeded), "migrate", "--to", str(target)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out if "DIFFERS" in line] == ["guild_digests"]
    assert out[-1] == f"1 of {len(TABLES)} tables differ: guild_digests"


def test_target_same_as_source_is_refused(seeded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Copying a database onto itself is a usage error (exit 2)."""
    assert main(["--database", str(seeded), "migrate", "--to", str(seeded)]) == 2
    assert "is the database being copied" in capsys.readouterr().err
