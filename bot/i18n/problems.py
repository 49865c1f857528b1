"""The words for an imported file's problems (:class:`storage.models.Problem`): one line each,
``file:line: reason``, as ``papers-bot import`` and ``papers-bot fetch`` print them."""

from __future__ import annotations

from typing import Final

from storage.models import Problem, ProblemCode

#: The reason for each code; ``{0}``, ``{1}`` are the problem's values (see ProblemCode).
_REASONS: Final[dict[ProblemCode, str]] = {
    ProblemCode.NOT_UTF8: "not UTF-8 text (byte 0x{0})",
    ProblemCode.CANNOT_READ: "cannot read: {0}",
    ProblemCode.NO_DIGEST_HEADER: "not a digest: no '## Daily Papers (YYYY-MM-DD)' header",
    ProblemCode.NO_VALID_HEADER_DATE: "not a digest: the digest header has an impossible date",
    ProblemCode.IMPOSSIBLE_HEADER_DATE: "digest header has an impossible date: {0!r}",
    ProblemCode.HEADER_DATE_DIFFERS: (
        "digest header date {0} differs from the first header's {1}; its papers are listed "
        "under {1}"
    ),
    ProblemCode.DUPLICATE_PAPER: "duplicate paper {0} (first listed at line {1}); kept the first",
    ProblemCode.HEADING_EMPTY: "paper heading is empty: {0!r}",
    ProblemCode.HEADING_NOT_A_LINK: "paper heading is not a [title](link): {0!r}",
    ProblemCode.HEADING_NO_LINK: "paper heading has no link: {0!r}",
    ProblemCode.HEADING_LINK_NOT_CLOSED: "paper heading's link is not closed: {0!r}",
    ProblemCode.HEADING_EMPTY_TITLE: "paper heading has an empty title: {0!r}",
    ProblemCode.HEADING_EMPTY_LINK: "paper heading has an empty link: {0!r}",
    ProblemCode.UNREADABLE_VOTE: "unreadable vote {0!r}; left unknown",
    ProblemCode.ITEM_NOT_AN_OBJECT: "item is not an object",
    ProblemCode.ITEM_INCOMPLETE: "item has no paper id or title",
    ProblemCode.LISTED_AGAIN: "paper {0} is listed again",
    ProblemCode.NOT_A_LIST: "expected a JSON list, got {0}",
    ProblemCode.WRONG_DAY: "the digest is for {0}, not {1}",
    ProblemCode.COULD_NOT_STORE: "could not store: {0}",
    ProblemCode.BAD_RECORD: "not a record of an export ({0}); skipped",
    ProblemCode.EMPTY_BACKUP: "no paper and no day in this export",
    ProblemCode.FILE_TOO_LARGE: "file too large ({0} bytes; at most {1}); not imported",
    ProblemCode.TOO_MANY_PAPERS: (
        "{0} papers in one day (at most {1}); the papers from here on are not imported"
    ),
    ProblemCode.TOO_MANY_PROBLEMS: "{0} more problems in this file, not listed",
    ProblemCode.FUTURE_DAY: (
        "the digest is for {0}, later than {1} (tomorrow, UTC); not imported until its day"
    ),
}


def problem_reason(problem: Problem) -> str:
    """Why, in words: ``duplicate paper 2406.00001 (first listed at line 3); kept the first``."""
    return _REASONS[problem.code].format(*problem.values)


def describe_problem(problem: Problem) -> str:
    """``file:line: reason``."""
    return f"{problem.file}:{problem.line}: {problem_reason(problem)}"
