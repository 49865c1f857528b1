"""storage.text: index forms, query escaping, name keys and snippets (pure functions)."""

from __future__ import annotations

import re
import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.text import (
    MAX_QUERY_CHARS,
    SNIPPET_CHARS,
    find_matches,
    fold,
    hit_snippet,
    index_form,
    make_snippet,
    name_key,
    name_terms,
    parse_query,
    rank_windows,
)


@pytest.fixture(scope="module")
def fts() -> sqlite3.Connection:
    """An in-memory FTS5 table like the store's, for checking generated MATCH strings."""
    conn = sqlite3.connect(":memory:")
    conn.execute(
        "CREATE VIRTUAL TABLE t USING fts5(title, summary, content='', "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    texts = [
        ("Diffusion Models", "이 모델은 언어모델이다. LLM이 좋다."),
        ("Robots", "정책을 학습한다. 책을 읽는다."),
    ]
    conn.executemany(
        "INSERT INTO t(rowid, title, summary) VALUES (?, ?, ?)",
        [(i, index_form(a), index_form(b)) for i, (a, b) in enumerate(texts, start=1)],
    )
    return conn


def matches(conn: sqlite3.Connection, query: str) -> list[int]:
    parsed = parse_query(query)
    if parsed.is_empty:
        return []
    return [r[0] for r in conn.execute("SELECT rowid FROM t WHERE t MATCH ?", (parsed.fts,))]


def test_index_form_bigrams() -> None:
    """Hangul runs become overlapping bigrams in order; Latin text stays on its own line."""
    form = index_form("LLM이 언어모델을 책")
    latin, bigrams, singles = form.split("\n")
    assert latin.split() == ["LLM"]
    assert bigrams.split() == ["언어", "어모", "모델", "델을"]
    assert singles.split() == ["이", "책"]


def test_index_form_empty() -> None:
    """No text indexes as nothing."""
    assert index_form("") == "" and index_form(None) == ""


def test_korean_word_is_bigram_phrase() -> None:
    """A Korean word becomes one quoted phrase of its bigrams."""
    assert parse_query("언어모델").fts == '"언어 어모 모델"'


def test_one_syllable_is_prefix() -> None:
    """A one-syllable Korean word is a prefix query."""
    assert parse_query("책").fts == '"책" *'


def test_trailing_word_is_prefix() -> None:
    """Only the last bare word gets a prefix star; a trailing space turns it off."""
    assert parse_query("video gen").fts == '"video" "gen" *'
    assert parse_query("video gen ").fts == '"video" "gen"'
    assert parse_query("video a").fts == '"video" "a"'


def test_quoted_phrase_kept_together() -> None:
    """A quoted phrase is one FTS phrase, never a prefix."""
    assert parse_query('"language models"').fts == '"language models"'


def test_operators_are_plain_words() -> None:
    """FTS5 operators and syntax characters are quoted as text, not obeyed."""
    fts = parse_query("NOT x OR y AND NEAR(z) col:w ^v -u *").fts
    assert fts == '"NOT" "x" "OR" "y" "AND" "NEAR z" "col w" "v" "u"'


def test_quote_inside_word_is_doubled() -> None:
    """Quotes inside a word cannot close the FTS string."""
    parsed = parse_query('a"b')
    assert all(part.count('"') % 2 == 0 for part in parsed.fts.split())


def test_punctuation_only_is_empty() -> None:
    """Nothing indexable in the query means an empty query."""
    for q in ("", "   ", "!!!", "🙂", '""', "*", "()"):
        assert parse_query(q).is_empty


def test_long_query_is_bounded() -> None:
    """A huge query is cut to a bounded number of characters and terms."""
    parsed = parse_query("word " * 5000)
    assert len(parsed.terms) == 1
    parsed = parse_query(" ".join(f"w{i}" for i in range(5000)))
    assert len(parsed.terms) <= 16
    assert sum(len(t.text) + 1 for t in parsed.terms) <= MAX_QUERY_CHARS


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("모델", [1]),  # 모델은, 언어모델이다
        ("언어모델", [1]),
        ("LLM이", [1]),
        ("책", [2]),  # 책을
        ("학습", [2]),  # 학습한다
        ("diffu", [1]),
        ("diffusion 모델", [1]),
        ("로봇", []),
    ],
)
def test_queries_match_index(fts: sqlite3.Connection, query: str, expected: list[int]) -> None:
    """Generated MATCH strings find the rows a person would expect."""
    assert matches(fts, query) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_is_valid_fts(text: str) -> None:
    """Whatever is typed, the generated expression is valid FTS5 syntax."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(title, summary)")
    parsed = parse_query(text)
    if not parsed.is_empty:
        conn.execute("SELECT rowid FROM t WHERE t MATCH ?", (parsed.fts,)).fetchall()


def test_fold() -> None:
    """fold removes case and diacritics and expands ß."""
    assert fold("Nießner Ávila ÉCOLE") == "niessner avila ecole"
    assert fold("모델") == "모델"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Matthias Nießner", "matthias niessner"),
        ("José Ávila", "jose avila"),
        ("O'Brien", "obrien"),
        ("  Jean-Pierre   Dupont ", "jean pierre dupont"),
        ("J. R. R. Tolkien", "j r r tolkien"),
        ("김민수", "김민수"),
        ("Dawid Stypułkowski", "dawid stypulkowski"),
        ("Thunø", "thuno"),
        ("Øvrelid", "ovrelid"),
        ("Đorđević", "dordevic"),
        ("Æbeltoft", "aebeltoft"),
        ("Yıldız", "yildiz"),
        ("李明", "李明"),
    ],
)
def test_name_key(name: str, key: str) -> None:
    """Author keys ignore case, diacritics, apostrophes, dots and spacing, and spell in ASCII
    the Latin letters decomposition leaves alone; other scripts keep their letters."""
    assert name_key(name) == key


def test_name_terms_are_word_suffixes() -> None:
    """A name is searchable from the start of any of its words."""
    assert name_terms("bill yuchen lin") == ("bill yuchen lin", "yuchen lin", "lin")


def test_snippet_marks_match_and_keeps_text() -> None:
    """The snippet marks the matched word and reproduces the original characters."""
    text = "이 논문은 새로운 언어모델을 제안합니다."
    snippet = make_snippet(text, parse_query("모델").terms)
    assert "".join(part for part, _ in snippet) == text
    assert [part for part, hit in snippet if hit] == ["모델"]


def test_snippet_case_and_diacritics() -> None:
    """Matching in snippets ignores case and accents but shows the original spelling."""
    snippet = make_snippet("Work by Ávila on DIFFUSION.", parse_query("avila diffusion ").terms)
    assert [part for part, hit in snippet if hit] == ["Ávila", "DIFFUSION"]


def test_snippet_prefix_highlights_whole_word() -> None:
    """A prefix term highlights the whole word it matched."""
    snippet = make_snippet("video generation", parse_query("gen").terms)
    assert [part for part, hit in snippet if hit] == ["generation"]


def test_snippet_english_stops_at_korean() -> None:
    """An English word followed by a Korean particle is still a whole-word match."""
    snippet = make_snippet("LLM이 좋다", parse_query("llm ").terms)
    assert [part for part, hit in snippet if hit] == ["LLM"]


def test_snippet_window_around_first_match() -> None:
    """A long text is cut to about SNIPPET_CHARS characters around the first match."""
    text = "가" * 1000 + " 모델 " + "나" * 1000
    snippet = make_snippet(text, parse_query("모델").terms)
    joined = "".join(part for part, _ in snippet)
    assert "모델" in joined
    assert len(joined) <= SNIPPET_CHARS + 2
    assert joined.startswith("…") and joined.endswith("…")


def test_snippet_without_match() -> None:
    """No match: the start of the text (or nothing when fallback is off)."""
    assert make_snippet("abc def", parse_query("zzz").terms) == (("abc def", False),)
    assert make_snippet("abc def", parse_query("zzz").terms, fallback=False) == ()


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("abc AB-.모델이가ÁéßĳK")), max_size=40),
    st.sampled_from(["ab", "a", "모델", "abc ", "b-a", "ss", "ij", "k"]),
)
def test_find_matches_fast_path_agrees_with_general_fold(text: str, query: str) -> None:
    """ASCII/Hangul-only text (fast path) gives the spans the character-by-character fold gives."""
    terms = parse_query(query).terms
    simple = text.encode("ascii", "ignore").decode() + "".join(
        ch for ch in text if "\uac00" <= ch <= "\ud7a3"
    )
    # The same simple text with one non-ASCII, non-Hangul character appended takes the general
    # path; its spans inside the simple part must be the same.
    general = [s for s in find_matches(simple + " é", terms) if s[1] <= len(simple)]
    assert find_matches(simple, terms) == general


def _reference_spans(text: str, query: str) -> list[tuple[int, int]]:
    """Spans found the plain way: lowercase, then each term's tokens as whole words (Latin) or
    substrings (Hangul), the word-start check written before the token."""
    word = r"[^\W_\uac00-\ud7a3]"
    alternatives = []
    for term in parse_query(query).terms:
        parts = []
        for n, tok in enumerate(term.tokens):
            if "\uac00" <= tok[0] <= "\ud7a3":
                parts.append(re.escape(tok))
                continue
            last = n == len(term.tokens) - 1
            end = f"{word}*" if last and term.prefix else f"(?!{word})"
            parts.append(f"(?<!{word}){re.escape(tok)}{end}")
        alternatives.append(r"[\W_]*".join(parts))
    spans: list[tuple[int, int]] = []
    for m in re.finditer("|".join(f"(?:{a})" for a in alternatives), text.lower()):
        if m.end() > m.start() and not (spans and m.start() < spans[-1][1]):
            spans.append(m.span())
    return spans


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("abc AB-_.1모델이가")), max_size=60),
    st.sampled_from(["ab", "a", "모델", "abc ", "b-a", "a1", '"ab c"', "ab 모델", "c_a"]),
)
def test_find_matches_same_as_reference(text: str, query: str) -> None:
    """The compiled term pattern (word-start check after the token, for speed) finds exactly
    the spans of the plain formulation."""
    assert find_matches(text, parse_query(query).terms) == _reference_spans(text, query)


def _snippet_in_turn(summary: list[str], title: str, query: str) -> tuple:
    """What a search hit's snippet is defined as: make_snippet on the summary, the title, then
    the start of the summary (or title)."""
    terms = parse_query(query).terms
    body = " ".join(summary)
    return (
        make_snippet(body, terms, fallback=False)
        or make_snippet(title, terms, fallback=False)
        or make_snippet(body or title, terms)
    )


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.text(alphabet=st.sampled_from(list("ab \n모델é")), max_size=300), max_size=3),
    st.text(alphabet=st.sampled_from(list("ab 모델é")), max_size=40),
    st.sampled_from(["ab", "모델", "b", "zz", "é"]),
)
def test_hit_snippet_same_as_snippets_in_turn(summary: list[str], title: str, query: str) -> None:
    """hit_snippet (each text collapsed and searched once) gives what make_snippet on the
    summary, then the title, then the fallback gives."""
    expected = _snippet_in_turn(summary, title, query)
    assert hit_snippet(summary, title, parse_query(query).terms) == expected


def test_hit_snippet_prefers_summary_then_title() -> None:
    """A match in the summary wins; else the title's match; else the start of the summary."""
    terms = parse_query("model ").terms
    assert hit_snippet(["a model here"], "model title", terms) == (
        ("a ", False),
        ("model", True),
        (" here", False),
    )
    assert hit_snippet(["nothing"], "the model", terms) == (("the ", False), ("model", True))
    assert hit_snippet(["nothing  here"], "none", terms) == (("nothing here", False),)
    assert hit_snippet([], "  none ", terms) == (("none", False),)


def test_snippet_window_stops_at_its_end() -> None:
    """Matches past the snippet window are not marked and the cut is shown with an ellipsis."""
    text = "model " + "x" * 300 + " model"
    snippet = make_snippet(text, parse_query("model ").terms)
    assert snippet[0] == ("model", True)
    assert [part for part, hit in snippet if hit] == ["model"]
    assert snippet[-1][0].endswith("…")


def test_snippet_cuts_a_match_at_the_window_end() -> None:
    """A match that runs past the end of the window is marked only up to the cut."""
    snippet = make_snippet("model abcdefghijklm modelling", parse_query("model").terms, width=22)
    assert snippet == (("model", True), (" abcdefghijklm ", False), ("mo", True), ("…", False))


def test_rank_windows_of_a_page() -> None:
    """A page inside one ranking window touches it alone; one across a boundary both."""
    assert rank_windows(0, 10, 2000) == [(0, 0, 10)]
    assert rank_windows(1995, 10, 2000) == [(0, 1995, 5), (1, 0, 5)]
    assert rank_windows(4000, 5, 2000) == [(2, 0, 5)]
    assert rank_windows(0, 0, 2000) == []


@given(st.integers(0, 10_000), st.integers(1, 300), st.integers(1, 500))
def test_rank_windows_cover_the_page_once(offset: int, limit: int, window: int) -> None:
    """The windows' slices, in order, are exactly results ``offset`` to ``offset + limit``."""
    covered = [
        w * window + i
        for w, start, count in rank_windows(offset, limit, window)
        for i in range(start, start + count)
    ]
    assert covered == list(range(offset, offset + limit))
