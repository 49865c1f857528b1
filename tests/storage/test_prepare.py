"""What :func:`storage.prepare.prepare_digest` builds ahead of the database."""

from __future__ import annotations

import datetime as dt

from storage.models import ParsedDigest, ParsedPaper
from storage.prepare import prepare_digest
from storage.tsvector import document

PAPER = ParsedPaper(
    arxiv_id="2401.00001",
    title="Diffusion",
    url="https://arxiv.org/abs/2401.00001",
    authors=(),
    authors_truncated=False,
    votes=1,
    media=None,
    summary=(),
    position=1,
    line=1,
)
DIGEST = ParsedDigest(dt.date(2024, 1, 1), (PAPER,))


def test_documents_are_built_when_asked() -> None:
    """``documents=True`` (the PostgreSQL store's way) carries each paper's tsvector literal."""
    prepared = prepare_digest(DIGEST, documents=True)
    assert prepared.documents == tuple(document(*forms) for forms in prepared.fts)
    assert prepared.documents[0] == "'diffusion':1A"


def test_no_documents_by_default() -> None:
    """Without it (the SQLite store's way) no literal is built."""
    assert prepare_digest(DIGEST).documents == ()
