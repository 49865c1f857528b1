"""Parse one daily digest (Markdown) into a :class:`~storage.models.ParsedDigest`.

Pure functions: text in, frozen dataclasses out; no I/O and no logging. One pass over the lines,
regexes compiled once, so a file costs time proportional to its length.

The format and every variant handled here are described in ``storage/samples/SOURCE.md``. In short:

* A digest section starts at ``## Daily Papers (YYYY-MM-DD)``. Any other level-1 or level-2
  heading (``# Daily Papers``, ``## License``... in README-wrapped copies) ends it. Only
  ``### `` headings inside digest sections are papers; elsewhere they are ignored silently.
* Each ``### [Title](link)`` starts a paper; the link is the *last* ``](...)`` on the line, so
  titles may hold brackets (``[IDK]``, ``GPT-[n]``). The block that follows holds, in any order and
  with or without blank lines: media, ``Vote:``, ``Authors:`` and bullets.
* A ``### `` heading that cannot become a paper (no link, empty title or link, a repeated id) is
  reported as a :class:`~storage.models.Problem` with its line, and parsing carries on: every
  heading in a digest section ends up as exactly one paper or one problem.

Decisions on ambiguous input (each covered by a test):

* **Several headers.** A file can repeat its header (the source appended runs). All digest
  sections of a file form one digest: positions continue across headers. A header whose date
  differs from the first valid one, or whose date is impossible (``2024-02-30``), still opens a
  digest section (its papers are kept, under the first date) and adds a problem at that header's
  line, so nothing is lost and the mismatch is visible.
* **Not a digest.** :class:`DigestError` is raised only when no header with a valid date exists.
  Its line is that of the first header-shaped line with an impossible date, or 1.
* **Fences.** Fenced code blocks (`````/``~~~``) are honoured outside digest sections (a README's
  citation block may hold ``#`` lines); inside a digest section a fence line is plain bullet text,
  so an unclosed fence in a summary cannot swallow the papers after it. A digest header always
  counts, even inside an open fence, for the same reason.
* **Headings** must start at column 0 (``### ``, ``## ``, ``# ``); indented ones are text.
* **Ids.** ``arxiv.org/abs|pdf/ID`` and ``huggingface.co/papers/ID`` (also relative
  ``/papers/ID``) give the arXiv id without version. Any other link gives ``x-`` plus the first
  12 hex digits of the SHA-1 of the URL, which can never match :data:`~storage.models.ARXIV_ID_RE`.
  Root-relative links are made absolute on ``https://huggingface.co``. The first paper with an id
  wins; a later one with the same id becomes a problem.
* **Votes.** ``Vote: N`` -> N; ``Vote: -``, an empty value or no Vote line -> ``None``; anything
  else -> ``None`` plus a problem at that line. The first Vote/Authors line of a block wins.
* **Authors.** Comma-separated, or a Python list (``ast.literal_eval``, falling back to a plain
  split with quotes trimmed when the list is not valid Python, e.g. ``['O'Brien']``). A lone ``+``
  anywhere marks ``authors_truncated`` and is dropped; empty names are dropped; repeated names keep
  their first occurrence; stray double quotes at either end of a name are trimmed (apostrophes are
  kept: ``'t Hooft``).
* **Media.** The first media line of a block wins. ``![](url)`` is an image whatever the URL
  (relative, avatar, ``.webm``, ``.mp4``): :attr:`Media.is_embeddable_image` decides display.
  ``[Watch Video](url)``, ``[Watch Video]url``, ``<video src=...>`` and the ``<div><video ...>``
  line are videos.
* **Bullets.** ``- text`` (or ``* text``) at column 0 starts a bullet. ``**Label**: text``,
  ``***Label***: text``, ``***Label*:``, ``**Label:**`` give ``Bullet(label, text)`` with the
  asterisks and colon removed and curly apostrophes straightened in the label; other bullets have
  ``label=None``. Every following line that is not a field (indented sub-bullets, ``1) ...``,
  plain text), even after blank lines, is joined to the current bullet with a newline, keeping its
  indentation; blank lines themselves are dropped. Text before the first bullet starts an
  unlabelled bullet. Bullet text is kept verbatim (``<EOS>``, ``\\textit{}``...).
"""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import re

from storage.models import (
    ARXIV_ID_RE,
    ARXIV_URL_RE,
    HF_PAPER_URL_RE,
    Bullet,
    Media,
    ParsedDigest,
    ParsedPaper,
    Problem,
    ProblemCode,
)

__all__ = ["DigestError", "parse_digest"]


class DigestError(ValueError):
    """The text is not a digest at all (no ``## Daily Papers (YYYY-MM-DD)`` header with a real
    date); :attr:`problem` says where and why, as a code."""

    def __init__(self, file: str, line: int, code: ProblemCode, values: tuple[str, ...] = ()):
        self.problem = Problem(file, line, code, values)
        super().__init__(str(self.problem))

    def __reduce__(self) -> tuple[type[DigestError], tuple[str, int, ProblemCode, tuple[str, ...]]]:
        problem = self.problem
        return (type(self), (problem.file, problem.line, problem.code, problem.values))


_HEADER_RE = re.compile(
    r"##[ \t]+Daily[ \t]+Papers[ \t]*\([ \t]*(\d{4})-(\d{1,2})-(\d{1,2})[ \t]*\)", re.IGNORECASE
)
_VOTE_RE = re.compile(r"Votes?[ \t]*:(.*)")
_VOTE_NUMBER_RE = re.compile(r"\d{1,9}")
_AUTHORS_RE = re.compile(r"Authors?[ \t]*:(.*)")
_IMAGE_RE = re.compile(r"!\[[^\]]*\]\((.*)\)")
_WATCH_RE = re.compile(r"\[Watch Video\][ \t]*(?:\(([^)\s]*)\)|(\S+))", re.IGNORECASE)
_VIDEO_SRC_RE = re.compile(r"<(?:video|source)\b[^>]{0,400}?\bsrc[ \t]*=[ \t]*([\"'])(.*?)\1", re.I)
_WRAPPER_RE = re.compile(r"(?:</?div[^>]*>|</video>|</source>)+[ \t]*", re.IGNORECASE)
_RULE_RE = re.compile(r"(?:[-*_][ \t]*){3,}")
_LABEL_RE = re.compile(
    r"\*{1,3}([^*\n]{1,80}?)(?:\*{1,3}[ \t]*[:：]|[:：][ \t]*\*{1,3})[ \t]*(.*)", re.DOTALL
)
_CURLY = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
_HF_ORIGIN = "https://huggingface.co"


class _Block:
    """A paper being read: the heading is known, fields arrive line by line."""

    __slots__ = (
        "arxiv_id",
        "authors",
        "authors_seen",
        "bullets",
        "line",
        "media",
        "title",
        "truncated",
        "url",
        "vote_seen",
        "votes",
    )

    def __init__(self, line: int, title: str, url: str, arxiv_id: str) -> None:
        self.line = line
        self.title = title
        self.url = url
        self.arxiv_id = arxiv_id
        self.authors: tuple[str, ...] = ()
        self.truncated = False
        self.authors_seen = False
        self.votes: int | None = None
        self.vote_seen = False
        self.media: Media | None = None
        self.bullets: list[tuple[str | None, list[str]]] = []

    def add_text(self, text: str) -> None:
        """A line that is not a field: continue the current bullet, or start an unlabelled one."""
        if self.bullets:
            self.bullets[-1][1].append(text)
        else:
            self.bullets.append((None, [text.strip()]))

    def build(self, position: int) -> ParsedPaper:
        summary = []
        for label, parts in self.bullets:
            text = "\n".join(parts).strip()
            if text or label:
                summary.append(Bullet(label, text))
        return ParsedPaper(
            arxiv_id=self.arxiv_id,
            title=self.title,
            url=self.url,
            authors=self.authors,
            authors_truncated=self.truncated,
            votes=self.votes,
            media=self.media,
            summary=tuple(summary),
            position=position,
            line=self.line,
        )


def parse_digest(text: str, source: str = "<string>") -> ParsedDigest:
    """Parse one digest file's text; ``source`` names it in problems and errors.

    Returns the day's papers in file order with 1-based positions, plus a problem for every
    ``### `` heading of a digest section that could not become a paper. Raises
    :class:`DigestError` (and nothing else) only when the text holds no digest header with a
    valid date.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    date: dt.date | None = None
    bad_header_line = 0
    in_digest = False
    fence = ""  # the open fence marker, outside digest sections only
    block: _Block | None = None
    papers: list[ParsedPaper] = []
    problems: list[Problem] = []
    first_line_of: dict[str, int] = {}

    def flush() -> None:
        nonlocal block
        if block is None:
            return
        first = first_line_of.get(block.arxiv_id)
        if first is None:
            first_line_of[block.arxiv_id] = block.line
            papers.append(block.build(len(papers) + 1))
        else:
            problems.append(
                Problem(
                    source, block.line, ProblemCode.DUPLICATE_PAPER, (block.arxiv_id, str(first))
                )
            )
        block = None

    for number, line in enumerate(text.split("\n"), 1):
        if line.endswith("\r"):
            line = line[:-1]
        if not line or line.isspace():
            continue
        first = line[0]

        # Headings (column 0 only): decide the section, or start a paper.
        if first == "#":
            level = _heading_level(line)
            if level == 2 and (match := _HEADER_RE.match(line)):
                flush()
                fence = ""
                in_digest = True
                day = _date(match)
                if day is None:
                    bad_header_line = bad_header_line or number
                    problems.append(
                        Problem(source, number, ProblemCode.IMPOSSIBLE_HEADER_DATE, (line,))
                    )
                elif date is None:
                    date = day
                elif day != date:
                    problems.append(
                        Problem(
                            source,
                            number,
                            ProblemCode.HEADER_DATE_DIFFERS,
                            (day.isoformat(), date.isoformat()),
                        )
                    )
                continue
            if fence:
                continue
            if level in (1, 2):
                flush()
                in_digest = False
                continue
            if level == 3:
                if in_digest:
                    flush()
                    block = _start_block(line, number, source, problems)
                continue
            # "####..." or "#word": ordinary text, handled below.
        elif not in_digest:
            stripped = line.lstrip()
            if fence:
                if stripped.startswith(fence) and not stripped.strip(fence[0]).strip():
                    fence = ""
            elif len(line) - len(stripped) < 4 and stripped.startswith(("```", "~~~")):
                marker = stripped[0]
                fence = marker * (len(stripped) - len(stripped.lstrip(marker)))
            continue

        if block is None or not in_digest:
            continue
        _read_block_line(block, line, first, number, source, problems)

    flush()
    if date is None:
        if bad_header_line:
            raise DigestError(source, bad_header_line, ProblemCode.NO_VALID_HEADER_DATE)
        raise DigestError(source, 1, ProblemCode.NO_DIGEST_HEADER)
    return ParsedDigest(date=date, papers=tuple(papers), problems=tuple(problems), source=source)


def _heading_level(line: str) -> int:
    """1, 2 or 3 for ``#``/``##``/``### `` headings at column 0; 0 for anything else."""
    hashes = len(line) - len(line.lstrip("#"))
    if hashes > 3:
        return 0
    if len(line) == hashes or line[hashes] in " \t":
        return hashes
    return 0


def _date(match: re.Match[str]) -> dt.date | None:
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _start_block(line: str, number: int, source: str, problems: list[Problem]) -> _Block | None:
    """Read a ``### [Title](link)`` heading; on failure record a problem and return None."""
    body = line[3:].strip()
    code: ProblemCode
    if not body:
        code = ProblemCode.HEADING_EMPTY
    elif not body.startswith("["):
        code = ProblemCode.HEADING_NOT_A_LINK
    else:
        split = body.rfind("](")
        close = body.rfind(")")
        if split < 0:
            code = ProblemCode.HEADING_NO_LINK
        elif close < split + 2:
            code = ProblemCode.HEADING_LINK_NOT_CLOSED
        else:
            title = body[1:split].strip()
            url = _clean_url(body[split + 2 : close])
            if not title:
                code = ProblemCode.HEADING_EMPTY_TITLE
            elif not url:
                code = ProblemCode.HEADING_EMPTY_LINK
            else:
                url, arxiv_id = _identify(url)
                return _Block(number, title, url, arxiv_id)
    shown = body if len(body) <= 80 else body[:79] + "…"
    problems.append(Problem(source, number, code, (shown,)))
    return None


def _clean_url(raw: str) -> str:
    url = raw.strip()
    if url.startswith("<") and ">" in url:
        return url[1 : url.index(">")].strip()
    return url.split(None, 1)[0] if url else ""


def _identify(url: str) -> tuple[str, str]:
    """Return ``(url, id)``: root-relative links made absolute, and the arXiv or derived id."""
    if url.startswith("/") and not url.startswith("//"):
        url = _HF_ORIGIN + url
    match = ARXIV_URL_RE.match(url) or HF_PAPER_URL_RE.match(url)
    candidate = match["id"] if match else ""
    if candidate and (id_match := ARXIV_ID_RE.fullmatch(candidate)):
        return url, id_match[1]
    digest = hashlib.sha1(url.encode("utf-8", "surrogatepass"), usedforsecurity=False)
    return url, "x-" + digest.hexdigest()[:12]


def _read_block_line(
    block: _Block, line: str, first: str, number: int, source: str, problems: list[Problem]
) -> None:
    """Apply one non-blank, non-heading line of a paper block."""
    if first == "-" or first == "*":
        if len(line) == 1 or line[1] in " \t":
            _start_bullet(block, line[1:].strip())
            return
        if _RULE_RE.fullmatch(line):
            return
    elif first == "V":
        match = _VOTE_RE.match(line)
        if match:
            if not block.vote_seen:
                block.vote_seen = True
                value = match[1].strip().replace(",", "")
                if _VOTE_NUMBER_RE.fullmatch(value):
                    block.votes = int(value)
                elif value not in ("", "-"):
                    problems.append(
                        Problem(source, number, ProblemCode.UNREADABLE_VOTE, (value[:40],))
                    )
            return
    elif first == "A":
        match = _AUTHORS_RE.match(line)
        if match:
            if not block.authors_seen:
                block.authors_seen = True
                block.authors, block.truncated = _parse_authors(match[1])
            return
    elif first == "!":
        match = _IMAGE_RE.match(line)
        if match:
            url = _clean_url(match[1])
            if block.media is None and url:
                block.media = Media("image", url)
            return
    elif first == "[":
        match = _WATCH_RE.match(line)
        if match:
            url = match[1] or match[2] or ""
            if block.media is None and url:
                block.media = Media("video", url)
            return
    elif first == "<":
        match = _VIDEO_SRC_RE.search(line) if "src" in line else None
        if match:
            url = match[2].strip()
            if block.media is None and url:
                block.media = Media("video", url)
            return
        if _WRAPPER_RE.fullmatch(line):
            return
    block.add_text(line.rstrip())


def _start_bullet(block: _Block, text: str) -> None:
    if text.startswith("*"):
        match = _LABEL_RE.fullmatch(text)
        if match:
            label = " ".join(match[1].translate(_CURLY).split()).strip(" :")
            if label:
                block.bullets.append((label, [match[2].strip()]))
                return
    block.bullets.append((None, [text]))


def _parse_authors(raw: str) -> tuple[tuple[str, ...], bool]:
    """Names in order without the ``+`` marker, and whether that marker was there."""
    text = raw.strip()
    names: list[str] | None = None
    if len(text) >= 2 and text[0] == "[" and text[-1] == "]":
        if "\\" not in text:  # no escapes: literal_eval would only warn about them
            try:
                value = ast.literal_eval(text)
            except Exception:  # any failure means "not a Python list": split instead
                value = None
            if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
                names = [v.strip() for v in value]
        if names is None:
            names = [part.strip().strip("'\"").strip() for part in text[1:-1].split(",")]
    else:
        names = [part.strip().strip('"').strip() for part in text.split(",")]
    truncated = False
    kept: dict[str, None] = {}
    for name in names:
        if name == "+":
            truncated = True
        elif name and name not in kept:
            kept[name] = None
    return tuple(kept), truncated
