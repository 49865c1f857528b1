"""Korean search recall on the bundled samples.

Run:  .venv/bin/python -m bench.korean_recall [--words N] [--seed S] [--verbose]

Imports every bundled sample digest into a temporary store, then for Korean words of two to four
syllables checks ``Store.search(word)`` against ground truth: the papers whose title or summary
contains the word as a substring (so ``모델`` counts ``모델이``, ``모델을``, ``언어모델``).
Words: a fixed list of common research words plus a random sample of every 2-4 syllable Hangul
substring that starts a word in the summaries. Prints recall = papers found / papers expected,
overall and for the words that miss, and exits non-zero below 100%.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import sys
import tempfile
from pathlib import Path

from storage.ingest.parser import parse_digest
from storage.sqlite.store import Store

SAMPLES = Path(__file__).resolve().parent.parent / "storage" / "ingest" / "samples"

COMMON = (
    "모델 학습 데이터 성능 언어 이미지 생성 방법 연구 논문 결과 제안 기존 평가 실험 대규모 "
    "향상 비디오 텍스트 효율 구조 능력 작업 정보 추론 문제 기반 다양 영상 벤치마크 "
    "데이터셋 프레임워크 알고리즘 네트워크 아키텍처 파라미터 최적화 정확도 확산 강화 "
    "사전 미세 조정 멀티모달 시각 음성 로봇 에이전트 코드 수학 평가지표"
).split()

_WORD_RE = re.compile(r"[\uac00-\ud7a3]{2,}")


def candidate_words(texts: list[str]) -> list[str]:
    """Every 2-4 syllable prefix of every Hangul run in ``texts`` (what people type)."""
    words: set[str] = set()
    for text in texts:
        for run in _WORD_RE.findall(text):
            for n in (2, 3, 4):
                if len(run) >= n:
                    words.add(run[:n])
    return sorted(words)


async def measure(words_sampled: int, seed: int, verbose: bool) -> float:
    paths = sorted(p for p in SAMPLES.rglob("*.md") if p.name != "SOURCE.md")
    with tempfile.TemporaryDirectory(prefix="papers-recall-") as tmp:
        store = await Store.open(Path(tmp) / "recall.db")
        try:
            for path in paths:
                await store.import_digest(parse_digest(path.read_text(encoding="utf-8"), str(path)))
            corpus = {
                p.arxiv_id: p.title + "\n" + "\n".join(b.text for b in p.summary)
                async for p in store.iter_papers()
            }
            pool = candidate_words(list(corpus.values()))
            rng = random.Random(seed)
            words = list(dict.fromkeys([*COMMON, *rng.sample(pool, min(words_sampled, len(pool)))]))
            expected_total = found_total = 0
            misses: list[tuple[str, int, int]] = []
            for word in words:
                expected = {pid for pid, text in corpus.items() if word in text}
                if not expected:
                    continue
                page = await store.search(word, limit=len(corpus))
                found = {hit.paper.arxiv_id for hit in page.items} & expected
                expected_total += len(expected)
                found_total += len(found)
                if len(found) < len(expected):
                    misses.append((word, len(found), len(expected)))
                elif verbose:
                    print(f"  {word}: {len(found)}/{len(expected)}")
        finally:
            await store.close()
    recall = found_total / expected_total if expected_total else 1.0
    print(
        f"Korean recall on {len(paths)} sample files, {len(corpus)} papers, "
        f"{len(words)} words ({len(COMMON)} common + random 2-4 syllable words, seed {seed}): "
        f"{found_total}/{expected_total} = {recall:.2%}"
    )
    for word, found, expected in misses:
        print(f"  missed: {word} {found}/{expected}")
    return recall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=500, help="random words to sample")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    recall = asyncio.run(measure(args.words, args.seed, args.verbose))
    sys.exit(0 if recall >= 1.0 else 1)


if __name__ == "__main__":
    main()
