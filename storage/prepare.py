"""A parsed digest as the rows a store writes for it: pure, picklable, backend-neutral.

:func:`prepare_digest` does everything an import computes before the database (each paper once,
author keys and their first spelling, the full-text index forms from :mod:`storage.text`, rows as
JSON arrays), so importers run it in worker processes and the database thread only binds it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from storage import text as textsearch
from storage.models import (
    Appearance,
    Bullet,
    GeneratedSummary,
    Media,
    Paper,
    ParsedDigest,
    ParsedPaper,
    Problem,
    ProblemCode,
)
from storage.tsvector import document

#: The index form of one paper: ``(title form, summary form)`` as ``paper_fts`` stores them.
FtsForms = tuple[str, str]


def bullets_from_json(summary_json: str) -> tuple[Bullet, ...]:
    """The bullets of a stored summary (``[[label or null, text], ...]``, as
    :func:`prepare_digest` writes it), in every backend; unreadable -> none."""
    try:
        return tuple([Bullet(b[0], b[1]) for b in json.loads(summary_json)])
    except (ValueError, TypeError, IndexError, KeyError):
        return ()


#: How many columns a backend's ``PAPER_SELECT`` reads for one paper (the row id first).
PAPER_WIDTH = 20


def paper_from_columns(
    row: Sequence[Any],
    *,
    strings: Callable[[Any], tuple[str, ...]],
    days: Callable[[Any], tuple[Appearance, ...]],
    generated: Callable[[Any], GeneratedSummary | None],
) -> Paper:
    """A :class:`Paper` from the first :data:`PAPER_WIDTH` columns of a row, in the order both
    backends' ``PAPER_SELECT`` read them; each backend says how its lists (author names,
    keywords), days and generated summary are stored."""
    (
        _id,
        arxiv_id,
        title,
        url,
        truncated,
        media_kind,
        media_url,
        summary,
        votes,
        ai_summary,
        keywords,
        github_repo,
        github_stars,
        project_page,
        author_names,
        appearances,
        organization,
        comments,
        generated_row,
        first_votes,
    ) = row[:PAPER_WIDTH]
    return Paper(
        arxiv_id=arxiv_id,
        title=title,
        url=url,
        authors=strings(author_names),
        authors_truncated=bool(truncated),
        votes=votes,
        media=Media(media_kind, media_url) if media_kind and media_url else None,
        summary=bullets_from_json(summary),
        days=days(appearances),
        ai_summary=ai_summary,
        keywords=strings(keywords),
        github_repo=github_repo,
        github_stars=github_stars,
        project_page=project_page,
        organization=organization,
        comments=comments,
        generated=generated(generated_row),
        first_votes=first_votes,
    )


def summary_and_keywords(bullets: Iterable[str], keywords: Iterable[str]) -> str:
    """The text indexed in the summary column: bullet texts, then keywords, one a line."""
    return "\n".join([*bullets, *keywords])


def fts_forms(paper: ParsedPaper) -> FtsForms:
    """The ``paper_fts`` row of ``paper`` (the same text the SQL functions give for its row).

    The summary column holds the bullet texts and then the keywords, so keywords are found too.
    Pure and picklable, so importers can compute it in worker processes ahead of the writes.
    """
    return (
        textsearch.index_form(paper.title),
        textsearch.index_form(
            summary_and_keywords([b.text for b in paper.summary], paper.keywords)
        ),
    )


def unique_papers(digest: ParsedDigest) -> tuple[dict[str, ParsedPaper], list[Problem]]:
    """The digest's papers by arXiv id, first listing kept, and its problems plus one for each
    paper listed again in the same digest."""
    source = digest.source or "<string>"
    problems = list(digest.problems)
    papers: dict[str, ParsedPaper] = {}
    for p in digest.papers:
        first = papers.get(p.arxiv_id)
        if first is not None:
            problems.append(
                Problem(source, p.line, ProblemCode.DUPLICATE_PAPER, (p.arxiv_id, str(first.line)))
            )
            continue
        papers[p.arxiv_id] = p
    return papers, problems


class PreparedDigest(NamedTuple):
    """A digest as the rows the store writes for it (built by :func:`prepare_digest`).

    Only strings, numbers and tuples, so it pickles fast: importers build it in worker processes
    and the database thread only binds it.
    """

    date: str  # YYYY-MM-DD
    source: str
    problems: tuple[Problem, ...]  # the parser's, plus one for each paper listed twice
    arxiv_ids: tuple[str, ...]  # each paper once, first listing, in digest order
    arxiv_json: str  # ``arxiv_ids`` as a JSON array
    papers_json: str  # JSON array of rows, one per paper: see ``_PAPERS_UPSERT``
    appearances_json: str  # JSON array of ``[arxiv id, position, votes]``
    fts: tuple[FtsForms, ...]  # the index forms of each paper, aligned with ``arxiv_ids``
    authors: tuple[tuple[str, str], ...]  # ``(name key, first spelling)``, each key once
    author_keys_json: str  # the keys of ``authors`` as a JSON array
    links: tuple[tuple[int, int, int], ...]  # (paper index, 1-based position, author index)
    #: Each paper's ``tsvector`` (binary), aligned with ``arxiv_ids``, when asked for (else empty).
    documents: tuple[bytes, ...] = ()


def prepare_digest(digest: ParsedDigest, *, documents: bool = False) -> PreparedDigest:
    """The rows of ``digest``: everything an import computes before the database. Pure.

    ``documents``: also each paper's ``tsvector`` (:func:`storage.tsvector.document`),
    for a store whose :attr:`~storage.ports.ImportStore.wants_documents` is true.
    """
    papers, problems = unique_papers(digest)
    rows: list[list[Any]] = []
    appearances: list[list[Any]] = []
    forms: list[FtsForms] = []
    keys: dict[str, int] = {}
    authors: list[tuple[str, str]] = []
    links: list[tuple[int, int, int]] = []
    name_key = textsearch.name_key
    for index, p in enumerate(papers.values()):
        seen: set[str] = set()
        names: list[str] = []
        for name in p.authors:
            name = " ".join(name.split())
            key = name_key(name)
            if not key or key in seen:
                continue
            seen.add(key)
            names.append(name)
            number = keys.get(key)
            if number is None:
                number = keys[key] = len(authors)
                authors.append((key, name))
            links.append((index, len(seen), number))
        rows.append(
            [
                p.arxiv_id,
                p.title,
                p.url,
                int(p.authors_truncated),
                p.media.kind if p.media else None,
                p.media.url if p.media else None,
                json.dumps([[b.label, b.text] for b in p.summary], ensure_ascii=False),
                p.ai_summary,
                json.dumps(list(p.keywords), ensure_ascii=False) if p.keywords else None,
                p.github_repo,
                p.github_stars,
                p.project_page,
                p.votes,
                json.dumps(names, ensure_ascii=False),
                p.organization,
                p.comments,
            ]
        )
        appearances.append([p.arxiv_id, p.position, p.votes])
        forms.append(fts_forms(p))
    return PreparedDigest(
        date=digest.date.isoformat(),
        source=digest.source or "<string>",
        problems=tuple(problems),
        arxiv_ids=tuple(papers),
        arxiv_json=textsearch.json_list(papers),
        papers_json=textsearch.json_list(rows),
        appearances_json=textsearch.json_list(appearances),
        fts=tuple(forms),
        authors=tuple(authors),
        author_keys_json=textsearch.json_list(keys),
        links=tuple(links),
        documents=tuple(document(*f) for f in forms) if documents else (),
    )
