"""Pure text functions behind the store's search: index forms, query building, snippets.

Nothing here touches a database; the storage backends call these and bind the results.

Korean strategy
---------------
SQLite's ``unicode61`` tokenizer splits on spaces and punctuation only, so ``모델이`` is one token
and a search for ``모델`` would miss it. Instead of the raw text we index its *index form*
(:func:`index_form`): the text with Hangul blanked out, then the overlapping character bigrams of
every Hangul run in order (``언어모델이`` -> ``언어 어모 모델 델이``), then the one-syllable runs.
A Korean query word becomes the same bigrams searched as a *phrase*, which matches exactly when
the word occurs as a substring of a Hangul run: particles (``모델이``, ``모델을``) and compounds
(``언어모델``) are found, and recall on the bundled samples is 100%
(``python -m bench.korean_recall``). A one-syllable word becomes a prefix query
(``책`` finds ``책``, ``책을``, ``책이다``; not the syllable ending a longer run, as in ``정책``).
The index form is built with C-level regex calls only, because it runs for every imported
paper; the price is that phrase positions between Korean and Latin words are not kept (a mixed
query is an AND of its Latin phrase and its Korean phrase).

Query language
--------------
User text is never passed to FTS5 as syntax. It is split into words (whitespace) and ``"quoted
phrases"``; every word/phrase is written as FTS5 strings with ``"`` doubled, so ``NOT``, ``OR``,
``NEAR``, ``*``, ``^``, ``:``, parentheses and the like are plain text. All words must match
(implicit AND). The last bare word (2+ characters) is also matched as a prefix (``diffu`` finds
``diffusion``).
Words with nothing the tokenizer would index (emoji, punctuation) are dropped; a query left empty
is reported as such so the store can answer with an empty page without asking SQLite.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from anyascii import anyascii

from storage.models import ARXIV_URL_RE, HF_PAPER_URL_RE, Snippet

#: Hangul syllables block (가..힣): the characters turned into bigrams.
_HANGUL_RUN_RE = re.compile(r"[\uac00-\ud7a3]+")
_HANGUL_BIGRAM_RE = re.compile(r"(?=([\uac00-\ud7a3]{2}))")
_HANGUL_SINGLE_RE = re.compile(r"(?<![\uac00-\ud7a3])[\uac00-\ud7a3](?![\uac00-\ud7a3])")
#: Longest query accepted, in characters; anything longer is cut (10,000 characters of junk must
#: not turn into a 5,000-phrase FTS query).
MAX_QUERY_CHARS = 500
#: At most this many words/phrases are used from one query.
MAX_TERMS = 16
#: A trailing word shorter than this is matched exactly, not as a prefix (``a*`` matches all).
MIN_PREFIX_CHARS = 2
SNIPPET_CHARS = 200
#: Relevance is ranked within windows of this many matches, newest first (see
#: :func:`rank_windows`): the newest ``RANK_WINDOW`` matches of a search ranked by relevance, then
#: the next ``RANK_WINDOW``, and so on. A search with at most this many matches is ranked as a
#: whole; one with more ranks a bounded set for each page instead of every match (ranking 85,000
#: matches of a common word cost 60-130 ms for a page of ten at 100k papers).
RANK_WINDOW = 2000
#: A search counts its matches up to this many: past it, the page's ``total`` is this number
#: and :attr:`storage.models.Page.more` is set ("more than 1,000 results"). Counting 85,000
#: matches of a common word exactly took 3-8 ms on SQLite and 200-400 ms on PostgreSQL (whose
#: full-text index cannot count without reading every matching row) at 100k papers.
COUNT_CAP = 1000


def json_list(items: Iterable[Any]) -> str:
    """``items`` as one JSON array (non-ASCII kept as is): how rows and ids are bound to SQL."""
    return json.dumps(list(items), ensure_ascii=False)


def is_hangul(ch: str) -> bool:
    """True for a precomposed Hangul syllable."""
    return "\uac00" <= ch <= "\ud7a3"


def _is_token_char(ch: str) -> bool:
    """Mirror of FTS5 ``unicode61``'s default token characters (categories L*, N*, Co)."""
    cat = unicodedata.category(ch)
    return cat[0] in "LN" or cat == "Co"


def _bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def index_form(text: str | None) -> str:
    """The text SQLite indexes for ``text``, in three lines.

    1. the text with every Hangul run blanked out (Latin words, numbers...);
    2. the overlapping bigrams of every Hangul run, in text order (``언어모델이`` -> ``언어 어모
       모델 델이``), so a Korean word is a phrase of consecutive bigrams;
    3. the one-syllable Hangul runs (``책``), for one-syllable queries.

    Only C-level regex calls: this runs for every imported paper (see the module docstring).
    """
    if not text:
        return ""
    return (
        f"{_HANGUL_RUN_RE.sub(' ', text)}\n{' '.join(_HANGUL_BIGRAM_RE.findall(text))}\n"
        f"{' '.join(_HANGUL_SINGLE_RE.findall(text))}"
    )


#: A run of token characters, as FTS5's ``unicode61`` splits text (letters, numbers, private use).
_WORD_RE = re.compile(r"(?:[^\W_]|[\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd])+")


def index_words(form: str) -> list[str]:
    """The folded words of an :func:`index_form`, in order: what a backend without ``unicode61``
    (PostgreSQL) indexes, matching the folded :attr:`Term.tokens` of a query."""
    return [_fold_word(word) for word in _WORD_RE.findall(form)]


@functools.lru_cache(maxsize=65536)
def _fold_word(word: str) -> str:
    return word if _HANGUL_WORD_RE.fullmatch(word) else fold(word)


_HANGUL_WORD_RE = re.compile(r"[\uac00-\ud7a3]+")


def fold(text: str) -> str:
    """Case- and diacritic-insensitive form of ``text`` (NFKD, combining marks dropped, casefold).

    ``ß`` becomes ``ss`` through casefolding; Hangul is recomposed so syllables stay syllables.
    """
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped.casefold())


_NAME_DROP_RE = re.compile(r"[.'’‘`´ʼ]")
_NAME_SPLIT_RE = re.compile(r"[^\w]+|_+")


@functools.lru_cache(maxsize=4096)
def _latin_ascii(ch: str) -> str:
    """A Latin letter that decomposition leaves alone, in ASCII (``ł`` -> ``l``, ``ø`` -> ``o``,
    ``æ`` -> ``ae``, ``ı`` -> ``i``, by anyascii); every other character as it is, so names in
    other scripts (Hangul, Han, Greek, ...) keep their own keys and never meet a Latin one."""
    if not unicodedata.name(ch, "").startswith("LATIN "):
        return ch
    return anyascii(ch).lower() or ch


def name_key(name: str) -> str:
    """Normalized author key: folded, Latin letters in ASCII, apostrophes/dots dropped, other
    punctuation as spaces.

    ``Matthias Nießner`` -> ``matthias niessner``; ``O'Brien`` -> ``obrien``; ``Ávila`` ->
    ``avila``; ``Stypułkowski`` -> ``stypulkowski``; ``Øvrelid`` -> ``ovrelid``.
    """
    folded = fold(name)
    if not folded.isascii():
        folded = "".join(map(_latin_ascii, folded))
    folded = _NAME_DROP_RE.sub("", folded)
    return " ".join(part for part in _NAME_SPLIT_RE.split(folded) if part)


def name_terms(key: str) -> tuple[str, ...]:
    """Prefix-searchable terms of a normalized name: the key and every word-suffix of it.

    ``bill yuchen lin`` -> (``bill yuchen lin``, ``yuchen lin``, ``lin``).
    """
    words = key.split()
    return tuple(dict.fromkeys(" ".join(words[i:]) for i in range(len(words))))


_VERSION_RE = re.compile(r"v\d+$")


def ref_candidates(ref: str) -> list[str]:
    """arXiv/HF URL or id -> ids to look up (as given, then without a version suffix)."""
    ref = ref.strip().strip("<>").strip()
    if not ref:
        return []
    m = ARXIV_URL_RE.match(ref) or HF_PAPER_URL_RE.match(ref)
    core = m.group("id") if m else ref
    if core.lower().startswith("arxiv:"):
        core = core[6:].strip()
    out = [core]
    bare = _VERSION_RE.sub("", core)
    if bare != core and bare:
        out.append(bare)
    return out


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


def _quote(tokens: list[str], prefix: bool = False) -> str:
    body = " ".join(tokens).replace('"', '""')
    return f'"{body}"' + (" *" if prefix else "")


def _fts_term(tokens: tuple[str, ...], prefix: bool) -> str:
    """FTS5 text for one word or quoted phrase (tokens as split by :func:`_tokens`).

    Non-Hangul tokens form one phrase (prefix on the last one when asked); the Hangul runs form
    one phrase of their bigrams. One-syllable runs only count when nothing else is there: then
    each is a prefix (``책`` matches the unigram ``책`` and bigrams such as ``책을``).
    """
    latin = [t for t in tokens if not is_hangul(t[0])]
    runs = [t for t in tokens if is_hangul(t[0])]
    parts: list[str] = []
    if latin:
        parts.append(_quote(latin, prefix and not is_hangul(tokens[-1][0])))
    bigrams = [b for run in runs for b in _bigrams(run)]
    if bigrams:
        parts.append(_quote(bigrams))
    elif runs and not latin:
        parts.extend(_quote([run], prefix=True) for run in dict.fromkeys(runs))
    return " ".join(parts)


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
        prefix = (
            i == prefix_index and not is_hangul(toks[-1][0]) and len(toks[-1]) >= MIN_PREFIX_CHARS
        )
        key = (toks, prefix)
        if key in seen:
            continue
        seen.add(key)
        terms.append(Term(word, quoted, prefix, toks, raw_toks))
        if len(terms) >= MAX_TERMS:
            break
    fts = " ".join(_fts_term(t.raw, t.prefix) for t in terms)
    return Query(tuple(terms), fts)


def column_query(query: Query, column: str) -> str:
    """Restrict a parsed query to one FTS5 column (``title : ( ... )``)."""
    return f"{column} : ({query.fts})" if query.fts else ""


def rank_windows(offset: int, limit: int, window: int) -> list[tuple[int, int, int]]:
    """The ranking windows a page of results touches, as ``(window, start, count)``.

    Matches are taken newest first (highest row id first) in windows of ``window``; each window
    is ranked by relevance on its own and the windows follow each other, so results ``offset``
    to ``offset + limit`` are ``count`` results from ``start`` within each window listed (at
    most two, when ``limit <= window``). Every match is on exactly one page.
    """
    if limit <= 0 or window <= 0:
        return []
    out = []
    end = offset + limit
    for w in range(offset // window, (end - 1) // window + 1):
        start = max(offset - w * window, 0)
        out.append((w, start, min(end - w * window, window) - start))
    return out


# --------------------------------------------------------------------------- snippets


@functools.lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    return ch.lower() if ch.isascii() else fold(ch)


#: Characters whose folded form is themselves lowercased, one for one (ASCII and Hangul).
_SIMPLE_OR_OTHER_RE = re.compile(r"([\x00-\x7f\uac00-\ud7a3]+)|.", re.DOTALL)


def _folded_with_map(text: str) -> tuple[str, list[int]]:
    """Fold ``text``, keeping each folded character's source index.

    ASCII and Hangul runs fold by ``lower()`` one for one; other characters one at a time.
    """
    chars: list[str] = []
    index: list[int] = []
    for m in _SIMPLE_OR_OTHER_RE.finditer(text):
        start = m.start()
        if m.group(1) is not None:
            chars.append(m.group(1).lower())
            index.extend(range(start, m.end()))
        else:
            folded = _fold_char(m.group())
            chars.append(folded)
            index.extend([start] * len(folded))
    return "".join(chars), index


#: A non-Hangul word character: Latin words end where Hangul starts (``LLM이`` holds ``LLM``).
_WORD_CHAR = r"[^\W_\uac00-\ud7a3]"


def _term_pattern(term: Term) -> str:
    """Regex over folded text matching one term (token sequence with separators in between).

    A Latin token's word-start check is a lookbehind placed *after* the token (``model`` not
    preceded by a word character), not before it: a pattern that starts with a literal lets
    ``re`` jump from one occurrence of it to the next, about 15x faster over a summary that
    does not contain it (the usual case: most hits match in the title).
    """
    parts: list[str] = []
    for n, tok in enumerate(term.tokens):
        esc = re.escape(tok)
        last = n == len(term.tokens) - 1
        if is_hangul(tok[0]):
            parts.append(esc)  # substring: particles and compounds around it are fine
            continue
        start = rf"(?<!{_WORD_CHAR}{esc})"
        end = rf"{_WORD_CHAR}*" if (last and term.prefix) else rf"(?!{_WORD_CHAR})"
        parts.append(esc + start + end)
    return r"[\W_]*".join(parts)


#: Text made only of characters that fold one for one by ``lower()`` (see :func:`_folded_with_map`).
_SIMPLE_TEXT_RE = re.compile(r"[\x00-\x7f\uac00-\ud7a3]*")


@functools.lru_cache(maxsize=256)
def _terms_regex(terms: tuple[Term, ...]) -> re.Pattern[str]:
    """One compiled pattern for all of a query's terms (a search snippets every hit with it)."""
    return re.compile("|".join(f"(?:{_term_pattern(t)})" for t in terms))


def _spans(text: str, pattern: re.Pattern[str]) -> Iterator[tuple[int, int]]:
    """Non-overlapping (start, end) spans of ``text`` matching ``pattern`` over its folded form,
    found lazily (a snippet stops reading at the end of its window)."""
    last_end = 0
    if text.isascii() or _SIMPLE_TEXT_RE.fullmatch(text):
        # ASCII and Hangul only (most titles and summaries): folding keeps every index.
        for m in pattern.finditer(text.lower()):
            start, end = m.span()
            if end == start or start < last_end:
                continue
            last_end = end
            yield start, end
        return
    folded, index = _folded_with_map(text)
    for m in pattern.finditer(folded):
        if m.end() == m.start():
            continue
        start, end = index[m.start()], index[m.end() - 1] + 1
        if start < last_end:
            continue
        last_end = end
        yield start, end


def find_matches(text: str, terms: tuple[Term, ...]) -> list[tuple[int, int]]:
    """Non-overlapping (start, end) character spans of ``text`` that match any term."""
    if not text or not terms:
        return []
    return list(_spans(text, _terms_regex(terms)))


def _around_match(text: str, pattern: re.Pattern[str], width: int) -> Snippet:
    """About ``width`` characters of ``text`` (whitespace already collapsed) around its first
    match, matches marked; empty when nothing matches."""
    spans = _spans(text, pattern)
    first = next(spans, None)
    if first is None:
        return ()
    first_start = first[0]
    start = max(0, first_start - width // 4)
    if start > 0:
        space = text.rfind(" ", start - 15, first_start)
        if space != -1 and space >= start - 15:
            start = space + 1
    end = min(len(text), start + width)
    # Parts alternate between plain and marked text ("…" joins the plain text after it, two
    # marked spans that touch are one part); spans are sorted and never overlap.
    parts: list[tuple[str, bool]] = []
    plain = "…" if start > 0 else ""
    pos = start
    for s, e in itertools.chain((first,), spans):
        if s >= end:
            break
        if e > end:
            e = end
        if s > pos:
            plain += text[pos:s]
        if plain:
            parts.append((plain, False))
            parts.append((text[s:e], True))
            plain = ""
        elif parts:
            parts[-1] = (parts[-1][0] + text[s:e], True)
        else:
            parts.append((text[s:e], True))
        pos = e
    plain += text[pos:end]
    if end < len(text):
        plain += "…"
    if plain:
        parts.append((plain, False))
    return tuple(parts)


def _head(text: str, width: int) -> Snippet:
    """The start of ``text`` (whitespace already collapsed), ``…`` when cut."""
    if not text:
        return ()
    return ((text[:width] + ("…" if len(text) > width else ""), False),)


def make_snippet(
    text: str, terms: tuple[Term, ...], *, width: int = SNIPPET_CHARS, fallback: bool = True
) -> Snippet:
    """About ``width`` characters of ``text`` around its first match, matches marked.

    Cuts by characters (never inside a UTF-8 sequence), adds ``…`` where text was cut. With no
    match: the start of the text when ``fallback`` is true, else an empty snippet.
    """
    text = " ".join(text.split())
    snippet = _around_match(text, _terms_regex(terms), width) if text and terms else ()
    if snippet or not fallback:
        return snippet
    return _head(text, width)


def hit_snippet(
    summary: Sequence[str], title: str, terms: tuple[Term, ...], *, width: int = SNIPPET_CHARS
) -> Snippet:
    """The snippet of a search hit from its summary bullets and title.

    Around the first match in the summary (bullets joined by spaces), else in the title, else
    the start of the summary (the title when there is no summary). The same as
    :func:`make_snippet` on each in turn, with each text collapsed and searched once.
    """
    joined = " ".join(summary)
    body = " ".join(joined.split())
    squashed_title: str | None = None
    if terms:
        pattern = _terms_regex(terms)
        snippet = _around_match(body, pattern, width) if body else ()
        if snippet:
            return snippet
        squashed_title = " ".join(title.split())
        snippet = _around_match(squashed_title, pattern, width) if squashed_title else ()
        if snippet:
            return snippet
    if joined:
        return _head(body, width)
    return _head(" ".join(title.split()) if squashed_title is None else squashed_title, width)


#: Control characters that have no place in shown or stored text (tab and newline excepted).
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def one_line(text: str) -> str:
    """Typed text as one clean line: control characters (NUL included) dropped, whitespace runs
    folded to single spaces. What every backend stores for an alert's query."""
    return " ".join(CONTROL_RE.sub("", text).split())


def alert_key(kind: str, query: str) -> str:
    """What makes two alerts the same: the folded query, or the author's normalized name."""
    if kind == "author":
        return name_key(query)
    return fold(" ".join(query.split()))
