"""The benchmarks still import: they run as ``python -m bench.X`` from the repository's root,
outside pytest, so a moved module or a harness import that only works under pytest breaks them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_benchmark_module_imports_as_it_is_run() -> None:
    """`python -m bench.<name>` finds every module it needs (nothing is run)."""
    names = sorted(p.stem for p in (ROOT / "bench").glob("*.py") if p.stem != "__init__")
    assert "bench_store" in names and "bench_bot" in names
    code = "import importlib; " + "; ".join(f"importlib.import_module('bench.{n}')" for n in names)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
