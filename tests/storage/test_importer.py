"""storage.ingest.importer: discovery, per-file import with problems, progress, bundled samples."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from storage.ingest.importer import (
    discover,
    ensure_seeded,
    import_file,
    import_paths,
    sample_files,
)
from storage.models import ProblemCode
from storage.sqlite.store import Store

SAMPLES = Path(__file__).resolve().parents[2] / "storage" / "ingest" / "samples"
DAY = SAMPLES / "2024-06-13.md"
DIGEST = (
    "## Daily Papers (2024-01-02)\n\n### [A Title](https://arxiv.org/abs/2401.00001)\n\nVote: 3\n"
)


# --------------------------------------------------------------------------- discovery


def test_discover_file_directory_and_glob(tmp_path: Path) -> None:
    """Files as given, directories recursively (*.md only, sorted), globs with **."""
    (tmp_path / "a" / "b").mkdir(parents=True)
    one = tmp_path / "one.md"
    deep = tmp_path / "a" / "b" / "deep.md"
    other = tmp_path / "a" / "notes.txt"
    for path in (one, deep, other):
        path.write_text(DIGEST, encoding="utf-8")
    files, missing = discover([one, tmp_path / "a", str(tmp_path / "**" / "*.txt")])
    assert files == [one, deep, other]
    assert missing == []


def test_discover_dedupes(tmp_path: Path) -> None:
    """The same file named twice (directly and via a glob) is imported once."""
    one = tmp_path / "one.md"
    one.write_text(DIGEST, encoding="utf-8")
    files, _ = discover([one, str(tmp_path / "*.md"), tmp_path])
    assert files == [one]


def test_discover_reports_unmatched(tmp_path: Path) -> None:
    """Missing files, empty globs and directories without *.md are listed as unmatched."""
    (tmp_path / "empty").mkdir()
    files, missing = discover(
        [str(tmp_path / "nope.md"), str(tmp_path / "*.xyz"), str(tmp_path / "empty")]
    )
    assert files == []
    assert missing == [
        str(tmp_path / "nope.md"),
        str(tmp_path / "*.xyz"),
        str(tmp_path / "empty"),
    ]


# --------------------------------------------------------------------------- importing


async def test_import_file_result(empty_store: Store) -> None:
    """One sample digest imports with its date and paper count."""
    outcome = await import_file(empty_store, DAY)
    assert outcome.ok
    assert outcome.result is not None
    assert outcome.result.date == dt.date(2024, 6, 13)
    assert outcome.result.new_papers == 21


async def test_undecodable_file_is_a_problem(empty_store: Store, tmp_path: Path) -> None:
    """Invalid UTF-8 fails that file with the line of the bad byte; no exception."""
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"## Daily Papers (2024-01-01)\n\nok\n\xc3\x28 broken\n")
    outcome = await import_file(empty_store, bad)
    assert not outcome.ok
    assert outcome.error is not None
    assert (outcome.error.file, outcome.error.line) == (str(bad), 4)
    assert outcome.error.code is ProblemCode.NOT_UTF8
    assert await empty_store.is_empty()


async def test_utf8_bom_is_accepted(empty_store: Store, tmp_path: Path) -> None:
    """A UTF-8 byte order mark does not hide the digest header."""
    path = tmp_path / "bom.md"
    path.write_bytes(b"\xef\xbb\xbf" + DIGEST.encode())
    outcome = await import_file(empty_store, path)
    assert outcome.ok, outcome.error


async def test_non_digest_is_failed(empty_store: Store, tmp_path: Path) -> None:
    """A file without a digest header is a failed file saying 'not a digest'."""
    notes = tmp_path / "notes.md"
    notes.write_text("# Notes\n\nhello\n", encoding="utf-8")
    outcome = await import_file(empty_store, notes)
    assert not outcome.ok
    assert outcome.error is not None
    assert outcome.error.file == str(notes)
    assert outcome.error.code is ProblemCode.NO_DIGEST_HEADER


async def test_unreadable_path_is_failed(empty_store: Store, tmp_path: Path) -> None:
    """A file that cannot be read (here: vanished) fails with 'cannot read'."""
    outcome = await import_file(empty_store, tmp_path / "gone.md")
    assert not outcome.ok
    assert outcome.error is not None and outcome.error.code is ProblemCode.CANNOT_READ


async def test_heading_problems_keep_the_rest(empty_store: Store, tmp_path: Path) -> None:
    """An unusable heading is a problem with file:line; the other papers are imported."""
    path = tmp_path / "mixed.md"
    path.write_text(DIGEST + "\n### not a link heading\n\nVote: 1\n", encoding="utf-8")
    summary = await import_paths(empty_store, [path])
    assert summary.ok
    assert summary.new_papers == 1
    assert [str(p).split(": ", 1)[0] for p in summary.problems] == [f"{path}:7"]


async def test_summary_counts_and_progress(empty_store: Store, tmp_path: Path) -> None:
    """The summary adds up files, days, papers and problems; progress sees every file."""
    notes = tmp_path / "notes.md"
    notes.write_text("nothing\n", encoding="utf-8")
    calls: list[tuple[int, int]] = []
    summary = await import_paths(
        empty_store,
        [DAY, SAMPLES / "2024-05-15.md", notes, tmp_path / "missing.md"],
        progress=lambda done, total, name: calls.append((done, total)),
    )
    assert calls == [(1, 3), (2, 3), (3, 3)]
    assert len(summary.imported) == 2
    assert len(summary.failed) == 1
    assert summary.missing == (str(tmp_path / "missing.md"),)
    assert summary.days == 2
    assert summary.new_papers == 29
    assert not summary.ok


async def test_reimport_is_idempotent(empty_store: Store) -> None:
    """Importing the same file again adds no papers and keeps the count."""
    await import_paths(empty_store, [DAY])
    again = await import_paths(empty_store, [DAY])
    assert again.new_papers == 0
    assert await empty_store.paper_count() == 21


# --------------------------------------------------------------------------- samples


def test_sample_files_are_the_digests() -> None:
    """The bundled samples are the 12 dated digests (SOURCE.md is not one)."""
    names = [f.name for f in sample_files()]
    assert len(names) == 12
    assert "SOURCE.md" not in names
    assert "2024-06-13.md" in names
    assert "2025-05-09-readme-wrapper.md" in names


async def test_ensure_seeded_loads_samples_once(empty_store: Store) -> None:
    """An empty store gets the samples; a second call does nothing and returns None."""
    summary = await ensure_seeded(empty_store)
    assert summary is not None
    assert summary.ok
    assert len(summary.imported) == 12
    assert summary.new_papers == await empty_store.paper_count() == 143
    assert await empty_store.latest_day() == dt.date(2025, 5, 9)
    assert await ensure_seeded(empty_store) is None


async def test_ensure_seeded_leaves_filled_store(empty_store: Store) -> None:
    """A store with data is not seeded."""
    await import_file(empty_store, DAY)
    assert await ensure_seeded(empty_store) is None
    assert await empty_store.paper_count() == 21
