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
    # Ids the same paper had under another identity (e.g. indexed untitled before a titled copy
    # turned up): ingestion replaces such entries instead of keeping a duplicate.
    aliases: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.title or untitled_label(self.abstract)

    @property
    def content_hash(self) -> str:
        """Changes when what gets embedded changes; a title that differs only in case, spacing
        or punctuation (another scrape of the same paper) does not count as a change."""
        return _digest(f"{normalize_text(self.title or '')}\n{self.abstract}")


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
    """Group records that share a normalized title or a normalized abstract (transitively).

    Groups and their ids do not depend on the order the records come in.
    """
    records = list(records)
    parent = list(range(len(records)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[str, int] = {}
    for i, record in enumerate(records):
        for key in _keys(record):
            a, b = root(i), root(first.setdefault(key, i))
            parent[max(a, b)] = min(a, b)
    groups: dict[int, list[Record]] = {}
    for i, record in enumerate(records):
        groups.setdefault(root(i), []).append(record)
    return MergeReport(len(records), [_paper(group) for group in groups.values()])


def _paper(group: list[Record]) -> Paper:
    titles = [r.title for r in group if r.title]
    title = min(titles, key=lambda t: (normalize_text(t), t)) if titles else None
    abstract = max((r.abstract for r in group), key=lambda a: (len(a), a))
    identity = f"t:{normalize_text(title)}" if title else f"a:{normalize_text(abstract)}"
    paper_id = _digest(identity)
    identities = {f"a:{normalize_text(r.abstract)}" for r in group}
    identities |= {f"t:{normalize_text(t)}" for t in titles}
    aliases = sorted({_digest(i) for i in identities} - {paper_id})
    extra: dict[str, Any] = {}
    for record in group:
        for key, value in record.extra.items():
            extra.setdefault(key, value)
    return Paper(
        paper_id=paper_id,
        title=title,
        abstract=abstract,
        locations=[r.location for r in group],
        extra=extra,
        aliases=aliases,
    )
