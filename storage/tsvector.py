"""A paper's ``tsvector``, PostgreSQL's full-text document, in PostgreSQL's binary form (no SQL
here).

Built from the index forms of :mod:`storage.text` (the tokeniser both backends share), in the
importer's worker processes with the rest of :func:`storage.prepare.prepare_digest`'s rows when
the store asks for it (:attr:`storage.ports.ImportStore.wants_documents`); see
:mod:`storage.postgres.fulltext` for how documents and queries fit together. Title words come at
positions 1..n with weight A, then a gap, then the summary's words (weight D).

Each two neighbouring non-Hangul words of the title, or of the summary, are also a lexeme of
their own, the *word pair* ``"language models"`` at the first word's position (:func:`pair`):
a phrase query is then a lookup of its pairs in the GIN index, which keeps no positions, instead
of a check of every paper that holds both words (see :mod:`storage.postgres.fulltext`). A word
never holds a space, so a pair is never a word.

The binary form (what PostgreSQL's ``tsvectorsend`` writes and ``tsvectorrecv`` reads: the
number of lexemes, then each lexeme NUL-terminated, its number of positions and each position,
two bytes with the weight in the top two bits) is what the store sends, through a binary codec
of its connections (:mod:`storage.postgres.store`): the server reads it at less than half the
cost of the text literal, which it had to parse, sort and merge (47 against 18 us a paper, a
tenth of an import's server time). Lexemes go in PostgreSQL's order (byte-wise, which for UTF-8
is Python's order of ``str``), each once, with increasing positions. :func:`text_form` gives the
text PostgreSQL prints for it.
"""

from __future__ import annotations

import re
import struct
from collections import defaultdict
from collections.abc import Sequence

from storage import text as textsearch

#: PostgreSQL keeps positions up to this (higher ones are stored as it).
MAX_POSITION = 16383
#: ... and at most this many positions per lexeme.
MAX_POSITIONS = 256
#: A lexeme longer than this many bytes is refused by PostgreSQL; such words are not indexed.
MAX_LEXEME_BYTES = 2046


def pair(first: str, second: str) -> str:
    """The word-pair lexeme of two neighbouring words."""
    return f"{first} {second}"


def quote(word: str) -> str:
    """A lexeme as ``tsvector``/``tsquery`` input: single-quoted, ``'`` doubled, ``\\`` escaped."""
    if "'" in word or "\\" in word:
        return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"
    return "'" + word + "'"


#: The words of an ASCII line, lowercased (what :func:`storage.text.index_words` gives for it).
_ASCII_WORD_RE = re.compile(r"[a-z0-9]+")
#: A Hangul syllable.
_HANGUL_RE = re.compile(r"[\uac00-\ud7a3]")
#: A line of Hangul words separated by spaces (an index form's bigram or one-syllable line).
_HANGUL_LINE_RE = re.compile(r"[\uac00-\ud7a3 ]*")
#: Positions in the binary form, by position: the title's (weight A: the top two bits set) and
#: the summary's (weight D: none).
_TITLE_AT = tuple(struct.pack(">H", 0xC000 | i) for i in range(MAX_POSITION + 1))
_SUMMARY_AT = tuple(struct.pack(">H", i) for i in range(MAX_POSITION + 1))
#: A lexeme's end and its number of positions, by number.
_COUNTS = tuple(b"\0" + struct.pack(">H", n) for n in range(MAX_POSITIONS + 1))


def _split(form: str) -> tuple[list[str], list[str]] | None:
    """The words of an :func:`storage.text.index_form` in two lists, its first line's (none of
    them Hangul) and its Hangul lines' (bigrams, one-syllable runs), split on spaces and an
    ASCII first line lowercased once: :func:`storage.text.index_words` of ``form``, the same
    words in the same order, faster. ``None`` for other text."""
    parts = form.rsplit("\n", 2)
    if len(parts) != 3 or not (
        _HANGUL_LINE_RE.fullmatch(parts[1]) and _HANGUL_LINE_RE.fullmatch(parts[2])
    ):
        return None
    head, pairs, singles = parts
    if head.isascii():
        first = _ASCII_WORD_RE.findall(head.lower())
    elif _HANGUL_RE.search(head):
        return None
    else:
        first = textsearch.index_words(head)
    hangul = pairs.split()
    hangul += singles.split()
    return first, hangul


def _add(at: list[bytes], position: bytes) -> None:
    if not at or at[-1] != position:  # positions past the last are all the last: once
        at.append(position)


def _add_words(
    positions: defaultdict[str, list[bytes]], found: list[str], start: int, at: Sequence[bytes]
) -> None:
    """Each word of ``found`` at ``start``, ``start + 1``...; a non-Hangul word after another
    also makes their pair, at the first one's position (the general way, for any text)."""
    previous = ""
    for i, word in enumerate(found, start):
        _add(positions[word], at[i if i < MAX_POSITION else MAX_POSITION])
        if textsearch.is_hangul(word[0]):
            previous = ""
            continue
        if previous:
            _add(positions[pair(previous, word)], at[i - 1 if i <= MAX_POSITION else MAX_POSITION])
        previous = word


def document(title_form: str, summary_form: str) -> bytes:
    """The ``tsvector`` of a paper from the index forms of its title and summary, its words and
    its word pairs (see the module docstring), in PostgreSQL's binary form."""
    positions: defaultdict[str, list[bytes]] = defaultdict(list)
    position = 0
    for form, at in ((title_form, _TITLE_AT), (summary_form, _SUMMARY_AT)):
        split = _split(form)
        start = position + 1
        if split is None:
            found = textsearch.index_words(form)
            _add_words(positions, found, start, at)
            position += len(found) + 1  # and the gap between title and summary
            continue
        first, hangul = split
        position += len(first) + len(hangul) + 1
        if position > MAX_POSITION:  # positions past PostgreSQL's last: the general way
            _add_words(positions, first + hangul, start, at)
            continue
        # The first line's words, their pairs (at the first word's position), the Hangul words.
        middle = start + len(first)
        for word, text in zip(first, at[start:middle], strict=True):
            positions[word].append(text)
        for word, after, text in zip(first, first[1:], at[start : middle - 1], strict=False):
            positions[pair(word, after)].append(text)
        for word, text in zip(hangul, at[middle:position], strict=True):
            positions[word].append(text)
    parts = [b""]  # the number of lexemes, once known
    skipped = 0
    for word in sorted(positions):
        lexeme = word.encode()
        if len(lexeme) > MAX_LEXEME_BYTES:  # PostgreSQL refuses it: such words are not indexed
            skipped += 1
            continue
        held = positions[word]
        if len(held) > MAX_POSITIONS:
            del held[MAX_POSITIONS:]
        parts.append(lexeme)
        parts.append(_COUNTS[len(held)])
        parts += held
    parts[0] = struct.pack(">i", len(positions) - skipped)
    return b"".join(parts)


def text_form(binary: bytes) -> str:
    """A document in the text PostgreSQL prints for it (``'word':1A,5 'pair of':2``), lexemes
    in its order, for tests and for reading."""
    (count,) = struct.unpack_from(">i", binary)
    offset, entries = 4, []
    for _ in range(count):
        end = binary.index(b"\0", offset)
        word = binary[offset:end].decode()
        (n,) = struct.unpack_from(">H", binary, end + 1)
        found = struct.unpack_from(f">{n}H", binary, end + 3)
        offset = end + 3 + 2 * n
        at = ",".join(f"{p & 0x3FFF}{'DCBA'[p >> 14] if p >> 14 else ''}" for p in found)
        entries.append(f"{quote(word)}:{at}" if n else quote(word))
    if offset != len(binary):
        raise ValueError("trailing bytes after the last lexeme")
    return " ".join(entries)
