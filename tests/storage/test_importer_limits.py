"""The importer's limits (issue 17), each a clear ``file:line`` problem: a file larger than the
size cap is not read; a day lists at most so many papers; a file lists at most so many
problems, then one line counting the rest; a day after tomorrow (UTC) is refused, and in the
watched directory held back until its day comes. Every backend."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.core.fetch import Fetcher
from bot.i18n.problems import describe_problem
from storage.ingest.importer import (
    MAX_FILE_BYTES,
    MAX_PAPERS_PER_DAY,
    MAX_PROBLEMS_PER_FILE,
    import_paths,
    latest_day_accepted,
)
from storage.models import ProblemCode
from storage.ports import Store


def heading(n: int) -> str:
    return f"### [Paper {n}](https://arxiv.org/abs/2401.{n:05d})\n\nVote: {n}\n\n- 요약 {n}\n\n"


def day_text(day: str, papers: int, *, broken: int = 0) -> str:
    text = f"## Daily Papers ({day})\n\n" + "".join(heading(n) for n in range(1, papers + 1))
    return text + "### not a link\n\n" * broken


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


async def test_a_file_over_the_size_cap_is_not_read(store: Store, tmp_path: Path) -> None:
    """A 2 MB+ digest (one paper with a huge summary) is one problem at line 1, nothing
    stored; a file just under the cap imports."""
    huge = tmp_path / "2024-01-02.md"
    huge.write_text(day_text("2024-01-02", 1) + "- " + "x" * MAX_FILE_BYTES + "\n", "utf-8")
    summary = await import_paths(store, [huge])
    (failed,) = summary.failed
    assert failed.error is not None and failed.error.code is ProblemCode.FILE_TOO_LARGE
    assert describe_problem(failed.error) == (
        f"{huge}:1: file too large ({huge.stat().st_size:,} bytes; at most 2,097,152); not imported"
    )
    assert await store.is_empty()
    fine = tmp_path / "2024-01-03.md"
    fine.write_text(day_text("2024-01-03", 1) + "- " + "x" * 100_000 + "\n", "utf-8")
    assert (await import_paths(store, [fine])).ok


async def test_a_day_lists_at_most_the_cap_of_papers(store: Store, tmp_path: Path) -> None:
    """600 papers in one day: the first 500 are imported, a problem names the line of the
    501st and the count."""
    text = day_text("2024-01-02", MAX_PAPERS_PER_DAY + 100)
    path = tmp_path / "2024-01-02.md"
    path.write_text(text, encoding="utf-8")
    summary = await import_paths(store, [path])
    (outcome,) = summary.imported
    assert outcome.result is not None and outcome.result.new_papers == MAX_PAPERS_PER_DAY
    (problem,) = summary.problems
    assert problem.code is ProblemCode.TOO_MANY_PAPERS
    assert problem.line == line_of(text, f"[Paper {MAX_PAPERS_PER_DAY + 1}]")
    assert describe_problem(problem).endswith(
        "600 papers in one day (at most 500); the papers from here on are not imported"
    )
    assert await store.paper_count() == MAX_PAPERS_PER_DAY


async def test_problems_stop_at_the_cap_with_one_line_for_the_rest(
    store: Store, tmp_path: Path
) -> None:
    """3,000 broken headings: 50 problems listed, one line counting the 2,950 others; the
    good papers are imported."""
    text = day_text("2024-01-02", 3, broken=3000)
    path = tmp_path / "2024-01-02.md"
    path.write_text(text, encoding="utf-8")
    summary = await import_paths(store, [path])
    assert summary.new_papers == 3
    problems = summary.problems
    assert len(problems) == MAX_PROBLEMS_PER_FILE + 1
    assert all(p.code is ProblemCode.HEADING_NOT_A_LINK for p in problems[:-1])
    last = problems[-1]
    assert last.code is ProblemCode.TOO_MANY_PROBLEMS and last.line > problems[-2].line
    assert (
        describe_problem(last) == f"{path}:{last.line}: 2950 more problems in this file, not listed"
    )


async def test_a_day_after_tomorrow_is_refused(store: Store, tmp_path: Path) -> None:
    """A digest dated 2099-12-31 is refused with a clear line; tomorrow (UTC) is accepted."""
    future = tmp_path / "2099-12-31.md"
    future.write_text(day_text("2099-12-31", 2), encoding="utf-8")
    tomorrow = latest_day_accepted()
    near = tmp_path / "near.md"
    near.write_text(day_text(tomorrow.isoformat(), 2), encoding="utf-8")
    summary = await import_paths(store, [future, near])
    (failed,) = summary.failed
    assert failed.error is not None and failed.error.code is ProblemCode.FUTURE_DAY
    assert describe_problem(failed.error) == (
        f"{future}:1: the digest is for 2099-12-31, later than {tomorrow.isoformat()} "
        "(tomorrow, UTC); not imported until its day"
    )
    assert [d.date for d in await store.days()] == [tomorrow]


async def test_a_watched_future_day_is_held_back_until_its_day(
    store: Store, tmp_path: Path
) -> None:
    """In WATCH_DIR, a file dated three days ahead is not imported (and not remembered), so a
    scan once its day is near imports it."""
    watch = tmp_path / "watch"
    watch.mkdir()
    (watch / "ahead.md").write_text(day_text("2026-03-09", 2), encoding="utf-8")
    clock = [dt.datetime(2026, 3, 6, 12, tzinfo=dt.UTC)]
    fetcher = Fetcher(store, clock=lambda: clock[0], watch_dir=watch)
    (held,) = await fetcher.run([])
    assert not held.ok and held.problem is not None
    assert held.problem.code is ProblemCode.FUTURE_DAY
    assert await store.is_empty()
    clock[0] = dt.datetime(2026, 3, 8, 0, 30, tzinfo=dt.UTC)
    (done,) = await fetcher.run([])
    assert done.ok and done.papers == 2
