"""The console's reading list: save, unsave, saved and saved export, as text and --json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import bibtexparser
import pytest

from bot.__main__ import main

PAPER = "2406.06523"
OTHER = "2406.04127"

pytestmark = pytest.mark.usefixtures("env", "seeded_db")


def run(capsys: pytest.CaptureFixture[str], line: str, *flags: str) -> tuple[int, str, str]:
    code = main(["console", "-c", line, *flags])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def as_json(capsys: pytest.CaptureFixture[str], line: str) -> dict[str, Any]:
    code, out, err = run(capsys, line, "--json")
    assert code == 0, err
    return json.loads(out)


def test_save_then_saved_lists_newest_first(capsys: pytest.CaptureFixture[str]) -> None:
    """Two saves, then `saved` shows both, the newest saved first."""
    assert run(capsys, f"save {PAPER}")[0] == 0
    code, out, _ = run(capsys, f"save {OTHER}")
    assert code == 0 and "Saved" in out
    code, out, _ = run(capsys, "saved")
    assert code == 0 and out.index(OTHER) < out.index(PAPER)


def test_save_json(capsys: pytest.CaptureFixture[str]) -> None:
    """`save --json` tells what happened: added once, then already there."""
    assert as_json(capsys, f"save {PAPER}") == {
        "command": "save",
        "arxiv_id": PAPER,
        "added": True,
        "count": 1,
        "limit": 500,
    }
    assert as_json(capsys, f"save https://arxiv.org/abs/{PAPER}")["added"] is False


def test_unsave_removes(capsys: pytest.CaptureFixture[str]) -> None:
    """`unsave` takes the paper out; `saved --json` is then empty."""
    run(capsys, f"save {PAPER}")
    assert as_json(capsys, f"unsave {PAPER}") == {
        "command": "unsave",
        "arxiv_id": PAPER,
        "removed": True,
    }
    assert as_json(capsys, "saved") == {"command": "saved", "total": 0, "results": []}


def test_unknown_paper_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    """Saving an id the archive lacks exits 1 and names the id."""
    code, _, err = run(capsys, "save 2406.99999")
    assert code == 1 and "'2406.99999'" in err


def test_export_bibtex_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    """`saved export bibtex` prints the BibTeX itself, which parses back."""
    run(capsys, f"save {PAPER}")
    code, out, _ = run(capsys, "saved export bibtex")
    assert code == 0
    (entry,) = bibtexparser.parse_string(out).entries
    assert entry["eprint"] == PAPER and entry["archivePrefix"] == "arXiv"


def test_export_to_a_file(capsys: pytest.CaptureFixture[str], env: Path) -> None:
    """With FILE the export is written there and --json names the file and the count."""
    run(capsys, f"save {PAPER}")
    data = as_json(capsys, "saved export csv out.csv")
    assert data == {"command": "saved export", "format": "csv", "count": 1, "file": "out.csv"}
    assert PAPER in (env / "out.csv").read_text(encoding="utf-8")


def test_bad_export_format_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown format exits 2 and lists the formats there are."""
    code, _, err = run(capsys, "saved export pdf")
    assert code == 2 and "bibtex, markdown, csv" in err
