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


ID_KINDS = {"doi": "DOI", "arxiv_id": "arXiv id", "pmid": "PubMed id"}


def _id_keys(extra: dict[str, Any]) -> list[str]:
    """Keys no two papers share: DOI, arXiv id (any version: readers drop it), PubMed id."""
    return [f"{kind}:{str(extra[kind]).strip().lower()}" for kind in ID_KINDS if extra.get(kind)]


def _identity_keys(
    title: str | None, abstract: str, extra: dict[str, Any], abstract_kinds: str
) -> list[str]:
    """Ids, the normalized title, and the normalized abstract under each of `abstract_kinds`."""
    keys = _id_keys(extra)
    if title:
        keys.append(f"t:{normalize_text(title)}")
    if abstract_kinds:  # the merge never keys a titled record by its abstract
        text = normalize_text(abstract)
        keys += [f"{kind}:{text}" for kind in abstract_kinds]
    return keys


def _keys(record: Record) -> list[str]:
    """Identity keys: ids, the normalized title, and the whole abstract only when untitled.

    Whole-text keys only: two different papers can share their first sentence; and two
    papers with different titles are never one paper because of their abstract alone.
    """
    return _identity_keys(record.title, record.abstract, record.extra, "" if record.title else "a")


@dataclass
class MergeReport:
    records: int
    papers: list[Paper]
    merges: list[str] = field(default_factory=list)  # one line per paper found more than once

    @property
    def duplicates(self) -> int:
        return self.records - len(self.papers)


def merge(records: Iterable[Record]) -> MergeReport:
    """Group records that are one paper: same id or same normalized title (transitively); an
    untitled record joins the titled paper with its abstract (the first title in sort order
    if several share it). Groups and their ids do not depend on the order records come in."""
    records = list(records)
    parent = list(range(len(records)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        a, b = root(i), root(j)
        parent[max(a, b)] = min(a, b)

    first: dict[str, int] = {}
    for i, record in enumerate(records):
        for key in _keys(record):
            union(i, first.setdefault(key, i))
    titled_by_abstract: dict[str, list[int]] = {}
    for i, record in enumerate(records):
        if record.title:
            titled_by_abstract.setdefault(normalize_text(record.abstract), []).append(i)
    for i, record in enumerate(records):
        owners = (
            titled_by_abstract.get(normalize_text(record.abstract)) if not record.title else None
        )
        if owners:
            union(i, min(owners, key=lambda j: (normalize_text(records[j].title or ""), j)))
    groups: dict[int, list[Record]] = {}
    for i, record in enumerate(records):
        groups.setdefault(root(i), []).append(record)
    papers = [_paper(group) for group in groups.values()]
    merges = [_merge_line(p, g) for p, g in zip(papers, groups.values(), strict=True) if len(g) > 1]
    return MergeReport(len(records), papers, merges)


def _merge_line(paper: Paper, group: list[Record]) -> str:
    """'Label: a.bib:3 + b.ris:10 (same DOI, same title)': why these records are one paper."""
    seen: dict[str, int] = {}
    for record in group:  # the identity keys only: an abstract counts for untitled records
        for key in _keys(record):
            seen[key] = seen.get(key, 0) + 1
    names = {**ID_KINDS, "t": "title", "a": "abstract"}
    shared = {key.split(":", 1)[0] for key, n in seen.items() if n > 1}
    untitled = {normalize_text(r.abstract) for r in group if not r.title}
    if untitled & {normalize_text(r.abstract) for r in group if r.title}:
        shared.add("a")  # an untitled copy joined its titled paper
    why = ", ".join(f"same {names[k]}" for k in names if k in shared)
    return f"{paper.label[:80]}: {' + '.join(r.location for r in group)} ({why})"


def _paper(group: list[Record]) -> Paper:
    paper = _assemble(
        [r.title for r in group if r.title],
        [r.abstract for r in group],
        [r.location for r in group],
        [r.extra for r in group],
    )
    identities = {f"a:{normalize_text(r.abstract)}" for r in group}
    identities |= {f"t:{normalize_text(r.title)}" for r in group if r.title}
    paper.aliases = sorted({_digest(i) for i in identities} - {paper.paper_id})
    return paper


def _assemble(
    titles: list[str], abstracts: list[str], locations: list[str], extras: list[dict[str, Any]]
) -> Paper:
    """One paper from its versions: the first title in sort order, the longest abstract,
    every location, and each metadata field from the first version that has it."""
    title = min(titles, key=lambda t: (normalize_text(t), t)) if titles else None
    abstract = max(abstracts, key=lambda a: (len(a), a))
    identity = f"t:{normalize_text(title)}" if title else f"a:{normalize_text(abstract)}"
    extra: dict[str, Any] = {}
    for fields in extras:
        for key, value in fields.items():
            extra.setdefault(key, value)
    return Paper(
        paper_id=_digest(identity),
        title=title,
        abstract=abstract,
        locations=list(dict.fromkeys(locations)),
        extra=extra,
    )


def paper_keys(title: str | None, abstract: str, extra: dict[str, Any]) -> list[str]:
    """What identifies a paper in the index: its ids, its title, and its abstract.

    A titled paper's abstract key is of its own kind ("A:"): an abstract only joins an
    untitled copy (as in `merge`), so a titled paper looks up only "a:" (`joining_keys`) and
    never meets the thousands of titled papers that may share a placeholder abstract
    ("No abstract available")."""
    return _identity_keys(title, abstract, extra, "A" if title else "a")


def joining_keys(title: str | None, abstract: str, extra: dict[str, Any]) -> list[str]:
    """The stored keys (`paper_keys`) of the papers this one is one with: an untitled paper
    joins any copy of its abstract, a titled one only untitled copies."""
    return _identity_keys(title, abstract, extra, "a" if title else "aA")


def combine(paper: Paper, known: list[Any]) -> Paper:
    """A newly read paper and the indexed papers it is one with (records with title,
    abstract, locations, extra), chosen by the same rules as `merge`."""
    versions = [*known, paper]
    return _assemble(
        [v.title for v in versions if v.title],
        [v.abstract for v in versions],
        [loc for v in versions for loc in v.locations],
        [v.extra for v in versions],
    )
