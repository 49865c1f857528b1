"""A reading list as a file: BibTeX, Markdown or CSV (``/saved export``, console ``saved export``).

BibTeX entries are ``@misc`` with ``eprint``/``archivePrefix = {arXiv}`` for arXiv papers, the
authors joined with ``and`` (``and others`` when the list was cut short), and LaTeX's special
characters escaped; other text (Korean, accented letters) stays UTF-8, which BibLaTeX/Biber read
as it is. The Markdown file's heading is in the current language; CSV is one row per paper.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from typing import Final

from bot.core.reading import ExportFormat
from bot.i18n.catalog import date, tr
from storage.models import Paper, SavedPaper

#: The columns of a CSV export, in order.
CSV_FIELDS: Final = ("arxiv_id", "title", "authors", "year", "url", "saved_at")

_LATEX_SPECIALS: Final = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}
_LATEX_RE: Final = re.compile("|".join(re.escape(c) for c in _LATEX_SPECIALS))
_NEW_ARXIV_ID: Final = re.compile(r"(\d{2})(\d{2})\.\d{4,5}")
_MARKDOWN_RE: Final = re.compile(r"([\\`*_\[\]<>|])")


def latex_escape(text: str) -> str:
    """``text`` with LaTeX's special characters escaped (whitespace runs made one space)."""
    return _LATEX_RE.sub(lambda m: _LATEX_SPECIALS[m.group()], " ".join(text.split()))


def _authors(paper: Paper) -> list[str]:
    return [name.strip() for name in paper.authors if name.strip() and name.strip() != "+"]


def year(paper: Paper) -> int | None:
    """The year of the paper: its arXiv id's (``2406.01234``: 2024), else its first day's."""
    found = _NEW_ARXIV_ID.match(paper.arxiv_id)
    if found:
        return 2000 + int(found.group(1))
    return paper.first_day.year if paper.first_day else None


def bibtex_key(paper: Paper) -> str:
    """The entry's citation key: ``arXiv`` and the id's letters and digits (``arXiv2406.01234``)."""
    return "arXiv" + re.sub(r"[^A-Za-z0-9.]+", "_", paper.arxiv_id)


def bibtex_entry(paper: Paper) -> str:
    """One ``@misc`` entry."""
    authors = " and ".join(latex_escape(name) for name in _authors(paper))
    if paper.authors_truncated:
        authors = f"{authors} and others" if authors else "others"
    fields: list[tuple[str, str]] = [("title", latex_escape(paper.title))]
    if authors:
        fields.append(("author", authors))
    found_year = year(paper)
    if found_year is not None:
        fields.append(("year", str(found_year)))
    if paper.is_arxiv:
        fields += [("eprint", paper.arxiv_id), ("archivePrefix", "arXiv")]
    fields.append(("url", paper.abs_url))
    body = "".join(f"  {name} = {{{value}}},\n" for name, value in fields)
    return f"@misc{{{bibtex_key(paper)},\n{body}}}\n"


def bibtex(saved: Sequence[SavedPaper]) -> str:
    """Every paper as a BibTeX entry, newest saved first."""
    return "\n".join(bibtex_entry(s.paper) for s in saved)


def markdown(saved: Sequence[SavedPaper]) -> str:
    """A numbered Markdown list under a heading in the current language."""
    lines = [f"# {tr('saved.export.heading')}", ""]
    for n, item in enumerate(saved, start=1):
        paper = item.paper
        title = _MARKDOWN_RE.sub(r"\\\1", " ".join(paper.title.split()))
        authors = _MARKDOWN_RE.sub(r"\\\1", ", ".join(_authors(paper)))
        line = f"{n}. [{title}]({paper.abs_url})"
        if authors:
            line += f" — {authors}"
        line += (
            f" · `{paper.arxiv_id}` · {tr('saved.export.saved_on', day=date(item.saved_at.date()))}"
        )
        lines.append(line)
    return "\n".join(lines) + "\n"


#: A cell starting with one of these is read as a formula by spreadsheets (CSV injection).
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    """``value`` safe to open in a spreadsheet: a leading apostrophe before a formula start."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def csv_text(saved: Sequence[SavedPaper]) -> str:
    """One row per paper under a header of :data:`CSV_FIELDS`; no cell is read as a formula
    (:func:`csv_cell`: titles and names are untrusted text)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for item in saved:
        paper = item.paper
        found_year = year(paper)
        row = {
            "arxiv_id": paper.arxiv_id,
            "title": " ".join(paper.title.split()),
            "authors": "; ".join(_authors(paper)),
            "year": "" if found_year is None else str(found_year),
            "url": paper.abs_url,
            "saved_at": item.saved_at.isoformat(),
        }
        writer.writerow({key: csv_cell(value) for key, value in row.items()})
    return out.getvalue()


#: Each format's writer and file name extension.
WRITERS: Final = {"bibtex": (bibtex, "bib"), "markdown": (markdown, "md"), "csv": (csv_text, "csv")}


def export(saved: Sequence[SavedPaper], fmt: ExportFormat) -> str:
    """The reading list in ``fmt``."""
    writer, _ = WRITERS[fmt]
    return writer(saved)


def file_name(fmt: ExportFormat) -> str:
    """The attachment's or default file's name (``saved-papers.bib``)."""
    return f"saved-papers.{WRITERS[fmt][1]}"
