"""Full-text search in PostgreSQL with the shared tokeniser of :mod:`storage.text`.

Stock PostgreSQL has no Korean tokeniser, and its ``simple`` configuration keeps ``모델이`` as
one word, so a search for ``모델`` would miss it. PostgreSQL therefore never tokenises here:
the importer turns each paper's index form (:func:`storage.text.index_form`: Latin words,
Hangul bigrams, one-syllable runs) into the words :func:`storage.text.index_words` gives and
sends them as a ``tsvector`` (:func:`document`, in PostgreSQL's binary form), and a search
turns the parsed query's terms into a ``tsquery`` literal from the same words (:func:`tsquery`),
bound as a parameter and ``CAST`` to its type, whose input syntax takes lexemes as they are:
nothing of the user's text is ever read as query syntax (``&|!():*\\`` and quotes are quoted
lexeme data), and nothing is re-split, stemmed or dropped as a stop word.

Document: title words at positions 1..n with weight A, then a gap, then the summary's words with
weight D, so a phrase never runs from the title into the summary (FTS5 columns behave the same).
Query: the same terms as the FTS5 expression of :func:`storage.text.parse_query` (all must
match): a Latin phrase is the ``<->`` phrase of its word pairs (the document holds each two
neighbouring words as one lexeme, :mod:`storage.tsvector`), prefix ``:*`` on a trailing word (or
pair); a Korean word is the ``<->`` phrase of its bigrams; one-syllable Korean words are
prefixes. The title-only form (paper suggestions) restricts every lexeme to weight A.

Why pairs: GIN keeps no word positions, so ``'language' <-> 'models'`` was checked paper by paper
among the newest holding both words until 2,000 matched (29,491 rows read at 100k papers, 3-4x
SQLite's time); ``'language models'`` is one lookup whose matches are exactly the phrase's.

Ranking: ``ts_rank`` with the title weighted 10x the summary (:data:`RANK_WEIGHTS`, ordered
{D, C, B, A}), like SQLite's ``bm25(10.0, 1.0)``; ``ts_rank`` has no inverse document frequency,
so the order among papers matching in the same place can differ from SQLite's. What both
backends promise, and the contract tests check: every match is found (same totals), a title
match ranks above a summary-only match, and ties go to the older row.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from itertools import pairwise

from storage import text as textsearch
from storage.tsvector import MAX_LEXEME_BYTES, document, pair, quote

__all__ = [
    "RANK_WEIGHTS",
    "document",
    "misjudged",
    "rarest_first",
    "term_lexemes",
    "tsquery",
]

#: ``ts_rank`` weights for {D, C, B, A}: summary (D) 0.1, title (A) 1.0.
RANK_WEIGHTS = "{0.1, 0.1, 0.1, 1.0}"


def _lexeme(word: str, *, prefix: bool = False, weight: str = "") -> str:
    flags = ("*" if prefix else "") + weight
    return quote(word) + (f":{flags}" if flags else "")


def _pairs(words: list[str]) -> list[str]:
    """The word pairs of a Latin phrase, which the document holds as lexemes (``"large language
    models"``: ``large language``, ``language models``); none for one word, or when a pair is
    too long to be a lexeme (the document left it out: the phrase of the words instead)."""
    pairs = [pair(a, b) for a, b in pairwise(words)]
    return [] if any(len(p.encode()) > MAX_LEXEME_BYTES for p in pairs) else pairs


def _phrase(words: list[str], *, prefix: bool, weight: str) -> str:
    """One word or lexeme, or the ``<->`` phrase of several, the last one a prefix when the
    last word is."""
    lexemes = [
        _lexeme(w, prefix=prefix and i == len(words) - 1, weight=weight)
        for i, w in enumerate(words)
    ]
    return lexemes[0] if len(lexemes) == 1 else "(" + " <-> ".join(lexemes) + ")"


def _latin(term: textsearch.Term) -> tuple[list[str], bool]:
    """The Latin words of a term, and whether the last is a prefix."""
    latin = [t for t in term.tokens if not textsearch.is_hangul(t[0])]
    return latin, term.prefix and not textsearch.is_hangul(term.tokens[-1][0])


def _groups(term: textsearch.Term) -> list[tuple[list[str], bool]]:
    """A word or quoted phrase as groups of lexemes, each one a phrase (all must match, in a
    row) with whether its last lexeme is a prefix: its Latin phrase (of its word pairs:
    ``"large language models"`` is ``large language``, ``language models``, two lookups in the
    GIN index where the words themselves would hold many more papers), its bigram phrase, or
    each of its one-syllable runs as a prefix (the FTS5 form of
    :func:`storage.text.parse_query`)."""
    latin, prefix = _latin(term)
    runs = [t for t in term.tokens if textsearch.is_hangul(t[0])]
    groups: list[tuple[list[str], bool]] = []
    if latin:
        groups.append((_pairs(latin) or latin, prefix))
    bigrams = [run[i : i + 2] for run in runs for i in range(len(run) - 1)]
    if bigrams:
        groups.append((bigrams, False))
    elif runs and not latin:
        groups.extend(([run], True) for run in dict.fromkeys(runs))
    return groups


def _term(term: textsearch.Term, weight: str) -> str:
    """One word or quoted phrase: the phrases of its groups, all of them."""
    return " & ".join(
        _phrase(words, prefix=prefix, weight=weight) for words, prefix in _groups(term)
    )


def term_lexemes(query: textsearch.Query) -> list[list[tuple[str, bool]]]:
    """Each term's lexemes, each with whether it is looked up as a prefix: a paper the query's
    :func:`tsquery` finds holds, for every term, all of them (see
    :mod:`storage.postgres.search`)."""
    return [
        [
            (word, prefix and i == len(words) - 1)
            for words, prefix in _groups(term)
            for i, word in enumerate(words)
        ]
        for term in query.terms
    ]


def misjudged(query: textsearch.Query) -> bool:
    """Whether the planner misjudges how many papers match the query: it has a phrase of Latin
    words (looked up as word pairs) or a Korean word of three syllables or more (the phrase of
    its bigrams). The planner takes a phrase's lexemes as independent, so it expects far fewer
    matches than there are (``데이터셋`` at 100k papers: 7,179 expected, 30,391 found)."""
    return any(
        _pairs(_latin(term)[0]) or any(len(words) > 1 for words, _ in _groups(term))
        for term in query.terms
    )


def rarest_first(
    query: textsearch.Query, share: Callable[[list[tuple[str, bool]]], float]
) -> textsearch.Query:
    """The query with its terms in the order of ``share`` (the fraction of papers a term's
    lexemes, as :func:`term_lexemes` gives them, are held by), rarest first. PostgreSQL checks
    the terms of ``a & b`` in their order and stops at the first a paper lacks, so a walk over
    the newest papers checks the rare term alone on most of them (``모델 diffusion`` at 100k
    papers: 10.6 ms, ``diffusion 모델`` 7.6). The matches and their rank are the same."""
    lexemes = term_lexemes(query)
    order = sorted(range(len(query.terms)), key=lambda i: share(lexemes[i]))
    return dataclasses.replace(query, terms=tuple(query.terms[i] for i in order))


def tsquery(query: textsearch.Query, *, title_only: bool = False) -> str:
    """The ``tsquery`` literal of a parsed query ("" when nothing is searchable)."""
    if query.is_empty:
        return ""
    weight = "A" if title_only else ""
    return " & ".join(part for part in (_term(t, weight) for t in query.terms) if part)
