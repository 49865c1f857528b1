"""The paper card with a generated Korean summary, organisation, comments and the vote rise:
in the embed, the console panel and ``--json``, in Korean and English, within Discord's limits."""

from __future__ import annotations

import datetime as dt

from rich.console import Console

from bot.console.render import render_paper
from bot.core.export import paper_record
from bot.discord_ui.digest import MACHINE_MARK, summary_line
from bot.discord_ui.embeds import TOTAL_LIMIT, paper_embed
from bot.i18n.catalog import use_locale
from storage.models import Appearance, Bullet, GeneratedSummary, Paper

AT = dt.datetime(2026, 3, 6, 12, 0, tzinfo=dt.UTC)
KOREAN = (Bullet("What's New", "새로운 방법."), Bullet(None, "둘째."), Bullet(None, "셋째."))


def paper(summary: tuple[Bullet, ...] = (Bullet(None, "Abstract."),), **extras: object) -> Paper:
    return Paper(
        arxiv_id="2602.23229",
        title="A paper",
        url="https://arxiv.org/abs/2602.23229",
        authors=("Ada",),
        authors_truncated=False,
        votes=25,
        media=None,
        summary=summary,
        days=(Appearance(dt.date(2026, 3, 6), 1, 25),),
        **extras,  # type: ignore[arg-type]
    )


def generated(bullets: tuple[Bullet, ...] = KOREAN, model: str = "qwen2.5-ko") -> GeneratedSummary:
    return GeneratedSummary(bullets, model, AT)


def test_generated_bullets_replace_the_abstract_and_are_marked() -> None:
    """Without an archive summary the card shows the Korean bullets under a note naming the
    model, in Korean."""
    with use_locale("ko"):
        description = paper_embed(paper(generated=generated())).description or ""
    assert "새로운 방법." in description and "Abstract." not in description
    assert "언어 모델(qwen2.5-ko)" in description


def test_archive_summary_wins_over_generated() -> None:
    """A paper with the archive's bullets shows them, not a generated summary."""
    archive = (Bullet(None, "아카이브 하나"), Bullet(None, "아카이브 둘"))
    description = paper_embed(paper(archive, generated=generated())).description or ""
    assert "아카이브 하나" in description and "새로운 방법" not in description


def test_hostile_generated_text_cannot_ping_or_link() -> None:
    """Even if stored text held ``@everyone`` or a markdown link, the card escapes them."""
    hostile = (Bullet(None, "@everyone [x](https://evil)"), *KOREAN[1:])
    description = paper_embed(paper(generated=generated(hostile))).description or ""
    assert "@everyone" not in description and "[x](https" not in description


def test_organisation_comments_and_vote_rise() -> None:
    """Organisation and comment count are fields; votes show their rise since the paper's day."""
    embed = paper_embed(paper(organization="MHUG Lab", comments=4, first_votes=10)).to_dict()
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Organisation"] == "MHUG Lab" and fields["Comments"] == "4"
    assert fields["Votes"].endswith("25 (+15 since its day)")


def test_huge_generated_summary_and_model_fit() -> None:
    """Five maximal bullets, a long model name and every extra stay within Discord's limits."""
    bullets = tuple(Bullet("L" * 40, "가" * 600) for _ in range(5))
    embed = paper_embed(
        paper(
            generated=generated(bullets, model="m" * 500),
            organization="O" * 1000,
            ai_summary="긴 " * 3000,
            keywords=tuple(f"kw{i}" for i in range(500)),
        )
    )
    assert len(embed) <= TOTAL_LIMIT


def test_console_panel_shows_generated_bullets_and_extras() -> None:
    """``paper ID`` in the console shows the Korean bullets, the note and the extras."""
    console = Console(width=120, record=True)
    console.print(render_paper(paper(generated=generated(), organization="MHUG", comments=3)))
    text = console.export_text()
    assert "새로운 방법." in text and "qwen2.5-ko" in text
    assert "Organisation: MHUG" in text and "Comments: 3" in text


def test_json_carries_generated_summary_with_provenance() -> None:
    """``--json`` gives the generated bullets with model and time, organisation and comments."""
    record = paper_record(paper(generated=generated(), organization="MHUG", comments=3))
    assert record["generated_summary"] == {
        "model": "qwen2.5-ko",
        "created_at": "2026-03-06T12:00:00+00:00",
        "bullets": [{"label": b.label, "text": b.text} for b in KOREAN],
    }
    assert (record["organization"], record["comments"]) == ("MHUG", 3)


def test_digest_line_uses_generated_bullet_with_mark() -> None:
    """A digest line of a paper with generated bullets shows the first one after the robot mark."""
    line = summary_line(paper(generated=generated(), ai_summary="English AI summary."))
    assert line == f"{MACHINE_MARK} 새로운 방법."
