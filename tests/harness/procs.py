"""Real subprocesses for the crash and operator-safety tests: start ``papers-bot`` commands with
a clean environment, kill them, find the processes they started (``/proc``, Linux), and read a
database back as a canonical dump (no surrogate ids, no moments) to compare two runs.

Not part of the installed packages; needs no pytest.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bot.config import VARIABLES

ROOT = Path(__file__).resolve().parents[2]
#: Papers in the synthetic corpus of the process tests (80 days of 30).
CORPUS_PAPERS = 2400


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any of the bot's settings (plus ``extra``)."""
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def start(
    args: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None, module: str = "bot"
) -> subprocess.Popen[bytes]:
    """``python -m bot ARGS`` (or another module) in ``cwd``, its output captured."""
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=cwd,
        env=dict(env) if env is not None else clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def run(
    args: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None, module: str = "bot"
) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m bot ARGS`` to the end."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd,
        env=dict(env) if env is not None else clean_env(),
        capture_output=True,
        timeout=300,
        check=False,
    )


# ------------------------------------------------------------------------------ processes


def _stat(pid: int) -> tuple[str, int] | None:
    """``(state, ppid)`` of a process from ``/proc``, or ``None`` when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], int(fields[1])


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting to be reaped counts as ended)."""
    stat = _stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def descendants(pid: int) -> set[int]:
    """Every living process below ``pid`` (children, their children, ...)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None and stat[0] not in ("Z", "X"):
                parents[int(entry.name)] = stat[1]
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def wait_for(condition: Any, *, timeout: float, every: float = 0.02) -> bool:
    """Poll ``condition()`` until it is true or ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return bool(condition())


def kill(process: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    """Send ``sig`` to the process (if it still runs) and reap it."""
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(sig)
    process.communicate(timeout=60)


# ------------------------------------------------------------------------------ databases


def integrity(path: Path) -> list[str]:
    """``PRAGMA integrity_check`` and FTS5's own ``integrity-check`` of the full-text index:
    ``["ok"]`` when both are fine."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        rows = [r[0] for r in db.execute("PRAGMA integrity_check")]
        has_fts = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'paper_fts'").fetchone()
        if not has_fts:  # killed before the schema was made: nothing to check
            return rows
        try:
            db.execute("INSERT INTO paper_fts(paper_fts) VALUES ('integrity-check')")
        except sqlite3.DatabaseError as exc:
            rows.append(f"fts: {exc}")
    return rows


#: Words searched in the full-text index by :func:`canonical_dump`.
FTS_PROBES = ("model", "diffusion", "language", "video", "learning", "모델")


def canonical_dump(path: Path) -> dict[str, list[Any]]:
    """What the database holds, keyed by arXiv ids and names instead of surrogate ids and
    without import moments: two databases with the same dump hold the same data."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        columns = [
            r[1]
            for r in db.execute("PRAGMA table_info(papers)")
            if r[1] not in ("id", "imported_at")
        ]
        dump: dict[str, list[Any]] = {
            "papers": db.execute(
                f"SELECT {', '.join(columns)} FROM papers ORDER BY arxiv_id"
            ).fetchall(),
            "digests": db.execute(
                "SELECT date, source, paper_count FROM digests ORDER BY date"
            ).fetchall(),
            "appearances": db.execute(
                """SELECT p.arxiv_id, a.date, a.position, a.votes FROM appearances a
                   JOIN papers p ON p.id = a.paper_id ORDER BY 1, 2"""
            ).fetchall(),
            "authors": db.execute(
                "SELECT name, norm_key, paper_count FROM authors ORDER BY norm_key"
            ).fetchall(),
            "author_terms": db.execute(
                """SELECT t.term, a.norm_key FROM author_terms t
                   JOIN authors a ON a.id = t.author_id ORDER BY 1, 2"""
            ).fetchall(),
            "paper_authors": db.execute(
                """SELECT p.arxiv_id, pa.position, a.norm_key FROM paper_authors pa
                   JOIN papers p ON p.id = pa.paper_id JOIN authors a ON a.id = pa.author_id
                   ORDER BY 1, 2"""
            ).fetchall(),
            "vote_history": db.execute(
                """SELECT p.arxiv_id, h.votes, count(*) FROM vote_history h
                   JOIN papers p ON p.id = h.paper_id GROUP BY 1, 2 ORDER BY 1, 2"""
            ).fetchall(),
            "fts_rows": db.execute("SELECT count(*) FROM paper_fts_docsize").fetchall(),
        }
        for word in FTS_PROBES:
            dump[f"fts:{word}"] = db.execute(
                """SELECT p.arxiv_id FROM paper_fts f JOIN papers p ON p.id = f.rowid
                   WHERE paper_fts MATCH ? ORDER BY 1""",
                (f'"{word}"',),
            ).fetchall()
    return dump


def table_counts(path: Path, tables: Sequence[str]) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
