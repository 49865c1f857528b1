"""The prompt that asks a chat model for Korean summary bullets in the archive's style.

The examples are two papers of the archive's digest of 2024-06-13
(``storage/ingest/samples/2024-06-13.md``), verbatim: the labelled three-bullet form of the
archive's later days, which :func:`bot.core.summaries.parse_bullets` reads back. The prompt is
words for the model, not for readers, so it is not in the message catalogues.
"""

from __future__ import annotations

from storage.models import Paper

#: The longest abstract sent to the model (characters); abstracts are rarely longer.
MAX_ABSTRACT = 4000

SYSTEM = (
    "You summarise machine-learning papers for Korean readers of a daily papers digest. "
    "Answer in Korean (keep technical terms in English in parentheses where helpful), "
    "with 3 to 5 markdown bullets and nothing else, each bullet one line of the form "
    "'- **Label**: text'. Use the labels What's New, Technical Details and Performance "
    "Highlights, in that order, as in the examples. No links, no mentions, no headings."
)

EXAMPLES: tuple[tuple[str, str], ...] = (
    (
        (
            "NaRCan: Natural Refined Canonical Image with Integration of Diffusion "
            "Prior for Video Editing"
        ),
        (
            "- **What's New**: 이번 논문에서는 NaRCan이라는 혁"
            "신적인 하이브리드 변형 필드 네트워크 아키텍처를 제안합니다. 이를 통"
            "해 다양한 시나리오에서 고품질의 자연스러운 canonical 이미지를"
            " 생성할 수 있습니다. 특히, diffusion prior를 통합하여"
            " 기존의 비디오 편집 방법들보다 더 나은 성능을 보임을 실험적으로 입"
            "증하였습니다.\n"
            "- **Technical Details**: NaRCan은 homog"
            "raphy와 잔여 변형 MLP를 결합한 하이브리드 변형 필드 모델을 "
            "도입하였습니다. 또한, LoRA로 미세 조정된 잠재 diffusion"
            " 모델(latent diffusion model)을 통합하여 자연스러"
            "운 canonical 이미지 생성을 보장했습니다. 기존 방법들이 ca"
            "nonical 이미지 품질 관리에 제한적이었던 반면, NaRCan은 "
            "diffusion priors를 사용해 이를 극복합니다. 동적 스케줄"
            "링 방법을 통해 전체 훈련 과정을 가속화시킨 것도 주요 기술적 특징 "
            "중 하나입니다.\n"
            "- **Performance Highlights**: 실험 결과 Na"
            "RCan은 기존의 비디오 편집 방법들보다 우수한 성능을 보였습니다. "
            "특히, 고품질의 자연스러운 canonical 이미지 생성과 빠른 수렴"
            " 속도에서 탁월한 성과를 냈습니다. 이러한 성능 개선은 다양한 영상 "
            "편집 작업(예: 횡단 세그멘테이션, 서체 편집 등)에 쉽게 적용될 수"
            " 있습니다."
        ),
    ),
    (
        ("Magpie: Alignment Data Synthesis from Scratch by Prompting Aligned LLMs with Nothing"),
        (
            "- **What's New**: 최근 대규모 언어 모델(LLM)인 G"
            "PT-4와 Llama-3가 다양한 작업에서 뛰어난 성능을 발휘하면서 "
            "AI 애플리케이션에서 중요한 역할을 하고 있습니다. 그러나 LLM이 "
            "이러한 성능을 발휘하기 위해서는 고품질의 명령어 데이터셋이 필요합니다"
            ". Magpie라는 새로운 방법이 제안되어 LLM을 사용하여 고품질의"
            " 명령어 데이터셋을 대규모로 생성할 수 있습니다.\n"
            "- **Technical Details**: Magpie는 LLM을 "
            "통해 명령어 데이터를 자동으로 생성하는 방법으로, 인간의 개입 없이도"
            " 실행이 가능합니다. 이 방법은 두 가지 주요 단계로 구분됩니다: 1"
            ") 명령어 생성, 2) 응답 생성. 특히 Magpie는 기존의 프롬프"
            "트 엔지니어링이나 시드 질문(seed question) 없이도 LLM"
            "의 사전 정의된 템플릿을 사용하여 명령어를 생성합니다.\n"
            "- **Performance Highlights**: Magpie는 "
            "Llama-3-8B-Instruct와 Llama-3-70B-Instr"
            "uct 모델에 적용되어 각각 Magpie-Air와 Magpie-Pro"
            " 데이터셋을 생성했습니다. 이 데이터셋을 기반으로 모델을 파인 튜닝한"
            " 결과, Llama-3-8B-Instruct와 같은 공식 모델보다 A"
            "lpacaEval 벤치마크에서 우수한 성능을 보였습니다. 이는 Mag"
            "pie가 생성한 명령어 데이터의 품질이 매우 높다는 것을 의미합니다."
            " 또한, Magpie-Pro는 Alpaca, Evol Instruct"
            ", UltraChat와 같은 다른 데이터셋에 비해 더 광범위한 주제와"
            " 더 많은 다양성을 제공함을 보여줬습니다."
        ),
    ),
)


def messages(paper: Paper) -> list[dict[str, str]]:
    """The chat messages for ``paper``: the instructions, the examples as earlier turns, then
    the paper's title, abstract (the API's, capped) and keywords."""
    chat = [{"role": "system", "content": SYSTEM}]
    for title, bullets in EXAMPLES:
        chat.append({"role": "user", "content": f"Title: {title}"})
        chat.append({"role": "assistant", "content": bullets.strip()})
    abstract = "\n".join(b.text for b in paper.summary)[:MAX_ABSTRACT]
    request = f"Title: {paper.title}\n\nAbstract: {abstract}"
    if paper.keywords:
        request += "\n\nKeywords: " + ", ".join(paper.keywords)
    chat.append({"role": "user", "content": request})
    return chat
