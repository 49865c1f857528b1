"""The ``tsvector`` literal of a paper, PostgreSQL's full-text document (no SQL here).

Built from the index forms of :mod:`storage.text` (the tokeniser both backends share), in the
importer's worker processes with the rest of :func:`storage.prepare.prepare_digest`'s rows when
the store asks for it (:attr:`storage.ports.ImportStore.wants_documents`); see
:mod:`storage.postgres.fulltext` for how documents and queries fit together. Title words come at
positions 1..n with weight A, then a gap, then the summary's words (weight D).
"""

from __future__ import annotations

import re

from storage import text as textsearch

#: PostgreSQL keeps positions up to this (higher ones are stored as it).
MAX_POSITION = 16383
#: ... and at most this many positions per lexeme.
MAX_POSITIONS = 256
#: A lexeme longer than this many bytes is refused by PostgreSQL; such words are not indexed.
MAX_LEXEME_BYTES = 2046


def quote(word: str) -> str:
    """A lexeme as ``tsvector``/``tsquery`` input: single-quoted, ``'`` doubled, ``\\`` escaped."""
    if "'" in word or "\\" in word:
        return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"
    return "'" + word + "'"


#: The words of an ASCII line, lowercased (what :func:`storage.text.index_words` gives for it).
_ASCII_WORD_RE = re.compile(r"[a-z0-9]+")
#: A line of Hangul words separated by spaces (an index form's bigram or one-syllable line).
_HANGUL_LINE_RE = re.compile(r"[\uac00-\ud7a3 ]*")
#: Position texts, by position: the title's (weight A) and the summary's (no weight, D).
_TITLE_AT = tuple(f"{i}A" for i in range(MAX_POSITION + 1))
_SUMMARY_AT = tuple(str(i) for i in range(MAX_POSITION + 1))


def words(form: str) -> list[str]:
    """:func:`storage.text.index_words` of ``form``, the same list, faster for what
    :func:`storage.text.index_form` makes: its Hangul lines (bigrams, one-syllable runs) are
    split on spaces, and an ASCII first part is lowercased once instead of word by word."""
    parts = form.rsplit("\n", 2)
    if len(parts) != 3 or not (
        _HANGUL_LINE_RE.fullmatch(parts[1]) and _HANGUL_LINE_RE.fullmatch(parts[2])
    ):
        return textsearch.index_words(form)
    head, pairs, singles = parts
    if head.isascii():
        found = _ASCII_WORD_RE.findall(head.lower())
    else:
        found = textsearch.index_words(head)
    found += pairs.split()
    found += singles.split()
    return found


def document(title_form: str, summary_form: str) -> str:
    """The ``tsvector`` literal of a paper from the index forms of its title and summary."""
    positions: dict[str, list[str]] = {}
    get = positions.get
    position = 0
    for form, at in ((title_form, _TITLE_AT), (summary_form, _SUMMARY_AT)):
        for word in words(form):
            position += 1
            text = at[position if position < MAX_POSITION else MAX_POSITION]
            found = get(word)
            if found is None:
                positions[word] = [text]
            elif len(found) < MAX_POSITIONS:
                found.append(text)
        position += 1  # the gap between title and summary
    return " ".join(
        [
            f"{quote(word)}:{','.join(at)}"
            for word, at in positions.items()
            # PostgreSQL refuses longer lexemes: such words are not indexed.
            if len(word) * 4 <= MAX_LEXEME_BYTES or len(word.encode()) <= MAX_LEXEME_BYTES
        ]
    )
