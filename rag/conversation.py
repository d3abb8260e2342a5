"""Turn a follow-up into a standalone question, and resolve "[2]" to the paper it named."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.question_type import asks_metadata, terms_of
from rag.types import Answer

_REF = re.compile(r"\[(\d+)\]")
_PRONOUN = re.compile(
    r"\b(it|its|they|them|their|this|that|these|those|the paper|the method|the model|"
    r"the approach|the same|also|more|else)\b",
    re.IGNORECASE,
)
_SHORT = 8  # words: a question this short with no content word leans on the previous turn
# how a follow-up opens: "and for speech?", "what about 4 bits?", "how about GaLore?"
_LEANING = re.compile(
    r"(and|but|so|or|then|also|what about|how about|same for|same with|as for)\b", re.IGNORECASE
)
_OTHER = re.compile(r"\b(other|others|another|else|besides|apart from|except)\b", re.IGNORECASE)
_FOLLOW_UP = re.compile(r" \(follow-up to: (?P<context>.*)\)$", re.DOTALL)
_THREAD_TURNS = 5  # answers whose cited papers "other papers" leaves out
_THREAD = "; thread: "  # between the previous question and the first one of the thread


@dataclass
class Standalone:
    question: str
    pinned: list[str]  # paper ids the follow-up named as [n]
    excluded: list[str] = field(default_factory=list)  # "which other papers": those cited last
    missing: list[int] = field(default_factory=list)  # [n] no previous source has
    known: list[int] = field(default_factory=list)  # the previous answer's source numbers


def resolve(question: str, history: list[Answer]) -> Standalone:
    """Rule-based rewrite, used without an LLM and as the LLM rewrite's fallback."""
    # "Who wrote [9]?" is about a source; "Smith [12] proposed X; what else is there?" quotes
    refs = [int(n) for n in _REF.findall(question)] if _about_sources(question) else []
    if not history:
        return Standalone(question, [], missing=refs)
    # the last answer with sources: "no source [9]" has none, and keeps the thread's numbers
    last = next((a for a in reversed(history) if a.sources), history[-1])
    by_n = {s.n: s for s in last.sources}
    pinned: list[str] = []
    missing = [n for n in refs if n not in by_n]

    def name(match: re.Match[str]) -> str:
        source = by_n.get(int(match.group(1)))
        if source is None:
            return match.group(0)
        pinned.append(source.paper_id)
        return f'"{source.label}"'

    rewritten = _REF.sub(name, question)
    if not refs and last.citations and _PRONOUN.search(question) and asks_metadata(question):
        pinned.append(last.citations[0].paper_id)  # "when was it published?": the paper cited
    if not pinned and _leans_on_last(question):
        rewritten = f"{question} (follow-up to: {_context(last)})"
    others = _discussed(history) if not pinned and _OTHER.search(question) else []
    return Standalone(rewritten, pinned, others, missing, sorted(by_n))


def _leans_on_last(question: str) -> bool:
    """A follow-up needs the previous turn: "it", "these", "what about speech?", "and for
    4 bits?", "why?". A question with its own subject ("What is super-convergence?", "What is
    the boiling point of tungsten?") stands alone, however short."""
    if _PRONOUN.search(question) or _LEANING.match(question.strip()):
        return True
    short = len(question.split()) < _SHORT
    return short and (not terms_of(question) or bool(_OTHER.search(question)))  # "any others?"


def _about_sources(question: str) -> bool:
    """A short question with [n] in it asks about those sources."""
    return len(_REF.sub(" ", question).split()) < _SHORT


def _discussed(history: list[Answer]) -> list[str]:
    """The papers cited in the thread's recent answers ("any others?" after "which other
    papers ..." wants papers none of them showed)."""
    recent = history[-_THREAD_TURNS:]
    return list(dict.fromkeys(c.paper_id for a in reversed(recent) for c in a.citations))


def _context(last: Answer) -> str:
    """The previous question and the first question of its thread, never nested deeper: a
    long thread keeps what was just asked and what the thread is about, at a bounded size."""
    earlier = _FOLLOW_UP.search(last.standalone_question or "")
    if earlier is None:
        return last.question
    root = earlier.group("context").split(_THREAD)[-1]
    return last.question if root == last.question else f"{last.question}{_THREAD}{root}"


def history_text(history: list[Answer], turns: int = 3) -> str:
    lines = []
    for answer in history[-turns:]:
        lines.append(f"User: {answer.question}")
        lines.append(f"Assistant: {answer.text[:600]}")
    return "\n".join(lines)
