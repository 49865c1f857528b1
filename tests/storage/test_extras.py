"""The Hugging Face API extras: stored with the day in one transaction, read with every paper."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from storage.ingest.hfapi import parse_daily_papers
from storage.ingest.parser import parse_digest
from storage.models import ProblemCode
from storage.ports import Store

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "hf_daily_papers_sample.json"
DAY = dt.date(2026, 3, 6)


def api_digest() -> object:
    return parse_daily_papers(json.loads(FIXTURE.read_text(encoding="utf-8")), DAY, source="hf")


async def test_extras_stored_and_read(store: Store) -> None:
    """Importing an API day stores the AI summary, keywords, GitHub repo and stars, project page,
    and the paper the store returns carries them."""
    result = await store.import_api_digest(api_digest())  # type: ignore[arg-type]
    assert result.new_papers == 1
    full = await store.paper("2602.23229")
    assert full is not None
    assert full.github_repo == "https://github.com/marco-garosi/CIRCLE"
    assert full.github_stars == 9 and full.project_page == "https://circle-lmm.github.io/"
    assert full.ai_summary and "in-context learning" in full.keywords
    assert full.votes == 10 and full.summary[0].text.startswith("Which multimodal")


async def test_older_markdown_day_keeps_extras(store: Store) -> None:
    """An older markdown digest listing the same paper does not wipe the API's extras."""
    await store.import_api_digest(api_digest())  # type: ignore[arg-type]
    older = (
        "## Daily Papers (2026-03-05)\n\n"
        "### [Same paper](https://arxiv.org/abs/2602.23229)\n\nVote: 3\n\n- 요약\n"
    )
    await store.import_digest(parse_digest(older, "old.md"))
    paper = await store.paper("2602.23229")
    assert paper is not None
    assert paper.github_stars == 9 and len(paper.days) == 2


async def test_papers_without_extras_have_defaults(store: Store) -> None:
    """A markdown-only paper comes back with the extras' defaults (no summary, no keywords)."""
    text = "## Daily Papers (2026-03-05)\n\n### [P](https://arxiv.org/abs/2603.00001)\n\n- x\n"
    await store.import_digest(parse_digest(text, "a.md"))
    paper = await store.paper("2603.00001")
    assert paper is not None
    assert (paper.ai_summary, paper.keywords, paper.github_repo) == (None, (), None)
    assert (paper.github_stars, paper.project_page) == (None, None)


async def test_api_never_replaces_stored_content(store: Store) -> None:
    """A paper already stored from a markdown digest keeps its Korean summary, title and
    authors when the API lists it the same day; votes and extras are refreshed."""
    markdown = (
        "## Daily Papers (2026-03-06)\n\n"
        "### [한국어 제목](https://arxiv.org/abs/2602.23229)\n\nVote: 3\n\n"
        "Authors: Kim Minsu\n\n- ***What's New***: 한국어 요약\n"
    )
    await store.import_digest(parse_digest(markdown, "md"))
    await store.import_api_digest(api_digest())  # type: ignore[arg-type]
    paper = await store.paper("2602.23229")
    assert paper is not None
    assert paper.title == "한국어 제목" and paper.summary[0].text == "한국어 요약"
    assert paper.authors == ("Kim Minsu",)
    assert paper.votes == 10
    assert paper.github_stars == 9


async def test_paper_listed_twice_in_an_api_day_is_reported(store: Store) -> None:
    """A paper the API lists twice is stored once and the repeat is reported with its line."""
    import dataclasses

    digest = api_digest()
    (item,) = digest.papers  # type: ignore[attr-defined]
    twice = dataclasses.replace(digest, papers=(item, dataclasses.replace(item, line=2)))
    result = await store.import_api_digest(twice)  # type: ignore[arg-type]
    assert result.new_papers == 1
    assert [(p.line, p.code) for p in result.problems] == [(2, ProblemCode.DUPLICATE_PAPER)]


async def test_every_read_carries_extras(store: Store) -> None:
    """Papers from a day's page, a search, the top list and autocomplete all carry the extras."""
    await store.import_api_digest(api_digest())  # type: ignore[arg-type]
    day = (await store.day_papers(DAY)).items
    found = (await store.search("CIRCLE")).items
    top = (await store.top_papers(DAY, DAY)).items
    suggested = await store.suggest_papers("")
    papers = [*day, *(hit.paper for hit in found), *top, *suggested]
    assert len(papers) == 4
    for paper in papers:
        assert paper.github_stars == 9 and paper.keywords and paper.ai_summary
