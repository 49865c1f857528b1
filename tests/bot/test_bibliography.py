"""Reading list files (bot/i18n/bibliography.py): BibTeX parsed back by bibtexparser, CSV, MD."""

from __future__ import annotations

import csv
import datetime as dt
import io

import bibtexparser
from bibtexparser import middlewares

from bot.i18n import bibliography
from bot.i18n.catalog import use_locale
from storage.models import Appearance, Paper, SavedPaper

SAVED_AT = dt.datetime(2025, 5, 10, 12, 0, tzinfo=dt.UTC)


def paper(
    arxiv_id: str = "2406.01234",
    title: str = "A Paper",
    authors: tuple[str, ...] = ("Ann Lee",),
    *,
    truncated: bool = False,
) -> Paper:
    return Paper(
        arxiv_id=arxiv_id,
        title=title,
        url=f"https://arxiv.org/abs/{arxiv_id}",
        authors=authors,
        authors_truncated=truncated,
        votes=3,
        media=None,
        summary=(),
        days=(Appearance(dt.date(2024, 6, 14), 1, 3),),
    )


def saved(*papers: Paper) -> list[SavedPaper]:
    return [SavedPaper(p, SAVED_AT) for p in papers]


def parse(text: str) -> list[dict[str, object]]:
    """Every entry of ``text`` as its type, key and fields, LaTeX decoded, authors split."""
    library = bibtexparser.parse_string(
        text,
        append_middleware=[
            middlewares.LatexDecodingMiddleware(),
            middlewares.SeparateCoAuthors(),
        ],
    )
    assert not library.failed_blocks
    return [
        {"type": e.entry_type, "key": e.key, **{f.key: f.value for f in e.fields}}
        for e in library.entries
    ]


def test_bibtex_round_trip_keeps_every_field() -> None:
    """An arXiv paper parses back as @misc with title, authors, year, eprint, prefix and url."""
    (entry,) = parse(bibliography.bibtex(saved(paper(authors=("Ann Lee", "Bo Kim")))))
    assert entry == {
        "type": "misc",
        "key": "arXiv2406.01234",
        "title": "A Paper",
        "author": ["Ann Lee", "Bo Kim"],
        "year": "2024",
        "eprint": "2406.01234",
        "archivePrefix": "arXiv",
        "url": "https://arxiv.org/abs/2406.01234",
    }


def test_korean_and_accented_names_survive() -> None:
    """Hangul and accented Latin names come back exactly as stored."""
    names = ("김철수", "José Müller", "Zoë Ångström")
    (entry,) = parse(bibliography.bibtex(saved(paper(authors=names))))
    assert entry["author"] == list(names)


def test_latex_specials_are_escaped_and_decode_back() -> None:
    """& % $ # _ { } and backslashes in a title are escaped, and decode to the same title."""
    title = r"Fast & Cheap: 50% of $x_1 {LLM} #1 a\b"
    text = bibliography.bibtex(saved(paper(title=title)))
    assert r"Fast \& Cheap: 50\% of \$x\_1 \{LLM\} \#1 a\textbackslash{}b" in text
    assert parse(text)[0]["title"] == title


def test_caret_and_tilde_are_latex_commands() -> None:
    """^ and ~ (accents or a space in LaTeX) are written as the commands for the characters."""
    text = bibliography.bibtex(saved(paper(title="x^2 ~ y")))
    assert r"x\textasciicircum{}2 \textasciitilde{} y" in text


def test_cut_author_list_ends_with_others() -> None:
    """A truncated author list ends with BibTeX's ``and others``."""
    (entry,) = parse(bibliography.bibtex(saved(paper(truncated=True))))
    assert entry["author"] == ["Ann Lee", "others"]


def test_every_paper_is_one_entry_with_a_unique_key() -> None:
    """Two papers make two entries; old-style ids make keys without slashes."""
    entries = parse(bibliography.bibtex(saved(paper("2406.01234"), paper("cs/0112017"))))
    assert [e["key"] for e in entries] == ["arXiv2406.01234", "arXivcs_0112017"]
    assert entries[1]["year"] == "2024"  # no year in an old id: the paper's first day


def test_csv_has_one_row_per_paper() -> None:
    """The CSV's header is CSV_FIELDS and each row carries the paper and when it was saved."""
    text = bibliography.csv_text(saved(paper(authors=("김철수", "Bo Kim"))))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows == [
        {
            "arxiv_id": "2406.01234",
            "title": "A Paper",
            "authors": "김철수; Bo Kim",
            "year": "2024",
            "url": "https://arxiv.org/abs/2406.01234",
            "saved_at": "2025-05-10T12:00:00+00:00",
        }
    ]


def test_markdown_is_a_numbered_list_in_the_language() -> None:
    """Markdown: a heading in the current language, then one linked, escaped line per paper."""
    with use_locale("ko"):
        text = bibliography.markdown(saved(paper(title="Big [LLM] *fast*")))
    lines = text.splitlines()
    assert lines[0] == "# 읽기 목록"
    assert lines[2].startswith(r"1. [Big \[LLM\] \*fast\*](https://arxiv.org/abs/2406.01234)")
    assert "Ann Lee" in lines[2] and "2025년 5월 10일" in lines[2]


def test_csv_cells_are_never_spreadsheet_formulas() -> None:
    """A title or name starting with = + - @ (or a tab or CR) gets a leading apostrophe, so a
    spreadsheet opening the export shows it as text instead of running it (CSV injection)."""
    hostile = paper(
        title='=HYPERLINK("http://evil.example","x")',
        authors=("+1 Cmd", "@SUM(A1)", "-2+3"),
    )
    text = bibliography.csv_text(saved(hostile, paper(arxiv_id="2406.05678", title="Fine")))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["title"] == '\'=HYPERLINK("http://evil.example","x")'
    assert rows[0]["authors"] == "'+1 Cmd; @SUM(A1); -2+3"
    assert rows[1]["title"] == "Fine"
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert bibliography.csv_cell(start + "x") == "'" + start + "x"
    assert bibliography.csv_cell("x=1") == "x=1"
