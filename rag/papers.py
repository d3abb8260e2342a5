"""Merge raw records into distinct papers with stable, content-derived ids."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
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
    # Where each of its records was read: (file path, line), one per record (`locations`
    # names files only). Ingestion keeps it per paper, to take a paper out of a file that no
    # longer has it; None: not known (the index keeps what it had).
    sources: list[tuple[str, int]] | None = None

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
ID_PREFIXES = tuple(f"{kind}:" for kind in ID_KINDS)  # the identity keys that are ids


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
    """Group records that are one paper: same id, or same normalized title (transitively); an
    untitled record joins the titled paper with its abstract (the first title in sort order
    if several share it). A title or an abstract never joins records whose DOI, arXiv id or
    PubMed id differ (two books called "Deep Learning"). Groups and their ids do not depend
    on the order records come in."""
    records = list(records)
    parent = list(range(len(records)))
    ids = [identity_ids(r.extra) for r in records]  # per root: the ids its group has

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> bool:
        a, b = root(i), root(j)
        if a == b:
            return True
        if conflicting(ids[a], ids[b]):
            return False
        low, high = min(a, b), max(a, b)
        parent[high] = low
        ids[low] = joined_ids(ids[low], ids[high])
        return True

    first: dict[str, int] = {}
    for i, record in enumerate(records):  # the same id is one paper, whatever else differs
        for key in _id_keys(record.extra):
            a, b = root(i), root(first.setdefault(key, i))
            if a != b:
                parent[max(a, b)] = min(a, b)
                ids[min(a, b)] = joined_ids(ids[a], ids[b])
    order = sorted(range(len(records)), key=lambda i: _record_order(records[i]))
    rank = {i: n for n, i in enumerate(order)}  # content order, not arrival order
    sharing: dict[str, list[int]] = {}
    for i in order:  # a title (an abstract when untitled) joins what no id keeps apart
        for key in _keys(records[i]):
            if not key.startswith(ID_PREFIXES):
                sharing.setdefault(key, []).append(i)
    for key in sorted(sharing):
        members = sharing[key]
        for n, i in enumerate(members[1:], 1):
            tried = set()
            for j in members[:n]:  # the first group in content order it does not conflict with
                if root(j) not in tried:
                    tried.add(root(j))
                    if union(j, i):
                        break
    titled_by_abstract: dict[str, list[int]] = {}
    for i in order:
        if records[i].title:
            titled_by_abstract.setdefault(normalize_text(records[i].abstract), []).append(i)
    for i in order:
        record = records[i]
        owners = (
            titled_by_abstract.get(normalize_text(record.abstract)) if not record.title else None
        )
        for j in sorted(owners or (), key=lambda j: (normalize_text(records[j].title), rank[j])):
            if union(j, i):
                break
    groups: dict[int, list[Record]] = {}
    for i, record in enumerate(records):
        groups.setdefault(root(i), []).append(record)
    papers = [_paper(group) for group in groups.values()]
    merges = [_merge_line(p, g) for p, g in zip(papers, groups.values(), strict=True) if len(g) > 1]
    return MergeReport(len(records), papers, merges)


def _record_order(record: Record) -> tuple:
    return (
        normalize_text(record.title or ""),
        normalize_text(record.abstract),
        record.abstract,
        record.path,
        record.line,
    )


# A DOI arXiv gives its preprints (Zotero exports it) names the arXiv id, which the readers
# also set: it is not a second DOI that would tell the preprint and the journal paper apart.
_ARXIV_DOI = "10.48550/arxiv."


def identity_ids(extra: dict[str, Any]) -> dict[str, frozenset[str]]:
    """The paper's ids by kind (DOI, arXiv id, PubMed id), normalized as in the keys."""
    out = {}
    for kind in ID_KINDS:
        value = str(extra.get(kind) or "").strip().lower()
        if value and not (kind == "doi" and value.startswith(_ARXIV_DOI)):
            out[kind] = frozenset([value])
    return out


def conflicting(a: dict[str, frozenset[str]], b: dict[str, frozenset[str]]) -> bool:
    """Two papers that both have an id of one kind, and no value of it in common."""
    return any(kind in b and not (values & b[kind]) for kind, values in a.items())


def joined_ids(a: dict[str, frozenset[str]], b: dict[str, frozenset[str]]) -> dict:
    return {kind: a.get(kind, frozenset()) | b.get(kind, frozenset()) for kind in {*a, *b}}


def _merge_line(paper: Paper, group: list[Record]) -> str:
    """'Label: a.bib:3 + b.ris:10 (same DOI, same title)': why these records are one paper
    (and, when their abstracts differ, which one was kept)."""
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
    why += abstracts_note(paper, [_version(r) for r in group])
    return f"{paper.label[:80]}: {' + '.join(r.location for r in group)} ({why})"


@dataclass
class Version:
    """One version of a paper: a record, or a paper as indexed (`sources` as in `Paper`)."""

    title: str | None
    abstract: str
    locations: list[str]
    extra: dict[str, Any]
    sources: list[tuple[str, int]] = field(default_factory=list)


def _version(record: Record) -> Version:
    return Version(
        record.title, record.abstract, [record.location], record.extra, [(record.path, record.line)]
    )


def location_of(source: tuple[str, int]) -> str:
    """The location (file name and line) a source (file path and line) is cited as."""
    return f"{Path(source[0]).name}:{source[1]}"


def _paper(group: list[Record]) -> Paper:
    paper = _assemble([_version(r) for r in group])
    identities = {f"a:{normalize_text(r.abstract)}" for r in group}
    identities |= {f"t:{normalize_text(r.title)}" for r in group if r.title}
    paper.aliases = sorted({_digest(i) for i in identities} - {paper.paper_id})
    return paper


_ISO_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
_ARXIV_VERSION = re.compile(r"(?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[a-z]{2})?/\d{7})v(\d+)\b", re.I)


def recency(extra: dict[str, Any]) -> tuple[int, int, str]:
    """How recent a version is: (year, arXiv version, latest date). The year and date are the
    latest an arXiv record's last update, its date or its year give; the version is the
    highest of the versions an arXiv record lists or an id written with one (2401.01234v2).
    A version that says nothing is the oldest."""
    dates = [str(extra.get(key) or "") for key in ("update_date", "date", "year")]
    latest = max((d for d in dates if _ISO_DATE.fullmatch(d)), default="")
    numbers = [int(v[1:]) for v in extra.get("versions") or () if re.fullmatch(r"v\d+", str(v))]
    for value in extra.values():
        if isinstance(value, str):
            numbers += [int(n) for n in _ARXIV_VERSION.findall(value)]
    return int(latest[:4] or 0), max(numbers, default=0), latest


def _newest(versions: list[Any]) -> list[Any]:
    """The versions that are the newest: of the latest year, then of the highest arXiv
    version, then of the latest date as precise as all of theirs are ("2023" and "2023-12"
    are the same year: neither is newer)."""
    found = [(recency(v.extra), v) for v in versions]
    top = max(key[:2] for key, _ in found)
    newest = [(key[2], v) for key, v in found if key[:2] == top]
    cut = min(len(date) for date, _ in newest)
    if cut > 4:
        latest = max(date[:cut] for date, _ in newest)
        newest = [(date, v) for date, v in newest if date[:cut] == latest]
    return [v for _, v in newest]


def _chosen(versions: list[Version]) -> Version:
    """The version whose abstract a paper takes: the newest, else the longest abstract."""
    return max(_newest(versions), key=lambda v: (len(v.abstract), v.abstract))


def abstracts_note(paper: Paper, versions: list[Any]) -> str:
    """'; the abstracts differ: kept b.jsonl:1's, the newest version' when versions of one
    paper (with title, abstract, locations, extra) have different abstracts, else ''."""
    if len({normalize_text(v.abstract) for v in versions}) < 2:
        return ""
    kept = next(v for v in versions if v.abstract == paper.abstract)
    newest = _newest(versions)
    newer = all(v.abstract == paper.abstract for v in newest)
    return f"; the abstracts differ: kept {kept.locations[0]}'s, " + (
        "the newest version" if newer else "the longest"
    )


def _assemble(versions: list[Version]) -> Paper:
    """One paper from its versions: the first title in sort order, the abstract of the newest
    version (`recency`; the longest among equally recent ones), every location, and each
    metadata field from the newest version that has it."""
    titles = [v.title for v in versions if v.title]
    title = min(titles, key=lambda t: (normalize_text(t), t)) if titles else None
    abstract = _chosen(versions).abstract
    identity = f"t:{normalize_text(title)}" if title else f"a:{normalize_text(abstract)}"
    extra: dict[str, Any] = {}
    ids: dict[str, frozenset[str]] = {}
    for version in sorted(versions, key=lambda v: recency(v.extra), reverse=True):
        ids = joined_ids(ids, identity_ids(version.extra))
        for key, value in version.extra.items():
            extra.setdefault(key, value)
    return Paper(
        paper_id=_digest(identity + _id_suffix(ids)),
        title=title,
        abstract=abstract,
        locations=list(dict.fromkeys(loc for v in versions for loc in v.locations)),
        extra=extra,
        sources=list(dict.fromkeys(s for v in versions for s in v.sources)),
    )


def _id_suffix(ids: dict[str, frozenset[str]]) -> str:
    """Two papers of one title are told apart by their ids (their DOIs differ, or the arXiv
    ids...): a paper with an id has it in its own id, the first kind it has, least value."""
    kind = next((k for k in ID_KINDS if ids.get(k)), None)
    return f"\n{kind}:{min(ids[kind])}" if kind else ""


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


def combine(paper: Paper, known: list[Version]) -> Paper:
    """A newly read paper and the indexed papers it is one with, chosen by the same rules as
    `merge`."""
    read = Version(paper.title, paper.abstract, paper.locations, paper.extra, paper.sources or [])
    return _assemble([*known, read])
