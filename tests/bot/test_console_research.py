"""The console's research commands: similar, trends (a PNG file) and top rising, as text and
--json, with the exit codes of bad input."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.__main__ import main
from bot.i18n import charts

PAPER = "2406.06523"

pytestmark = pytest.mark.usefixtures("env", "seeded_db")


@pytest.fixture(autouse=True)
def charts_here(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Charts go to the test's own temporary directory."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def run(capsys: pytest.CaptureFixture[str], line: str, *flags: str) -> tuple[int, str, str]:
    code = main(["console", "-c", line, *flags])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def as_json(capsys: pytest.CaptureFixture[str], line: str) -> dict[str, Any]:
    code, out, err = run(capsys, line, "--json")
    assert code == 0, err
    return json.loads(out)


def test_similar_json_has_reasons_as_codes(capsys: pytest.CaptureFixture[str]) -> None:
    """`similar ID --json`: the papers with their score, reason codes and shared terms."""
    data = as_json(capsys, f"similar {PAPER}")
    assert data["command"] == "similar" and data["arxiv_id"] == PAPER
    assert 5 <= data["total"] == len(data["results"]) <= 8
    first = data["results"][0]
    assert "terms" in first["reasons"] and first["terms"]
    assert set(first) >= {"arxiv_id", "title", "score", "reasons", "shared_authors", "same_day"}
    assert PAPER not in [r["arxiv_id"] for r in data["results"]]


def test_similar_text_and_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    """As text: the title and a reason per paper; an unknown id exits 1, no id 2."""
    code, out, _ = run(capsys, f"similar {PAPER}")
    assert code == 0 and "Papers like: NaRCan" in out and "shared terms:" in out
    code, _, err = run(capsys, "similar 2406.99999")
    assert code == 1 and "No paper '2406.99999'" in err
    assert run(capsys, "similar")[0] == 2


def test_trends_writes_the_png_and_prints_its_path(
    capsys: pytest.CaptureFixture[str], charts_here: Path
) -> None:
    """`trends TERM... RANGE` writes a PNG and prints the summary and the file's path."""
    code, out, _ = run(capsys, 'trends diffusion "확산 모델" all')
    assert code == 0
    (written,) = charts_here.glob("papers-trends-*.png")
    assert f"Chart written to {written}" in " ".join(out.split())
    assert "Papers per month" in out
    with Image.open(written) as image:
        assert image.format == "PNG" and image.size == (charts.WIDTH_PX, charts.HEIGHT_PX)


def test_trends_json_gives_path_and_counts_per_week(capsys: pytest.CaptureFixture[str]) -> None:
    """`--json`: the file's path and, per term, every week's papers and votes."""
    data = as_json(capsys, "trends model, agent quarter")
    assert data["command"] == "trends" and data["bucket"] == "week"
    assert Path(data["path"]).is_file()
    model, agent = data["series"]
    assert model["term"] == "model" and agent["term"] == "agent"
    assert model["papers"] == sum(c["papers"] for c in model["counts"]) > 0
    assert len(model["counts"]) == len(agent["counts"]) >= 13
    first = model["counts"][0]
    assert set(first) == {"start", "papers", "votes"}


def test_trends_bad_input(capsys: pytest.CaptureFixture[str], charts_here: Path) -> None:
    """Four terms or none exit 2 with the reason; no paper in the range is a note, no file."""
    code, _, err = run(capsys, "trends a b c d")
    assert code == 2 and "at most 3 terms" in err
    assert run(capsys, "trends")[0] == 2
    code, out, _ = run(capsys, "trends zzyzxqq month")
    assert code == 0 and "No paper in this range mentions 'zzyzxqq'" in " ".join(out.split())
    data = as_json(capsys, "trends zzyzxqq")
    assert data["path"] is None and data["note"] == "no_papers"
    assert not list(charts_here.glob("*.png"))


def test_top_rising_without_history(capsys: pytest.CaptureFixture[str]) -> None:
    """`top rising`: the samples have no vote history, which the note says; JSON: none."""
    code, out, _ = run(capsys, "top rising month")
    assert code == 0 and "No paper's votes rose" in " ".join(out.split())
    data = as_json(capsys, "top rising all")
    assert data["command"] == "top rising" and data["total"] == 0 and data["note"] == "none"
