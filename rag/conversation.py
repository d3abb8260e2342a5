"""Turn a follow-up into a standalone question, and resolve "[2]" to the paper it named."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.types import Answer

_REF = re.compile(r"\[(\d+)\]")
_PRONOUN = re.compile(
    r"\b(it|its|they|them|their|this|that|these|those|the paper|the method|the model|"
    r"the approach|the same|also|more|else)\b",
    re.IGNORECASE,
)
_SHORT = 8  # words: shorter follow-ups usually lean on the previous turn


@dataclass
class Standalone:
    question: str
    pinned: list[str]  # paper ids the follow-up named as [n]


def resolve(question: str, history: list[Answer]) -> Standalone:
    """Rule-based rewrite, used without an LLM and as the LLM rewrite's fallback."""
    if not history:
        return Standalone(question, [])
    last = history[-1]
    by_n = {s.n: s for s in last.sources}
    pinned: list[str] = []

    def name(match: re.Match[str]) -> str:
        source = by_n.get(int(match.group(1)))
        if source is None:
            return match.group(0)
        pinned.append(source.paper_id)
        return f'"{source.label}"'

    rewritten = _REF.sub(name, question)
    if not pinned and (_PRONOUN.search(question) or len(question.split()) < _SHORT):
        previous = last.standalone_question or last.question
        rewritten = f"{question} (follow-up to: {previous})"
    return Standalone(rewritten, pinned)


def history_text(history: list[Answer], turns: int = 3) -> str:
    lines = []
    for answer in history[-turns:]:
        lines.append(f"User: {answer.question}")
        lines.append(f"Assistant: {answer.text[:600]}")
    return "\n".join(lines)
