"""The throw-away PostgreSQL server the backend tests use starts, answers, and is cleaned up."""

from __future__ import annotations

import subprocess

from harness.postgres import find_bin, running_cluster


def test_cluster_starts_answers_and_is_removed() -> None:
    """A real server answers on its socket; afterwards its directory is gone (never skipped)."""
    with running_cluster() as cluster:
        result = subprocess.run(
            [find_bin("psql"), cluster.dsn, "-tAc", "SELECT current_database(), version()"],
            capture_output=True,
            text=True,
            check=True,
        )
        root = cluster.root
        assert result.stdout.startswith("papers|PostgreSQL ")
    assert not root.exists()
