"""Merge raw records into distinct papers with stable, content-derived ids."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rag.readers import Record
from rag.text import normalize_text

LABEL_CHARS = 70


@dataclass
class Paper:
    """A distinct paper: what is indexed, cited and shown."""

    paper_id: str
    title: str | None
    abstract: str
    locations: list[str]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.title or untitled_label(self.abstract)

    @property
    def content_hash(self) -> str:
        """Changes exactly when what gets embedded changes."""
        return _digest(f"{self.title or ''}\n{self.abstract}")


def untitled_label(abstract: str) -> str:
    """A readable stand-in title for abstracts scraped without one."""
    words, out = abstract.split(), ""
    for word in words:
        if len(out) + len(word) + 1 > LABEL_CHARS:
            return f"Untitled: {out}…"
        out = f"{out} {word}".strip()
    return f"Untitled: {out}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _keys(record: Record) -> list[str]:
    """Identity keys: the normalized title when there is one, and always the whole abstract.

    Whole-text keys only: two different papers can share their first sentence.
    """
    keys = [f"a:{normalize_text(record.abstract)}"]
    if record.title:
        keys.insert(0, f"t:{normalize_text(record.title)}")
    return keys


@dataclass
class MergeReport:
    records: int
    papers: list[Paper]

    @property
    def duplicates(self) -> int:
        return self.records - len(self.papers)


def merge(records: Iterable[Record]) -> MergeReport:
    """Group records that share a normalized title or a normalized abstract."""
    groups: list[list[Record]] = []
    by_key: dict[str, int] = {}
    count = 0
    for record in records:
        count += 1
        keys = _keys(record)
        hit = next((by_key[k] for k in keys if k in by_key), None)
        if hit is None:
            hit = len(groups)
            groups.append([])
        groups[hit].append(record)
        for key in keys:
            by_key.setdefault(key, hit)
    return MergeReport(count, [_paper(group) for group in groups])


def _paper(group: list[Record]) -> Paper:
    titled = [r for r in group if r.title]
    title = titled[0].title if titled else None
    abstract = max((r.abstract for r in group), key=len)
    identity = f"t:{normalize_text(title)}" if title else f"a:{normalize_text(abstract)}"
    extra: dict[str, Any] = {}
    for record in group:
        for key, value in record.extra.items():
            extra.setdefault(key, value)
    return Paper(
        paper_id=_digest(identity),
        title=title,
        abstract=abstract,
        locations=[r.location for r in group],
        extra=extra,
    )
