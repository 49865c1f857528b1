"""storage.ingest.parser: every bundled sample and variant, each format variant on a hand-made
snippet, broken input, and property-based checks that no heading is ever lost."""

from __future__ import annotations

import datetime as dt
import pickle
import random
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import storage
from storage.ingest.parser import DigestError, parse_digest
from storage.models import ARXIV_ID_RE, Bullet, Media, ParsedDigest, ParsedPaper, ProblemCode

SAMPLES = Path(storage.__file__).parent / "ingest" / "samples"
SAMPLE_FILES = sorted(p for p in SAMPLES.rglob("*.md") if p.name != "SOURCE.md")
SAMPLE_IDS = [str(p.relative_to(SAMPLES)) for p in SAMPLE_FILES]


def read(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


def parse_sample(name: str) -> ParsedDigest:
    return parse_digest(read(name), name)


def parse(text: str) -> ParsedDigest:
    return parse_digest(text, "t.md")


def only_paper(text: str) -> ParsedPaper:
    digest = parse(text)
    assert digest.problems == ()
    assert len(digest.papers) == 1
    return digest.papers[0]


HEADER = "## Daily Papers (2024-06-13)\n\n"


def one(body: str, heading: str = "### [A Title](https://arxiv.org/abs/2406.00001)") -> str:
    """A one-paper digest: header, the heading, then ``body``."""
    return f"{HEADER}{heading}\n\n{body}\n"


# --- an independent definition of "a ### heading inside a digest section" -------------------

_REF_DIGEST = re.compile(
    r"##[ \t]+Daily[ \t]+Papers[ \t]*\([ \t]*(\d{4})-(\d{1,2})-(\d{1,2})[ \t]*\)", re.I
)
_REF_SECTION = re.compile(r"#{1,2}(?:[ \t]|$)")
_REF_PAPER = re.compile(r"###(?:[ \t]|$)")


def reference(text: str) -> tuple[list[int], bool]:
    """Lines of ``### `` headings in digest sections, and whether a header has a valid date.

    Written from SOURCE.md's description, independently of the parser: sections start at column-0
    ``#``/``##`` headings, digest sections at ``## Daily Papers (date)``; fenced blocks outside
    digest sections hide headings, and a digest header always counts.
    """
    text = text.removeprefix("\ufeff")
    lines: list[int] = []
    valid = False
    in_digest = fenced = False
    for number, line in enumerate(text.split("\n"), 1):
        line = line.removesuffix("\r")
        if match := _REF_DIGEST.match(line):
            in_digest, fenced = True, False
            try:
                dt.date(int(match[1]), int(match[2]), int(match[3]))
                valid = True
            except ValueError:
                pass
        elif not in_digest and line.lstrip(" ").startswith(("```", "~~~")):
            fenced = not fenced
        elif fenced:
            continue
        elif _REF_SECTION.match(line):
            in_digest = False
        elif in_digest and _REF_PAPER.match(line):
            lines.append(number)
    return lines, valid


def assert_accounted(text: str, digest: ParsedDigest) -> None:
    """Every digest heading is exactly one paper or one problem; positions run 1..n."""
    headings, _ = reference(text)
    paper_lines = [p.line for p in digest.papers]
    problem_lines = {p.line for p in digest.problems}
    assert [p.position for p in digest.papers] == list(range(1, len(digest.papers) + 1))
    assert paper_lines == sorted(paper_lines)
    assert set(paper_lines) <= set(headings)
    for line in headings:
        assert (line in paper_lines) != (line in problem_lines), line


# --- every bundled file ------------------------------------------------------------------------


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=SAMPLE_IDS)
def test_sample_paper_count_matches_headings(path: Path) -> None:
    """Each real file yields one paper per `### [` heading in its digest sections, in order."""
    text = path.read_text(encoding="utf-8")
    in_digest = False
    expected = []
    for number, line in enumerate(text.splitlines(), 1):
        if re.match(r"#{1,2} ", line):
            in_digest = bool(re.match(r"## Daily Papers \(\d{4}-\d{2}-\d{2}\)$", line))
        elif in_digest and line.startswith("### ["):
            expected.append(number)
    digest = parse_digest(text, path.name)
    assert [p.line for p in digest.papers] == expected
    assert [p.position for p in digest.papers] == list(range(1, len(expected) + 1))


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=SAMPLE_IDS)
def test_sample_has_no_problems(path: Path) -> None:
    """The real files are clean: any problem reported on them is a parser bug."""
    assert parse_digest(path.read_text(encoding="utf-8"), path.name).problems == ()


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=SAMPLE_IDS)
def test_sample_date_is_the_file_name_date(path: Path) -> None:
    """The digest date comes from the header, which matches the file's date name."""
    digest = parse_digest(path.read_text(encoding="utf-8"), str(path))
    assert digest.date == dt.date.fromisoformat(path.name[:10])
    assert digest.source == str(path)


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=SAMPLE_IDS)
def test_sample_papers_are_well_formed(path: Path) -> None:
    """Every real paper has an arXiv id, a title, an absolute link and no `+` among authors."""
    for paper in parse_digest(path.read_text(encoding="utf-8"), path.name).papers:
        assert ARXIV_ID_RE.fullmatch(paper.arxiv_id), paper
        assert paper.title and not paper.title.startswith("[")
        assert paper.url.startswith("https://")
        assert "+" not in paper.authors
        assert all(a == a.strip() and a for a in paper.authors)
        assert len(set(paper.authors)) == len(paper.authors)
        assert paper.summary, paper.arxiv_id


def test_2023_12_06_first_and_last() -> None:
    """First and last papers of 2023-12-06, checked by hand against the file."""
    digest = parse_sample("2023-12-06.md")
    first, last = digest.papers[0], digest.papers[-1]
    assert (first.arxiv_id, first.title, first.votes, first.line) == (
        "2312.02663",
        "FaceStudio: Put Your Face Everywhere in Seconds",
        17,
        3,
    )
    assert first.authors == (
        "Yuxuan Yan",
        "Chi Zhang",
        "Rui Wang",
        "Pei Cheng",
        "Gang Yu",
        "Bin Fu",
    )
    assert first.media == Media(
        "image",
        "https://cdn-uploads.huggingface.co/production/uploads/60f1abe7544c2adfd699860c/"
        "pcRGMysi0Rn6ElQxmaYVd.png",
    )
    assert len(first.summary) == 7
    assert first.summary[0] == Bullet(
        None,
        "본 연구는 주체의 정체성을 유지하면서 개인화된 스타일을 추가하는 매력적인 이미지 생성 "
        "작업인 정체성 보존 이미지 합성에 대해 조사합니다.",
    )
    assert (last.arxiv_id, last.votes, last.position, last.line) == ("2312.02931", 3, 20, 303)
    assert last.title == "WhisBERT: Multimodal Text-Audio Language Modeling on 100M Words"
    assert last.authors[0] == "Lukas Wolf" and last.authors[-1] == "Alex Warstadt"
    assert len(last.authors) == 7


def test_2023_12_06_malformed_watch_video_is_a_video() -> None:
    """`[Watch Video]url` plus its div line (2023-12-06) gives one video."""
    paper = parse_sample("2023-12-06.md").papers[1]
    assert paper.arxiv_id == "2312.02201"
    assert paper.media == Media(
        "video",
        "https://cdn-uploads.huggingface.co/production/uploads/60f1abe7544c2adfd699860c/"
        "d0VHat4w8gM400SkeWPP7.mp4",
    )
    assert paper.votes == 16
    assert paper.authors == ("Peng Wang", "Yichun Shi")
    assert len(paper.summary) == 6


def test_2023_12_13_first_and_last() -> None:
    """2023-12-13: a `[Watch Video](url)` first paper and a `Vote: -` last paper."""
    digest = parse_sample("2023-12-13.md")
    first, last = digest.papers[0], digest.papers[-1]
    assert first.arxiv_id == "2312.07409" and first.votes == 2
    assert first.media is not None and first.media.kind == "video"
    assert first.media.url.endswith("/pPBftW9u_SvGH1HLzFDu-.mp4")
    assert last.arxiv_id == "2312.06674"
    assert last.title.startswith("Llama Guard: LLM-based Input-Output Safeguard")
    assert last.votes is None
    assert len(last.authors) == 11 and last.authors[-1] == "Madian Khabsa"


def test_2023_12_13_vote_dash_is_unknown() -> None:
    """Every `Vote: -` paper of 2023-12-13 has votes None, numeric ones keep their number."""
    votes = [p.votes for p in parse_sample("2023-12-13.md").papers]
    assert votes == [2, 1, 1, 1] + [None] * 9


def test_2023_12_13_unicode_author_and_qt_image() -> None:
    """`Nießner` survives, and a `.qt` file in `![](...)` stays an image that is not embeddable."""
    papers = parse_sample("2023-12-13.md").papers
    assert "Matthias Nießner" in papers[1].authors
    peekaboo = papers[7]
    assert peekaboo.arxiv_id == "2312.07509"
    assert peekaboo.media is not None and peekaboo.media.kind == "image"
    assert peekaboo.media.url.endswith(".qt")
    assert not peekaboo.media.is_embeddable_image
    assert papers[9].title.startswith('"I Want It That Way": Enabling')


def test_2024_05_15_plus_marker_in_the_middle() -> None:
    """A lone `+` inside the author list marks truncation and keeps the names around it."""
    paper = parse_sample("2024-05-15.md").papers[1]
    assert paper.arxiv_id == "2405.08748"
    assert paper.authors_truncated
    assert "+" not in paper.authors
    assert len(paper.authors) == 22
    i = paper.authors.index("Minbin Huang")
    assert paper.authors[i + 1] == "Xinchi Deng"
    assert paper.authors[-1] == "Xingchao Liu"


def test_2024_06_13_first_and_last() -> None:
    """2024-06-13: labelled bullets, avatar images, first/last papers checked by hand."""
    digest = parse_sample("2024-06-13.md")
    first, last = digest.papers[0], digest.papers[-1]
    assert (first.arxiv_id, first.votes) == ("2406.06523", 47)
    assert first.title.startswith("NaRCan: Natural Refined Canonical Image")
    assert first.authors[0] == "Hau-Shiang Shiu" and first.authors[-1] == "Ting-Hsuan Chen"
    assert [b.label for b in first.summary] == [
        "What's New",
        "Technical Details",
        "Performance Highlights",
    ]
    assert (last.arxiv_id, last.votes, last.position) == ("2406.04329", 4, 21)
    assert last.authors == (
        "Jiaxin Shi",
        "Kehang Han",
        "Zhe Wang",
        "Michalis K. Titsias",
        "Arnaud Doucet",
    )
    physics = digest.papers[6]
    assert physics.media == Media("image", "/avatars/bbf781594fc8c812316711aa8e2797aa.svg")


# --- the variant files -------------------------------------------------------------------------


def test_variant_no_votes_no_authors() -> None:
    """2023-11-20: no Vote, Authors or media lines at all -> None, (), None for every paper."""
    digest = parse_sample("variants/2023-11-20-no-votes-no-authors.md")
    assert len(digest.papers) == 11
    for paper in digest.papers:
        assert paper.votes is None
        assert paper.authors == () and not paper.authors_truncated
        assert paper.media is None
    assert digest.papers[1].line == 12  # a heading right after the previous paper's bullets


def test_variant_indented_sub_bullets_join_their_bullet() -> None:
    """2023-11-20: indented `  - (1)` sub-bullets are joined to the bullet above with newlines."""
    paper = parse_sample("variants/2023-11-20-no-votes-no-authors.md").papers[-1]
    assert paper.arxiv_id == "2311.10125"
    assert len(paper.summary) == 6
    text = paper.summary[3].text
    lines = text.split("\n")
    assert lines[0] == "UnifiedVisionGPT는 네 가지 주요 특징을 통해 자신을 차별화한다:"
    assert len(lines) == 5
    assert lines[1].startswith("  - (1) 다양한") and lines[4].startswith("  - (4) 텍스트")
    assert paper.summary[4].text.startswith("이 논문은 UnifiedVisionGPT")


def test_variant_raw_video_no_blank_lines() -> None:
    """2023-11-21: fields without blank lines, and a raw `<video src='...'>` line."""
    digest = parse_sample("variants/2023-11-21-raw-video-no-blank-lines.md")
    first, second = digest.papers[0], digest.papers[1]
    assert first.arxiv_id == "2311.10770"
    assert first.media is not None and first.media.kind == "image"
    assert first.authors == ("Peter Belcak", "Roger Wattenhofer")
    assert first.votes is None and len(first.summary) == 5
    assert second.media == Media(
        "video",
        "https://cdn-uploads.huggingface.co/production/uploads/60f1abe7544c2adfd699860c/"
        "D-WQoAl7gR1AwRZ0RXNkW.mp4",
    )
    assert digest.papers[-1].title.startswith("M$^{2}$UGen: Multi-modal Music")


def test_variant_relative_paper_links() -> None:
    """2023-11-21: `/papers/ID` links give the arXiv id and an absolute Hugging Face URL."""
    relative = parse_sample("variants/2023-11-21-relative-paper-links.md").papers
    absolute = parse_sample("variants/2023-11-21-raw-video-no-blank-lines.md").papers
    assert [p.arxiv_id for p in relative] == [p.arxiv_id for p in absolute]
    assert relative[0].url == "https://huggingface.co/papers/2311.10770"
    video_as_image = relative[1].media
    assert video_as_image is not None and video_as_image.kind == "image"
    assert video_as_image.url.endswith(".mp4") and not video_as_image.is_embeddable_image


def test_variant_empty_day() -> None:
    """2023-11-22: a header alone is a valid day with zero papers and no problems."""
    digest = parse_sample("variants/2023-11-22-empty-day.md")
    assert digest == ParsedDigest(dt.date(2023, 11, 22), (), (), "variants/2023-11-22-empty-day.md")


def test_variant_labelled_bullets_and_relative_images() -> None:
    """2024-06-12: `**Label**:` bullets, an extra label, `+` authors, avatar/relative images."""
    digest = parse_sample("variants/2024-06-12-labelled-bullets-relative-images.md")
    first = digest.papers[0]
    assert first.summary[0].label == "What's New"
    assert first.summary[0].text.startswith("최근 이미지 생성 분야에서")
    assert not first.summary[0].text.startswith("**")
    labels = {b.label for p in digest.papers for b in p.summary}
    assert labels == {
        "What's New",
        "Technical Details",
        "Performance Highlights",
        "Related Work Summary",
    }
    prompt = digest.papers[1]
    assert prompt.authors_truncated and "+" not in prompt.authors
    assert prompt.authors[8:10] == ("Chau Pham", "Saurav Vidyadhara")
    assert prompt.authors[-1] == "Sweta Agrawal" and len(prompt.authors) == 22
    last = digest.papers[-1]
    assert last.media == Media("image", "/avatars/e4f630616a16a7fc691b5275bb62f2aa.svg")
    assert not last.media.is_embeddable_image
    avatar = digest.papers[13].media
    assert avatar is not None and "cdn-avatars" in avatar.url


def test_variant_two_headers_python_list_authors() -> None:
    """2024-10-18: two identical headers make one digest, and Python-list authors are split."""
    digest = parse_sample("variants/2024-10-18-two-headers-python-list-authors.md")
    assert digest.date == dt.date(2024, 10, 18)
    assert len(digest.papers) == 9
    first = digest.papers[0]
    assert (first.arxiv_id, first.votes) == ("2410.09342", 34)
    assert first.authors[:2] == ("Zihan Zhou", "Zhixing Tan") and len(first.authors) == 14
    assert first.summary[1].label == "Technical Details"
    after = digest.papers[7]
    assert (after.arxiv_id, after.position, after.line) == ("2410.13852", 8, 89)
    assert after.authors == (
        "Yiwei Chen",
        "Zizhao Chen",
        "Anne Wu",
        "Mustafa Omer Gul",
        "Yoav Artzi",
        "Gloria Geng",
    )
    last = digest.papers[-1]
    assert (last.arxiv_id, last.votes, last.position) == ("2410.13060", 0, 9)
    assert last.authors == ("Brandon Reagen", "Nandan Kumar Jha")


def test_variant_readme_wrapper() -> None:
    """2025-05-09: only the `## Daily Papers` section holds papers; README sections add nothing."""
    digest = parse_sample("variants/2025-05-09-readme-wrapper.md")
    assert len(digest.papers) == 20 and digest.problems == ()
    first, last = digest.papers[0], digest.papers[-1]
    assert (first.arxiv_id, first.votes, first.line) == ("2505.04921", 75, 11)
    assert (last.arxiv_id, last.votes, last.line) == ("2505.04955", 1, 239)
    assert last.authors == ("Zhifang Sui", "Fangwei Zhu", "Peiyi Wang")
    # The licence text after the last paper must not leak into its summary.
    assert all("CC BY-NC" not in b.text and "@misc" not in b.text for b in last.summary)


# --- votes, authors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "votes"),
    [("Vote: 12", 12), ("Vote: 0", 0), ("Vote: -", None), ("Authors: A", None), ("Vote:", None)],
)
def test_votes(body: str, votes: int | None) -> None:
    """`Vote: N` is N; `Vote: -`, an empty value and a missing line are unknown (None)."""
    assert only_paper(one(body)).votes == votes


def test_unreadable_vote_is_a_problem_but_keeps_the_paper() -> None:
    """A vote that is not a number becomes None plus a problem at that line."""
    digest = parse(one("Vote: lots"))
    assert len(digest.papers) == 1 and digest.papers[0].votes is None
    assert [(p.file, p.line) for p in digest.problems] == [("t.md", 5)]


def test_huge_vote_number_does_not_crash() -> None:
    """A thousands-digit vote (int() would refuse it) is a problem, not an exception."""
    digest = parse(one("Vote: " + "9" * 5000))
    assert digest.papers[0].votes is None and len(digest.problems) == 1


def test_first_vote_and_authors_lines_win() -> None:
    """A repeated Vote or Authors line does not override the first and is not summary text."""
    paper = only_paper(one("Vote: 5\nAuthors: Ann Lee\n- 요약\nVote: 9\nAuthors: Bo Kim"))
    assert paper.votes == 5 and paper.authors == ("Ann Lee",)
    assert paper.summary == (Bullet(None, "요약"),)


def test_missing_authors_line() -> None:
    """No Authors line means no authors and not truncated."""
    paper = only_paper(one("Vote: 3"))
    assert paper.authors == () and not paper.authors_truncated


@pytest.mark.parametrize(
    "line",
    ["Authors: +, Ann Lee, Bo Kim", "Authors: Ann Lee, +, Bo Kim", "Authors: Ann Lee, Bo Kim, +"],
    ids=["start", "middle", "end"],
)
def test_plus_marker_anywhere(line: str) -> None:
    """A lone `+` at the start, middle or end marks truncation and is not an author."""
    paper = only_paper(one(line))
    assert paper.authors == ("Ann Lee", "Bo Kim")
    assert paper.authors_truncated


def test_plus_inside_a_name_is_not_a_marker() -> None:
    """Only a lone `+` counts as the marker."""
    paper = only_paper(one("Authors: C++ Team, Ann Lee"))
    assert paper.authors == ("C++ Team", "Ann Lee") and not paper.authors_truncated


def test_python_list_authors() -> None:
    """`['A', 'B']` author lines give the names, in order."""
    paper = only_paper(one("Authors: ['Ann Lee', 'Bo Kim', ' Cy Park ']"))
    assert paper.authors == ("Ann Lee", "Bo Kim", "Cy Park")


def test_python_list_with_apostrophe_in_double_quotes() -> None:
    """`"O'Brien"` inside a Python list keeps its apostrophe."""
    paper = only_paper(one("""Authors: ['Ann Lee', "Sean O'Brien", 'Bo Kim']"""))
    assert paper.authors == ("Ann Lee", "Sean O'Brien", "Bo Kim")


def test_invalid_python_list_falls_back_to_splitting() -> None:
    """A list that is not valid Python (`'O'Brien'`) is still split on commas, quotes trimmed."""
    paper = only_paper(one("Authors: ['Ann Lee', 'Sean O'Brien', 'Bo Kim']"))
    assert paper.authors == ("Ann Lee", "Sean O'Brien", "Bo Kim")


def test_python_list_with_plus_marker() -> None:
    """The `+` marker inside a Python list also marks truncation."""
    paper = only_paper(one("Authors: ['Ann Lee', '+', 'Bo Kim']"))
    assert paper.authors == ("Ann Lee", "Bo Kim") and paper.authors_truncated


def test_python_list_with_backslash_does_not_evaluate_escapes() -> None:
    """Backslashes in a list are not Python escapes: the names are split as written."""
    paper = only_paper(one(r"Authors: ['Ann\nLee', 'Bo Kim']"))
    assert paper.authors == (r"Ann\nLee", "Bo Kim")


def test_list_of_non_strings_falls_back() -> None:
    """A Python list of numbers is not evaluated into ints."""
    paper = only_paper(one("Authors: [1, 2]"))
    assert paper.authors == ("1", "2")


def test_duplicate_names_keep_first_occurrence() -> None:
    """The same name twice on one line is kept once, at its first position."""
    paper = only_paper(one("Authors: Ann Lee, Bo Kim, Ann Lee, Cy Park, Bo Kim"))
    assert paper.authors == ("Ann Lee", "Bo Kim", "Cy Park")


def test_unicode_and_apostrophe_names() -> None:
    """Unicode and apostrophes in plain comma lists survive untouched."""
    paper = only_paper(one("Authors: Matthias Nießner, Rémi Munos, Gerard 't Hooft, D'Arcy Ng"))
    assert paper.authors == ("Matthias Nießner", "Rémi Munos", "Gerard 't Hooft", "D'Arcy Ng")


def test_stray_double_quote_is_trimmed() -> None:
    """A stray `"` at the edge of a name is dropped; the name itself stays."""
    paper = only_paper(one('Authors: Ann Lee", "Bo Kim, Cy "Danger" Park'))
    assert paper.authors == ("Ann Lee", "Bo Kim", 'Cy "Danger" Park')


def test_empty_names_are_dropped() -> None:
    """Doubled or trailing commas do not make empty authors."""
    paper = only_paper(one("Authors: Ann Lee,, Bo Kim, "))
    assert paper.authors == ("Ann Lee", "Bo Kim")


def test_six_hundred_sixty_names() -> None:
    """A very long author line (about 660 names) is read whole, in order."""
    names = [f"Author Number{i}" for i in range(660)]
    paper = only_paper(one("Authors: " + ", ".join(names)))
    assert paper.authors == tuple(names)


# --- media -------------------------------------------------------------------------------------

VIDEO = "https://cdn-uploads.huggingface.co/production/uploads/u/clip.mp4"


@pytest.mark.parametrize(
    "body",
    [
        f'[Watch Video]({VIDEO})\n<div><video controls src="{VIDEO}" muted="false"></video></div>',
        f'[Watch Video]{VIDEO}\n<div><video controls src="{VIDEO}" muted="false"></video></div>',
        f"<video src='{VIDEO}'></video>",
        f'<div><video controls src="{VIDEO}" muted="false"></video></div>',
    ],
    ids=["watch-link-and-div", "malformed-watch", "raw-video", "div-alone"],
)
def test_video_forms(body: str) -> None:
    """Each of the four video forms gives Media('video', url) and adds no bullet."""
    paper = only_paper(one(body + "\n\nVote: 1\n\n- 요약"))
    assert paper.media == Media("video", VIDEO)
    assert paper.summary == (Bullet(None, "요약"),)


@pytest.mark.parametrize(
    ("url", "embeddable"),
    [
        ("https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2406.07188.png", True),
        ("/avatars/e4f630616a16a7fc691b5275bb62f2aa.svg", False),
        ("https://cdn-uploads.huggingface.co/production/uploads/u/clip.webm", False),
    ],
)
def test_image_urls_are_kept_as_written(url: str, embeddable: bool) -> None:
    """`![](url)` is an image whatever the URL; only is_embeddable_image tells them apart."""
    paper = only_paper(one(f"![]({url})"))
    assert paper.media == Media("image", url)
    assert paper.media.is_embeddable_image is embeddable


def test_first_media_wins() -> None:
    """With two media lines the first one is kept and the second is not summary text."""
    paper = only_paper(one(f"![](https://x.org/a.png)\n<video src='{VIDEO}'></video>\n- 요약"))
    assert paper.media == Media("image", "https://x.org/a.png")
    assert paper.summary == (Bullet(None, "요약"),)


def test_no_media() -> None:
    """A paper without a media line has media None."""
    assert only_paper(one("Vote: 1")).media is None


# --- bullets -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "- **What's New**: 새로운 방법",
        "- ***What's New***: 새로운 방법",
        "- ***What's New*: 새로운 방법",
        "- **What’s New**: 새로운 방법",
        "- **What's New:** 새로운 방법",
        "- **What's New** : 새로운 방법",
    ],
    ids=["two-stars", "three-stars", "malformed", "curly", "colon-inside", "space-before-colon"],
)
def test_labelled_bullet_forms(line: str) -> None:
    """Every labelled form gives label "What's New" without asterisks or colon."""
    assert only_paper(one(line)).summary == (Bullet("What's New", "새로운 방법"),)


def test_malformed_technical_details_label() -> None:
    """`***Technical Details*:` (seen in the source) is a Technical Details bullet."""
    paper = only_paper(one("- ***Technical Details*: 세부 사항"))
    assert paper.summary == (Bullet("Technical Details", "세부 사항"),)


def test_korean_label() -> None:
    """Korean labels are labels too."""
    assert only_paper(one("- **주요 기여**: 내용")).summary == (Bullet("주요 기여", "내용"),)


def test_unlabelled_korean_bullets() -> None:
    """Plain bullets have label None and keep their text, in order."""
    paper = only_paper(one("- 첫째 문장입니다.\n- 둘째 **강조** 문장: 끝."))
    assert paper.summary == (
        Bullet(None, "첫째 문장입니다."),
        Bullet(None, "둘째 **강조** 문장: 끝."),
    )


def test_bold_text_that_is_not_a_label() -> None:
    """`**A**와 **B**: ...` is not a label: the bullet stays unlabelled and verbatim."""
    paper = only_paper(one("- **A**와 **B**: 비교"))
    assert paper.summary == (Bullet(None, "**A**와 **B**: 비교"),)


def test_multi_line_bullet_with_numbered_continuations() -> None:
    """`1) ...` lines after a bullet continue it, joined with newlines."""
    paper = only_paper(one("- **What's New**: 세 가지:\n1) 첫째\n2) 둘째\n- 다음"))
    assert paper.summary == (
        Bullet("What's New", "세 가지:\n1) 첫째\n2) 둘째"),
        Bullet(None, "다음"),
    )


def test_label_with_text_on_the_next_lines() -> None:
    """A label followed by nothing takes its text from the continuation lines."""
    paper = only_paper(one("- ***Technical Details***:\n  - 하나\n  - 둘"))
    assert paper.summary == (Bullet("Technical Details", "- 하나\n  - 둘"),)


def test_continuation_after_blank_line() -> None:
    """A continuation separated by a blank line still belongs to its bullet."""
    paper = only_paper(one("- 시작\n\n   이어지는 내용"))
    assert paper.summary == (Bullet(None, "시작\n   이어지는 내용"),)


def test_bullets_keep_code_like_text_verbatim() -> None:
    """Python list/dict text, `<EOS>`, `<bbox>` and `\\textit{}` are content, kept as written."""
    lines = [
        "- 출력 형식: {'answer': [1, 2], \"ok\": True}",
        "- 토큰 <EOS> 와 <bbox>x1,y1</bbox> 사용",
        "- \\textit{Italic} 과 $x^{2}$",
        "<EOS> 로 끝나는 줄",
    ]
    paper = only_paper(one("\n".join(lines)))
    assert [b.text for b in paper.summary] == [
        "출력 형식: {'answer': [1, 2], \"ok\": True}",
        "토큰 <EOS> 와 <bbox>x1,y1</bbox> 사용",
        "\\textit{Italic} 과 $x^{2}$\n<EOS> 로 끝나는 줄",
    ]


def test_text_before_any_bullet_becomes_a_bullet() -> None:
    """A summary paragraph without `- ` is kept as an unlabelled bullet, not dropped."""
    paper = only_paper(one("Vote: 2\n이 논문은 제목 없이 요약만 있습니다."))
    assert paper.summary == (Bullet(None, "이 논문은 제목 없이 요약만 있습니다."),)
    assert paper.votes == 2


# --- headings, titles, links -------------------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    [
        "[IDK] Cautious Language Models",
        "Scaling GPT-[n] Models",
        "M$^{2}$UGen: Multi-modal Music",
        "A* Search Without Expansions",
        "\\textsc{Lean}: Proofs",
        ">80% of Benchmarks (and more)",
        '"I Want It That Way": Decision Support',
        "Links [like](this) inside a title",
        "x" * 240,
    ],
)
def test_titles_with_symbols(title: str) -> None:
    """The link is the last `](...)`: brackets, LaTeX and symbols stay in the title."""
    paper = only_paper(one("Vote: 1", f"### [{title}](https://arxiv.org/abs/2311.11255)"))
    assert paper.title == title
    assert paper.arxiv_id == "2311.11255"
    assert paper.url == "https://arxiv.org/abs/2311.11255"


@pytest.mark.parametrize(
    ("link", "arxiv_id", "url"),
    [
        ("https://arxiv.org/abs/2406.06523", "2406.06523", None),
        ("https://arxiv.org/abs/2406.06523v3", "2406.06523", None),
        ("https://arxiv.org/pdf/2406.06523v2.pdf", "2406.06523", None),
        ("http://export.arxiv.org/abs/2312.0700", "2312.0700", None),
        ("https://arxiv.org/abs/hep-th/9901001v2", "hep-th/9901001", None),
        ("https://huggingface.co/papers/2311.10770", "2311.10770", None),
        ("/papers/2311.10770", "2311.10770", "https://huggingface.co/papers/2311.10770"),
        ("<https://arxiv.org/abs/2406.06523>", "2406.06523", "https://arxiv.org/abs/2406.06523"),
    ],
)
def test_arxiv_ids_from_links(link: str, arxiv_id: str, url: str | None) -> None:
    """arXiv abs/pdf and Hugging Face paper links give the arXiv id without version."""
    paper = only_paper(one("", f"### [Title]({link})"))
    assert paper.arxiv_id == arxiv_id
    assert ARXIV_ID_RE.fullmatch(paper.arxiv_id)
    assert paper.url == (url or link)


def test_non_arxiv_link_gets_a_stable_derived_id() -> None:
    """Other links keep their URL and get an `x-` id that is stable and never an arXiv id."""
    link = "https://openreview.net/forum?id=abc"
    a = only_paper(one("", f"### [Title]({link})"))
    b = only_paper(one("Vote: 3", f"### [Other title]({link})"))
    c = only_paper(one("", "### [Title](https://example.org/paper)"))
    assert a.url == link
    assert a.arxiv_id == b.arxiv_id
    assert re.fullmatch(r"x-[0-9a-f]{12}", a.arxiv_id)
    assert not ARXIV_ID_RE.fullmatch(a.arxiv_id)
    assert c.arxiv_id != a.arxiv_id


def test_protocol_relative_link_is_not_rooted_on_hugging_face() -> None:
    """Only root-relative links (`/papers/...`) are made absolute; `//host/...` is kept."""
    paper = only_paper(one("", "### [Title](//example.org/paper)"))
    assert paper.url == "//example.org/paper" and paper.arxiv_id.startswith("x-")


def test_non_arxiv_hf_paper_id_is_derived() -> None:
    """A Hugging Face papers link whose id is not arXiv-shaped also gets a derived id."""
    paper = only_paper(one("", "### [Title](/papers/not-an-id)"))
    assert paper.url == "https://huggingface.co/papers/not-an-id"
    assert paper.arxiv_id.startswith("x-")


@pytest.mark.parametrize(
    ("heading", "code"),
    [
        ("### Title without a link", ProblemCode.HEADING_NOT_A_LINK),
        ("### [Title without link]", ProblemCode.HEADING_NO_LINK),
        ("### [](https://arxiv.org/abs/2406.00009)", ProblemCode.HEADING_EMPTY_TITLE),
        ("### [Title]()", ProblemCode.HEADING_EMPTY_LINK),
        ("### [Truncated](https://arxiv.org/abs/2406.0", ProblemCode.HEADING_LINK_NOT_CLOSED),
        ("###", ProblemCode.HEADING_EMPTY),
    ],
)
def test_bad_heading_is_a_problem_and_the_rest_survives(heading: str, code: ProblemCode) -> None:
    """A heading that cannot become a paper is a problem at its line; the next paper is kept."""
    text = (
        f"{HEADER}{heading}\n\nVote: 5\n\nAuthors: Lost Author\n\n- 잃어버린 요약\n\n"
        "### [Good](https://arxiv.org/abs/2406.00002)\n\nVote: 7\n\n- 좋은 요약\n"
    )
    digest = parse(text)
    assert [(p.file, p.line) for p in digest.problems] == [("t.md", 3)]
    assert digest.problems[0].code is code
    assert digest.problems[0].values == (heading[3:].strip(),)
    [good] = digest.papers
    assert (good.arxiv_id, good.position, good.votes) == ("2406.00002", 1, 7)
    assert good.summary == (Bullet(None, "좋은 요약"),)


def test_duplicate_arxiv_id_keeps_the_first() -> None:
    """A second paper with the same id is a problem; positions stay contiguous."""
    text = (
        f"{HEADER}### [First](https://arxiv.org/abs/2406.00001)\nVote: 1\n"
        "### [Again](https://arxiv.org/pdf/2406.00001v2)\nVote: 9\n"
        "### [Third](https://arxiv.org/abs/2406.00003)\n"
    )
    digest = parse(text)
    assert [(p.title, p.position, p.votes) for p in digest.papers] == [
        ("First", 1, 1),
        ("Third", 2, None),
    ]
    [problem] = digest.problems
    assert (problem.line, problem.code, problem.values) == (
        5,
        ProblemCode.DUPLICATE_PAPER,
        ("2406.00001", "3"),
    )


def test_indented_heading_is_text() -> None:
    """Headings must start at column 0; an indented `### ` line is bullet text."""
    paper = only_paper(one("- 요약\n    ### [Not](https://arxiv.org/abs/2406.00005)"))
    assert paper.summary == (Bullet(None, "요약\n    ### [Not](https://arxiv.org/abs/2406.00005)"),)


def test_deeper_heading_is_text() -> None:
    """`#### ` lines inside a paper are text, not papers and not section ends."""
    text = one("- 요약\n#### 소제목") + "### [Next](https://arxiv.org/abs/2406.00002)\n"
    digest = parse(text)
    assert [p.arxiv_id for p in digest.papers] == ["2406.00001", "2406.00002"]
    assert digest.papers[0].summary == (Bullet(None, "요약\n#### 소제목"),)


# --- layout ------------------------------------------------------------------------------------


def test_fields_without_blank_lines() -> None:
    """Media, Vote, Authors and bullets packed line after line are all read."""
    text = (
        "## Daily Papers (2023-11-21)\n"
        "### [One](https://arxiv.org/abs/2311.10770)\n"
        "![](https://x.org/a.png)\nVote: 4\nAuthors: Ann Lee, Bo Kim\n- 하나\n- 둘\n"
        "### [Two](https://arxiv.org/abs/2311.10771)\nAuthors: Cy Park\n- 셋\n"
    )
    one_, two = parse(text).papers
    assert one_.media == Media("image", "https://x.org/a.png") and one_.votes == 4
    assert one_.authors == ("Ann Lee", "Bo Kim")
    assert [b.text for b in one_.summary] == ["하나", "둘"]
    assert two.authors == ("Cy Park",) and two.line == 8 and two.position == 2


def test_crlf_and_bom() -> None:
    """CRLF line endings and a UTF-8 BOM parse exactly like the plain file."""
    text = read("2024-06-13.md")
    plain = parse_digest(text, "f")
    assert parse_digest("\ufeff" + text.replace("\n", "\r\n"), "f") == plain


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=SAMPLE_IDS)
def test_trailing_newlines_do_not_matter(path: Path) -> None:
    """Files ending with zero, one or two newlines give the same digest."""
    text = path.read_text(encoding="utf-8").rstrip("\n")
    assert parse_digest(text, "f") == parse_digest(text + "\n\n", "f")


def test_two_headers_same_date_continue_positions() -> None:
    """A repeated header continues the same digest: positions keep counting, no problem."""
    text = (
        f"{HEADER}### [A](https://arxiv.org/abs/2406.00001)\n\n- a\n\n"
        f"{HEADER}### [B](https://arxiv.org/abs/2406.00002)\n\n- b\n"
    )
    digest = parse(text)
    assert [(p.arxiv_id, p.position) for p in digest.papers] == [
        ("2406.00001", 1),
        ("2406.00002", 2),
    ]
    assert digest.problems == ()
    assert digest.papers[0].summary == (Bullet(None, "a"),)


def test_second_header_with_other_date_is_reported() -> None:
    """A header with a different date keeps its papers under the first date and is reported."""
    text = (
        f"{HEADER}### [A](https://arxiv.org/abs/2406.00001)\n"
        "## Daily Papers (2024-06-14)\n### [B](https://arxiv.org/abs/2406.00002)\n"
    )
    digest = parse(text)
    assert digest.date == dt.date(2024, 6, 13)
    assert [p.position for p in digest.papers] == [1, 2]
    [problem] = digest.problems
    assert problem.line == 4 and problem.code is ProblemCode.HEADER_DATE_DIFFERS
    assert problem.values[0] == "2024-06-14"


def test_impossible_date_in_a_later_header_is_reported() -> None:
    """A later header with an impossible date still opens a digest section, with a problem."""
    text = f"{HEADER}## Daily Papers (2024-02-30)\n### [B](https://arxiv.org/abs/2406.00002)\n"
    digest = parse(text)
    assert [p.arxiv_id for p in digest.papers] == ["2406.00002"]
    assert [p.line for p in digest.problems] == [3]


def test_readme_sections_hold_no_papers() -> None:
    """`#`/`##` sections other than digests, fenced `#` lines and their `###` give nothing."""
    text = (
        "# Daily Papers\n\n## Project Description\n\n### [Not a paper](https://x.org/a)\n\n"
        "## Daily Papers (2025-05-09)\n\n"
        "### [Paper](https://arxiv.org/abs/2505.04921)\n\n- 요약\n\n"
        "## Citation\n\n```bibtex\n# not a heading\n## Not a section\n### [No](https://x.org)\n```\n"
        "\n### [Still no](https://arxiv.org/abs/2505.00001)\n\n## Star History\n\n![c](https://s)\n"
    )
    digest = parse(text)
    assert [p.arxiv_id for p in digest.papers] == ["2505.04921"]
    assert digest.problems == ()
    assert digest.papers[0].summary == (Bullet(None, "요약"),)


def test_digest_header_inside_an_unclosed_fence_still_counts() -> None:
    """An unclosed fence before the digest cannot hide its papers."""
    text = (
        "# Readme\n\n```\nunclosed\n\n## Daily Papers (2024-06-13)\n\n"
        "### [Paper](https://arxiv.org/abs/2406.00001)\n"
    )
    assert [p.arxiv_id for p in parse(text).papers] == ["2406.00001"]


def test_fence_inside_a_digest_is_bullet_text() -> None:
    """A fence in a summary is text: it cannot swallow the papers after it."""
    text = one("- 코드:\n```python\nx = 1\n") + "### [Next](https://arxiv.org/abs/2406.00002)\n"
    digest = parse(text)
    assert [p.arxiv_id for p in digest.papers] == ["2406.00001", "2406.00002"]
    assert digest.papers[0].summary == (Bullet(None, "코드:\n```python\nx = 1"),)


def test_headings_before_any_header_are_ignored() -> None:
    """`###` lines before the first digest header are outside any digest section."""
    text = "### [Early](https://arxiv.org/abs/2406.00009)\n\n" + one("- 요약")
    assert [p.arxiv_id for p in parse(text).papers] == ["2406.00001"]


# --- broken input ------------------------------------------------------------------------------


def test_garbage_lines_do_not_break_the_digest() -> None:
    """Junk lines between papers attach to a bullet or are skipped; every paper survives."""
    text = (
        f"{HEADER}garbage before the first paper\n\x00\x07 junk\n"
        "### [A](https://arxiv.org/abs/2406.00001)\n!!!\n[broken](\n<div>\n----\n- 요약\n"
        "%%%%\n### [B](https://arxiv.org/abs/2406.00002)\nVote: 3\n"
    )
    digest = parse(text)
    assert [p.arxiv_id for p in digest.papers] == ["2406.00001", "2406.00002"]
    a = digest.papers[0]
    assert a.summary == (Bullet(None, "!!!\n[broken]("), Bullet(None, "요약\n%%%%"))
    assert a.media is None and a.votes is None
    assert digest.papers[1].votes == 3
    assert digest.problems == ()


WITH_PAPERS = [
    (p, i) for p, i in zip(SAMPLE_FILES, SAMPLE_IDS, strict=True) if "### [" in p.read_text()
]


@pytest.mark.parametrize("path", [p for p, _ in WITH_PAPERS], ids=[i for _, i in WITH_PAPERS])
def test_truncated_file_keeps_every_complete_heading(path: Path) -> None:
    """Cutting a real file at any point keeps the papers whose headings were fully read."""
    text = path.read_text(encoding="utf-8")
    full = parse_digest(text, "f").papers
    after_header = text.index("\n", text.index("## Daily Papers (")) + 1
    rng = random.Random(path.name)
    for cut in sorted(rng.sample(range(after_header, len(text)), 40)):
        cut_text = text[:cut]
        digest = parse_digest(cut_text, "f")
        assert_accounted(cut_text, digest)
        kept = [p for p in full if cut_text.count("\n") >= p.line]  # heading line ended
        assert [p.arxiv_id for p in digest.papers][: len(kept)] == [p.arxiv_id for p in kept]


def test_truncated_mid_heading_is_a_problem() -> None:
    """A file cut in the middle of a heading's link reports that heading."""
    text = read("2024-05-15.md")
    cut = text.index("### [No Time to Waste") + 60
    digest = parse_digest(text[:cut], "f")
    assert len(digest.papers) == 6
    assert [p.line for p in digest.problems] == [98]


def test_truncated_mid_bullet_keeps_the_paper() -> None:
    """A file cut inside the last paper's bullets keeps that paper with what was read."""
    text = read("2023-12-13.md")
    cut = text.index("- 프롬프트 및 응답 분류를 위해")
    digest = parse_digest(text[: cut + 12], "f")
    last = digest.papers[-1]
    assert last.arxiv_id == "2312.06674" and last.votes is None
    assert last.summary[-1].text == "프롬프트 및 응답"


def test_not_a_digest_raises_digest_error() -> None:
    """Markdown without a digest header raises DigestError naming file and line."""
    with pytest.raises(DigestError) as caught:
        parse_digest("# Hello\n\n### [A](https://arxiv.org/abs/2406.00001)\n", "notes.md")
    error = caught.value
    assert isinstance(error, ValueError)
    assert (error.problem.file, error.problem.line) == ("notes.md", 1)
    assert error.problem.code is ProblemCode.NO_DIGEST_HEADER


def test_impossible_date_only_header_raises_at_its_line() -> None:
    """A file whose only header has an impossible date is not a digest; the line points at it."""
    with pytest.raises(DigestError) as caught:
        parse_digest("intro\n\n## Daily Papers (2024-13-40)\n", "bad.md")
    problem = caught.value.problem
    assert (problem.file, problem.line, problem.code) == (
        "bad.md",
        3,
        ProblemCode.NO_VALID_HEADER_DATE,
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n",
        "\ufeff",
        "\x00\xff\ufffd\x1b[0m" * 50,
        "## Daily Papers\n",
        "Daily Papers (2024-01-01)",
    ],
    ids=["empty", "newlines", "bom", "binary", "no-date", "no-hashes"],
)
def test_junk_raises_digest_error(text: str) -> None:
    """Empty strings, binary junk and near-headers raise DigestError, nothing else."""
    with pytest.raises(DigestError) as caught:
        parse(text)
    assert caught.value.problem.line >= 1 and caught.value.problem.file == "t.md"


def test_binary_junk_around_a_digest() -> None:
    """Binary-ish junk around a real digest does not stop its papers."""
    junk = bytes(range(256)).decode("latin-1").replace("\n", "")
    text = junk + "\n" + read("2024-02-15.md") + junk
    digest = parse_digest(text, "f")
    assert len(digest.papers) == 9
    assert_accounted(text, digest)


def test_digest_error_pickles() -> None:
    """DigestError survives pickling (e.g. across a process pool) with its attributes."""
    original = DigestError("f.md", 7, ProblemCode.WRONG_DAY, ("2024-06-13", "2024-06-14"))
    error = pickle.loads(pickle.dumps(original))
    assert error.problem == original.problem and str(error) == str(original)


# --- properties --------------------------------------------------------------------------------

REAL_TEXTS = [p.read_text(encoding="utf-8") for p in SAMPLE_FILES]
PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def parse_or_error(text: str) -> ParsedDigest | None:
    """Parse, allowing only DigestError, and only when the reference finds no valid header."""
    _, valid = reference(text)
    try:
        digest = parse_digest(text, "p.md")
    except DigestError as error:
        assert not valid, f"DigestError on a text with a valid header: {error}"
        assert error.problem.line >= 1
        return None
    assert valid
    assert_accounted(text, digest)
    assert all(p.file == "p.md" and p.line >= 1 for p in digest.problems)
    return digest


@PROPERTY_SETTINGS
@given(st.text())
def test_random_text_only_raises_digest_error(text: str) -> None:
    """Arbitrary text either parses with every heading accounted for or raises DigestError."""
    parse_or_error(text)


@PROPERTY_SETTINGS
@given(st.lists(st.text(max_size=40), max_size=30))
def test_random_lines_under_a_header(lines: list[str]) -> None:
    """Random lines after a header never raise and never lose a `###` heading."""
    text = "## Daily Papers (2024-01-02)\n" + "\n".join(lines)
    assert parse_or_error(text) is not None


LINE_KINDS = st.sampled_from(
    [
        "## Daily Papers (2024-06-13)",
        "## Daily Papers (2024-06-14)",
        "## Daily Papers (2024-02-30)",
        "# Daily Papers",
        "## License",
        "```bibtex",
        "```",
        "### [Paper](https://arxiv.org/abs/2406.00001)",
        "### [Paper two](https://arxiv.org/abs/2406.00002v2)",
        "### [[IDK] Title](/papers/2311.10770)",
        "### [Other](https://example.org/x)",
        "### no link",
        "### [](https://arxiv.org/abs/2406.00003)",
        "### [Cut](https://arxiv.org/abs/24",
        "###",
        "#### deeper",
        "Vote: 3",
        "Vote: -",
        "Vote: many",
        "Authors: A, +, B, A",
        "Authors: ['A', \"O'B\", 'C']",
        "Authors: ['A', 'O'B']",
        "![](/avatars/x.svg)",
        "[Watch Video]https://x/v.mp4",
        '<div><video controls src="https://x/v.mp4"></video></div>',
        "- ***What's New***: 새로운",
        "- **Technical Details*: 세부",
        "- 요약 <EOS>",
        "  - sub",
        "1) numbered",
        "",
        "\r",
        "garbage \x00",
    ]
)


@PROPERTY_SETTINGS
@given(st.lists(LINE_KINDS, max_size=40))
def test_generated_digests_account_for_every_heading(lines: list[str]) -> None:
    """Digest-shaped random files: every heading is a paper or a problem, positions 1..n."""
    parse_or_error("\n".join(lines))


@PROPERTY_SETTINGS
@given(
    st.sampled_from(range(len(REAL_TEXTS))),
    st.lists(
        st.tuples(st.sampled_from(["delete", "duplicate", "swap", "truncate"]), st.integers(0)),
        min_size=1,
        max_size=8,
    ),
)
def test_mutated_samples_never_lose_a_heading(index: int, edits: list[tuple[str, int]]) -> None:
    """Real files with lines deleted, duplicated, swapped or cut keep every heading accounted."""
    lines = REAL_TEXTS[index].split("\n")
    for op, n in edits:
        if not lines:
            break
        i = n % len(lines)
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = (n // len(lines)) % len(lines)
            lines[i], lines[j] = lines[j], lines[i]
        else:
            lines[i] = lines[i][: n % (len(lines[i]) + 1)]
            del lines[i + 1 :]
    parse_or_error("\n".join(lines))


@PROPERTY_SETTINGS
@given(st.sampled_from(range(len(REAL_TEXTS))), st.randoms(use_true_random=False))
def test_shuffled_samples_never_lose_a_heading(index: int, rng: random.Random) -> None:
    """A real file with its lines fully shuffled still accounts for every heading."""
    lines = REAL_TEXTS[index].split("\n")
    rng.shuffle(lines)
    parse_or_error("\n".join(lines))
