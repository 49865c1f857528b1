"""The ``tsvector`` literal of a paper, PostgreSQL's full-text document (no SQL here).

Built from the index forms of :mod:`storage.text` (the tokeniser both backends share), in the
importer's worker processes with the rest of :func:`storage.prepare.prepare_digest`'s rows when
the store asks for it (:attr:`storage.ports.ImportStore.wants_documents`); see
:mod:`storage.postgres.fulltext` for how documents and queries fit together. Title words come at
positions 1..n with weight A, then a gap, then the summary's words (weight D).
"""

from __future__ import annotations

from storage import text as textsearch

#: PostgreSQL keeps positions up to this (higher ones are stored as it).
MAX_POSITION = 16383
#: ... and at most this many positions per lexeme.
MAX_POSITIONS = 256
#: A lexeme longer than this many bytes is refused by PostgreSQL; such words are not indexed.
MAX_LEXEME_BYTES = 2046


def quote(word: str) -> str:
    """A lexeme as ``tsvector``/``tsquery`` input: single-quoted, ``'`` doubled, ``\\`` escaped."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def document(title_form: str, summary_form: str) -> str:
    """The ``tsvector`` literal of a paper from the index forms of its title and summary."""
    positions: dict[str, list[str]] = {}
    position = 0
    for form, weight in ((title_form, "A"), (summary_form, "")):
        for word in textsearch.index_words(form):
            position += 1
            if len(word) * 4 > MAX_LEXEME_BYTES and len(word.encode()) > MAX_LEXEME_BYTES:
                continue
            found = positions.setdefault(word, [])
            if len(found) < MAX_POSITIONS:
                found.append(f"{min(position, MAX_POSITION)}{weight}")
        position += 1  # the gap between title and summary
    return " ".join(f"{quote(word)}:{','.join(at)}" for word, at in positions.items())
