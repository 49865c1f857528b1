"""Papers like a paper, from the store alone: the scoring both backends share (no SQL here).

A paper's *key terms* are the words of its title, keywords and summary as the full-text index
holds them (:func:`storage.text.index_form`: Latin words folded, Hangul runs as two-syllable
pairs), weighted TF-IDF: how often the paper uses the word (a title word counts
:data:`TITLE_WEIGHT` times, a keyword :data:`KEYWORD_WEIGHT` times) times ``log(N / df)``, ``df``
being the number of papers whose index holds it. A backend reads the document frequencies
(:func:`candidate_terms` says which) and the papers holding the :data:`KEY_TERMS` strongest terms
(only terms that at most :func:`df_cap` papers hold: a word that a fiftieth of the archive uses
says little), plus the papers of the paper's authors; :func:`score` ranks them: the weights of
the key terms a candidate shares, plus for each shared author the inverse frequency of that
author (a prolific author links less). The backend then reads the best candidates in full and
:func:`finish` adds "the same day" and puts the reasons together. :func:`similar_to` is that
whole flow over a backend's :class:`Source` (its reads, nothing else).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from storage import text as textsearch
from storage.models import Paper, SimilarPaper, SimilarReason
from storage.prepare import summary_and_keywords

#: How many times a word of the title, and of the keywords, counts against one of the summary.
TITLE_WEIGHT = 3.0
KEYWORD_WEIGHT = 2.0
#: A Hangul pair is a piece of a word: it weighs this much of a Latin word.
HANGUL_WEIGHT = 0.5
#: Most terms whose document frequency is read, and most terms matched.
CANDIDATE_TERMS = 40
KEY_TERMS = 12
#: Candidates read in full to choose the answer from (a multiple of the answer's size).
READ_FACTOR = 3
#: Most papers read per shared author, and in all through authors.
AUTHOR_PAPERS = 2000
#: Shared terms shown per paper.
SHOWN_TERMS = 4
#: The same day adds this fraction of the strongest term's weight.
SAME_DAY_BONUS = 0.25

#: Words too common in titles and abstracts to say anything (beside the index's own df).
STOPWORDS = frozenset(
    """a an and are as at be by can do for from has have how in into is it its of on or our
    than that the their them these this those to via was we what when which while who why will
    with without you your using use used based new towards toward not more less most than also
    all any both each such only other over under between through across about after before
    paper papers approach approaches method methods results result show shows propose proposed
    work study model models data large via one two three first via up out they there here its
    being been were may might can could should would""".split()
)


def _words(text: str) -> list[str]:
    """The index's words of ``text`` worth matching: Latin words of 3+ characters that are not
    numbers or stop words, and Hangul pairs (the single syllables of the index are left out)."""
    out = []
    for word in textsearch.index_words(textsearch.index_form(text)):
        if textsearch.is_hangul(word[0]):
            if len(word) == 2:
                out.append(word)
        elif len(word) >= 3 and not word.isdigit() and word not in STOPWORDS:
            out.append(word)
    return out


def term_frequencies(paper: Paper) -> dict[str, float]:
    """Each indexed word of the paper with its weighted count (title and keywords count more,
    Hangul pairs less)."""
    counts: defaultdict[str, float] = defaultdict(float)
    for word in _words(paper.title):
        counts[word] += TITLE_WEIGHT
    for word in _words(summary_and_keywords([], paper.keywords)):
        counts[word] += KEYWORD_WEIGHT
    for word in _words(summary_and_keywords([b.text for b in paper.summary], [])):
        counts[word] += 1.0
    return {
        word: count * (HANGUL_WEIGHT if textsearch.is_hangul(word[0]) else 1.0)
        for word, count in counts.items()
    }


def candidate_terms(tf: Mapping[str, float]) -> list[str]:
    """The terms whose document frequency a backend reads: the most used first."""
    return sorted(tf, key=lambda w: (-tf[w], w))[:CANDIDATE_TERMS]


#: The most papers a key term may be held by, however large the archive: a term in more
#: papers than this links weakly, and counting and reading its papers is the work (at a million
#: papers, a fiftieth of them cost PostgreSQL 2.4 s p99 in ``bench_bot``). From 100,000 papers
#: up, where a fiftieth reaches it.
DF_CAP_MAX = 2000


def df_cap(total: int) -> int:
    """Terms held by more papers than this are not matched (their postings are long and
    their weight small): a fiftieth of the archive, at least 50 and at most
    :data:`DF_CAP_MAX`."""
    return max(50, min(total // 50, DF_CAP_MAX))


def key_terms(tf: Mapping[str, float], df: Mapping[str, int], total: int) -> dict[str, float]:
    """The :data:`KEY_TERMS` strongest terms (TF-IDF) that other papers hold (``df`` >= 2, the
    paper itself being one) and at most :func:`df_cap` do."""
    cap = df_cap(total)
    weights = {
        term: tf[term] * math.log((total + 1) / (count + 1))
        for term, count in df.items()
        if term in tf and 2 <= count <= cap
    }
    best = sorted(weights, key=lambda t: (-weights[t], t))[:KEY_TERMS]
    return {term: weights[term] for term in best}


def author_weight(paper_count: int, total: int) -> float:
    """What sharing an author with ``paper_count`` papers adds: rarer authors link more."""
    return math.log((total + 1) / (max(1, paper_count) + 1)) + 1.0


@dataclass(frozen=True, slots=True)
class Candidate:
    """A paper's row id, its score and what it shares (terms by weight, authors' row ids)."""

    paper_id: int
    score: float
    terms: tuple[str, ...]
    authors: tuple[int, ...]


def score(
    paper_id: int,
    weights: Mapping[str, float],
    postings: Mapping[str, Iterable[int]],
    author_papers: Mapping[int, Iterable[int]],
    author_weights: Mapping[int, float],
    *,
    limit: int,
) -> list[Candidate]:
    """The ``limit`` best candidates (never the paper itself), best first, ties by row id."""
    scores: dict[int, float] = {}
    shared_terms: dict[int, list[str]] = {}
    shared_authors: dict[int, list[int]] = {}
    for term in sorted(weights, key=lambda t: -weights[t]):
        for other in postings.get(term, ()):
            if other != paper_id:
                scores[other] = scores.get(other, 0.0) + weights[term]
                shared_terms.setdefault(other, []).append(term)
    for author, papers in author_papers.items():
        for other in set(papers):
            if other != paper_id:
                scores[other] = scores.get(other, 0.0) + author_weights.get(author, 1.0)
                shared_authors.setdefault(other, []).append(author)
    best = sorted(scores, key=lambda p: (-scores[p], p))[:limit]
    return [
        Candidate(p, scores[p], tuple(shared_terms.get(p, ())), tuple(shared_authors.get(p, ())))
        for p in best
    ]


def _shared_authors(paper: Paper, other: Paper) -> tuple[str, ...]:
    mine = {textsearch.name_key(name) for name in paper.authors}
    return tuple(name for name in other.authors if textsearch.name_key(name) in mine)


def finish(
    paper: Paper,
    candidates: Sequence[Candidate],
    papers: Mapping[int, Paper],
    weights: Mapping[str, float],
    *,
    limit: int,
) -> tuple[SimilarPaper, ...]:
    """The answer: candidates with the same-day bonus, reasons and what they share, best first
    (``papers``: the candidates read in full, by row id)."""
    my_days = {a.date for a in paper.days}
    bonus = SAME_DAY_BONUS * max(weights.values(), default=1.0)
    found: list[SimilarPaper] = []
    for cand in candidates:
        other = papers.get(cand.paper_id)
        if other is None:
            continue
        reasons: list[SimilarReason] = []
        latin = tuple(t for t in cand.terms if not textsearch.is_hangul(t[0]))[:SHOWN_TERMS]
        if latin:
            reasons.append(SimilarReason.TERMS)
        elif cand.terms:
            reasons.append(SimilarReason.SUMMARY)
        authors = _shared_authors(paper, other) if cand.authors else ()
        if authors:
            reasons.append(SimilarReason.AUTHORS)
        day = next((a.date for a in other.days if a.date in my_days), None)
        total = cand.score
        if day is not None:
            reasons.append(SimilarReason.SAME_DAY)
            total += bonus
        found.append(SimilarPaper(other, total, tuple(reasons), latin, authors, day))
    found.sort(key=lambda s: -s.score)
    return tuple(found[:limit])


class Source(Protocol):
    """What a backend reads for :func:`similar_to`, each in one statement."""

    async def paper_total(self) -> int:
        """How many papers there are (an estimate will do for a large archive)."""
        ...

    async def document_frequencies(self, terms: Sequence[str], total: int) -> dict[str, int]:
        """How many papers hold each term, counted up to one past :func:`df_cap` ``(total)``
        (a term held by no paper may be left out)."""
        ...

    async def postings(self, terms: Sequence[str]) -> dict[str, list[int]]:
        """The row ids of the papers holding each term."""
        ...

    async def authors_of(self, paper_id: int) -> list[tuple[int, int]]:
        """The paper's authors: ``(author row id, paper count)``."""
        ...

    async def author_papers(self, author_ids: Sequence[int]) -> dict[int, list[int]]:
        """Per author, row ids of their papers (at most :data:`AUTHOR_PAPERS` in all)."""
        ...

    async def papers_by_id(self, ids: Sequence[int]) -> dict[int, Paper]:
        """The papers of these row ids, in full."""
        ...


async def similar_to(
    source: Source, paper_id: int, paper: Paper, *, limit: int
) -> tuple[SimilarPaper, ...]:
    """The ``limit`` papers most like ``paper`` (row id ``paper_id``), from ``source``."""
    total = await source.paper_total()
    tf = term_frequencies(paper)
    df = await source.document_frequencies(candidate_terms(tf), total)
    weights = key_terms(tf, df, total)
    postings = await source.postings(list(weights)) if weights else {}
    authors = await source.authors_of(paper_id)
    author_papers = await source.author_papers([a for a, _ in authors]) if authors else {}
    author_weights = {a: author_weight(count, total) for a, count in authors}
    best = score(
        paper_id, weights, postings, author_papers, author_weights, limit=limit * READ_FACTOR
    )
    read = await source.papers_by_id([candidate.paper_id for candidate in best])
    return finish(paper, best, read, weights, limit=limit)
