"""bot.discord_ui.embeds: pure renderers, Discord's limits, escaping of untrusted text."""

from __future__ import annotations

import datetime as dt

import discord
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.discord_ui import embeds
from storage.models import (
    Appearance,
    Author,
    AuthorProfile,
    Bullet,
    CoAuthor,
    Media,
    Page,
    Paper,
    SearchHit,
)

DAY = dt.date(2024, 6, 13)


def make_paper(**overrides: object) -> Paper:
    values: dict[str, object] = {
        "arxiv_id": "2406.06523",
        "title": "NaRCan: Natural Refined Canonical Image",
        "url": "https://arxiv.org/abs/2406.06523",
        "authors": ("Hau-Shiang Shiu", "Jiewen Chan"),
        "authors_truncated": False,
        "votes": 47,
        "media": Media("image", "https://cdn.example/2406.06523.png"),
        "summary": (Bullet("What's New", "새로운 방법."), Bullet(None, "plain bullet")),
        "days": (Appearance(DAY, 1, 47),),
    }
    values.update(overrides)
    return Paper(**values)  # type: ignore[arg-type]


def total_length(embed: discord.Embed) -> int:
    return len(embed)


# -------------------------------------------------------------------------------- text helpers


def test_shorten_keeps_short_text() -> None:
    """Text within the limit is returned unchanged."""
    assert embeds.shorten("abc", 3) == "abc"


def test_shorten_cuts_by_characters_with_ellipsis() -> None:
    """Korean text is cut by characters (not bytes) and ends in an ellipsis."""
    text = "모델" * 100
    cut = embeds.shorten(text, 11)
    assert len(cut) == 11
    assert cut.endswith("…")
    assert cut.startswith("모델모델모델모델모")


def test_shorten_never_leaves_a_dangling_escape() -> None:
    """A cut right after a backslash does not escape the ellipsis."""
    assert not embeds.shorten("ab\\*cd", 4).endswith("\\…")


@given(st.text(max_size=300), st.integers(min_value=0, max_value=300))
def test_shorten_respects_limit(text: str, limit: int) -> None:
    """Whatever the text, the result is at most ``limit`` characters."""
    assert len(embeds.shorten(text, limit)) <= limit


def test_escape_markdown_in_titles() -> None:
    """``*``, ``_``, ``~``, brackets and backticks show literally; ``<EOS>`` stays readable."""
    text = embeds.escape("A* <EOS> GPT-[n] _x_ ~~y~~ `c`")
    assert text == r"A\* <EOS> GPT-\[n\] \_x\_ \~\~y\~\~ \`c\`"


def test_escape_line_start_syntax() -> None:
    """Headers, quotes, list markers and numbered lists at a line start are escaped."""
    assert embeds.escape("# h\n> q\n- l\n1. n") == "\\# h\n\\> q\n\\- l\n1\\. n"


def test_escape_breaks_mass_mentions() -> None:
    """@everyone and @here are broken up for display (allowed_mentions stops pings anyway)."""
    assert "@everyone" not in embeds.escape("hi @everyone")
    assert "@here" not in embeds.escape("@here")


def test_link_escapes_text_and_keeps_url() -> None:
    """A masked link escapes its text (brackets too) and leaves the URL usable."""
    assert (
        embeds.link("GPT-[n]", "https://arxiv.org/abs/1") == r"[GPT-\[n\]](https://arxiv.org/abs/1)"
    )


def test_format_authors_fits_with_more_count() -> None:
    """A long author list is cut at a name boundary and ends "... +N more" within the limit."""
    names = [f"Author Number{i}" for i in range(700)]
    text = embeds.format_authors(names, limit=1024)
    assert len(text) <= 1024
    shown = text.split(" ... +")[0].split(", ")
    assert text.endswith(f"... +{700 - len(shown)} more")
    assert shown[-1] == f"Author Number{len(shown) - 1}"


def test_format_authors_one_huge_name() -> None:
    """A first name longer than the limit is itself shortened; the count is of the others."""
    text = embeds.format_authors(["x" * 2000, "B", "C"], limit=100)
    assert len(text) <= 100
    assert text.endswith("… ... +2 more")


def test_format_authors_short_list_whole() -> None:
    """A short list is shown whole, names escaped."""
    assert embeds.format_authors(["A_b", "C"]) == r"A\_b, C"


def test_format_authors_marks_digest_truncation() -> None:
    """A list the digest itself cut short (a lone +) says there are more."""
    assert embeds.format_authors(["A"], truncated=True).endswith("+ more")


def test_format_snippet_bolds_matches_after_escaping() -> None:
    """Matched parts are bold, every part escaped, spaces kept around the bold part."""
    snippet = (("using ", False), ("diff*usion", True), (" models", False))
    assert embeds.format_snippet(snippet) == r"using **diff\*usion** models"


def test_format_snippet_never_leaves_bold_open() -> None:
    """A snippet cut at the limit never ends inside an unclosed ``**``."""
    snippet = tuple((f"word{i} ", i % 2 == 0) for i in range(200))
    text = embeds.format_snippet(snippet, limit=100)
    assert len(text) <= 100
    assert text.count("**") % 2 == 0


# -------------------------------------------------------------------------------- embeds


def test_paper_embed_fields() -> None:
    """The paper card: linked title, authors, votes, days, links, image, labelled bullets."""
    embed = embeds.paper_embed(make_paper())
    assert embed.title == "NaRCan: Natural Refined Canonical Image"
    assert embed.url == "https://arxiv.org/abs/2406.06523"
    assert embed.image.url == "https://cdn.example/2406.06523.png"
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Votes"] == "▲ 47"
    assert "[PDF](https://arxiv.org/pdf/2406.06523)" in fields["Links"]
    assert "**What's New**: 새로운 방법." in (embed.description or "")
    assert "l-yohai/daily_papers_ko" in (embed.footer.text or "")


def test_paper_embed_skips_unusable_images() -> None:
    """A video or a relative URL is not set as the image."""
    for media in (Media("video", "https://x/v.mp4"), Media("image", "/avatars/a.svg")):
        assert embeds.paper_embed(make_paper(media=media)).image.url is None


def test_paper_embed_non_arxiv_has_no_pdf_link() -> None:
    """A paper without a real arXiv id links its own URL and no PDF."""
    embed = embeds.paper_embed(make_paper(arxiv_id="hf-123", url="https://example.org/p"))
    links = next(f.value for f in embed.fields if f.name == "Links")
    assert "PDF" not in links
    assert embed.url == "https://example.org/p"


def test_paper_embed_huge_paper_within_every_limit() -> None:
    """A 300-character title, 700 authors, 60 long bullets and 400 days still fit."""
    paper = make_paper(
        title="T*" * 150,
        authors=tuple(f"Name{i}" for i in range(700)),
        summary=tuple(Bullet(f"Label{i}", "긴 문장 " * 200) for i in range(60)),
        days=tuple(Appearance(DAY + dt.timedelta(days=i), i, i) for i in range(400)),
    )
    embed = embeds.paper_embed(paper)
    assert len(embed.title or "") <= 256
    assert len(embed.description or "") <= 4096
    assert all(len(f.value or "") <= 1024 and len(f.name or "") <= 256 for f in embed.fields)
    assert len(embed.fields) <= 25
    assert total_length(embed) <= 6000


@settings(max_examples=50, deadline=None)
@given(
    title=st.text(min_size=1, max_size=600),
    authors=st.lists(st.text(min_size=1, max_size=80), max_size=50),
    bullets=st.lists(
        st.tuples(st.none() | st.text(max_size=40), st.text(max_size=3000)), max_size=8
    ),
)
def test_paper_embed_always_fits(title: str, authors: list[str], bullets: list) -> None:
    """Any title, authors and summary give an embed within Discord's limits."""
    paper = make_paper(
        title=title,
        authors=tuple(authors),
        summary=tuple(Bullet(label, text) for label, text in bullets),
    )
    embed = embeds.paper_embed(paper)
    assert len(embed.title or "") <= 256
    assert len(embed.description or "") <= 4096
    assert all(len(f.value or "") <= 1024 for f in embed.fields)
    assert total_length(embed) <= 6000


def test_fit_drops_fields_over_the_total() -> None:
    """fit() keeps at most 25 fields and brings the total under 6000."""
    embed = discord.Embed(title="t", description="d" * 4096)
    for i in range(40):
        embed.add_field(name=f"f{i}", value="v" * 1024)
    embeds.fit(embed)
    assert len(embed.fields) <= 25
    assert len(embed) <= 6000


def test_day_list_embed_counts_all() -> None:
    """A day list numbers from the page offset and says how many there are in all."""
    page = Page(items=(make_paper(),), total=21, offset=10, limit=10)
    embed = embeds.day_list_embed(DAY, page, note="a note")
    assert "`11.`" in (embed.description or "")
    assert "Showing 11-11 of 21 papers, by votes" in (embed.footer.text or "")
    assert embed.description.startswith("*a note*")


def test_count_line_whole_list() -> None:
    """One page holding everything just says the count."""
    page = Page(items=(make_paper(),), total=1, offset=0, limit=10)
    assert embeds.count_line(page, "count.papers") == "1 paper"


def test_missing_day_embed_names_nearest() -> None:
    """A missing day names the nearest days before and after."""
    embed = embeds.missing_day_embed(DAY, dt.date(2024, 6, 12), None)
    assert "Wed, Jun 12, 2024" in (embed.description or "")
    assert "after" not in (embed.description or "")


def test_search_embed_shows_snippets() -> None:
    """Each hit shows its snippet under the linked title; the footer gives the total and sort."""
    hit = SearchHit(make_paper(), (("a ", False), ("match", True)), 1.0)
    embed = embeds.search_embed(
        "match", Page(items=(hit,), total=12, offset=0, limit=5), sort="votes"
    )
    assert "a **match**" in (embed.description or "")
    assert "Showing 1-1 of 12 results, by votes" in (embed.footer.text or "")


def test_author_embed() -> None:
    """The author card shows totals, first/last day, co-authors and the papers."""
    author = Author(1, "Yejin_Choi", 3)
    profile = AuthorProfile(
        author=author,
        total_votes=1234,
        first_day=dt.date(2023, 12, 6),
        last_day=DAY,
        coauthors=(CoAuthor(Author(2, "Bill Lin", 2), 2),),
        papers=Page(items=(make_paper(),), total=3, offset=0, limit=1),
    )
    embed = embeds.author_embed(profile)
    assert embed.title == r"Yejin\_Choi"
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Total votes"] == "1,234"
    assert "Bill Lin (2)" in fields["Frequent co-authors"]
    assert "Showing 1-1 of 3 papers, newest first" in (embed.footer.text or "")


def test_nothing_found_embed_suggests() -> None:
    """No results: says so, escapes the query, lists what to try."""
    embed = embeds.nothing_found_embed("a*b", ["Use fewer words."])
    assert r"a\*b" in (embed.description or "")
    assert "Use fewer words." in (embed.description or "")


def test_help_embed_credits_source() -> None:
    """/help credits the data source and its licence."""
    embed = embeds.help_embed([("today", "desc", "/today")])
    text = str(embed.to_dict())
    assert "l-yohai/daily_papers_ko" in text
    assert "CC BY-NC 4.0" in text


def test_choice_name_one_line_within_100() -> None:
    """Autocomplete labels are one line of at most 100 characters."""
    name = embeds.choice_name("a\nb " + "x" * 200)
    assert "\n" not in name
    assert len(name) <= 100


def test_escape_drops_control_characters() -> None:
    """Text someone typed with a NUL or an escape sequence shows without them (newlines stay)."""
    assert embeds.escape("a\x00b\x1bc\nd\x7f") == "abc\nd"
