"""The guard on LLM output: loops, no citation, mostly unsupported and runaway answers."""

from __future__ import annotations

from rag.guard import degeneracy, loops
from rag.types import Answer, Citation, SentenceCheck, Usage

SMOLLM2_LOOP = "[1] The answer to the question about quantization is:\n" * 15


def _answer(text: str, supported: list[bool], tokens: int = 40, cited: bool = True) -> Answer:
    checks = [
        SentenceCheck(f"s{i}", [1], 0.9 if ok else 0.1, [], ok) for i, ok in enumerate(supported)
    ]
    return Answer(
        question="q",
        text=text,
        sources=[],
        citations=[Citation(1, "p1", "Paper")] if cited else [],
        refused=False,
        backend="openai:m",
        usage=Usage(prompt_tokens=100, completion_tokens=tokens),
        sentences=checks,
    )


GOOD = (
    "The method quantizes weights to four bits with little loss [1]. It keeps activations "
    "in eight bits and runs 2x faster on GPUs [2]. A calibration set of 128 samples is enough "
    "to fit the scales [1]."
)


def test_a_plain_cited_supported_answer_passes():
    assert not loops(GOOD)
    assert degeneracy(_answer(GOOD, [True, True, True]), max_tokens=400) is None


def test_a_phrase_looping_is_caught():
    assert loops(SMOLLM2_LOOP)
    assert degeneracy(_answer(SMOLLM2_LOOP, [True]), 400) == "it repeats itself"


def test_a_short_sentence_repeated_three_times_is_caught():
    text = "Quantization reduces memory [1]. " * 3
    assert loops(text)
    assert not loops("Quantization reduces memory [1]. " * 2 + "It also speeds inference [2].")


def test_a_long_answer_that_reuses_a_term_is_not_a_loop():
    text = " ".join(
        f"Large language models in study {i} are quantized with method {chr(65 + i)} [1]."
        for i in range(8)
    )
    assert not loops(text)


def test_no_citation_is_caught():
    assert degeneracy(_answer(GOOD, [True], cited=False), 400) == "it cites none of the sources"


def test_most_sentences_unsupported_is_caught_and_a_minority_is_not():
    reason = degeneracy(_answer(GOOD, [False, False, True]), 400)
    assert reason and "2 of its 3 sentences" in reason
    assert degeneracy(_answer(GOOD, [False, True]), 400) is None


def test_running_to_the_token_limit_is_caught():
    reason = degeneracy(_answer(GOOD, [True], tokens=400), 400)
    assert reason and "400-token limit" in reason
    assert degeneracy(_answer(GOOD, [True], tokens=399), 400) is None
