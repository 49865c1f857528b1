"""Synthetic digests for the benchmarks, recombined from the real bundled samples.

Titles mix the words of real titles, summaries reuse real Korean bullets, and authors come from
the real author pool with a skewed reuse so that names overlap the way prolific authors do
(about seven authors a paper). Each synthetic day is rendered back into the real markdown format,
so the benchmark measures the real parser as well as the store.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from storage.ingest.parser import parse_digest
from storage.models import ParsedPaper

SAMPLES = Path(__file__).resolve().parent.parent / "storage" / "ingest" / "samples"


@dataclass(frozen=True, slots=True)
class Pool:
    title_words: tuple[str, ...]
    titles: tuple[str, ...]
    bullets: tuple[tuple[str | None, str], ...]
    authors: tuple[str, ...]
    media: tuple[str, ...]


def load_pool() -> Pool:
    """Harvest titles, bullets, authors and media lines from every bundled sample."""
    papers: list[ParsedPaper] = []
    for path in sorted(SAMPLES.rglob("*.md")):
        try:
            papers.extend(parse_digest(path.read_text(encoding="utf-8"), str(path)).papers)
        except ValueError:
            continue
    titles = tuple(p.title for p in papers)
    words = tuple(w for t in titles for w in t.split() if w.isascii() and w.isalpha())
    bullets = tuple((b.label, b.text) for p in papers for b in p.summary)
    authors = tuple(sorted({a for p in papers for a in p.authors}))
    media = tuple(p.media.url for p in papers if p.media and p.media.kind == "image")
    return Pool(words, titles, bullets, authors, media)


def _author_pool(pool: Pool, size: int, rng: random.Random) -> list[str]:
    """Real names, extended with recombined first/last names to reach ``size`` distinct people."""
    names = list(pool.authors)
    firsts = [n.split()[0] for n in names if " " in n]
    lasts = [n.split()[-1] for n in names if " " in n]
    seen = set(names)
    while len(names) < size:
        name = f"{rng.choice(firsts)} {rng.choice(lasts)}"
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def render_day(day: dt.date, papers: list[dict]) -> str:
    """Render one day in the digest's real markdown format."""
    out = [f"## Daily Papers ({day.isoformat()})", ""]
    for p in papers:
        out += [f"### [{p['title']}](https://arxiv.org/abs/{p['id']})", ""]
        if p["media"]:
            out += [f"![]({p['media']})", ""]
        out += [f"Vote: {p['votes']}", "", "Authors: " + ", ".join(p["authors"]), ""]
        for label, text in p["bullets"]:
            out.append(f"- **{label}**: {text}" if label else f"- {text}")
        out.append("")
    return "\n".join(out) + "\n"


def synth_days(
    total_papers: int,
    *,
    per_day: int = 30,
    seed: int = 7,
    pool: Pool | None = None,
    start: dt.date = dt.date(2016, 1, 1),
) -> Iterator[tuple[dt.date, str]]:
    """Yield ``(date, markdown)`` for enough days to hold ``total_papers`` papers, from
    ``start`` (arXiv ids follow the day's year and month, so later days are new papers)."""
    rng = random.Random(seed)
    pool = pool or load_pool()
    people = _author_pool(pool, max(2000, total_papers // 3), rng)
    # Skewed reuse: a few prolific authors (the busiest on a few hundred papers per 100k, as on
    # the real Daily Papers), and a long tail.
    cum_weights = list(itertools.accumulate(1.0 / (i + 1) ** 0.3 for i in range(len(people))))
    day = start
    made = 0
    serial = 0
    while made < total_papers:
        n = min(per_day, total_papers - made)
        papers = []
        for _ in range(n):
            serial += 1
            yymm = f"{day.year % 100:02d}{day.month:02d}"
            words = rng.sample(pool.title_words, k=rng.randint(5, 11))
            title = " ".join(words).capitalize() + f" {serial}"
            authors = list(dict.fromkeys(rng.choices(people, cum_weights=cum_weights, k=7)))
            papers.append(
                {
                    "id": f"{yymm}.{serial % 100000:05d}",
                    "title": title,
                    "media": rng.choice(pool.media) if pool.media and rng.random() < 0.8 else None,
                    "votes": int(rng.paretovariate(1.3)) - 1,
                    "authors": authors,
                    "bullets": rng.sample(pool.bullets, k=3),
                }
            )
        yield day, render_day(day, papers)
        made += n
        day += dt.timedelta(days=1)


def write_corpus(directory: Path, total_papers: int, **kwargs: object) -> list[Path]:
    """Write the synthetic digests as ``YYYY-MM-DD.md`` files and return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for day, text in synth_days(total_papers, **kwargs):  # type: ignore[arg-type]
        path = directory / f"{day.isoformat()}.md"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
