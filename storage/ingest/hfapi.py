"""Read one day of the Hugging Face daily papers API into a :class:`ParsedDigest`.

``GET {base}/api/daily_papers?date=YYYY-MM-DD`` answers a JSON list; each item holds a
``paper`` object (``id``, ``title``, ``authors[].name``, ``upvotes``, ``summary`` (the
abstract), ``ai_summary``, ``ai_keywords``, ``githubRepo``, ``githubStars``, ``projectPage``,
``organization``) and, beside it, ``title``, ``thumbnail``, ``mediaUrls``, ``numComments`` and
``organization``. See
``tests/fixtures/hf_daily_papers_sample.json`` for a real item.

Pure function, no I/O: the abstract becomes the summary (one unlabelled bullet), the API's
extras go to the optional fields of :class:`~storage.models.ParsedPaper`. An item that cannot
become a paper (no id or title) is a :class:`~storage.models.Problem` at its 1-based index; a
response that is not a list of objects raises :class:`ApiDataError`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from storage.models import (
    ARXIV_ID_RE,
    Bullet,
    Media,
    ParsedDigest,
    ParsedPaper,
    Problem,
    ProblemCode,
)

__all__ = ["ApiDataError", "parse_daily_papers"]

_VIDEO_SUFFIXES = (".mp4", ".webm", ".mov")


class ApiDataError(ValueError):
    """The response is not the daily papers list at all; :attr:`problem` says what it is."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        text = value.strip()
        return text or None
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _url(value: Any) -> str | None:
    text = _text(value)
    if text and text.lower().startswith(("https://", "http://")):
        return text
    return None


def _media(item: dict[str, Any], paper: dict[str, Any]) -> Media | None:
    candidates = [item.get("thumbnail")]
    for key in ("mediaUrls",):
        for holder in (item, paper):
            urls = holder.get(key)
            if isinstance(urls, list):
                candidates.extend(urls)
    for raw in candidates:
        url = _url(raw)
        if url is None:
            continue
        path = url.split("?", 1)[0].lower()
        return Media("video" if path.endswith(_VIDEO_SUFFIXES) else "image", url)
    return None


def _organization(item: dict[str, Any], paper: dict[str, Any]) -> str | None:
    for holder in (paper, item):
        org = holder.get("organization")
        if isinstance(org, dict):
            name = _text(org.get("fullname")) or _text(org.get("name"))
            if name:
                return " ".join(name.split())
    return None


def _authors(paper: dict[str, Any]) -> tuple[str, ...]:
    names: list[str] = []
    raw = paper.get("authors")
    if isinstance(raw, list):
        for author in raw:
            name = _text(author.get("name")) if isinstance(author, dict) else _text(author)
            if name and name not in names:
                names.append(" ".join(name.split()))
    return tuple(names)


def parse_daily_papers(data: Any, date: dt.date, *, source: str = "hf-api") -> ParsedDigest:
    """One day of the API (already decoded JSON) as a digest of that ``date``, in list order."""
    if not isinstance(data, list):
        raise ApiDataError(Problem(source, 1, ProblemCode.NOT_A_LIST, (type(data).__name__,)))
    papers: list[ParsedPaper] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            problems.append(Problem(source, index, ProblemCode.ITEM_NOT_AN_OBJECT))
            continue
        nested = item.get("paper")
        paper: dict[str, Any] = nested if isinstance(nested, dict) else item
        arxiv_id = _text(paper.get("id"))
        title = _text(item.get("title")) or _text(paper.get("title"))
        if arxiv_id is None or title is None:
            problems.append(Problem(source, index, ProblemCode.ITEM_INCOMPLETE))
            continue
        if arxiv_id in seen:
            problems.append(Problem(source, index, ProblemCode.LISTED_AGAIN, (arxiv_id,)))
            continue
        seen.add(arxiv_id)
        abstract = _text(paper.get("summary")) or _text(item.get("summary"))
        keywords = paper.get("ai_keywords")
        url = (
            f"https://arxiv.org/abs/{arxiv_id}"
            if ARXIV_ID_RE.fullmatch(arxiv_id)
            else f"https://huggingface.co/papers/{arxiv_id}"
        )
        papers.append(
            ParsedPaper(
                arxiv_id=arxiv_id,
                title=" ".join(title.split()),
                url=url,
                authors=_authors(paper),
                authors_truncated=False,
                votes=_int(paper.get("upvotes")),
                media=_media(item, paper),
                summary=(Bullet(None, abstract),) if abstract else (),
                position=len(papers) + 1,
                line=index,
                ai_summary=_text(paper.get("ai_summary")),
                keywords=tuple(k.strip() for k in keywords if isinstance(k, str) and k.strip())
                if isinstance(keywords, list)
                else (),
                github_repo=_url(paper.get("githubRepo")),
                github_stars=_int(paper.get("githubStars")),
                project_page=_url(paper.get("projectPage")),
                organization=_organization(item, paper),
                comments=_int(item.get("numComments")),
            )
        )
    return ParsedDigest(date=date, papers=tuple(papers), problems=tuple(problems), source=source)
