"""Is an LLM answer fit to show? Loops, no citation, mostly unsupported or runaway: it is not.

Small models loop ("[1] The answer to the question ... is:" fifteen times) and any model can
answer without sources; such an answer is replaced by the quoted one, with a notice. The
checks are structural (repetition, citations, the support checks already computed), so they
hold for any question, not just ours.
"""

from __future__ import annotations

import re
from collections import Counter

from rag.types import Answer

NGRAM = 5  # words per n-gram for the loop test
MIN_NGRAMS = 12  # shorter answers are judged by repeated sentences only
MIN_DISTINCT_SHARE = 0.5  # fewer distinct n-grams than this share of all: the text loops
SENTENCE_REPEATS = 3  # the same sentence this often: the text loops
MIN_SENTENCE_WORDS = 3
LOOP_CHECK_EVERY = 16  # streamed pieces between loop checks, to stop a loop early
_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"(?<=[.!?:;])\s+|\n+")


def degeneracy(answer: Answer, max_tokens: int) -> str | None:
    """Why `answer` (a checked, non-refusal LLM answer) must not be shown, or None."""
    if loops(answer.text):
        return "it repeats itself"
    if answer.usage.completion_tokens >= max_tokens:
        return f"it ran on to the {max_tokens}-token limit without finishing"
    if not answer.citations:
        return "it cites none of the sources"
    unsupported, total = len(answer.unsupported), len(answer.sentences)
    if unsupported * 2 > total:
        return f"{unsupported} of its {total} sentences are not supported by the sources it cites"
    return None


def loops(text: str) -> bool:
    """The same run of words or the same sentence again and again."""
    words = _WORD.findall(text.lower())
    grams = [tuple(words[i : i + NGRAM]) for i in range(len(words) - NGRAM + 1)]
    if len(grams) >= MIN_NGRAMS and len(set(grams)) < MIN_DISTINCT_SHARE * len(grams):
        return True
    sentences = (
        " ".join(_WORD.findall(part.lower())) for part in _SENTENCE_END.split(text) if part.strip()
    )
    counts = Counter(s for s in sentences if len(s.split()) >= MIN_SENTENCE_WORDS)
    return bool(counts) and max(counts.values()) >= SENTENCE_REPEATS
