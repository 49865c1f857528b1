"""Run a real papers-bot process against the loopback fake Discord (``discord_server.py``).

As a program (test-only; production code has no such switch)::

    python -m tests.harness.botproc --api-base http://127.0.0.1:PORT/api/v10 [--tag NAME] \
        -- --database bot.db run

points discord.py at the fake (``discord.http.Route.BASE`` for REST and interaction webhooks,
``DiscordWebSocket.DEFAULT_GATEWAY`` for the gateway), adds ``botproc/NAME`` to the User-Agent of
every request and gateway connection (so the fake can tell processes apart), then runs
``bot.__main__.main(args)``, the ``papers-bot`` entry point, with the token from
``DISCORD_TOKEN``. It also reports job starts and ``on_ready`` on stdout (:func:`instrument`),
so tests can count them.

From a test, :func:`start_bot` starts one as a subprocess in its own process group (its output in
a log file), waits until it has IDENTIFIED, and returns a :class:`BotProcess` to
:meth:`~BotProcess.kill` (SIGKILL) or :meth:`~BotProcess.terminate` (SIGTERM) it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from .discord_server import DiscordServer

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]

#: Settings every test bot gets unless the test overrides them: no network besides the fake
#: (no Hugging Face fetch, no summaries), quiet logs at INFO.
QUIET_ENV: Mapping[str, str] = {
    "FETCH_INTERVAL_MINUTES": "0",
    "HF_API_BASE": "off",
    "LOG_LEVEL": "INFO",
    "DISCORD_GUILD_ID": "",
    "SUMMARY_API_URL": "",
    "SUMMARY_MODEL": "",
    "DIGEST_URL_TEMPLATE": "",
    "WATCH_DIR": "",
}


def point_at(api_base: str, gateway: str | None = None, tag: str | None = None) -> None:
    """Make discord.py (in this process) talk to the fake Discord at ``api_base``."""
    import discord.gateway
    import discord.http
    import yarl

    discord.http.Route.BASE = api_base.rstrip("/")
    if gateway is None:
        url = yarl.URL(api_base)
        gateway = str(url.with_scheme("ws").with_path("/gateway"))
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    if tag:
        init = discord.http.HTTPClient.__init__

        def tagged_init(self: Any, *args: Any, **kwargs: Any) -> None:
            init(self, *args, **kwargs)
            self.user_agent = f"{self.user_agent} botproc/{tag}"

        discord.http.HTTPClient.__init__ = tagged_init  # type: ignore[method-assign]


#: Lines a bot process prints on stdout for :func:`instrument`'s events.
EVENT_PREFIX = "botproc-event: "
#: Seconds between the alert watcher's ticks in a test bot (the bot's own default is 30).
ALERT_INTERVAL_ENV = "BOTPROC_ALERT_INTERVAL"


def note(event: str) -> None:
    print(f"{EVENT_PREFIX}{event}", flush=True)


def instrument() -> None:
    """Make the bot report on stdout each start of a job, each alert tick and each
    ``on_ready`` (:meth:`BotProcess.events`; ``NAME:done`` when the call returned), and
    (``BOTPROC_ALERT_INTERVAL``) tick its alert watcher faster. Wrappers only: the bot's own
    code runs unchanged."""
    from bot.core.alerts import AlertService
    from bot.core.digests import DigestScheduler
    from bot.discord_ui.client import PapersBot

    def reporting(cls: Any, name: str, event: str) -> None:
        original = getattr(cls, name)

        async def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            note(event)
            result = await original(self, *args, **kwargs)
            note(f"{event}:done")
            return result

        setattr(cls, name, wrapper)

    reporting(PapersBot, "setup_hook", "setup_hook")
    reporting(PapersBot, "on_ready", "on_ready")
    reporting(PapersBot, "start_scheduler", "start_scheduler")
    reporting(PapersBot, "start_alerts", "start_alerts")
    reporting(DigestScheduler, "start", "digests.start")
    reporting(DigestScheduler, "catch_up", "digests.catch_up")
    reporting(AlertService, "start", "alerts.start")
    reporting(AlertService, "tick", "alerts.tick")
    interval = os.environ.get(ALERT_INTERVAL_ENV)
    if interval:
        init = AlertService.__init__

        def fast_init(self: Any, *args: Any, **kwargs: Any) -> None:
            kwargs["interval"] = float(interval)  # over ALERT_INTERVAL_SECONDS
            init(self, *args, **kwargs)

        AlertService.__init__ = fast_init  # type: ignore[method-assign]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.harness.botproc",
        description="Run papers-bot against the loopback fake Discord (tests only).",
    )
    parser.add_argument("--api-base", required=True, help="http://127.0.0.1:PORT/api/v10")
    parser.add_argument("--gateway", help="ws://127.0.0.1:PORT/gateway (default: from --api-base)")
    parser.add_argument("--tag", help="added to the User-Agent as botproc/TAG")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="-- then papers-bot arguments")
    options = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    args = list(options.args)
    if args[:1] == ["--"]:
        args = args[1:]
    point_at(options.api_base, options.gateway, options.tag)
    instrument()
    from bot.__main__ import main as papers_bot

    return papers_bot(args or ["run"])


# --------------------------------------------------------------------------- from tests


async def poll(
    read: Callable[[], Awaitable[T | None]],
    done: Callable[[T], bool] = bool,
    *,
    within: float = 30.0,
    every: float = 0.05,
) -> T:
    """Call ``read()`` (e.g. a query on the bot's database) every ``every`` seconds until
    ``done(value)``; return the value. ``AssertionError`` with the last value after
    ``within`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        value = await read()
        if value is not None and done(value):
            return value
        if loop.time() > deadline:
            raise AssertionError(f"still {value!r} after {within} s")
        await asyncio.sleep(every)


@dataclass
class BotProcess:
    """A bot subprocess (the leader of its own process group) and its log file."""

    process: asyncio.subprocess.Process
    log_path: Path
    tag: str
    started_at: float = field(default_factory=time.time)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def returncode(self) -> int | None:
        return self.process.returncode

    def output(self) -> str:
        """Everything the process wrote to stdout and stderr so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def _signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)

    def events(self) -> list[str]:
        """The :func:`instrument` events so far, in order (``on_ready``, ``digests.start``,
        ``alerts.start``, ...)."""
        return [
            line.removeprefix(EVENT_PREFIX).strip()
            for line in self.output().splitlines()
            if line.startswith(EVENT_PREFIX)
        ]

    def count(self, event: str) -> int:
        return self.events().count(event)

    async def kill(self) -> int:
        """SIGKILL the whole process group; wait for the exit status."""
        self._signal(signal.SIGKILL)
        return await self.process.wait()

    async def terminate(self, within: float = 20.0) -> int:
        """SIGTERM, then SIGKILL after ``within`` seconds; the exit status."""
        self._signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), within)
        except TimeoutError:
            return await self.kill()

    async def wait(self, within: float = 30.0) -> int:
        return await asyncio.wait_for(self.process.wait(), within)


async def start_bot(
    server: DiscordServer,
    *,
    database: str | os.PathLike[str],
    workdir: str | os.PathLike[str],
    args: Sequence[str] = ("run",),
    env: Mapping[str, str] | None = None,
    tag: str = "bot",
    token: str | None = None,
    wait: bool = True,
    within: float = 60.0,
    alert_interval: float | None = 0.5,
) -> BotProcess:
    """Start ``papers-bot --database DATABASE ARGS`` against ``server`` in its own process
    group, in ``workdir`` (so no ``.env`` of the repository is read; the log is
    ``workdir/TAG.log``), and (``wait``) return once it has IDENTIFIED on the gateway.

    ``alert_interval``: seconds between alert ticks (the bot's default, 30 s, when ``None``).
    ``env`` is added to the environment (after :data:`QUIET_ENV`); ``DISCORD_TOKEN`` is the
    server's token unless ``token`` is given. A process that exits or does not identify in
    ``within`` seconds fails with its output.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / f"{tag}.log"
    environment = {
        **os.environ,
        **QUIET_ENV,
        "DISCORD_TOKEN": token if token is not None else (server.token or "any-token"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "PYTHONUNBUFFERED": "1",
        ALERT_INTERVAL_ENV: "" if alert_interval is None else str(alert_interval),
        **(env or {}),
    }
    if "DATABASE_URL" not in (env or {}):
        environment.pop("DATABASE_URL", None)  # --database decides
    command = [
        sys.executable,
        "-m",
        "tests.harness.botproc",
        "--api-base",
        server.api_base,
        "--gateway",
        server.gateway_url,
        "--tag",
        tag,
        "--",
        "--database",
        str(database),
        *args,
    ]
    before = sum(1 for i in server.identifies if i.client == tag)
    with log_path.open("ab") as log:
        process = await asyncio.create_subprocess_exec(
            *command,
            cwd=workdir,
            env=environment,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
    bot = BotProcess(process, log_path, tag)
    if wait:
        try:
            await server.wait_for(
                lambda: (
                    process.returncode is not None
                    or sum(1 for i in server.identifies if i.client == tag) > before
                ),
                within=within,
                what=f"bot {tag!r} to IDENTIFY",
            )
        except TimeoutError:
            await bot.kill()
            raise AssertionError(
                f"bot {tag!r} did not identify; its output:\n{bot.output()}"
            ) from None
        if process.returncode is not None:
            raise AssertionError(
                f"bot {tag!r} exited with {process.returncode}; its output:\n{bot.output()}"
            )
    return bot


if __name__ == "__main__":
    sys.exit(main())
