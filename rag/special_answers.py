"""Answers that are not quotes chosen for relevance: metadata look-ups and mention notices.

- "Who wrote [2]?" is answered from the paper record's metadata (JSON/CSV fields such as
  authors or update_date), or says plainly that the collection has none.
- A question about a name that papers here only mention gets "No paper in this collection
  is about X; X is mentioned in [2] and [4]:" and the mentioning sentences, verbatim.
"""

from __future__ import annotations

import re
from typing import Any

from rag.prompts import render
from rag.types import Source

MAX_MENTIONS = 3  # papers quoted under a mention notice
# What a metadata question asks for -> the record fields that hold it, in order of preference.
FIELDS: dict[str, tuple[str, ...]] = {
    "author": ("authors", "author", "authors_parsed", "creator"),
    "date": ("update_date", "published", "date", "year", "created", "versions"),
    "category": ("categories", "category", "subject", "subjects"),
    "identifier": ("id", "arxiv_id", "doi"),
}
_ASKS = (
    ("author", re.compile(r"\b(who|authors?|written by|wrote)\b", re.IGNORECASE)),
    ("date", re.compile(r"\b(when|year|date|published|released)\b", re.IGNORECASE)),
    ("category", re.compile(r"\bcategor(y|ies)\b", re.IGNORECASE)),
    ("identifier", re.compile(r"\b(arxiv id|arxiv number|doi|identifier)\b", re.IGNORECASE)),
)


def asked_fields(question: str) -> list[str]:
    return [name for name, pattern in _ASKS if pattern.search(question)] or ["author"]


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(_show(v) for v in value)
    return " ".join(str(value).split())


def metadata_answer(question: str, source: Source, extra: dict[str, Any]) -> tuple[str, bool]:
    """(text, answered): the asked fields of the paper's record, or a plain "no information"."""
    lines, missing = [], []
    lowered = {k.lower(): v for k, v in extra.items()}
    for asked in asked_fields(question):
        key = next((k for k in FIELDS[asked] if lowered.get(k) not in (None, "", [])), None)
        if key is None:
            missing.append(asked)
        else:
            lines.append(f"- {key}: {_show(lowered[key])} [{source.n}]")
    if not lines:
        fields = " or ".join(missing)
        text = render("metadata_missing", field=fields, cite=f"[{source.n}]", label=source.label)
        return text, False
    return "\n".join([f"[{source.n}] {source.label}", *lines]), True


def mention_notice(names: list[str], quotes: list[tuple[Source, list[str]]]) -> str:
    """The notice, then each mentioning paper's sentences that name the thing."""
    shown = " or ".join(names)
    verb = "it is" if len(names) == 1 else "they are"
    cites = _and([f"[{source.n}]" for source, _ in quotes])
    lines = [render("mention_notice", names=shown, mentioned=f"{verb} mentioned", cites=cites)]
    for source, sentences in quotes:
        lines.append(f"[{source.n}] {source.label}")
        lines.extend(f"- {s} [{source.n}]" for s in sentences[:2])
    return "\n".join(lines)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
