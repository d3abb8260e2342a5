"""What newly read papers mean for the index: embed, record a new location, replace, or keep.

Each paper is matched to the indexed papers it is one with by identity key (DOI, arXiv id,
PubMed id, title; an abstract only joins an untitled copy, as in `rag.papers.merge`), looked
up in the catalog, so nothing is held for the whole index. An indexed version whose files
were all read again in this run is superseded by what they hold now (an edited abstract
replaces the old one); a version that also lives in files not read again is combined with
the new one by the merge rules. Files are told apart by their resolved paths (two
`refs.bib` in two folders are two files), which the catalog keeps per paper.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from rag.papers import (
    ID_PREFIXES,
    Paper,
    Version,
    abstracts_note,
    combine,
    conflicting,
    identity_ids,
    joined_ids,
    joining_keys,
    location_of,
)


@dataclass
class Step:
    """What becomes of one newly read paper."""

    read: Paper  # as this run's records give it
    whole: Paper  # as the index will hold it (combined with the versions it is one with)
    new: bool  # one with no indexed paper
    joined: bool  # combined with a version held by other files, or written earlier this run
    again: bool  # one with a paper this run already produced (a copy in a later batch)
    embed: bool  # to embed (new or changed); otherwise its record is kept (maybe moved)


@dataclass
class Plan:
    todo: list[Paper] = field(default_factory=list)  # to embed (new or changed)
    moved: list[Paper] = field(default_factory=list)  # same content, more locations
    stale: list[str] = field(default_factory=list)  # indexed ids replaced by another id
    unchanged: int = 0
    joined: list[str] = field(default_factory=list)  # copies of papers indexed from other files
    steps: list[Step] = field(default_factory=list)  # one per paper planned, in order

    @property
    def writes(self) -> bool:
        return bool(self.todo or self.moved or self.stale)


def plan(papers: list[Paper], catalog: Any | None, read: set[str], current: set[str]) -> Plan:
    """`read`: the files (resolved paths) this run reads, or found gone; `current`: ids of the
    papers this run already planned (their indexed versions are current, whatever file they
    came from). `catalog` None: an index that does not exist yet."""
    keys = {p.paper_id: joining_keys(p.title, p.abstract, p.extra) for p in papers}
    found = catalog.indexed_as([k for ks in keys.values() for k in ks]) if catalog else {}
    candidates = sorted(set().union(*found.values()))
    known = {r.paper_id: r for r in catalog.records(candidates)} if catalog else {}
    sources = catalog.sources_of(candidates) if catalog else {}
    out = Plan()
    for paper in papers:
        matches = []
        ids = identity_ids(paper.extra)
        for key in keys[paper.paper_id]:  # ids first: a title never joins a conflicting id
            for pid in sorted(found.get(key, ())):
                record = known.get(pid)
                if record is None or record in matches:
                    continue
                if key.startswith("a:") and paper.title and record.title:
                    continue
                theirs = identity_ids(record.extra)
                if not key.startswith(ID_PREFIXES) and conflicting(ids, theirs):
                    continue
                matches.append(record)
                ids = joined_ids(ids, theirs)
        if not matches:
            out.todo.append(paper)
            out.steps.append(Step(paper, paper, True, False, False, True))
            continue
        versions = []
        for record in matches:
            version = _version(record, sources.get(record.paper_id), read, current)
            if version is not None:
                versions.append(version)
        whole = combine(paper, versions) if versions else paper
        if versions:
            where = " + ".join(whole.locations)
            note = abstracts_note(whole, [*versions, paper])
            out.joined.append(
                f"{whole.label[:80]}: {where} (one paper; already in the index{note})"
            )
        out.stale += [r.paper_id for r in matches if r.paper_id != whole.paper_id]
        same = next((r for r in matches if r.paper_id == whole.paper_id), None)
        embed = same is None or same.content_hash != whole.content_hash
        if embed:
            out.todo.append(whole)
        elif set(whole.locations) != set(same.locations) or set(whole.sources or ()) != set(
            sources.get(same.paper_id, ())
        ):
            out.moved.append(whole)
        else:
            out.unchanged += 1
        again = any(r.paper_id in current for r in matches)
        out.steps.append(Step(paper, whole, False, bool(versions), again, embed))
    return out


def _version(
    record: Any, sources: list[tuple[str, int]] | None, read: set[str], current: set[str]
) -> Version | None:
    """What of an indexed paper stays a version of the paper read now: all of it when this
    run wrote it, else its places in files not read again (none: the files read now replace
    it). A paper whose sources the index does not know keeps all its locations."""
    whole = Version(record.title, record.abstract, record.locations, record.extra, sources or [])
    if record.paper_id in current or not sources:
        return whole
    elsewhere = [s for s in sources if s[0] not in read]
    if not elsewhere:
        return None
    cited = {location_of(s) for s in elsewhere}
    return replace(
        whole, locations=[loc for loc in record.locations if loc in cited], sources=elsewhere
    )


@dataclass
class Removal:
    """Papers that left files read whole in this run (or files gone from their folder)."""

    deleted: list[str] = field(default_factory=list)  # in no file any more: out of the index
    moved: list[Paper] = field(default_factory=list)  # still in other files: fewer locations
    lines: list[str] = field(default_factory=list)  # one per paper, for the report
    removed: dict[str, list[str]] = field(default_factory=dict)  # file -> labels taken out
    kept: Counter[str] = field(default_factory=Counter)  # file -> papers kept for other files

    @property
    def writes(self) -> bool:
        return bool(self.deleted or self.moved)


REMOVAL_BATCH = 1000  # papers looked up at a time


def removals(catalog: Any | None, swept: set[str], current: set[str]) -> Removal:
    """`swept`: files (resolved paths) this run read whole, or found gone from a folder it
    read; `current`: the papers this run's records are (or replaced). An indexed paper read
    from a swept file that is not among them is no longer in that file: it loses its places
    there, and leaves the index when that leaves it no place at all."""
    out = Removal()
    if catalog is None or not swept:
        return out
    stale = sorted({pid for path in sorted(swept) for pid in catalog.papers_from(path)} - current)
    for start in range(0, len(stale), REMOVAL_BATCH):
        part = stale[start : start + REMOVAL_BATCH]
        sources = catalog.sources_of(part)
        for record in catalog.records(part):
            had = sources.get(record.paper_id, [])
            left = [s for s in had if s[0] not in swept]
            files = sorted({s[0] for s in had if s[0] in swept})
            where = ", ".join(location_of(s) for s in had if s[0] in swept)
            label = record.label[:80]
            known = {location_of(s) for s in had}  # a location of no known file stays
            cited = {location_of(s) for s in left} | (set(record.locations) - known)
            if cited:
                locations = [loc for loc in record.locations if loc in cited]
                out.moved.append(
                    Paper(
                        record.paper_id,
                        record.title,
                        record.abstract,
                        locations,
                        record.extra,
                        sources=left,
                    )
                )
                out.lines.append(f"{label}: no longer at {where}; still at {', '.join(locations)}")
                out.kept.update(files)
            else:
                out.deleted.append(record.paper_id)
                out.lines.append(f"{label}: no longer at {where}; taken out of the index")
                for path in files:
                    out.removed.setdefault(path, []).append(label)
    return out
