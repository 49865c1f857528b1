"""Pure text functions behind the store's search: index forms, query building, snippets.

Nothing here touches SQLite; :mod:`storage.store` calls these and binds the results.

Korean strategy
---------------
SQLite's ``unicode61`` tokenizer splits on spaces and punctuation only, so ``모델이`` is one token
and a search for ``모델`` would miss it. Instead of indexing the raw text we index its *index form*
(:func:`index_form`): every run of Hangul syllables becomes its overlapping character bigrams
(``언어모델이`` -> ``언어 어모 모델 델이``; a lone syllable stays a unigram) and is separated from
neighbouring Latin text (``LLM이`` -> ``LLM 이``). A Korean query word is turned into the same
bigrams and searched as a *phrase*, which matches exactly when the word occurs as a substring of a
Hangul run: particles (``모델이``, ``모델을``) and compounds (``언어모델``) are found, and recall on
the bundled samples is 100% (``python -m bench.korean_recall``). A one-syllable word becomes a
prefix query (``책`` finds ``책``, ``책을``; not the syllable at the end of a longer run).

Query language
--------------
User text is never passed to FTS5 as syntax. It is split into words (whitespace) and ``"quoted
phrases"``; every word/phrase is written as one FTS5 string with ``"`` doubled, so ``NOT``, ``OR``,
``NEAR``, ``*``, ``^``, ``:``, parentheses and the like are plain text. All words must match
(implicit AND). The last bare word is also matched as a prefix (``diffu`` finds ``diffusion``).
Words with nothing the tokenizer would index (emoji, punctuation) are dropped; a query left empty
is reported as such so the store can answer with an empty page without asking SQLite.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from storage.models import Snippet

#: Hangul syllables block (가..힣): the characters turned into bigrams.
_HANGUL_RUN_RE = re.compile(r"[\uac00-\ud7a3]+")
#: Longest query accepted, in characters; anything longer is cut (10,000 characters of junk must
#: not turn into a 5,000-phrase FTS query).
MAX_QUERY_CHARS = 500
#: At most this many words/phrases are used from one query.
MAX_TERMS = 16
SNIPPET_CHARS = 200


def is_hangul(ch: str) -> bool:
    """True for a precomposed Hangul syllable."""
    return "\uac00" <= ch <= "\ud7a3"


def _is_token_char(ch: str) -> bool:
    """Mirror of FTS5 ``unicode61``'s default token characters (categories L*, N*, Co)."""
    cat = unicodedata.category(ch)
    return cat[0] in "LN" or cat == "Co"


def _hangul_bigrams(run: str) -> str:
    if len(run) == 1:
        return run
    return " ".join(run[i : i + 2] for i in range(len(run) - 1))


def index_form(text: str | None) -> str:
    """The text SQLite indexes: Hangul runs replaced by their bigrams, set apart by spaces."""
    if not text:
        return ""
    return _HANGUL_RUN_RE.sub(lambda m: " " + _hangul_bigrams(m.group()) + " ", text)


def fold(text: str) -> str:
    """Case- and diacritic-insensitive form of ``text`` (NFKD, combining marks dropped, casefold).

    ``ß`` becomes ``ss`` through casefolding; Hangul is recomposed so syllables stay syllables.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped.casefold())


_NAME_DROP_RE = re.compile(r"[.'’‘`´ʼ]")
_NAME_SPLIT_RE = re.compile(r"[^\w]+|_+")


def name_key(name: str) -> str:
    """Normalized author key: folded, apostrophes/dots dropped, other punctuation as spaces.

    ``Matthias Nießner`` -> ``matthias niessner``; ``O'Brien`` -> ``obrien``; ``Ávila`` ->
    ``avila``.
    """
    folded = _NAME_DROP_RE.sub("", fold(name))
    return " ".join(part for part in _NAME_SPLIT_RE.split(folded) if part)


def name_terms(key: str) -> tuple[str, ...]:
    """Prefix-searchable terms of a normalized name: the key and every word-suffix of it.

    ``bill yuchen lin`` -> (``bill yuchen lin``, ``yuchen lin``, ``lin``).
    """
    words = key.split()
    return tuple(dict.fromkeys(" ".join(words[i:]) for i in range(len(words))))


def prefix_upper_bound(prefix: str) -> str:
    """Smallest string greater than every string starting with ``prefix`` (for range scans)."""
    return prefix + "\U0010ffff"


# --------------------------------------------------------------------------- queries


@dataclass(frozen=True, slots=True)
class Term:
    """One word or quoted phrase of a query, as typed (``text``) and as tokens for matching."""

    text: str
    phrase: bool  # came from "quotes"
    prefix: bool  # last token matched as a prefix
    tokens: tuple[str, ...]  # folded tokens, for highlighting
    raw: tuple[str, ...]  # tokens as typed, for FTS5 (its tokenizer folds them itself)


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed user query: the FTS5 expression to bind and the terms for highlighting."""

    terms: tuple[Term, ...]
    fts: str  # "" when nothing searchable remains

    @property
    def is_empty(self) -> bool:
        return not self.fts


def _tokens(text: str) -> tuple[str, ...]:
    """Tokens of ``text`` split the way ``unicode61`` would (Hangul kept as whole runs)."""
    out: list[str] = []
    current: list[str] = []
    prev_hangul: bool | None = None
    for ch in text:
        if _is_token_char(ch):
            h = is_hangul(ch)
            if current and prev_hangul is not None and h != prev_hangul:
                out.append("".join(current))
                current = []
            current.append(ch)
            prev_hangul = h
        elif current:
            out.append("".join(current))
            current = []
            prev_hangul = None
    if current:
        out.append("".join(current))
    return tuple(out)


def _fts_string(tokens: tuple[str, ...], prefix: bool) -> str:
    """One FTS5 string for a run of tokens; Hangul tokens become bigram runs."""
    pieces: list[str] = []
    for tok in tokens:
        pieces.append(_hangul_bigrams(tok) if is_hangul(tok[0]) else tok)
    body = " ".join(pieces).replace('"', '""')
    last = tokens[-1]
    star = prefix or (is_hangul(last[0]) and len(last) == 1)
    return f'"{body}"' + (" *" if star else "")


_QUOTED_RE = re.compile(r'"([^"]*)"?')


def parse_query(text: str | None) -> Query:
    """Turn any user text into a safe FTS5 expression plus highlightable terms. Never raises."""
    if not text:
        return Query((), "")
    text = text[:MAX_QUERY_CHARS]
    raw: list[tuple[str, bool]] = []
    pos = 0
    for m in _QUOTED_RE.finditer(text):
        raw.extend((w, False) for w in text[pos : m.start()].split())
        raw.append((m.group(1), True))
        pos = m.end()
    raw.extend((w, False) for w in text[pos:].split())
    # The last bare word is a prefix unless the user ended with a space or a quote.
    prefix_index = -1
    if raw and not raw[-1][1] and text[-1:] and not text[-1].isspace():
        prefix_index = len(raw) - 1

    terms: list[Term] = []
    seen: set[tuple[tuple[str, ...], bool]] = set()
    for i, (word, quoted) in enumerate(raw):
        raw_toks = _tokens(word)
        if not raw_toks:
            continue
        toks = tuple(fold(t) for t in raw_toks)
        prefix = i == prefix_index and not is_hangul(toks[-1][0])
        key = (toks, prefix)
        if key in seen:
            continue
        seen.add(key)
        terms.append(Term(word, quoted, prefix, toks, raw_toks))
        if len(terms) >= MAX_TERMS:
            break
    fts = " ".join(_fts_string(t.raw, t.prefix) for t in terms)
    return Query(tuple(terms), fts)


def column_query(query: Query, column: str) -> str:
    """Restrict a parsed query to one FTS5 column (``title : ( ... )``)."""
    return f"{column} : ({query.fts})" if query.fts else ""


# --------------------------------------------------------------------------- snippets


@functools.lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    return ch.lower() if ch.isascii() else fold(ch)


def _folded_with_map(text: str) -> tuple[str, list[int]]:
    """Fold ``text`` character by character, keeping each folded char's source index."""
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        for c in _fold_char(ch):
            chars.append(c)
            index.append(i)
    return "".join(chars), index


#: A non-Hangul word character: Latin words end where Hangul starts (``LLM이`` holds ``LLM``).
_WORD_CHAR = r"[^\W_\uac00-\ud7a3]"


def _term_pattern(term: Term) -> str:
    """Regex over folded text matching one term (token sequence with separators in between)."""
    parts: list[str] = []
    for n, tok in enumerate(term.tokens):
        esc = re.escape(tok)
        last = n == len(term.tokens) - 1
        if is_hangul(tok[0]):
            parts.append(esc)  # substring: particles and compounds around it are fine
            continue
        start = rf"(?<!{_WORD_CHAR})"
        end = rf"{_WORD_CHAR}*" if (last and term.prefix) else rf"(?!{_WORD_CHAR})"
        parts.append(start + esc + end)
    return r"[\W_]*".join(parts)


def find_matches(text: str, terms: tuple[Term, ...]) -> list[tuple[int, int]]:
    """Non-overlapping (start, end) character spans of ``text`` that match any term."""
    if not text or not terms:
        return []
    folded, index = _folded_with_map(text)
    pattern = re.compile("|".join(f"(?:{_term_pattern(t)})" for t in terms))
    spans: list[tuple[int, int]] = []
    for m in pattern.finditer(folded):
        if m.end() == m.start():
            continue
        start, end = index[m.start()], index[m.end() - 1] + 1
        if spans and start < spans[-1][1]:
            continue
        spans.append((start, end))
    return spans


def make_snippet(
    text: str, terms: tuple[Term, ...], *, width: int = SNIPPET_CHARS, fallback: bool = True
) -> Snippet:
    """About ``width`` characters of ``text`` around its first match, matches marked.

    Cuts by characters (never inside a UTF-8 sequence), adds ``…`` where text was cut. With no
    match: the start of the text when ``fallback`` is true, else an empty snippet.
    """
    text = " ".join(text.split())
    spans = find_matches(text, terms)
    if not spans:
        if not fallback or not text:
            return ()
        cut = text[:width]
        return ((cut + ("…" if len(text) > width else ""), False),)
    first_start = spans[0][0]
    start = max(0, first_start - width // 4)
    if start > 0:
        space = text.rfind(" ", start - 15, first_start)
        if space != -1 and space >= start - 15:
            start = space + 1
    end = min(len(text), start + width)
    parts: list[tuple[str, bool]] = []
    if start > 0:
        parts.append(("…", False))
    pos = start
    for s, e in spans:
        if s >= end:
            break
        s, e = max(s, pos), min(e, end)
        if s > pos:
            parts.append((text[pos:s], False))
        if e > s:
            parts.append((text[s:e], True))
        pos = max(pos, e)
    if pos < end:
        parts.append((text[pos:end], False))
    if end < len(text):
        parts.append(("…", False))
    merged: list[tuple[str, bool]] = []
    for part in parts:
        if merged and merged[-1][1] == part[1]:
            merged[-1] = (merged[-1][0] + part[0], part[1])
        else:
            merged.append(part)
    return tuple(merged)
