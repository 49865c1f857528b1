"""The console: -c for every command (text and --json), paging, escaping, the entry point."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from bot.__main__ import main
from bot.console import session as console_module
from bot.console.render import render_paper
from bot.console.session import Session
from bot.core.errors import BadNumber, BadPage, BadUsage, UnknownCommand, UserError
from bot.core.export import RECORD_KEYS
from bot.i18n.phrases import describe_error
from storage.models import Bullet, Paper
from storage.sqlite.store import Store

ROOT = Path(__file__).resolve().parents[2]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _json(capsys: pytest.CaptureFixture[str], command: str) -> dict[str, Any]:
    code, out, err = _run(capsys, "console", "-c", command, "--json")
    assert code == 0, err
    return json.loads(out)


# --------------------------------------------------------------------------- text output


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("today 3", "2505.04921"),
        ("day 2024-06-13", "2406.06523"),
        ("top all 5", "2505.04921"),
        ("top since 2024-06-01 until 2024-06-30", "2406.06523"),
        ("paper 2406.06523", "NaRCan"),
        ("author Yejin Choi", "Yejin Choi"),
        ("search diffusion", "Diffusion"),
        ("help", "l-yohai/daily_papers_ko"),
    ],
)
def test_command_prints_answer(
    env: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str], command: str, expected: str
) -> None:
    """Each console command answers with -c, exit 0, on stdout."""
    code, out, _ = _run(capsys, "console", "-c", command)
    assert code == 0
    assert expected in out


def test_today_text_says_which_day(
    env: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`today 3` shows three rows of the newest digest and explains the day shown."""
    _, out, _ = _run(capsys, "console", "-c", "today 3")
    assert "Daily Papers · Fri, May 9, 2025" in out
    assert "Showing Fri, May 9, 2025, the newest digest" in out
    assert "1–3 of 20 in all" in out


def test_help_credits_sample_source(
    env: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`help` credits the sample digests' source and licence."""
    _, out, _ = _run(capsys, "console", "-c", "help")
    assert "l-yohai/daily_papers_ko (CC BY-NC 4.0)" in out
    for name in ("today", "day", "top", "paper", "author", "search", "next", "quit"):
        assert name in out


def test_unknown_command_exits_2(
    env: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown command is a message on stderr and exit 2."""
    code, out, err = _run(capsys, "console", "-c", "frobnicate now")
    assert code == 2
    assert out == ""
    assert "Unknown command 'frobnicate'" in err


def test_bad_date_exits_2(env: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`day` with a non-date is a user error: message and exit 2."""
    code, _, err = _run(capsys, "console", "-c", "day yesterdayish")
    assert code == 2
    assert "Not a date: 'yesterdayish'" in err


def test_unknown_paper_exits_1(
    env: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`paper` for an id not in the archive says so and exits 1."""
    code, out, err = _run(capsys, "console", "-c", "paper 9999.99999", "--json")
    assert code == 1
    assert out == ""
    assert "No paper '9999.99999'" in err


def test_json_needs_command(env: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--json without -c is a usage error."""
    code, _, err = _run(capsys, "console", "--json")
    assert code == 2
    assert "--json needs -c" in err


# --------------------------------------------------------------------------- JSON output


def test_json_today(env: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`today 3 --json`: total counts the whole day, results are ordered by votes."""
    data = _json(capsys, "today 3")
    assert data["command"] == "today"
    assert data["date"] == "2025-05-09"
    assert data["total"] == 20
    assert [r["arxiv_id"] for r in data["results"]] == ["2505.04921", "2505.04620", "2505.05470"]
    assert [r["votes"] for r in data["results"]] == [75, 54, 34]
    first = data["results"][0]
    assert set(first) >= {"arxiv_id", "title", "votes", "url", "authors", "days", "snippet"}
    assert isinstance(first["authors"], list)
    assert first["days"][0]["date"] == "2025-05-09"


def test_json_day(env: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`day D --json` lists that day, most voted first."""
    data = _json(capsys, "day 2024-06-13")
    assert data["date"] == "2024-06-13"
    assert data["total"] == 21
    assert data["results"][0]["arxiv_id"] == "2406.06523"
    assert data["results"][0]["votes"] == 47


def test_json_day_without_digest(
    env: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A day without a digest gives no results and the nearest days."""
    data = _json(capsys, "day 2024-06-14")
    assert data["total"] == 0
    assert data["date"] is None
    assert (data["before"], data["after"]) == ("2024-06-13", "2024-10-18")


def test_json_top(env: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`top week --json` is anchored at the newest digest and sorted by votes."""
    data = _json(capsys, "top week 5")
    assert (data["since"], data["until"]) == ("2025-05-03", "2025-05-09")
    votes = [r["votes"] for r in data["results"]]
    assert votes == sorted(votes, reverse=True)
    assert data["total"] == 20


def test_json_paper_is_export_record(
    env: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`paper ID --json` prints the same object as export."""
    data = _json(capsys, "paper https://arxiv.org/abs/2406.06523")
    assert list(data) == list(RECORD_KEYS)
    assert data["arxiv_id"] == "2406.06523"
    assert data["votes"] == 47


def test_json_author(env: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`author NAME --json` names the author shown, other matches, and the papers."""
    data = _json(capsys, "author Wang")
    assert data["author"]
    assert data["author"] not in data["matches"]
    assert len(data["matches"]) >= 2
    assert data["total"] == len(data["results"]) or data["total"] > len(data["results"])
    assert all(
        "Wang" in r["authors"][0] or any("Wang" in a for a in r["authors"]) for r in data["results"]
    )


def test_json_author_unknown(
    env: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown author gives author null and no results (exit 0)."""
    data = _json(capsys, "author Qqqxyz Nobody")
    assert data["author"] is None
    assert data["results"] == []
    assert data["total"] == 0


def test_json_search(env: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`search Q --json`: total of all matches, a page of results with plain snippets."""
    data = _json(capsys, "search diffusion")
    assert data["total"] > len(data["results"]) == 10
    assert all(isinstance(r["snippet"], str) for r in data["results"])
    assert any("diffusion" in (r["title"] + r["snippet"]).lower() for r in data["results"])


def test_json_search_korean(env: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A Korean word with a particle attached in the text is found."""
    data = _json(capsys, "search 모델")
    assert data["total"] > 0


def test_json_search_nothing(
    env: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A search with no match has total 0, the note's code, and the tips' codes (no words)."""
    data = _json(capsys, "search zzqqxx wwvvyy")
    assert data["total"] == 0
    assert data["note"] == "no_match"
    assert data["suggestions"] == ["fewer_words", "korean_term"]


def test_json_help(env: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`help --json` lists the commands and the data's source and licence."""
    data = _json(capsys, "help")
    assert data["licence"] == "CC BY-NC 4.0"
    assert data["source"] == "l-yohai/daily_papers_ko"


def test_fresh_database_is_seeded_quietly(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With no database, the samples are loaded and said on stderr; stdout stays pure JSON."""
    code, out, err = _run(capsys, "console", "-c", "today 1", "--json")
    assert code == 0
    assert json.loads(out)["total"] == 20
    assert err.strip() == (
        "New database: loaded 12 sample digests (143 papers) from "
        "l-yohai/daily_papers_ko (CC BY-NC 4.0)"
    )
    assert (env / "papers.db").exists()


def test_entry_point_subprocess(tmp_path: Path) -> None:
    """`python -m bot console -c ... --json` works as a real process on a fresh directory."""
    environ = {k: v for k, v in os.environ.items() if k not in ("DATABASE_PATH", "LOG_LEVEL")}
    environ["PYTHONPATH"] = str(ROOT) + os.pathsep + environ.get("PYTHONPATH", "")
    environ.pop("DISCORD_TOKEN", None)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "console", "-c", "search NaRCan", "--json"],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["results"][0]["arxiv_id"] == "2406.06523"
    assert "New database: loaded 12 sample digests" in result.stderr


# --------------------------------------------------------------------------- session and paging


async def test_next_prev_page(store: Store) -> None:
    """next/prev/page N move through the last list; the ends are reported."""
    session = Session(store, page_size=5, now=lambda: dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    first = await session.handle("search diffusion")
    second = await session.handle("next")
    assert second.kind == "search"
    assert second.answer.hits.offset == 5  # type: ignore[union-attr]
    ids = {h.paper.arxiv_id for h in first.answer.hits.items}  # type: ignore[union-attr]
    assert ids.isdisjoint(h.paper.arxiv_id for h in second.answer.hits.items)  # type: ignore[union-attr]
    back = await session.handle("prev")
    assert back.answer.hits.offset == 0  # type: ignore[union-attr]
    assert (await session.handle("prev")).text == "Already on the first page."
    last_page = first.answer.hits.page_count  # type: ignore[union-attr]
    assert (await session.handle(f"page {last_page}")).answer.hits.offset == (last_page - 1) * 5  # type: ignore[union-attr]
    assert (await session.handle("next")).text == "Already on the last page."


async def test_paging_without_list(store: Store) -> None:
    """`next` before any list explains itself instead of failing."""
    reply = await Session(store).handle("next")
    assert reply.kind == "message"
    assert not reply.ok


async def test_quit_words(store: Store) -> None:
    """quit and exit end the session."""
    session = Session(store)
    assert (await session.handle("quit")).kind == "quit"
    assert (await session.handle("EXIT")).kind == "quit"


def test_interactive_loop(seeded_db: Path) -> None:
    """The prompt loop answers lines, reports errors, and ends at EOF."""
    import asyncio

    lines = iter(["today 2", "bogus", "help"])
    buffer = StringIO()
    out = Console(file=buffer, width=200)

    def fake_input(prompt: str) -> str:
        try:
            return next(lines)
        except StopIteration:
            raise EOFError from None

    with asyncio.Runner() as runner:
        store = runner.run(Store.open(seeded_db))
        try:
            code = console_module.interactive(
                runner, store, out=out, input_func=fake_input, history=False
            )
        finally:
            runner.run(store.close())
    text = buffer.getvalue()
    assert code == 0
    assert "l-yohai/daily_papers_ko" in text.split("\n", 3)[1]  # banner credit
    assert "2505.04921" in text
    assert "Unknown command 'bogus'" in text


def test_markup_in_title_is_escaped() -> None:
    """A title with rich markup is printed literally, not interpreted."""
    paper = Paper(
        arxiv_id="2401.00001",
        title="[bold red]Not bold[/] and [link=http://x]y[/link] [IDK]",
        url="https://arxiv.org/abs/2401.00001",
        authors=("A [i]B[/i]",),
        authors_truncated=False,
        votes=3,
        media=None,
        summary=(Bullet("[b]Label[/b]", "텍스트 <EOS> [red]x[/red]"),),
    )
    buffer = StringIO()
    Console(file=buffer, width=200).print(render_paper(paper))
    text = buffer.getvalue()
    assert "[bold red]Not bold[/] and [link=http://x]y[/link] [IDK]" in text
    assert "A [i]B[/i]" in text
    assert "[b]Label[/b]" in text
    assert "<EOS> [red]x[/red]" in text


def test_shorten_cuts_korean_by_characters() -> None:
    """Korean text is cut by characters (never bytes) and marked with an ellipsis."""
    from bot.i18n.words import shorten

    assert shorten("가나다라마바", 4) == "가나다…"
    assert shorten("가나다", 3) == "가나다"


def test_author_card_counts_one_paper_in_the_singular(
    env: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The author header reads "1 paper", not "1 papers"."""
    code, out, _ = _run(capsys, "console", "-c", "author niessner")
    assert code == 0
    assert "Matthias Nießner · 1 paper" in out
    assert "1 papers" not in out


def test_paper_card_shows_what_the_api_adds() -> None:
    """GitHub repository and stars, project page, keywords and AI summary reach the console too."""
    paper = Paper(
        "2602.23229",
        "Large Multimodal Models as General In-Context Classifiers",
        "https://arxiv.org/abs/2602.23229",
        ("Marco Garosi",),
        False,
        10,
        None,
        (Bullet(None, "Which multimodal model should we use?"),),
        ai_summary="LMMs match VLMs with in-context examples.",
        keywords=("in-context learning", "CIRCLE"),
        github_repo="https://github.com/marco-garosi/CIRCLE",
        github_stars=9,
        project_page="https://circle-lmm.github.io/",
    )
    console = Console(file=StringIO(), width=200, color_system=None)
    console.print(render_paper(paper))
    text = console.file.getvalue()
    assert "GitHub: https://github.com/marco-garosi/CIRCLE (9 stars)" in text
    assert "Project page: https://circle-lmm.github.io/" in text
    assert "Keywords: in-context learning, CIRCLE" in text
    assert "AI summary: LMMs match VLMs with in-context examples." in text


@pytest.mark.parametrize(
    ("line", "error", "words"),
    [
        (
            "frobnicate",
            UnknownCommand("frobnicate"),
            "Unknown command 'frobnicate': type `help` for the commands",
        ),
        ("today 1 2", BadUsage("today"), "Usage: today [N]"),
        ("day", BadUsage("day"), "Usage: day DATE [N], e.g. day 2024-06-13"),
        ("top since", BadUsage("top", "since"), "Usage: top since DATE"),
        ("search x --sort", BadUsage("search", "--sort"), "Usage: search QUERY --sort VALUE"),
        ("page", BadUsage("page"), "Usage: page N"),
        ("page 0", BadPage(0), "Pages start at 1"),
        ("today five", BadNumber("five", "N"), "N must be a whole number, got 'five'"),
    ],
)
async def test_bad_lines_are_typed_errors_told_in_words(
    store: Store, line: str, error: UserError, words: str
) -> None:
    """Each bad command line raises its typed error (same fields), told in today's words."""
    with pytest.raises(type(error)) as raised:
        await Session(store).handle(line)
    assert vars(raised.value) == vars(error)
    assert describe_error(raised.value) == words


# --------------------------------------------------------------------------- robustness


async def test_paper_with_undecodable_bytes_is_unknown_paper(store: Store) -> None:
    """`paper` with bytes a terminal could not decode (surrogate escapes) says the paper is
    unknown instead of crashing on the lookup."""
    reply = await Session(store).handle("paper 2406.\udcff\udcfe")
    assert reply.kind == "paper"
    assert not reply.ok


async def test_top_with_a_huge_number_is_a_bad_number(store: Store) -> None:
    """`top` with a 5,000-digit count is a typed error, not a crash in int()."""
    with pytest.raises(BadNumber):
        await Session(store).handle("top " + "9" * 5000)


def test_interactive_loop_survives_a_crash(
    seeded_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unexpected exception while answering one line is reported, and the next line is
    still answered."""
    import asyncio

    async def broken(self: Session, args: list[str]) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(Session, "_cmd_author", broken)
    lines = iter(["author x", "today 2"])
    buffer = StringIO()
    out = Console(file=buffer, width=200)

    def fake_input(prompt: str) -> str:
        try:
            return next(lines)
        except StopIteration:
            raise EOFError from None

    with asyncio.Runner() as runner:
        store = runner.run(Store.open(seeded_db))
        try:
            code = console_module.interactive(
                runner, store, out=out, input_func=fake_input, history=False
            )
        finally:
            runner.run(store.close())
    text = buffer.getvalue()
    assert code == 0
    assert "Something went wrong with that line" in text
    assert "2505.04921" in text


def test_search_past_the_count_cap_says_more_than(
    env: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A search matching more than the store counts says "more than" in the footer and sets
    ``more`` in --json (where ``total`` is then a lower bound)."""
    from storage import text as textsearch

    monkeypatch.setattr(textsearch, "COUNT_CAP", 3)
    code, out, _ = _run(capsys, "console", "-c", "search 모델", "--json")
    data = json.loads(out)
    assert code == 0 and (data["total"], data["more"]) == (3, True)
    code, out, _ = _run(capsys, "console", "--lang", "en", "-c", "search 모델")
    assert code == 0 and "of more than 3 in all" in " ".join(out.split())
