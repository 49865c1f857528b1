"""The paper card shows what the Hugging Face API adds, within Discord's limits."""

from __future__ import annotations

from bot.discord_ui.embeds import TOTAL_LIMIT, paper_embed
from storage.models import Bullet, Paper


def paper(**extras: object) -> Paper:
    return Paper(
        arxiv_id="2602.23229",
        title="Large Multimodal Models as General In-Context Classifiers",
        url="https://arxiv.org/abs/2602.23229",
        authors=("Marco Garosi",),
        authors_truncated=False,
        votes=10,
        media=None,
        summary=(Bullet(None, "Abstract."),),
        **extras,  # type: ignore[arg-type]
    )


def test_card_shows_github_project_ai_summary_keywords() -> None:
    """GitHub with stars and the project page are links; AI summary and keywords are fields."""
    embed = paper_embed(
        paper(
            ai_summary="LMMs classify well in context.",
            keywords=("in-context learning", "CLIP"),
            github_repo="https://github.com/marco-garosi/CIRCLE",
            github_stars=1234,
            project_page="https://circle-lmm.github.io/",
        )
    ).to_dict()
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert "[GitHub ★ 1,234](https://github.com/marco-garosi/CIRCLE)" in fields["Links"]
    assert "[Project page](https://circle-lmm.github.io/)" in fields["Links"]
    assert fields["AI summary (Hugging Face)"] == "LMMs classify well in context."
    assert fields["Keywords"] == "in-context learning, CLIP"


def test_card_without_extras_has_no_extra_fields() -> None:
    """A markdown-only paper's card is unchanged: no AI summary, keywords or GitHub link."""
    embed = paper_embed(paper()).to_dict()
    names = [f["name"] for f in embed["fields"]]
    assert "AI summary (Hugging Face)" not in names and "Keywords" not in names
    assert "GitHub" not in embed["fields"][names.index("Links")]["value"]


def test_card_with_huge_extras_fits() -> None:
    """Very long AI summaries and keyword lists still fit Discord's limits."""
    embed = paper_embed(
        paper(ai_summary="긴 " * 3000, keywords=tuple(f"kw{i}" for i in range(500)))
    )
    assert len(embed) <= TOTAL_LIMIT
    assert all(len(f.value or "") <= 1024 for f in embed.fields)
