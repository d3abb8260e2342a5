"""What newly read papers mean for the index: embed, record a new location, replace, or keep.

Each paper is matched to the indexed papers it is one with by identity key (DOI, arXiv id,
PubMed id, title; an abstract only joins an untitled copy, as in `rag.papers.merge`), looked
up in the catalog, so nothing is held for the whole index. An indexed version whose files
were all read again in this run is superseded by what they hold now (an edited abstract
replaces the old one); a version that also lives in files not read again is combined with
the new one by the merge rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from rag.papers import Paper, combine, joining_keys


@dataclass
class Plan:
    todo: list[Paper] = field(default_factory=list)  # to embed (new or changed)
    moved: list[Paper] = field(default_factory=list)  # same content, more locations
    stale: list[str] = field(default_factory=list)  # indexed ids replaced by another id
    unchanged: int = 0
    joined: list[str] = field(default_factory=list)  # copies of papers indexed from other files

    @property
    def writes(self) -> bool:
        return bool(self.todo or self.moved or self.stale)


def _file(location: str) -> str:
    return location.rsplit(":", 1)[0]


def plan(papers: list[Paper], catalog: Any, read_files: set[str], written: set[str]) -> Plan:
    """`read_files`: names of the files read in this run; `written`: ids this run wrote
    (their versions are current, whatever file they came from)."""
    keys = {p.paper_id: joining_keys(p.title, p.abstract, p.extra) for p in papers}
    found = catalog.indexed_as([k for ks in keys.values() for k in ks])
    known = {r.paper_id: r for r in catalog.records(sorted(set().union(*found.values())))}
    out = Plan()
    for paper in papers:
        matches = []
        for key in keys[paper.paper_id]:
            for pid in sorted(found.get(key, ())):
                record = known.get(pid)
                if record is None or record in matches:
                    continue
                if not key.startswith("a:") or not (paper.title and record.title):
                    matches.append(record)
        if not matches:
            out.todo.append(paper)
            continue
        versions = []
        for record in matches:
            if record.paper_id in written:
                versions.append(record)
                continue
            elsewhere = [loc for loc in record.locations if _file(loc) not in read_files]
            if elsewhere:  # still held by files not read again: it stays a version
                versions.append(replace(record, locations=elsewhere))
        whole = combine(paper, versions) if versions else paper
        if versions:
            where = " + ".join(whole.locations)
            out.joined.append(f"{whole.label[:80]}: {where} (one paper; already in the index)")
        out.stale += [r.paper_id for r in matches if r.paper_id != whole.paper_id]
        same = next((r for r in matches if r.paper_id == whole.paper_id), None)
        if same is None or same.content_hash != whole.content_hash:
            out.todo.append(whole)
        elif set(whole.locations) != set(same.locations):
            out.moved.append(whole)
        else:
            out.unchanged += 1
    return out
