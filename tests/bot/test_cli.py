"""The papers-bot command line: help, run/default dispatch, import, the subcommand hook."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

import bot.__main__ as entry
import bot.discord_ui as discord_ui
from bot import cli
from bot.__main__ import main
from bot.cli import seeded_message
from storage.ingest.importer import ensure_seeded
from storage.ports import Store

SAMPLES = Path(__file__).resolve().parents[2] / "storage" / "ingest" / "samples"
DAY = SAMPLES / "2024-06-13.md"


def test_help_lists_every_subcommand(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`papers-bot --help` exits 0 and names run, import, export and console."""
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in ("run", "import", "export", "console"):
        assert f"    {name} " in out
    assert "usage: papers-bot" in out


def test_unknown_subcommand_is_usage_error(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A misspelt subcommand exits 2 with argparse's message, no traceback."""
    assert main(["imprt", "x"]) == 2
    err = capsys.readouterr().err
    assert "invalid choice" in err
    assert "Traceback" not in err


def test_run_without_token_exits_2(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`run` needs DISCORD_TOKEN and says so in one line."""
    assert main(["run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "papers-bot: error: DISCORD_TOKEN is not set: put it in .env or the environment "
        "(see .env.example)"
    ]


def _fake_bot_module(monkeypatch: pytest.MonkeyPatch, calls: list[object]) -> None:
    fake = types.ModuleType("bot.discord_ui.client")

    async def run_bot(config: object, store: object) -> int:
        calls.append(config)
        return 0

    fake.run_bot = run_bot  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "bot.discord_ui.client", fake)
    monkeypatch.setattr(discord_ui, "client", fake, raising=False)


def test_run_lazily_uses_run_bot(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`run` imports bot.discord_ui.client only when run and awaits its run_bot(config)."""
    calls: list[object] = []
    _fake_bot_module(monkeypatch, calls)
    monkeypatch.setenv("DISCORD_TOKEN", "abc.def.ghi")
    assert main(["run"]) == 0
    assert len(calls) == 1
    assert calls[0].discord_token == "abc.def.ghi"  # type: ignore[attr-defined]


def test_bare_command_runs_bot_with_token(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No subcommand + DISCORD_TOKEN = the Discord bot."""
    calls: list[object] = []
    _fake_bot_module(monkeypatch, calls)
    monkeypatch.setenv("DISCORD_TOKEN", "abc.def.ghi")
    assert main([]) == 0
    assert len(calls) == 1


def test_bare_command_without_token_opens_console(
    env: Path,
    seeded_db: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """No subcommand and no token = the local console, announced in one stderr line."""

    def eof(prompt: str) -> str:
        raise EOFError

    monkeypatch.setattr("builtins.input", eof)
    assert main([]) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith("No DISCORD_TOKEN set: starting the local console")
    assert "papers-bot console" in captured.out


def test_subcommand_hook_adds_a_command(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Command registered in COMMANDS shows in --help and its handler runs."""
    seen: list[str] = []

    def add(parser: object) -> None:
        parser.add_argument("--guild", type=int)  # type: ignore[attr-defined]

    def handler(args: object, config: object) -> int:
        seen.append(f"guild={args.guild}")  # type: ignore[attr-defined]
        return 0

    monkeypatch.setitem(cli.COMMANDS, "hello", cli.Command("say hello to the hook", handler, add))
    assert main(["--help"]) == 0
    assert "say hello to the hook" in capsys.readouterr().out
    assert main(["hello", "--guild", "42"]) == 0
    assert seen == ["guild=42"]


def test_database_option_overrides_env(
    env: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--database PATH is used instead of DATABASE_PATH (no seeding message: it has data)."""
    other = env / "other.db"
    seeded_db.rename(other)
    assert main(["--database", str(other), "console", "-c", "today 1", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["total"] == 20
    assert not (env / "papers.db").exists()


# --------------------------------------------------------------------------- import


def _import(capsys: pytest.CaptureFixture[str], *paths: str) -> tuple[int, str, str]:
    code = main(["import", *paths])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _row(out: str, label: str) -> int:
    for line in out.splitlines():
        if line.strip().startswith(label):
            return int(line.split()[-1])
    raise AssertionError(f"no {label!r} row in:\n{out}")


def test_import_file_prints_summary(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Importing one digest exits 0 and reports its day and papers."""
    code, out, _ = _import(capsys, str(DAY))
    assert code == 0
    assert _row(out, "Files imported") == 1
    assert _row(out, "Days") == 1
    assert _row(out, "New papers") == 21
    assert _row(out, "Files failed") == 0


def test_import_is_idempotent(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Importing the same file twice adds nothing the second time."""
    _import(capsys, str(DAY))
    code, out, _ = _import(capsys, str(DAY))
    assert code == 0
    assert _row(out, "New papers") == 0
    assert main(["console", "-c", "day 2024-06-13 25", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 21


def test_import_directory_recurses(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A directory imports every *.md below it; SOURCE.md is not a digest -> exit 1."""
    code, out, _ = _import(capsys, str(SAMPLES))
    assert code == 1
    assert _row(out, "Files imported") == 12
    assert _row(out, "Files failed") == 1
    assert _row(out, "New papers") == 143
    assert "SOURCE.md:1: not a digest" in out


def test_import_recursive_glob(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A `**` glob matches files at any depth."""
    code, out, _ = _import(capsys, str(SAMPLES / "**" / "2023-11-2*.md"))
    assert code == 0
    assert _row(out, "Files imported") == 4
    assert _row(out, "Days") == 3


def test_import_undecodable_file_fails(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file that is not UTF-8 is listed with file:line and makes the exit status 1."""
    bad = env / "bad.md"
    bad.write_bytes(b"## Daily Papers (2024-01-01)\n\n### [T\xff](https://arxiv.org/abs/1)\n")
    code, out, _ = _import(capsys, str(bad), str(DAY))
    assert code == 1
    assert f"{bad}:3: not UTF-8 text" in out
    assert _row(out, "Files imported") == 1


def test_import_non_digest_fails(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A markdown file without a digest header is reported as not a digest; exit 1."""
    notes = env / "notes.md"
    notes.write_text("# My notes\n\nNothing here.\n", encoding="utf-8")
    code, out, _ = _import(capsys, str(notes))
    assert code == 1
    assert f"{notes}:" in out
    assert "not a digest" in out


def test_import_missing_path_is_error(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A path that matches nothing is an error message; with nothing else to do, exit 1."""
    code, _, err = _import(capsys, str(env / "nope.md"))
    assert code == 1
    assert f"papers-bot: error: no file matches '{env / 'nope.md'}'" in err


def test_import_missing_path_beside_good_file(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Good files are still imported when another path matches nothing, but exit is 1."""
    code, out, err = _import(capsys, str(DAY), str(env / "none-*.md"))
    assert code == 1
    assert "no file matches" in err
    assert _row(out, "Files imported") == 1


def test_closed_pipe_ends_quietly(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`papers-bot export | head`: a closed stdout ends with 141, not a traceback."""

    def broken(args: object, config: object) -> int:
        raise BrokenPipeError

    monkeypatch.setattr(entry, "_silence_stdout", lambda: None)
    monkeypatch.setitem(cli.COMMANDS, "export", cli.Command("export", broken))
    assert main(["export"]) == 141


def test_progress_bar_shows_the_item_being_worked_on() -> None:
    """The import/fetch progress bar reports done/total and the current item's name."""
    import io

    from rich.console import Console

    from bot.cli import progress_bar

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=100)
    with progress_bar("Importing", console, basename=True) as progress:
        progress(3, 12, "/digests/2024/06/13.md")
    text = buffer.getvalue()
    assert "Importing" in text
    assert "3/12" in text
    assert "13.md" in text and "/digests/" not in text


async def test_seeded_message(empty_store: Store) -> None:
    """The seeding message credits the source and licence."""
    summary = await ensure_seeded(empty_store)
    assert summary is not None
    assert seeded_message(summary) == (
        "New database: loaded 12 sample digests (143 papers) from "
        "l-yohai/daily_papers_ko (CC BY-NC 4.0)"
    )


@pytest.mark.parametrize("kind", ["newer schema", "random bytes"])
def test_unusable_database_is_one_line_and_untouched(
    env: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A database of a newer schema or a file of random bytes: one line naming the file and the
    problem, exit 1, no traceback, and the file byte for byte as it was."""
    import sqlite3

    path = env / "papers.db"
    if kind == "newer schema":
        with sqlite3.connect(path) as db:
            db.execute("PRAGMA user_version = 999")
            db.execute("CREATE TABLE t(x)")
    else:
        path.write_bytes(bytes(range(256)) * 40)
    before = path.read_bytes()
    assert main(["--database", str(path), "console", "-c", "today"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(path) in err and "Traceback" not in err
    assert ("newer papers-bot" in err) if kind == "newer schema" else ("not a papers-bot" in err)
    assert path.read_bytes() == before


@pytest.mark.parametrize("limit", ["³", "0", "1" * 5000])
def test_summarize_limit_not_a_plain_positive_number_is_one_clear_line(
    limit: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--limit`` takes ASCII digits only (``'³'`` passes ``str.isdigit``), and not a number
    too long for ``int``: argparse's one line naming what was expected, exit 2."""
    with pytest.raises(SystemExit) as exc:
        cli.build_parser().parse_args(["summarize", "--limit", limit])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "expected a whole number of 1 or more" in err and "Traceback" not in err
