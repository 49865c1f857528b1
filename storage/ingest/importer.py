"""Import digest files into the store: discovery, reading, parsing, one transaction per file.

A file that cannot be read as UTF-8, or is not a digest at all, is a failed file with a
:class:`Problem` saying where and why; the import goes on with the next file. Headings the
parser could not use are problems too, but the rest of that file is imported.
"""

from __future__ import annotations

import asyncio
import ctypes
import dataclasses
import datetime as dt
import glob
import logging
import multiprocessing
import os
import re
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import AsyncGenerator, Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Final

from storage.ingest.backup import BACKUP_SUFFIX, read_backup
from storage.models import ImportResult, ParsedDigest, Problem, ProblemCode

if TYPE_CHECKING:
    from storage.ports import Store
    from storage.prepare import PreparedDigest

log = logging.getLogger(__name__)

SAMPLE_SOURCE: Final = "l-yohai/daily_papers_ko"
SAMPLE_LICENSE: Final = "CC BY-NC 4.0"
SAMPLE_CREDIT: Final = f"{SAMPLE_SOURCE} ({SAMPLE_LICENSE})"

#: Bundled sample digests are named after their day (``2024-06-13.md``, ``2023-11-21-….md``).
_SAMPLE_NAME_RE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}.*\.md$")
_GLOB_CHARS: Final = frozenset("*?[")

#: ``progress(done, total, name)`` is called after each file.
ProgressCallback = Callable[[int, int, str], None]


@dataclass(frozen=True, slots=True)
class FileOutcome:
    """One file's import: ``result`` when it was imported, else ``error`` says why not."""

    source: str
    result: ImportResult | None = None
    error: Problem | None = None

    @property
    def ok(self) -> bool:
        return self.result is not None


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What an import did, over all files; ``missing`` are paths that matched no file."""

    files: tuple[FileOutcome, ...] = ()
    missing: tuple[str, ...] = ()

    @property
    def imported(self) -> tuple[FileOutcome, ...]:
        return tuple(f for f in self.files if f.ok)

    @property
    def failed(self) -> tuple[FileOutcome, ...]:
        return tuple(f for f in self.files if not f.ok)

    @property
    def days(self) -> int:
        """Distinct digest days imported."""
        return len({f.result.date for f in self.files if f.result and f.result.date})

    @property
    def new_papers(self) -> int:
        return sum(f.result.new_papers for f in self.files if f.result)

    @property
    def updated_papers(self) -> int:
        return sum(f.result.updated_papers for f in self.files if f.result)

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Every problem, failed files first-class: each has ``file:line: reason``."""
        found: list[Problem] = []
        for outcome in self.files:
            if outcome.error is not None:
                found.append(outcome.error)
            if outcome.result is not None:
                found.extend(outcome.result.problems)
        return tuple(found)

    @property
    def ok(self) -> bool:
        """True when every path matched and every file was imported."""
        return not self.missing and not self.failed


# --------------------------------------------------------------------------- discovery


def _has_glob(text: str) -> bool:
    return any(c in _GLOB_CHARS for c in text)


def _markdown_under(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*.md") if p.is_file())


def discover(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[str]]:
    """Files to import from ``paths`` (in order, no duplicates), and the paths that matched nothing.

    A file is taken as is; a directory gives every ``*.md`` below it (sorted); a pattern with
    ``*``, ``?`` or ``[`` is a glob (``**`` matches any depth), each match a file or directory.
    """
    files: list[Path] = []
    missing: list[str] = []
    seen: set[Path] = set()

    def add(path: Path) -> None:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            files.append(path)

    for raw in paths:
        text = os.fspath(raw)
        path = Path(text).expanduser()
        found: list[Path] = []
        if path.is_file():
            found = [path]
        elif path.is_dir():
            found = _markdown_under(path)
        elif _has_glob(text):
            for match in sorted(glob.glob(os.path.expanduser(text), recursive=True)):
                candidate = Path(match)
                if candidate.is_file():
                    found.append(candidate)
                elif candidate.is_dir():
                    found.extend(_markdown_under(candidate))
        if found:
            for item in found:
                add(item)
        else:
            missing.append(text)
    return files, missing


# --------------------------------------------------------------------------- importing


def _decode(data: bytes, source: str) -> str:
    """UTF-8 text (a BOM is dropped); raises _FileFailed with the line of the bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _FileFailed(
            Problem(source, line, ProblemCode.NOT_UTF8, (f"{data[exc.start]:02x}",))
        ) from None


#: At most this many files go into one commit of :func:`import_files` (each file stays atomic on
#: its own). Larger commits write the shared index pages and the full-text segments fewer times:
#: 256 files of 30 papers import about an eighth faster than 64 (bench/bench_store.py).
FILES_PER_COMMIT = 256
#: ... and a commit is made once a group has held the write lock this long, so another process
#: writing to the same database (the running bot) waits well under ``BUSY_TIMEOUT_MS``.
SECONDS_PER_COMMIT = 1.5


class _FileFailed(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


#: A digest file larger than this is not read (a real day is well under 200 KB).
MAX_FILE_BYTES = 2 * 1024 * 1024
#: Papers of one day imported at most (a real day lists under 100).
MAX_PAPERS_PER_DAY = 500
#: Problems listed per file at most; the rest are counted in one more line.
MAX_PROBLEMS_PER_FILE = 50
#: A digest may be dated this many days after today (UTC) at most: tomorrow, for time zones
#: ahead of UTC; a later one is refused until its day comes.
FUTURE_DAYS_ACCEPTED = 1


def latest_day_accepted(now: dt.datetime | None = None) -> dt.date:
    """The latest digest day an import takes now: tomorrow, UTC."""
    today = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).date()
    return today + dt.timedelta(days=FUTURE_DAYS_ACCEPTED)


def too_large(source: str, size: int) -> Problem | None:
    """The problem of a file of ``size`` bytes, when it is over :data:`MAX_FILE_BYTES`."""
    if size <= MAX_FILE_BYTES:
        return None
    return Problem(source, 1, ProblemCode.FILE_TOO_LARGE, (f"{size:,}", f"{MAX_FILE_BYTES:,}"))


def within_limits(digest: ParsedDigest, *, latest: dt.date) -> ParsedDigest | Problem:
    """``digest`` as an import takes it: refused (a problem) when dated after ``latest``; at
    most :data:`MAX_PAPERS_PER_DAY` papers (a problem at the first one left out); at most
    :data:`MAX_PROBLEMS_PER_FILE` problems listed, then one line counting the rest."""
    if digest.date > latest:
        return Problem(
            digest.source,
            1,
            ProblemCode.FUTURE_DAY,
            (digest.date.isoformat(), latest.isoformat()),
        )
    papers, problems = digest.papers, list(digest.problems)
    if len(problems) > MAX_PROBLEMS_PER_FILE:
        more = len(problems) - MAX_PROBLEMS_PER_FILE
        first_unlisted = problems[MAX_PROBLEMS_PER_FILE]
        problems = problems[:MAX_PROBLEMS_PER_FILE]
        problems.append(
            Problem(digest.source, first_unlisted.line, ProblemCode.TOO_MANY_PROBLEMS, (str(more),))
        )
    if len(papers) > MAX_PAPERS_PER_DAY:
        problems.append(
            Problem(
                digest.source,
                papers[MAX_PAPERS_PER_DAY].line,
                ProblemCode.TOO_MANY_PAPERS,
                (str(len(papers)), str(MAX_PAPERS_PER_DAY)),
            )
        )
        papers = papers[:MAX_PAPERS_PER_DAY]
    if papers is digest.papers and len(problems) == len(digest.problems):
        return digest
    return dataclasses.replace(digest, papers=papers, problems=tuple(problems))


def _parse_text(text: str, source: str) -> ParsedDigest | Problem:
    """The parsed digest of ``text`` within the import's limits (:func:`within_limits`), or
    the problem saying why it is not imported."""
    from storage.ingest.parser import DigestError, parse_digest

    problem = too_large(source, len(text.encode("utf-8", "surrogatepass")))
    if problem is not None:
        return problem
    try:
        parsed = parse_digest(text, source)
    except DigestError as exc:
        return exc.problem
    return within_limits(parsed, latest=latest_day_accepted())


async def import_text(store: Store, text: str, source: str) -> FileOutcome:
    """Parse ``text`` and import it in one transaction."""
    from storage.prepare import prepare_digest

    parsed = _parse_text(text, source)
    if isinstance(parsed, Problem):
        prepared: PreparedDigest | Problem = parsed
    else:
        prepared = prepare_digest(parsed, documents=store.wants_documents)
    (outcome,) = await _outcomes(store, [(source, prepared)])
    return outcome


def _read_bytes(path: str | os.PathLike[str] | Traversable) -> bytes:
    if isinstance(path, (str, os.PathLike)):
        return Path(path).read_bytes()
    return path.read_bytes()


async def import_file(store: Store, path: str | os.PathLike[str] | Traversable) -> FileOutcome:
    """Read, parse and import one file; reading or decoding failures become a failed outcome."""
    source = str(path)
    try:
        data = await asyncio.to_thread(_read_bytes, path)
        problem = too_large(source, len(data))
        if problem is not None:
            raise _FileFailed(problem)
        text = _decode(data, source)
    except _FileFailed as failed:
        log.info("%s", failed.problem)
        return FileOutcome(source, error=failed.problem)
    except OSError as exc:
        problem = Problem(source, 1, ProblemCode.CANNOT_READ, (str(exc.strerror or exc),))
        log.info("%s", problem)
        return FileOutcome(source, error=problem)
    return await import_text(store, text, source)


#: Imports of at least this many files parse in worker processes (below, the pool's start-up
#: would cost more than it saves).
POOL_MIN_FILES = 20
#: Worker processes for large imports (the database thread keeps one core busy).
POOL_WORKERS = 1
#: Files read and parsed ahead of the one being written, per worker.
POOL_AHEAD = 8


def prepare_file(
    source: str, path: str | None, data: bytes | None, documents: bool = False
) -> PreparedDigest | Problem:
    """Read (``path``, else ``data``), decode, parse and build the rows of one file (with the
    papers' ``tsvector`` documents when ``documents``).

    A pure function of its arguments that runs in a worker process: everything an import does
    to a file before the database (:func:`storage.prepare.prepare_digest`).
    """
    from storage.prepare import prepare_digest

    try:
        if data is None:
            where = Path(path or source)
            problem = too_large(source, where.stat().st_size)
            if problem is not None:
                return problem
            data = where.read_bytes()
        problem = too_large(source, len(data))
        if problem is not None:
            return problem
        text = _decode(data, source)
    except _FileFailed as failed:
        return failed.problem
    except OSError as exc:
        return Problem(source, 1, ProblemCode.CANNOT_READ, (str(exc.strerror or exc),))
    parsed = _parse_text(text, source)
    if isinstance(parsed, Problem):
        return parsed
    return prepare_digest(parsed, documents=documents)


#: The arguments of :func:`prepare_file`.
Task = tuple[str, str | None, bytes | None, bool]


def _task(path: str | os.PathLike[str] | Traversable, documents: bool) -> Task:
    """The arguments of :func:`prepare_file` for ``path`` (resources are read here)."""
    source = str(path)
    if isinstance(path, (str, os.PathLike)):
        return source, os.fspath(path), None, documents
    try:
        return source, None, path.read_bytes(), documents
    except OSError:
        return source, source, None, documents  # the worker reports the failure


#: Prepared files handed to the database thread in one call, at most (those ready by then).
GROUP_FILES = 16

#: ``(source, prepared)`` of each file of a group, in order.
Group = list[tuple[str, "PreparedDigest | Problem"]]


async def _outcomes(store: Store, group: Group) -> list[FileOutcome]:
    """Store the prepared files of ``group`` in one call; files that failed before the database
    (and those the database refuses) become failed outcomes with their reason."""
    ready = [(source, item) for source, item in group if not isinstance(item, Problem)]
    results = iter(await store.import_digests([item for _, item in ready]) if ready else [])
    outcomes: list[FileOutcome] = []
    for source, item in group:
        if isinstance(item, Problem):
            log.info("%s", item)
            outcomes.append(FileOutcome(source, error=item))
            continue
        result = next(results)
        if isinstance(result, Exception):
            log.error("Could not store %s", source, exc_info=result)
            error = Problem(source, 1, ProblemCode.COULD_NOT_STORE, (str(result),))
            outcomes.append(FileOutcome(source, error=error))
            continue
        for problem in result.problems:
            log.info("%s", problem)
        outcomes.append(FileOutcome(source, result=result))
    return outcomes


def _lost(source: str, error: Exception) -> FileOutcome:
    """A file of a batch the store could not commit."""
    return FileOutcome(source, error=Problem(source, 1, ProblemCode.COULD_NOT_STORE, (str(error),)))


#: How often a worker without ``prctl`` checks that the import that started it still runs.
PARENT_CHECK_SECONDS = 0.5


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)


def _end_with_parent(parent: int) -> None:
    """The worker's initializer: end this process when the import that started it ends, even
    by SIGKILL (which runs no clean-up). Linux asks the kernel to send SIGKILL then
    (``PR_SET_PDEATHSIG``); elsewhere, and in case the parent died before that call, a daemon
    thread notices the parent is gone. The resource tracker ends by itself once the import and
    its workers are gone (its pipe closes)."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no prctl here
            pass
    if os.getppid() != parent:  # the import already ended
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


#: ``prctl`` option: the signal a process gets when its parent thread dies.
PR_SET_PDEATHSIG: Final = 1


async def _prepared_in_pool(
    files: Sequence[str | os.PathLike[str] | Traversable], documents: bool
) -> AsyncGenerator[Group, None]:
    """Groups of ``(source, prepared)`` for ``files`` in order, parsed ahead in worker
    processes: each group is the next file and those after it already prepared."""
    loop = asyncio.get_running_loop()
    context = multiprocessing.get_context("spawn")  # safe beside aiosqlite's thread
    workers = max(1, min(POOL_WORKERS, os.cpu_count() or 1))
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_end_with_parent,
        initargs=(os.getpid(),),
    ) as pool:
        pending: deque[tuple[Task, asyncio.Future[PreparedDigest | Problem] | None]] = deque()
        queue = iter(files)
        broken = False

        def submit() -> None:
            nonlocal broken
            for path in queue:
                args = _task(path, documents)
                future = None
                if not broken:
                    try:
                        future = loop.run_in_executor(pool, prepare_file, *args)
                    except (BrokenProcessPool, RuntimeError):
                        broken = True
                pending.append((args, future))
                return

        async def take() -> tuple[str, PreparedDigest | Problem]:
            nonlocal broken
            args, future = pending.popleft()
            submit()
            prepared: PreparedDigest | Problem | None = None
            if future is not None:
                try:
                    prepared = await future
                except BrokenProcessPool:
                    if not broken:
                        log.warning("The parser worker stopped; parsing the rest here")
                    broken = True
            if prepared is None:
                prepared = prepare_file(*args)
            return args[0], prepared

        for _ in range(max(workers * POOL_AHEAD, GROUP_FILES)):
            submit()
        try:
            while pending:
                group = [await take()]
                while pending and len(group) < GROUP_FILES:
                    future = pending[0][1]
                    if future is not None and not future.done():
                        break
                    group.append(await take())
                yield group
        finally:
            for _args, future in pending:
                if future is not None:
                    future.cancel()


async def _unprepared(
    files: Sequence[str | os.PathLike[str] | Traversable], documents: bool
) -> AsyncGenerator[Group, None]:
    """Groups of ``(source, prepared)`` for ``files`` in order, prepared here (few files)."""
    for start in range(0, len(files), GROUP_FILES):
        yield [
            (str(path), prepare_file(*_task(path, documents)))
            for path in files[start : start + GROUP_FILES]
        ]


async def import_files(
    store: Store,
    files: Sequence[str | os.PathLike[str] | Traversable],
    *,
    progress: ProgressCallback | None = None,
    missing: Sequence[str] = (),
) -> ImportSummary:
    """Import ``files`` in order, calling ``progress`` after each.

    Each file is atomic: it is imported whole or, when it fails, not at all, and the next file
    goes on. When the store loses a group's commit as a whole (SQLite rolled it back, or the
    commit failed), every file of that group is reported failed with the error, and the next
    group goes on. Files are committed in groups (:meth:`Store.batch`) of :data:`FILES_PER_COMMIT`
    files or :data:`SECONDS_PER_COMMIT`, whichever comes first (or the store's own
    ``files_per_commit`` and ``seconds_per_commit``), so shared index pages are
    written once a group instead of once a file (the README's benchmark section has the
    figures). From :data:`POOL_MIN_FILES` files on,
    reading, parsing and building the rows (:func:`prepare_file`) run in worker processes
    ahead of the writes, so they overlap the database work instead of waiting for it.
    """
    outcomes: list[FileOutcome] = []
    total = len(files)
    # A store may commit more at a time (PostgreSQL: a batch blocks no reader or writer).
    files_per_commit = int(getattr(store, "files_per_commit", FILES_PER_COMMIT))
    seconds_per_commit = float(getattr(store, "seconds_per_commit", SECONDS_PER_COMMIT))
    items: AsyncGenerator[Group, None]
    if total >= POOL_MIN_FILES and POOL_WORKERS > 0:
        items = _prepared_in_pool(files, store.wants_documents)
    else:
        items = _unprepared(files, store.wants_documents)
    try:
        done = False
        while not done:
            first = len(outcomes)
            group: Group = []
            storing = False
            try:
                async with store.batch():
                    deadline = time.monotonic() + seconds_per_commit
                    in_batch = 0
                    while in_batch < files_per_commit and time.monotonic() < deadline:
                        try:
                            group = await anext(items)
                        except StopAsyncIteration:
                            done = True
                            break
                        storing = True
                        stored = await _outcomes(store, group)
                        storing = False
                        for outcome in stored:
                            outcomes.append(outcome)
                            if progress is not None:
                                progress(len(outcomes), total, outcome.source)
                        in_batch += len(group)
                    group = []
                    storing = True  # the commit
            except Exception as exc:
                if not storing:
                    raise
                # The store lost the batch as a whole (SQLite rolled it back, or its commit
                # failed): none of its files is stored.
                log.error("Could not store a batch of %d files", len(outcomes) - first + len(group))
                outcomes[first:] = [_lost(o.source, exc) if o.ok else o for o in outcomes[first:]]
                for source, item in group:
                    outcomes.append(
                        _lost(source, exc)
                        if not isinstance(item, Problem)
                        else FileOutcome(source, error=item)
                    )
                    if progress is not None:
                        progress(len(outcomes), total, source)
    finally:
        await items.aclose()
    summary = ImportSummary(tuple(outcomes), tuple(missing))
    log.info(
        "Imported %d of %d files: %d days, %d new papers, %d updated, %d problems",
        len(summary.imported),
        total,
        summary.days,
        summary.new_papers,
        summary.updated_papers,
        len(summary.problems),
    )
    return summary


async def import_backup(store: Store, path: str | os.PathLike[str]) -> list[FileOutcome]:
    """Restore an export (``papers-bot export --format jsonl``): every day it holds, with the
    generated summaries and vote history, in one transaction (all or nothing). One outcome a
    day; the lines that could not be read are problems of the first day, and the rest is
    restored."""
    source = str(path)
    try:
        text = _decode(await asyncio.to_thread(_read_bytes, path), source)
    except _FileFailed as failed:
        return [FileOutcome(source, error=failed.problem)]
    except OSError as exc:
        problem = Problem(source, 1, ProblemCode.CANNOT_READ, (str(exc.strerror or exc),))
        return [FileOutcome(source, error=problem)]
    backup = read_backup(text, source)
    if not backup.digests:
        problems = backup.problems or (Problem(source, 1, ProblemCode.EMPTY_BACKUP),)
        return [FileOutcome(source, error=problem) for problem in problems]
    try:
        async with store.batch():
            results = await store.import_digests(list(backup.digests))
            for result in results:
                if isinstance(result, Exception):
                    raise result  # the whole backup is rolled back
            if backup.summaries:
                await store.import_rows("summaries", backup.summaries)
            if backup.votes:
                await store.import_rows("vote_history", backup.votes)
    except Exception as exc:
        log.error("Could not restore %s", source, exc_info=exc)
        problem = Problem(source, 1, ProblemCode.COULD_NOT_STORE, (str(exc),))
        return [FileOutcome(source, error=problem)]
    stored = [r for r in results if isinstance(r, ImportResult)]
    stored[0] = dataclasses.replace(stored[0], problems=backup.problems + stored[0].problems)
    return [FileOutcome(source, result=result) for result in stored]


async def import_paths(
    store: Store,
    paths: Iterable[str | os.PathLike[str]],
    *,
    progress: ProgressCallback | None = None,
) -> ImportSummary:
    """Discover files from ``paths`` (files, directories, globs) and import them."""
    files, missing = discover(paths)
    for text in missing:
        log.warning("No file matches %s", text)
    return await import_found(store, files, progress=progress, missing=missing)


async def import_found(
    store: Store,
    files: Sequence[Path],
    *,
    progress: ProgressCallback | None = None,
    missing: Sequence[str] = (),
) -> ImportSummary:
    """Import what :func:`discover` found: exports (``*.jsonl``) are restored first
    (:func:`import_backup`), then the digest files (:func:`import_files`).

    The import first takes a new database's first use (:meth:`Store.claim_first_use`), so a
    console or bot opened on it meanwhile does not add the bundled samples."""
    await store.claim_first_use("import", at=dt.datetime.now(dt.UTC))
    restored: list[FileOutcome] = []
    for backup in (f for f in files if f.suffix == BACKUP_SUFFIX):
        restored.extend(await import_backup(store, backup))
    digests = [f for f in files if f.suffix != BACKUP_SUFFIX]
    summary = await import_files(store, digests, progress=progress, missing=missing)
    return ImportSummary(tuple(restored) + summary.files, summary.missing)


# --------------------------------------------------------------------------- bundled samples


def sample_files() -> list[Traversable]:
    """The bundled sample digests (``storage/samples/**/*.md`` except notes), sorted by name."""
    root = resources.files("storage.ingest").joinpath("samples")
    found: list[Traversable] = []

    def walk(node: Traversable) -> None:
        for child in node.iterdir():
            if child.is_dir():
                walk(child)
            elif _SAMPLE_NAME_RE.match(child.name):
                found.append(child)

    if root.is_dir():
        walk(root)
    return sorted(found, key=lambda t: (t.name, str(t)))


async def ensure_seeded(
    store: Store, *, progress: ProgressCallback | None = None
) -> ImportSummary | None:
    """Import the bundled samples into a new, empty store; ``None`` otherwise.

    Decided in the database (:meth:`Store.claim_first_use`, under its write lock): only the
    first user of a database without digests seeds it, never one opened while an import into
    it runs (that import took the first use), nor two processes at once."""
    if not await store.is_empty():
        return None
    if not await store.claim_first_use("samples", at=dt.datetime.now(dt.UTC)):
        log.info("Empty database already in use by an import: not adding the samples")
        return None
    files = sample_files()
    log.info("Empty database: importing %d bundled sample digests", len(files))
    return await import_files(store, files, progress=progress)
