"""A throw-away PostgreSQL server for tests and benchmarks: ``initdb`` + ``pg_ctl`` on a temp dir.

The server listens only on a Unix socket in its own directory (no TCP port), trusts local
connections (``password_auth`` adds loopback TCP with ``scram-sha-256``: see
:func:`running_cluster`), runs with ``fsync=off`` (its data is thrown away), and is stopped and
deleted afterwards. PostgreSQL refuses to run as root: when this process is root, the cluster is
owned by and run as an unprivileged user (``PAPERS_PG_USER``, default ``postgres``), through
``runuser``.

A server that cannot start raises :class:`ClusterError` with the command's output: the tests that
need it fail loudly instead of being skipped (``.ci/run`` installs PostgreSQL and creates the
user where they are missing).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Where Debian's packages put the server programs, newest first (``initdb`` is not on PATH).
_BIN_GLOBS = ("/usr/lib/postgresql/*/bin",)
DEFAULT_USER = "postgres"
DATABASE = "papers"
ROLE = "papers"


class ClusterError(RuntimeError):
    """The throw-away server could not be set up; the message has the command and its output."""


def find_bin(name: str) -> str:
    """The path of a PostgreSQL server program (``initdb``, ``pg_ctl``, ``postgres``)."""
    for pattern in _BIN_GLOBS:
        for directory in sorted(glob.glob(pattern), reverse=True):
            candidate = Path(directory) / name
            if candidate.is_file():
                return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise ClusterError(
        f"{name} not found: install PostgreSQL 15 (Debian: apt-get install postgresql-15)"
    )


@dataclass(frozen=True, slots=True)
class Cluster:
    """A running server: connect with :attr:`dsn` (``postgresql://`` URL over the socket)."""

    root: Path
    socket_dir: Path
    port: int
    #: The server's ``-c`` settings, for :meth:`start`.
    flags: str = ""

    @property
    def dsn(self) -> str:
        return f"postgresql://{ROLE}@/{DATABASE}?host={self.socket_dir}&port={self.port}"

    def database_dsn(self, name: str) -> str:
        return f"postgresql://{ROLE}@/{name}?host={self.socket_dir}&port={self.port}"

    def tcp_dsn(self, user: str, password: str, database: str = DATABASE) -> str:
        """A URL over loopback TCP with a password (a ``password_auth`` cluster only)."""
        return f"postgresql://{user}:{password}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run ``sql`` as the superuser over the socket; its output."""
        return _run(
            [
                find_bin("psql"),
                "-h",
                str(self.socket_dir),
                "-p",
                str(self.port),
                "-U",
                ROLE,
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ],
            None,
            env=_env(),
        )

    def stop(self) -> None:
        """Stop the server as a restart does (connections cut, committed data kept)."""
        _run(_ctl(self, "-m", "fast", "-w", "stop"), _server_user())

    def start(self) -> None:
        """Start the stopped server again, with the options it first started with."""
        _run(_ctl(self, "-o", self.flags, "-w", "-t", "60", "start"), _server_user(), env=_env())


def _ctl(cluster: Cluster, *argv: str) -> list[str]:
    data = cluster.root / "data"
    return [find_bin("pg_ctl"), "-D", str(data), "-l", str(cluster.root / "server.log"), *argv]


def _env() -> dict[str, str]:
    return {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}


def _runner(user: str | None) -> list[str]:
    return ["runuser", "-u", user, "--"] if user else []


def _run(argv: Sequence[str], user: str | None, *, env: dict[str, str] | None = None) -> str:
    command = [*_runner(user), *argv]
    result = subprocess.run(
        command, capture_output=True, text=True, env=env, check=False, timeout=120
    )
    if result.returncode != 0:
        raise ClusterError(
            f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
        )
    return result.stdout


def _server_user() -> str | None:
    """The user to run the server as: ``None`` (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    name = os.environ.get("PAPERS_PG_USER", DEFAULT_USER)
    try:
        pwd.getpwnam(name)
    except KeyError:
        raise ClusterError(
            f"running as root and there is no user {name!r} to run PostgreSQL as: create one "
            "(useradd --system postgres) or set PAPERS_PG_USER"
        ) from None
    return name


def free_port() -> int:
    """A loopback TCP port nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def running_cluster(
    *, port: int = 5432, settings: dict[str, str] | None = None, password_auth: bool = False
) -> Iterator[Cluster]:
    """Start a new cluster in a temporary directory; stop it and delete everything after.

    ``port`` only names the socket file (``.s.PGSQL.<port>``): nothing listens on TCP, unless
    ``password_auth``: then the server also listens on 127.0.0.1 at ``port`` (pick one with
    :func:`free_port`) and TCP logins need a password (``scram-sha-256``, as a production server
    is set up); the socket stays trusted for the superuser.
    """
    user = _server_user()
    root = Path(tempfile.mkdtemp(prefix="papers-pg-"))
    data = root / "data"
    sockets = root / "run"
    sockets.mkdir()
    if user is not None:
        entry = pwd.getpwnam(user)
        for path in (root, sockets):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        root.chmod(0o700)
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    started = False
    try:
        _run(
            [
                find_bin("initdb"),
                "-D",
                str(data),
                "-U",
                ROLE,
                *(
                    ["--auth-local=trust", "--auth-host=scram-sha-256"]
                    if password_auth
                    else ["-A", "trust"]
                ),
                "-E",
                "UTF8",
                "--no-sync",
                "--locale=C.UTF-8",
            ],
            user,
            env=env,
        )
        options = {
            "listen_addresses": "'127.0.0.1'" if password_auth else "''",
            "unix_socket_directories": f"'{sockets}'",
            "port": str(port),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "100",
            **(settings or {}),
        }
        flags = " ".join(f"-c {key}={value}" for key, value in options.items())
        _run(
            [
                find_bin("pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(root / "server.log"),
                "-o",
                flags,
                "-w",
                "-t",
                "60",
                "start",
            ],
            user,
            env=env,
        )
        started = True
        _run(
            [
                find_bin("psql"),
                "-h",
                str(sockets),
                "-p",
                str(port),
                "-U",
                ROLE,
                "-d",
                "postgres",
                "-c",
                f"CREATE DATABASE {DATABASE}",
            ],
            None,
            env=env,
        )
        yield Cluster(root, sockets, port, flags)
    finally:
        if started:
            with contextlib.suppress(ClusterError, subprocess.TimeoutExpired):
                _run([find_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], user)
        shutil.rmtree(root, ignore_errors=True)
