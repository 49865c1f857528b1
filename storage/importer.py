"""Import digest files into the store: discovery, reading, parsing, one transaction per file.

A file that cannot be read as UTF-8, or is not a digest at all, is a failed file with a
:class:`Problem` saying where and why; the import goes on with the next file. Headings the
parser could not use are problems too, but the rest of that file is imported.
"""

from __future__ import annotations

import asyncio
import glob
import logging
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Final

from storage.models import ImportResult, Problem

if TYPE_CHECKING:
    from storage.store import Store

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
            Problem(source, line, f"not UTF-8 text (byte 0x{data[exc.start]:02x})")
        ) from None


#: How many files one commit of :func:`import_files` holds (each file stays atomic on its own).
FILES_PER_COMMIT = 64


class _FileFailed(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


async def import_text(store: Store, text: str, source: str) -> FileOutcome:
    """Parse ``text`` and import it in one transaction."""
    from storage.parser import DigestError, parse_digest

    try:
        digest = parse_digest(text, source)
    except DigestError as exc:
        reason = getattr(exc, "reason", None) or str(exc)
        line = getattr(exc, "line", None) or 1
        if not reason.lower().startswith("not a digest"):
            reason = f"not a digest: {reason}"
        problem = Problem(source, int(line), reason)
        log.info("%s", problem)
        return FileOutcome(source, error=problem)
    try:
        result = await store.import_digest(digest)
    except Exception as exc:  # one bad file must not stop the others
        log.exception("Could not store %s", source)
        return FileOutcome(source, error=Problem(source, 1, f"could not store: {exc}"))
    for problem in result.problems:
        log.info("%s", problem)
    return FileOutcome(source, result=result)


def _read_bytes(path: str | os.PathLike[str] | Traversable) -> bytes:
    if isinstance(path, (str, os.PathLike)):
        return Path(path).read_bytes()
    return path.read_bytes()


async def import_file(store: Store, path: str | os.PathLike[str] | Traversable) -> FileOutcome:
    """Read, parse and import one file; reading or decoding failures become a failed outcome."""
    source = str(path)
    try:
        data = await asyncio.to_thread(_read_bytes, path)
        text = _decode(data, source)
    except _FileFailed as failed:
        log.info("%s", failed.problem)
        return FileOutcome(source, error=failed.problem)
    except OSError as exc:
        problem = Problem(source, 1, f"cannot read: {exc.strerror or exc}")
        log.info("%s", problem)
        return FileOutcome(source, error=problem)
    return await import_text(store, text, source)


async def import_files(
    store: Store,
    files: Sequence[str | os.PathLike[str] | Traversable],
    *,
    progress: ProgressCallback | None = None,
    missing: Sequence[str] = (),
) -> ImportSummary:
    """Import ``files`` in order, calling ``progress`` after each.

    Each file is atomic: it is imported whole or, when it fails, not at all, and the next file
    goes on. Files are committed in groups of :data:`FILES_PER_COMMIT` (:meth:`Store.batch`),
    which roughly doubles the throughput of large imports.
    """
    outcomes: list[FileOutcome] = []
    total = len(files)
    for start in range(0, total, FILES_PER_COMMIT):
        async with store.batch():
            for path in files[start : start + FILES_PER_COMMIT]:
                outcomes.append(await import_file(store, path))
                if progress is not None:
                    progress(len(outcomes), total, str(path))
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
    return await import_files(store, files, progress=progress, missing=missing)


# --------------------------------------------------------------------------- bundled samples


def sample_files() -> list[Traversable]:
    """The bundled sample digests (``storage/samples/**/*.md`` except notes), sorted by name."""
    root = resources.files("storage").joinpath("samples")
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
    """Import the bundled samples when the store is empty; ``None`` when it was not empty."""
    if not await store.is_empty():
        return None
    files = sample_files()
    log.info("Empty database: importing %d bundled sample digests", len(files))
    return await import_files(store, files, progress=progress)


def seeded_message(summary: ImportSummary) -> str:
    """The one line to show after :func:`ensure_seeded` loaded the samples."""
    return (
        f"New database: loaded {len(summary.imported)} sample digests "
        f"({summary.new_papers} papers) from {SAMPLE_CREDIT}"
    )
