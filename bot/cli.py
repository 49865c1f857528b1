"""The ``papers-bot`` command line: argparse subcommands, each a handler in :data:`COMMANDS`.

To add a subcommand (e.g. ``sync``), register a :class:`Command` in :data:`COMMANDS` (or call
:func:`register`) before :func:`build_parser` runs: a help line, a function adding its
arguments, and a handler ``(args, config) -> exit status``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bot.config import Config
from bot.core import answers
from bot.core.errors import UserError
from bot.core.fetch import FetchNote, FetchOutcome
from bot.i18n import phrases
from bot.i18n.catalog import LANGUAGES, locale_from_env, use_locale
from bot.i18n.problems import describe_problem
from storage.errors import (
    AccessDenied,
    DatabaseProblem,
    EngineTooOld,
    NotADatabase,
    SchemaTooNew,
    Unavailable,
)
from storage.ingest.importer import SAMPLE_CREDIT

if TYPE_CHECKING:
    from bot.core.migrate import TableCheck
    from bot.core.status import ClusterStatus
    from bot.core.summaries import SummaryRun
    from storage.ingest.importer import ImportSummary
    from storage.ports import Store

log = logging.getLogger(__name__)

PROG: Final = "papers-bot"
#: Show a progress bar from this many files on.
PROGRESS_FROM_FILES: Final = 2

Handler = Callable[[argparse.Namespace, Config], int]


@dataclass(frozen=True, slots=True)
class Command:
    """One subcommand: ``help`` for --help, ``add_arguments(parser)``, ``handler(args, config)``."""

    help: str
    handler: Handler
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None
    description: str | None = None
    #: Local commands whose output is the point log only warnings unless LOG_LEVEL is set.
    quiet: bool = False


def _stderr() -> Console:
    return Console(stderr=True, highlight=False)


def error_line(message: str) -> None:
    """One ``papers-bot: error: ...`` line on stderr (never markup-interpreted)."""
    print(f"{PROG}: error: {message}", file=sys.stderr)


# --------------------------------------------------------------------------- store


def database_problem_line(problem: DatabaseProblem) -> str:
    """One line saying why the database cannot be used (the file is never changed by then)."""
    where = problem.where
    if isinstance(problem, SchemaTooNew):
        return (
            f"{where}: the database was written by a newer papers-bot (schema version "
            f"{problem.found}; this one knows up to {problem.supported}): upgrade papers-bot. "
            "Nothing was changed."
        )
    if isinstance(problem, EngineTooOld):
        return (
            f"{where}: {problem.engine} {problem.found} is too old; papers-bot needs "
            f"{problem.needed} or newer."
        )
    if isinstance(problem, Unavailable):
        return (
            f"{where}: cannot reach the database server ({problem.reason}); check DATABASE_URL "
            "(or --database) and that the server is running. Nothing was written."
        )
    if isinstance(problem, AccessDenied):
        return (
            f"{where}: the database server refused the connection ({problem.reason}: wrong "
            "user or password, or no such database); check DATABASE_URL (or --database). "
            "Nothing was written."
        )
    if isinstance(problem, NotADatabase):
        return (
            f"{where}: not a papers-bot database, or a damaged one. The file was not changed; "
            "point DATABASE_PATH (or --database) at another file."
        )
    return f"{where}: cannot use this database ({problem})."


def seeded_message(summary: ImportSummary) -> str:
    """The one line shown after an empty database was filled with the bundled samples."""
    return (
        f"New database: loaded {len(summary.imported)} sample digests "
        f"({summary.new_papers} papers) from {SAMPLE_CREDIT}"
    )


@contextlib.asynccontextmanager
async def open_store(config: Config, *, seed: bool = True) -> AsyncIterator[Store]:
    """Open the configured database; on an empty one, load the bundled samples (said on stderr)."""
    from storage.backends import open_store as open_backend
    from storage.ingest.importer import ensure_seeded

    store = await open_backend(config.database, pool_size=config.database_pool_size)
    try:
        if seed:
            summary = await ensure_seeded(store)
            if summary is not None:
                print(seeded_message(summary), file=sys.stderr)
                for problem in summary.problems:
                    log.debug("Sample problem: %s", problem)
        yield store
    finally:
        await store.close()


# --------------------------------------------------------------------------- run


async def _run_bot(config: Config) -> int:
    from bot.discord_ui.client import run_bot  # lazy: pulls in discord.py only when needed

    async with open_store(config) as store:
        return await run_bot(config, store)


def _add_run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--shard-count",
        metavar="N",
        help="Discord shards in all, across every process (overrides SHARD_COUNT)",
    )
    parser.add_argument(
        "--shards",
        metavar="IDS",
        help="the shards this process runs, e.g. 0,1 (overrides SHARDS; default: all of them)",
    )


def config_overrides(args: argparse.Namespace) -> dict[str, str | None]:
    """The settings a subcommand's options override (``run --shard-count 3 --shards 0,1``)."""
    overrides: dict[str, str | None] = {}
    if getattr(args, "shard_count", None) is not None:
        overrides["SHARD_COUNT"] = args.shard_count
    if getattr(args, "shards", None) is not None:
        overrides["SHARDS"] = args.shards
    return overrides


def cmd_run(args: argparse.Namespace, config: Config) -> int:
    if not config.has_token:
        error_line("DISCORD_TOKEN is not set: put it in .env or the environment (see .env.example)")
        return 2
    return asyncio.run(_run_bot(config))


# --------------------------------------------------------------------------- import


def _add_import_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="digest files, directories (every *.md below) or globs such as 'logs/**/*.md'",
    )


@contextlib.contextmanager
def progress_bar(
    verb: str, console: Console, *, basename: bool = False
) -> Iterator[Callable[[int, int, str], None]]:
    """A transient progress bar on ``console``; yields the ``progress(done, total, name)`` callback
    that the importer and the fetcher call after each item (``basename``: show file names only).
    """
    with Progress(
        TextColumn(verb),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}", markup=False),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=None)

        def progress(done: int, total: int, name: str) -> None:
            label = name.rsplit("/", 1)[-1] if basename else name
            bar.update(task, completed=done, total=total, description=label)

        yield progress


async def _import(args: argparse.Namespace, config: Config) -> int:
    from storage.ingest.importer import discover, import_found

    files, missing = discover(args.paths)
    for text in missing:
        error_line(f"no file matches {text!r}")
    if not files:
        error_line("nothing to import")
        return 1
    out = Console(highlight=False)
    err = _stderr()
    async with open_store(config, seed=False) as store:
        if len(files) >= PROGRESS_FROM_FILES and err.is_terminal:
            with progress_bar("Importing", err, basename=True) as progress:
                summary = await import_found(store, files, progress=progress, missing=missing)
        else:
            summary = await import_found(store, files, missing=missing)
    out.print(render_import_summary(summary))
    if summary.problems:
        out.print(f"[bold]Problems ({len(summary.problems)}):[/]")
        for problem in summary.problems:
            out.print(escape(describe_problem(problem)), soft_wrap=True)
    return 0 if summary.ok else 1


def render_import_summary(summary: ImportSummary) -> Table:
    """The table ``papers-bot import`` prints after the progress bar."""
    table = Table(title="Import summary", box=box.SIMPLE_HEAD, show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("Files imported", str(len(summary.imported)))
    table.add_row("Files failed", str(len(summary.failed) + len(summary.missing)))
    table.add_row("Days", str(summary.days))
    table.add_row("New papers", str(summary.new_papers))
    table.add_row("Updated papers", str(summary.updated_papers))
    table.add_row("Problems", str(len(summary.problems)))
    return table


def cmd_import(args: argparse.Namespace, config: Config) -> int:
    return asyncio.run(_import(args, config))


# --------------------------------------------------------------------------- export


def _date_arg(text: str) -> dt.date:
    try:
        return answers.parse_date(text)
    except UserError as exc:
        raise argparse.ArgumentTypeError(phrases.describe_error(exc)) from None


def _add_export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format", choices=("jsonl", "csv"), default="jsonl", help="default: jsonl"
    )
    parser.add_argument(
        "--since", type=_date_arg, metavar="DATE", help="only papers listed on or after DATE"
    )
    parser.add_argument(
        "--until", type=_date_arg, metavar="DATE", help="only papers listed on or before DATE"
    )


async def _export(args: argparse.Namespace, config: Config) -> int:
    from bot.core.export import export

    if args.since and args.until and args.since > args.until:
        error_line(f"--since {args.since} is after --until {args.until}")
        return 2
    async with open_store(config) as store:
        await export(store, sys.stdout, fmt=args.format, since=args.since, until=args.until)
    return 0


def cmd_export(args: argparse.Namespace, config: Config) -> int:
    return asyncio.run(_export(args, config))


# --------------------------------------------------------------------------- console


def _add_console_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c",
        "--command",
        metavar="COMMAND",
        help="answer one command and exit, e.g. -c 'search diffusion'",
    )
    parser.add_argument(
        "--json", action="store_true", help="with -c: print the answer as JSON on stdout"
    )
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        help="the language of the answers (default: from LC_ALL, LC_MESSAGES or LANG; "
        "--json stays language-neutral)",
    )


async def _console_once(config: Config, line: str, as_json: bool) -> int:
    from bot.console.session import run_once

    async with open_store(config) as store:
        return await run_once(store, line, as_json=as_json)


def _console_interactive(config: Config) -> int:
    from bot.console.session import interactive

    with asyncio.Runner() as runner:
        store_cm = open_store(config)
        store = runner.run(store_cm.__aenter__())
        try:
            return interactive(runner, store, history=sys.stdin.isatty())
        finally:
            runner.run(store_cm.__aexit__(None, None, None))


def console_language(args: argparse.Namespace) -> str:
    """``--lang``, else the language of the environment (``LC_ALL``/``LC_MESSAGES``/``LANG``)."""
    return getattr(args, "lang", None) or locale_from_env(dict(os.environ))


def cmd_console(args: argparse.Namespace, config: Config) -> int:
    command = getattr(args, "command", None)
    if getattr(args, "json", False) and command is None:
        error_line("--json needs -c COMMAND")
        return 2
    with use_locale(console_language(args)):
        if command is not None:
            return asyncio.run(_console_once(config, command, args.json))
        return _console_interactive(config)


# --------------------------------------------------------------------------- default


def cmd_default(args: argparse.Namespace, config: Config) -> int:
    """No subcommand: the Discord bot with a token, else the local console."""
    if config.has_token:
        return cmd_run(args, config)
    print(
        "No DISCORD_TOKEN set: starting the local console (set it in .env to run the Discord bot).",
        file=sys.stderr,
    )
    return cmd_console(args, config)


#: Subcommand name -> Command, in --help order. Add entries (e.g. "sync") before build_parser().
COMMANDS: dict[str, Command] = {
    "run": Command(
        "run the Discord bot (needs DISCORD_TOKEN)",
        cmd_run,
        _add_run_arguments,
        description=(
            "Run the Discord bot until interrupted. Needs DISCORD_TOKEN. With --shard-count and "
            "--shards, this process runs those shards only; several processes share one "
            "PostgreSQL database (see 'Scaling out' in README.md)."
        ),
    ),
    "import": Command(
        "import digest markdown files into the database",
        cmd_import,
        _add_import_arguments,
        "Import digest files. Exits 1 if any file could not be imported.",
        quiet=True,
    ),
    "export": Command(
        "write every paper to stdout as JSON Lines or CSV",
        cmd_export,
        _add_export_arguments,
        quiet=True,
    ),
    "console": Command(
        "ask the bot's questions at a local prompt (no Discord needed)",
        cmd_console,
        _add_console_arguments,
        "Interactive console: today, day, top, paper, author, search. "
        "Sample digests: l-yohai/daily_papers_ko (CC BY-NC 4.0).",
        quiet=True,
    ),
}


# --------------------------------------------------------------------------- sync


def _add_sync_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--guild",
        type=int,
        metavar="ID",
        help="sync to this server only (appears at once) instead of globally",
    )


def cmd_sync(args: argparse.Namespace, config: Config) -> int:
    if not config.has_token:
        error_line("DISCORD_TOKEN is not set: put it in .env or the environment (see .env.example)")
        return 2
    return asyncio.run(_sync(config, getattr(args, "guild", None)))


async def _sync(config: Config, guild_id: int | None) -> int:
    from bot.discord_ui.client import sync_commands  # lazy: pulls in discord.py

    async with open_store(config, seed=False) as store:
        return await sync_commands(config, store, guild_id=guild_id)


COMMANDS["sync"] = Command(
    "register the slash commands with Discord (globally, or --guild ID)",
    cmd_sync,
    _add_sync_arguments,
    "Register the slash commands with Discord and exit. Global commands can take up to an "
    "hour to appear; --guild ID registers them in one server at once. Needs DISCORD_TOKEN.",
)


# --------------------------------------------------------------------------- fetch


def _add_fetch_arguments(parser: argparse.ArgumentParser) -> None:
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--date", type=_date_arg, metavar="DATE", help="fetch this one day")
    when.add_argument(
        "--since",
        type=_date_arg,
        metavar="DATE",
        help="fetch every day from DATE to today (UTC), for backfills",
    )
    when.add_argument(
        "--refresh-votes",
        action="store_true",
        help="fetch the last 7 days again, so their votes (and vote history) are current",
    )


async def _fetch(args: argparse.Namespace, config: Config) -> int:
    from bot.core.fetch import Fetcher, days_between

    def utcnow() -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    today = utcnow().date()
    dates: list[dt.date] | None = None
    if getattr(args, "date", None) is not None:
        dates = [args.date]
    elif getattr(args, "since", None) is not None:
        if args.since > today:
            error_line(f"--since {args.since} is in the future (today is {today} UTC)")
            return 2
        dates = days_between(args.since, today)
    out = Console(highlight=False)
    err = _stderr()
    async with open_store(config, seed=False) as store:
        fetcher = Fetcher.from_config(config, store, clock=utcnow)
        if not fetcher.has_sources:
            error_line("no source to fetch from: set HF_API_BASE, DIGEST_URL_TEMPLATE or WATCH_DIR")
            return 2
        if getattr(args, "refresh_votes", False):
            dates = fetcher.vote_refresh_days()
        if err.is_terminal:
            with progress_bar("Fetching", err) as progress:
                outcomes = await fetcher.run(dates, progress=progress)
        else:

            def progress(done: int, total: int, label: str) -> None:
                print(f"[{done}/{total}] {label}", file=sys.stderr)

            outcomes = await fetcher.run(dates, progress=progress)
        for outcome in outcomes:
            out.print(escape(describe_fetch_outcome(outcome)), soft_wrap=True)
        bad = [o for o in outcomes if not o.ok]
        imported = sum(1 for o in outcomes if o.ok and o.papers)
        out.print(f"{imported} imported, {len(bad)} failed, {len(outcomes)} checked")
        fetched = [o.date for o in outcomes if o.ok and o.papers and o.date is not None]
        if config.summaries_enabled and fetched:
            await _summarize(config, store, since=min(fetched), limit=None, out=out, err=err)
    return 1 if bad else 0


async def _summarize(
    config: Config,
    store: Store,
    *,
    since: dt.date | None,
    limit: int | None,
    out: Console,
    err: Console,
) -> SummaryRun:
    """Summarise the papers that need it (listed on ``since`` or later), with a progress bar on
    a terminal; prints one line of what was done."""
    from bot.core.summaries import Summariser, SummarySettings

    settings = SummarySettings.from_config(config)
    assert settings is not None
    summariser = Summariser(store, settings)
    if err.is_terminal:
        with progress_bar("Summarising", err) as progress:
            run = await summariser.run(
                since=since, limit=limit, progress=lambda done, total: progress(done, total, "")
            )
    else:
        run = await summariser.run(since=since, limit=limit)
    line = f"{run.done} summarised with {settings.model}, {run.failed} failed"
    if run.cap_reached:
        line += f" (the daily cap of {settings.daily_cap} is reached: the rest waits)"
    out.print(escape(line), soft_wrap=True)
    return run


def _add_summarize_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--since", type=_date_arg, metavar="DATE", help="only papers listed on DATE or later"
    )
    parser.add_argument(
        "--limit", type=_positive_int, metavar="N", help="summarise at most N papers"
    )


def _positive_int(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 18 or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, got {text!r}")
    return int(text)


async def _summarize_command(args: argparse.Namespace, config: Config) -> int:
    if not config.summaries_enabled:
        error_line("no model to summarise with: set SUMMARY_API_URL and SUMMARY_MODEL")
        return 2
    async with open_store(config, seed=False) as store:
        run = await _summarize(
            config,
            store,
            since=args.since,
            limit=args.limit,
            out=Console(highlight=False),
            err=_stderr(),
        )
    return 1 if run.failed else 0


def cmd_summarize(args: argparse.Namespace, config: Config) -> int:
    return asyncio.run(_summarize_command(args, config))


def _fetch_note(outcome: FetchOutcome) -> str:
    note, reason = outcome.note, outcome.reason
    if outcome.problem is not None:  # the parser's coded problem, in words
        reason = describe_problem(outcome.problem)
    if note is FetchNote.NO_PAPERS:
        return "no papers that day"
    if note is FetchNote.NOT_FOUND:
        return "no digest for that day (404)"
    if note is FetchNote.UNCHANGED:
        return "unchanged"
    if note is FetchNote.HTTP_STATUS:
        return f"HTTP {outcome.status} from {outcome.url}"
    if note is FetchNote.GAVE_UP:
        attempts = f"{outcome.attempts} attempt{'' if outcome.attempts == 1 else 's'}"
        if outcome.retry_after is not None:
            return (
                f"{reason} after {attempts}, asked to retry after {outcome.retry_after:,.0f} s "
                "(asked for again on the next run)"
            )
        return f"{reason} after {attempts}"
    if note is FetchNote.BAD_RESPONSE:
        return f"bad response: {reason}"
    if note is FetchNote.NOT_STORED:
        return f"could not store: {reason}"
    if note is FetchNote.UNREADABLE:
        return f"cannot read: {reason}"
    return reason  # NOT_A_DIGEST: the parser's own words, or nothing


def describe_fetch_outcome(outcome: FetchOutcome) -> str:
    """One line of ``papers-bot fetch``: ``2026-03-06 hf: 2 papers (2 new)``, or why not."""
    day = outcome.date.isoformat() if outcome.date else "-"
    if not outcome.ok:
        return f"{day} {outcome.source}: failed: {_fetch_note(outcome)}"
    if outcome.papers == 0:
        return f"{day} {outcome.source}: {_fetch_note(outcome) or 'nothing'}"
    papers = f"{outcome.papers:,} paper{'' if outcome.papers == 1 else 's'}"
    return f"{day} {outcome.source}: {papers} ({outcome.new_papers} new)"


def cmd_fetch(args: argparse.Namespace, config: Config) -> int:
    return asyncio.run(_fetch(args, config))


COMMANDS["fetch"] = Command(
    "fetch new digests from the configured sources once (backfills: --since)",
    cmd_fetch,
    _add_fetch_arguments,
    "Fetch and import digests from WATCH_DIR, the Hugging Face daily papers API (HF_API_BASE) "
    "and DIGEST_URL_TEMPLATE, as the bot does on a schedule. Without --date/--since: the last "
    "few days (their votes are refreshed); --refresh-votes: the last 7 days. With "
    "SUMMARY_API_URL and SUMMARY_MODEL set, the papers fetched are then summarised in Korean. "
    "Exits 1 if a day could not be fetched.",
    quiet=True,
)

COMMANDS["summarize"] = Command(
    "write Korean summaries for papers without one (backfills: --since, --limit)",
    cmd_summarize,
    _add_summarize_arguments,
    "Ask the configured chat-completions model (SUMMARY_API_URL, SUMMARY_MODEL, "
    "SUMMARY_API_KEY) for Korean summary bullets of every paper that has no archive summary "
    "and none generated yet, newest first, within the daily cap (SUMMARY_DAILY_CAP). A paper "
    "is summarised once; failures are retried by later runs. Exits 1 if an attempt failed.",
    quiet=True,
)


# --------------------------------------------------------------------------- migrate


def _add_migrate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--to",
        required=True,
        metavar="URL_OR_PATH",
        help="the database to copy into: an SQLite file or a postgresql:// URL",
    )


def describe_check(check: TableCheck) -> str:
    """One line of ``papers-bot migrate``'s verification: a table's rows and checksums."""
    if check.ok:
        rows = f"{check.source_rows:,} row{'' if check.source_rows == 1 else 's'}"
        return f"{check.table}: {rows}, checksum {check.source_checksum[:12]}: match"
    return (
        f"{check.table}: DIFFERS: source {check.source_rows:,} rows "
        f"(checksum {check.source_checksum[:12]}), target {check.target_rows:,} rows "
        f"(checksum {check.target_checksum[:12]})"
    )


async def _migrate(args: argparse.Namespace, config: Config) -> int:
    from bot.core.migrate import copy, verify
    from storage.backends import open_store as open_backend

    if str(args.to) == str(config.database):
        error_line(f"--to {args.to} is the database being copied")
        return 2
    err = _stderr()
    async with open_store(config, seed=False) as source:
        target = await open_backend(args.to, pool_size=config.database_pool_size)
        try:
            if err.is_terminal:
                with progress_bar("Copying", err) as progress:
                    await copy(source, target, progress=progress)
            else:
                await copy(source, target)
            checks = await verify(source, target)
        finally:
            await target.close()
    for check in checks:
        print(describe_check(check))
    bad = [c.table for c in checks if not c.ok]
    if bad:
        print(f"{len(bad)} of {len(checks)} tables differ: {', '.join(bad)}")
        return 1
    print(f"All {len(checks)} tables match: the copy is complete.")
    return 0


def cmd_migrate(args: argparse.Namespace, config: Config) -> int:
    return asyncio.run(_migrate(args, config))


COMMANDS["migrate"] = Command(
    "copy the database into another one (SQLite or PostgreSQL), then verify the copy",
    cmd_migrate,
    _add_migrate_arguments,
    "Copy everything the configured database holds (papers, days, authors, server digest "
    "settings, runs and posts, alerts and deliveries, watched files) into --to, then compare "
    "row counts and checksums table by table. Safe to run again. Exits 1 unless every table "
    "matches.",
    quiet=True,
)


# --------------------------------------------------------------------------- status


def _add_status_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the status as JSON")


def status_json(status: ClusterStatus) -> dict[str, object]:
    """``status --json``: the same facts, language-neutral (UTC ISO times, seconds)."""

    def moment(value: dt.datetime | None) -> str | None:
        return value.astimezone(dt.UTC).isoformat() if value is not None else None

    return {
        "now": moment(status.now),
        "lease_seconds": status.lease.total_seconds(),
        "shard_count": status.shard_count,
        "processes": [
            {
                "process_id": s.process.process_id,
                "shards": list(s.shards),
                "adopted_shards": list(s.adopted),
                "jobs": list(s.jobs),
                "alive": s.alive,
                "last_beat": moment(s.process.last_beat),
                "seconds_since_beat": (status.now - s.process.last_beat).total_seconds(),
                "started_at": moment(s.process.started_at),
                "version": s.process.version,
            }
            for s in status.processes
        ],
        "unheld_shards": list(status.unheld_shards),
        "jobs": [
            {
                "job": j.job,
                "holder": None if j.expired else j.holder,
                "expires_at": moment(j.expires_at),
            }
            for j in status.jobs
        ],
        "queue": {
            "digests_due": status.digests_waiting,
            "digests_sending": status.digests_sending,
            "digests_later_today": status.digests_later,
            "alert_users": status.alerts_waiting,
            "summaries": status.summaries_waiting,
        },
    }


async def _status(args: argparse.Namespace, config: Config) -> int:
    from bot.core.status import cluster_status

    async with open_store(config, seed=False) as store:
        status = await cluster_status(
            store,
            now=dt.datetime.now(dt.UTC),
            lease=dt.timedelta(seconds=config.lease_seconds),
            summaries=config.summaries_enabled,
        )
    if args.json:
        print(json.dumps(status_json(status), ensure_ascii=False, indent=2))
        return 0
    with use_locale(locale_from_env(dict(os.environ))):
        for line in phrases.status_lines(status):
            print(line)
    return 0


def cmd_status(args: argparse.Namespace, config: Config) -> int:
    return asyncio.run(_status(args, config))


COMMANDS["status"] = Command(
    "which process holds which shards and jobs, when each last beat, and what is queued",
    cmd_status,
    _add_status_arguments,
    "Read from the database: every bot process (its shards, adopted shards and jobs, its last "
    "heartbeat and whether its lease expired), who holds each global job, and what is queued "
    "(digests due today not yet posted, users with alert DMs to send, papers waiting for a "
    "summary). --json prints the same as JSON.",
    quiet=True,
)


def register(name: str, command: Command) -> None:
    """Add (or replace) a subcommand."""
    COMMANDS[name] = command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Hugging Face Daily Papers with Korean summaries: a Discord bot and an offline "
            "console. With no subcommand: the Discord bot when DISCORD_TOKEN is set, "
            "otherwise the console."
        ),
        epilog=(
            "Settings come from the environment and .env (see .env.example). Bundled sample "
            "digests: l-yohai/daily_papers_ko, CC BY-NC 4.0."
        ),
    )
    parser.add_argument(
        "--database",
        metavar="PATH_OR_URL",
        help=(
            "SQLite database file or postgresql:// URL (overrides DATABASE_PATH and "
            "DATABASE_URL; default ./papers.db)"
        ),
    )
    parser.set_defaults(handler=cmd_default, command=None, json=False, quiet=None)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name, command in COMMANDS.items():
        child = sub.add_parser(
            name, help=command.help, description=command.description or command.help
        )
        if command.add_arguments is not None:
            command.add_arguments(child)
        child.set_defaults(handler=command.handler, quiet=command.quiet)
    return parser
