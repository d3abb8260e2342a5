"""Does every finished paper have all its chunks, findable by search?

A paper's catalog row is the commit marker of its chunks, and records how many it committed
(its sentence vectors are in the same row's transaction, so they cannot go missing apart).
The quick check compares totals; the full check groups chunks by paper, finds orphans, and
asks the vector index for every chunk by its own vector, which is what catches an HNSW
index that lost entries its SQLite rows still have.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from rag.papers import Paper
from rag.store import Store, get_all

SEARCH_BATCH = 256


@dataclass
class IntegrityReport:
    papers: int = 0
    chunks: int = 0
    sentences: int = 0
    incomplete: list[str] = field(default_factory=list)  # papers missing chunks
    orphan_chunks: int = 0  # chunks whose paper has no record (unfinished or forgotten)
    unsearchable: list[str] = field(default_factory=list)  # papers with chunks search misses
    empty_records: list[str] = field(default_factory=list)  # records with no text: no keywords
    scanned: bool = False  # False: the quick check found the totals consistent
    repaired: int = 0  # papers re-embedded
    orphans_removed: int = 0

    @property
    def ok(self) -> bool:
        return not (
            self.incomplete or self.orphan_chunks or self.unsearchable or self.empty_records
        )

    def as_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}


def check(store: Store, *, full: bool = False) -> IntegrityReport:
    """Quick unless `full`: a consistent total skips the per-paper scan."""
    expected = store.catalog.parts()
    report = IntegrityReport(
        papers=len(expected),
        chunks=store.chunks.count(),
        sentences=sum(n for _, n in expected.values()),
    )
    if full:
        report.empty_records = store.catalog.empty_records()
    if not full and sum(c for c, _ in expected.values()) == report.chunks:
        return report
    report.scanned = True
    have_chunks = _per_paper(store.chunks)
    report.incomplete = sorted(
        pid for pid, (n_chunks, _) in expected.items() if have_chunks.get(pid, 0) != n_chunks
    )
    report.orphan_chunks = sum(n for pid, n in have_chunks.items() if pid not in expected)
    if full:
        broken = set(report.incomplete)
        report.unsearchable = sorted(_unsearchable(store) - broken)
    return report


def repair(
    store: Store, report: IntegrityReport, rewrite: Callable[[list[Paper]], object]
) -> IntegrityReport:
    """Delete orphans and re-embed broken papers from their own records (no source files needed)."""
    report.orphans_removed = _delete_orphans(store.chunks, set(store.catalog.ids()))
    broken = sorted(set(report.incomplete) | set(report.unsearchable))
    papers = [
        Paper(r.paper_id, r.title, r.abstract, r.locations, r.extra)
        for r in store.catalog.records(broken)
        if r.abstract
    ]
    if papers:
        rewrite(papers)
    report.repaired = len(papers)
    return report


def _delete_orphans(collection, known: set[str]) -> int:
    got = get_all(collection, ["metadatas"])
    orphans = [
        oid
        for oid, meta in zip(got["ids"], got["metadatas"], strict=True)
        if (meta or {}).get("paper_id") not in known
    ]
    for start in range(0, len(orphans), 5000):
        collection.delete(ids=orphans[start : start + 5000])
    return len(orphans)


def _per_paper(collection) -> Counter[str]:
    got = get_all(collection, ["metadatas"])
    return Counter((meta or {}).get("paper_id") for meta in got["metadatas"])


def _unsearchable(store: Store) -> set[str]:
    """Papers with a chunk that a search by that chunk's own vector does not return."""
    missing: set[str] = set()
    offset = 0
    while True:
        got = store.chunks.get(
            include=["embeddings", "metadatas"], limit=SEARCH_BATCH, offset=offset
        )
        if not len(got["ids"]):
            return missing
        found = store.chunks.query(
            query_embeddings=got["embeddings"], n_results=min(3, store.chunks.count()), include=[]
        )
        for cid, meta, ids in zip(got["ids"], got["metadatas"], found["ids"], strict=True):
            if cid not in ids:
                missing.add((meta or {}).get("paper_id"))
        offset += SEARCH_BATCH
