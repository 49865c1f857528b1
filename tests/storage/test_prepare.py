"""What :func:`storage.prepare.prepare_digest` builds ahead of the database."""

from __future__ import annotations

import datetime as dt
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from storage import text as textsearch
from storage import tsvector
from storage.models import ParsedDigest, ParsedPaper
from storage.prepare import prepare_digest
from storage.tsvector import document, text_form

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
    assert text_form(prepared.documents[0]) == "'diffusion':1A"


def test_no_documents_by_default() -> None:
    """Without it (the SQLite store's way) no literal is built."""
    assert prepare_digest(DIGEST).documents == ()


def reference_document(title_form: str, summary_form: str) -> str:
    """The tsvector literal built the plain way, word by word (what ``document`` must equal):
    each word at its positions (once: past the last, every position is the last), and each two
    neighbouring non-Hangul words of one field as a pair at the first one's position."""
    positions: dict[str, list[str]] = {}

    def add(lexeme: str, position: int, weight: str) -> None:
        if len(lexeme.encode()) > tsvector.MAX_LEXEME_BYTES:
            return
        found = positions.setdefault(lexeme, [])
        at = f"{min(position, tsvector.MAX_POSITION)}{weight}"
        if len(found) < tsvector.MAX_POSITIONS and at not in found[-1:]:
            found.append(at)

    position = 0
    for form, weight in ((title_form, "A"), (summary_form, "")):
        previous: str | None = None
        for word in textsearch.index_words(form):
            position += 1
            add(word, position, weight)
            if textsearch.is_hangul(word[0]):
                previous = None
                continue
            if previous is not None:
                add(tsvector.pair(previous, word), position - 1, weight)
            previous = word
        position += 1
    quoted = {w: "'" + w.replace("\\", "\\\\").replace("'", "''") + "'" for w in positions}
    return " ".join(f"{quoted[w]}:{','.join(at)}" for w, at in positions.items())


_ENTRY_RE = re.compile(r"'((?:[^']|'')*)':(\S+)")


def lexemes(literal: str) -> dict[str, str]:
    """A tsvector literal's lexemes and their positions (PostgreSQL sorts lexemes itself, so
    their order in the literal does not matter); each lexeme once."""
    entries = _ENTRY_RE.findall(literal)
    assert " ".join(f"'{w}':{at}" for w, at in entries) == literal  # nothing else in it
    found = dict(entries)
    assert len(found) == len(entries)
    return found


#: Text with what the fast paths tell apart: ASCII, accents, Hangul runs of every length,
#: quotes and backslashes, line breaks, private-use characters, compatibility forms.
TEXT = st.text(alphabet="aZ9_ -'\\\n\tÉéßıﬁ①모델이데이터 책\ue000ü\u0301.,", max_size=60)


@settings(max_examples=300, deadline=None)
@given(TEXT, TEXT)
def test_document_equals_the_plain_construction(title: str, summary: str) -> None:
    """The fast document builder gives exactly the literal of the word-by-word one, for index
    forms and for any other text."""
    forms = (textsearch.index_form(title), textsearch.index_form(summary))
    assert lexemes(text_form(document(*forms))) == lexemes(reference_document(*forms))
    assert lexemes(text_form(document(title, summary))) == lexemes(
        reference_document(title, summary)
    )
    for form in (*forms, title):  # the fast split of an index form: its words, in order
        split = tsvector._split(form)
        assert split is None or split[0] + split[1] == textsearch.index_words(form)


def test_document_limits() -> None:
    """Positions stop at PostgreSQL's maximum, a word keeps at most 256 of them, and a word
    too long for a lexeme is left out, as the plain construction does."""
    long_title = textsearch.index_form(" ".join(f"w{i % 17000}" for i in range(20000)))
    long_word = textsearch.index_form("ü" * 1100 + " ok")
    for forms in ((long_title, textsearch.index_form("b c " * 9000)), (long_word, "")):
        assert lexemes(text_form(document(*forms))) == lexemes(reference_document(*forms))
    assert "'w16999':16383A" in text_form(document(long_title, ""))
    assert "ü" not in text_form(document(long_word, ""))
