"""bot.i18n.problems: every coded import problem has its words, built from the problem's data."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.i18n.problems import describe_problem, problem_reason
from storage.ingest.hfapi import parse_daily_papers
from storage.ingest.parser import parse_digest
from storage.models import Problem, ProblemCode

#: How many values each code carries (see ProblemCode's comments).
ARITY = {
    ProblemCode.NOT_UTF8: 1,
    ProblemCode.CANNOT_READ: 1,
    ProblemCode.NO_DIGEST_HEADER: 0,
    ProblemCode.NO_VALID_HEADER_DATE: 0,
    ProblemCode.IMPOSSIBLE_HEADER_DATE: 1,
    ProblemCode.HEADER_DATE_DIFFERS: 2,
    ProblemCode.DUPLICATE_PAPER: 2,
    ProblemCode.HEADING_EMPTY: 1,
    ProblemCode.HEADING_NOT_A_LINK: 1,
    ProblemCode.HEADING_NO_LINK: 1,
    ProblemCode.HEADING_LINK_NOT_CLOSED: 1,
    ProblemCode.HEADING_EMPTY_TITLE: 1,
    ProblemCode.HEADING_EMPTY_LINK: 1,
    ProblemCode.UNREADABLE_VOTE: 1,
    ProblemCode.ITEM_NOT_AN_OBJECT: 0,
    ProblemCode.ITEM_INCOMPLETE: 0,
    ProblemCode.LISTED_AGAIN: 1,
    ProblemCode.NOT_A_LIST: 1,
    ProblemCode.WRONG_DAY: 2,
    ProblemCode.COULD_NOT_STORE: 1,
    ProblemCode.BAD_RECORD: 1,
    ProblemCode.EMPTY_BACKUP: 0,
    ProblemCode.FILE_TOO_LARGE: 2,
    ProblemCode.TOO_MANY_PAPERS: 2,
    ProblemCode.TOO_MANY_PROBLEMS: 1,
    ProblemCode.FUTURE_DAY: 2,
}


@pytest.mark.parametrize("code", list(ProblemCode))
def test_every_code_has_words_that_use_all_its_values(code: ProblemCode) -> None:
    """Each code is worded, and every value it carries appears in the words."""
    values = tuple(f"value{i}" for i in range(ARITY[code]))
    words = problem_reason(Problem("f.md", 3, code, values))
    assert words and code.value not in words
    assert all(value in words for value in values)


def test_parser_problems_read_as_before() -> None:
    """The words of real parser problems are the sentences `papers-bot import` always printed."""
    text = (
        "## Daily Papers (2024-06-13)\n\n"
        "### [A](https://arxiv.org/abs/2406.00001)\n\nVote: lots\n\n- 요약\n\n"
        "### [A again](https://arxiv.org/abs/2406.00001)\n\n- 요약\n\n"
        "### Title without a link\n"
    )
    lines = [describe_problem(p) for p in parse_digest(text, "d.md").problems]
    assert lines == [
        "d.md:5: unreadable vote 'lots'; left unknown",
        "d.md:9: duplicate paper 2406.00001 (first listed at line 3); kept the first",
        "d.md:13: paper heading is not a [title](link): 'Title without a link'",
    ]


def test_api_item_listed_twice_is_coded_and_worded() -> None:
    """A repeated item in an API day is LISTED_AGAIN with its id, worded as before."""
    item = {"paper": {"id": "2406.00001", "title": "T", "authors": []}, "title": "T"}
    digest = parse_daily_papers([item, item], dt.date(2024, 6, 13), source="api")
    [problem] = digest.problems
    assert (problem.line, problem.code, problem.values) == (
        2,
        ProblemCode.LISTED_AGAIN,
        ("2406.00001",),
    )
    assert describe_problem(problem) == "api:2: paper 2406.00001 is listed again"
