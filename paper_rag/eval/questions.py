"""Eval question files (JSONL): loading with line-numbered errors, and gold matching.

A typo in a gold title silently turns a hit into a miss, so the loader checks every gold entry
against the corpus when it is given, and every error says which line to fix and how.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from rag.text import normalize_text

QUESTION_TYPES = ("lookup", "named", "multi", "topic", "unanswerable")
PREFIX_CHARS = 60  # gold_abstract_prefix holds this many leading characters of the abstract


class QuestionFileError(ValueError):
    """A question file that cannot be used; the message names the file, the line and the fix."""


class PaperRef(Protocol):
    """What gold matching needs from a paper: a corpus record or a retrieved `Source` both fit."""

    @property
    def title(self) -> str | None: ...

    @property
    def abstract(self) -> str: ...


@dataclass
class Question:
    id: str
    question: str
    type: str
    gold_titles: list[str]  # "" for an untitled paper, matched by its abstract prefix instead
    gold_abstract_prefix: list[str]  # parallel to gold_titles
    answer: str | None = None
    key_facts: list[str] = field(default_factory=list)

    @property
    def answerable(self) -> bool:
        return self.type != "unanswerable"


def _title_key(title: str | None) -> str:
    return normalize_text(title or "")


def _prefix_matches(abstract: str, prefix: str) -> bool:
    """Spacing/punctuation-insensitive "abstract starts with prefix"; "" never matches.

    Comparing normalized forms with startswith (rather than the first 60 raw characters) keeps
    a match when the two copies differ in spacing, which shifts where character 60 falls.
    """
    key = normalize_text(prefix)
    return bool(key) and normalize_text(abstract).startswith(key)


def gold_index(title: str | None, abstract: str, q: Question) -> int | None:
    """Index of the gold entry of `q` that a retrieved paper is, or None if it is not gold.

    A paper is gold entry i when its normalized title equals the gold title, or, for an
    untitled gold entry (""), when its abstract starts with the gold abstract prefix (both
    normalized). A titled entry's prefix is not used: abstracts that open alike ("Large
    language models (LLMs) have ...") share their first 60 characters, and the others are
    not the gold paper.
    """
    key = _title_key(title)
    golds = zip(q.gold_titles, q.gold_abstract_prefix, strict=True)
    for i, (gold_title, prefix) in enumerate(golds):
        gold_key = _title_key(gold_title)
        if (key == gold_key) if gold_key else _prefix_matches(abstract, prefix):
            return i
    return None


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


_Check = tuple[Callable[[Any], bool], str]
_REQUIRED: dict[str, _Check] = {
    "id": (_is_text, "a non-empty string"),
    "question": (_is_text, "a non-empty string"),
    "type": (_is_text, f"one of {', '.join(QUESTION_TYPES)}"),
    "gold_titles": (_is_str_list, "a list of strings"),
    "gold_abstract_prefix": (_is_str_list, "a list of strings"),
}
_OPTIONAL: dict[str, _Check] = {
    "answer": (lambda v: v is None or isinstance(v, str), "a string or null"),
    "key_facts": (_is_str_list, "a list of strings"),
}


def _check_keys(obj: dict[str, Any]) -> str | None:
    """The first missing or ill-typed key, described with its fix."""
    for key, (ok, want) in _REQUIRED.items():
        if key not in obj:
            return f"missing key {key!r}; add it as {want}"
        if not ok(obj[key]):
            return f"key {key!r} is {_show(obj[key])}; it must be {want}"
    for key, (ok, want) in _OPTIONAL.items():
        if key in obj and not ok(obj[key]):
            return f"key {key!r} is {_show(obj[key])}; it must be {want}"
    return None


def _check_gold(q: Question) -> str | None:
    """Problems with the gold lists of an otherwise well-formed question."""
    titles, prefixes = q.gold_titles, q.gold_abstract_prefix
    if q.type not in QUESTION_TYPES:
        return f"unknown type {q.type!r}; use one of {', '.join(QUESTION_TYPES)}"
    if len(titles) != len(prefixes):
        return (
            f"gold_titles has {len(titles)} entries but gold_abstract_prefix has {len(prefixes)} "
            f"in question {q.id!r}; give one prefix per title"
        )
    if not q.answerable and titles:
        return f"unanswerable question {q.id!r} has gold {_show(titles)}; empty both gold lists"
    if q.answerable and not titles:
        return f"{q.type} question {q.id!r} has no gold paper; add at least one gold title"
    seen: set[str] = set()
    for title, prefix in zip(titles, prefixes, strict=True):
        key = _title_key(title) or normalize_text(prefix)
        if not key:
            return (
                f"gold entry {_show(title)} of question {q.id!r} has neither a title nor an "
                f"abstract prefix; give the first {PREFIX_CHARS} characters of its abstract"
            )
        if key in seen:
            return f"gold entry {_show(title or prefix)} of question {q.id!r} is listed twice"
        seen.add(key)
    return None


def _missing_gold(q: Question, titles: set[str], abstracts: list[str]) -> str | None:
    """The first gold entry found in no paper: titles by normalized title, "" by abstract prefix."""
    for title, prefix in zip(q.gold_titles, q.gold_abstract_prefix, strict=True):
        if title and _title_key(title) not in titles:
            return (
                f"gold title {title!r} of question {q.id!r} is in no paper; "
                "copy the title exactly from the corpus"
            )
        if not title and not any(_prefix_matches(a, prefix) for a in abstracts):
            return (
                f"gold abstract prefix {prefix!r} of question {q.id!r} starts no paper's abstract; "
                f"copy the first {PREFIX_CHARS} characters of the abstract"
            )
    return None


def _parse_line(line: str) -> Question | str:
    """A Question, or the description of what is wrong with the line."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return (
            f"invalid JSON ({exc.msg}, column {exc.colno}) in {_show(line)}; "
            "write one JSON object per line"
        )
    if not isinstance(obj, dict):
        return f"expected a JSON object, got {_show(obj)}"
    problem = _check_keys(obj)
    if problem:
        return problem
    q = Question(
        id=obj["id"],
        question=obj["question"],
        type=obj["type"],
        gold_titles=obj["gold_titles"],
        gold_abstract_prefix=obj["gold_abstract_prefix"],
        answer=obj.get("answer"),
        key_facts=obj.get("key_facts", []),
    )
    return _check_gold(q) or q


def load_questions(path: str | Path, papers: Sequence[PaperRef] | None = None) -> list[Question]:
    """Read and validate a JSONL question file; with `papers`, check each gold is in the corpus.

    Blank lines are skipped. Raises QuestionFileError naming the file and the 1-based line.
    """
    path = Path(path)
    titles = {_title_key(p.title) for p in papers} if papers is not None else set()
    abstracts = [p.abstract for p in papers] if papers is not None else []
    questions: list[Question] = []
    first_line: dict[str, int] = {}
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        result = _parse_line(line)
        if isinstance(result, str):
            raise QuestionFileError(f"{path}:{lineno}: {result}")
        if result.id in first_line:
            raise QuestionFileError(
                f"{path}:{lineno}: duplicate id {result.id!r} (first used on line "
                f"{first_line[result.id]}); give each question its own id"
            )
        if papers is not None:
            problem = _missing_gold(result, titles, abstracts)
            if problem:
                raise QuestionFileError(f"{path}:{lineno}: {problem}")
        first_line[result.id] = lineno
        questions.append(result)
    if not questions:
        raise QuestionFileError(f"{path}:1: the file has no questions; add one JSON object a line")
    return questions
