"""The console's tables in Korean at 60, 80 and 120 columns: no text lost, no title twice."""

from __future__ import annotations

import re

import pytest
from rich.console import Console
from test_embeds import make_paper

from bot.console.render import render_search
from bot.core.answers import SearchAnswer
from bot.i18n.catalog import use_locale
from storage.models import Page, SearchHit

SUMMARY = (
    "에이전트 행동을 실세계에서 잠재적으로 악의적인 행위자들과 접촉할 위험 때문에 "
    "인터넷 상에서 자율 에이전트 테스트를 안전하게 수행할 수 있는 프레임워크를 제시합니다"
)


def answer(*hits: SearchHit) -> SearchAnswer:
    page = Page(items=hits, total=len(hits), offset=0, limit=5)
    return SearchAnswer("에이전트", page, sort="relevance")


def rendered(result: SearchAnswer, width: int) -> str:
    console = Console(width=width, record=True)
    with use_locale("ko"):
        console.print(render_search(result))
    return console.export_text()


@pytest.mark.parametrize("width", [60, 80, 120])
def test_korean_snippet_loses_no_text(width: int) -> None:
    """Every word of a Korean snippet is shown whole at 60, 80 and 120 columns (a word wider
    than the column folds onto the next line instead of being cut before an ellipsis)."""
    snippet = (("…", False), ("에이전트", True), (SUMMARY[4:], False))
    hit = SearchHit(make_paper(title="Testing Language Model Agents Safely"), snippet, 1.0)
    text = rendered(answer(hit), width)
    assert text.count("…") == 1  # the snippet's own start: nothing was cut
    shown = re.sub(r"\s+", "", re.sub(r"[│┃|]", "", text))
    for word in SUMMARY.split():
        assert len(word) > 6 or word in text or word in shown, word


@pytest.mark.parametrize("width", [60, 80, 120])
def test_match_in_the_title_is_not_repeated(width: int) -> None:
    """When the match is in the title, the title is shown once (highlighted), no snippet."""
    title = "Agents That Plan: 에이전트 계획"
    snippet = (("Agents That Plan: ", False), ("에이전트", True), (" 계획", False))
    hit = SearchHit(make_paper(title=title, days=(), votes=None), snippet, 1.0)
    text = rendered(answer(hit), width)
    assert text.count("계획") == 1


def test_snippet_from_the_summary_is_shown() -> None:
    """A match in the summary is shown under the title."""
    snippet = (("에이전트", True), (" 행동을", False))
    hit = SearchHit(make_paper(title="Other Title"), snippet, 1.0)
    assert "행동을" in rendered(answer(hit), 120)
