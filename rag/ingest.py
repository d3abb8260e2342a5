"""From abstract files to the index: parse all, merge, embed only what changed, commit per batch.

One writer at a time (an inter-process lock); an embedded index is written to a copy that
is published when the run ends, so readers never see a half-written index.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rag.chunking import chunk_paper
from rag.components import make_embed_model
from rag.encoding import encode_chunks
from rag.errors import CorpusError, RagError, StoreError
from rag.formats import ReadOptions, RecordFilter
from rag.formats.collect import CorpusRead, read_corpus
from rag.index_access import IndexWriter
from rag.ingest_report import per_file
from rag.integrity import IntegrityReport, check, repair
from rag.papers import MergeReport, Paper, merge
from rag.readers import Record, corpus_files
from rag.settings import Settings
from rag.store import Store


@dataclass
class IngestSummary:
    files: int
    records: int
    duplicates_merged: int
    papers: int  # distinct papers in the files read
    embedded_papers: int
    unchanged_papers: int
    chunks_embedded: int
    papers_in_index: int
    chunks_in_index: int
    orphans_removed: int
    seconds: float
    repaired_papers: int = 0  # found incomplete by the closing check and re-embedded
    skipped: list[str] = field(default_factory=list)  # records left out, with file:line and why
    merged: list[str] = field(default_factory=list)  # every paper found more than once, and why
    filtered: int = 0  # records outside --category / --since
    per_file: list[dict] = field(default_factory=list)  # see rag.ingest_report.FileReport
    dry_run: bool = False  # read and merged only; the index was not touched

    def as_dict(self) -> dict:
        return asdict(self)


def ingest(
    paths: Sequence[Path],
    settings: Settings,
    *,
    rebuild: bool = False,
    progress: bool = True,
    on_batch: Callable[[int], None] | None = None,
    on_wait: Callable[[str], None] | None = None,
    embed_model: Any = None,
    keep: RecordFilter | None = None,
    dry_run: bool = False,
) -> IngestSummary:
    """Read every file first, then embed what changed. Bad records and files are skipped and
    reported (`settings.strict`: the first one stops the run here, before any write).

    `embed_model` lets a process that already loaded the encoder (the UI) reuse it."""
    started = time.perf_counter()
    refused: list[CorpusError] = []
    files = corpus_files(paths, None if settings.strict else refused)
    options = ReadOptions(
        strict=settings.strict,
        max_bytes=settings.max_file_mb * 2**20,
        progress=progress,
        column_map=settings.column_map,
    )
    read = read_corpus(files, options, keep, refused)
    records, too_long = within_limits(read.records, settings.max_abstract_chars)
    skipped = read.problems() + too_long
    report = merge(records)
    if dry_run:
        return _summary(read, records, report, files, started, skipped, dry_run=True)
    try:
        with IndexWriter(settings, rebuild=rebuild, on_wait=on_wait) as writer:
            todo, moved, stale = _plan(writer.store.catalog.hashes(), report.papers)
            health = check(writer.store)
            renumber = writer.store.catalog.renumbered()  # RAG_KEYWORD_SHARD_PAPERS changed
            if todo or moved or stale or not health.ok or renumber:
                store = writer.writable()
                store.update_locations(moved)
                store.delete_papers(stale)  # before writing: a crash in between leaves them to redo
                embedded_chunks = _embed_and_write(
                    store, todo, settings, progress, on_batch, embed_model
                )
                health = _check_and_repair(store, settings, embed_model=embed_model)
            else:
                embedded_chunks = 0
            n_papers, n_chunks = writer.store.counts()
    except Exception as exc:  # Chroma raises its own error types, sqlite and OS errors
        if isinstance(exc, RagError):
            raise
        raise StoreError(
            f"Writing to the index failed ({type(exc).__name__}: {exc}). Nothing finished was "
            "lost; check that the data folder is writable and has free space, then re-run "
            "`rag ingest` to resume."
        ) from exc
    return _summary(
        read,
        records,
        report,
        files,
        started,
        skipped,
        todo=todo,
        embedded_papers=len(todo),
        unchanged_papers=len(report.papers) - len(todo),
        chunks_embedded=embedded_chunks,
        papers_in_index=n_papers,
        chunks_in_index=n_chunks,
        orphans_removed=health.orphans_removed,
        repaired_papers=health.repaired,
    )


def _summary(
    read: CorpusRead,
    records: list[Record],
    report: MergeReport,
    files: list[Path],
    started: float,
    skipped: list[str],
    todo: Sequence[Paper] = (),
    **counts: int,
) -> IngestSummary:
    """The run's summary; index counts stay 0 in a dry run, which touches no index."""
    defaults = dict.fromkeys(
        ("embedded_papers", "unchanged_papers", "chunks_embedded", "papers_in_index"), 0
    )
    defaults |= {"chunks_in_index": 0, "orphans_removed": 0}
    added = {p.paper_id for p in todo}
    return IngestSummary(
        files=len(files),
        records=report.records,
        duplicates_merged=report.duplicates,
        papers=len(report.papers),
        skipped=skipped,
        merged=report.merges,
        filtered=sum(c.filtered for c in read.files.values()),
        per_file=[f.as_dict() for f in per_file(read, records, report.papers, added)],
        seconds=round(time.perf_counter() - started, 2),
        **(defaults | counts),
    )


def check_index(
    settings: Settings, *, repair_it: bool = False, on_wait: Callable[[str], None] | None = None
) -> IntegrityReport:
    """`rag check`: the full integrity scan; with `repair_it`, fix what it finds."""
    if not repair_it:
        from rag.index_access import open_snapshot

        snapshot = open_snapshot(settings)
        try:
            return check(snapshot.store, full=True)
        finally:
            snapshot.close()
    with IndexWriter(settings, on_wait=on_wait) as writer:
        found = check(writer.store, full=True)
        if found.ok:
            return found
        return _check_and_repair(writer.writable(), settings, found)


def within_limits(records: list[Record], max_chars: int) -> tuple[list[Record], list[str]]:
    """Records with an abstract too long to be one are left out and reported, not fatal."""
    kept, skipped = [], []
    for record in records:
        if len(record.abstract) > max_chars:
            skipped.append(
                f"{record.location}: abstract of {len(record.abstract):,} characters is over "
                f"the {max_chars:,} limit (RAG_MAX_ABSTRACT_CHARS); skipped."
            )
        else:
            kept.append(record)
    return kept, skipped


def _plan(
    existing: dict[str, tuple[str, list[str]]], papers: list[Paper]
) -> tuple[list[Paper], list[Paper], list[str]]:
    """What to embed, whose locations to update, and which old ids to forget, given the
    index's paper_id -> (content hash, locations)."""
    current = {paper.paper_id for paper in papers}
    todo: list[Paper] = []
    moved: list[Paper] = []
    stale: list[str] = []
    for paper in papers:
        known = existing.get(paper.paper_id)
        if known is None or known[0] != paper.content_hash:
            # The same paper indexed under another id (untitled then, titled now): replace it.
            old = [a for a in paper.aliases if a in existing and a not in current]
            stale.extend(old)
            for pid in [paper.paper_id, *old]:
                if pid in existing:
                    paper.locations = _union(existing[pid][1], paper.locations)
            todo.append(paper)
        elif set(paper.locations) - set(known[1]):
            paper.locations = _union(known[1], paper.locations)
            moved.append(paper)
    return todo, moved, stale


def _check_and_repair(
    store: Store,
    settings: Settings,
    found: IntegrityReport | None = None,
    embed_model: Any = None,
) -> IntegrityReport:
    found = found or check(store)
    if found.ok:
        return found
    repair(
        store,
        found,
        lambda papers: _embed_and_write(store, papers, settings, False, None, embed_model),
    )
    fixed = check(store, full=True)
    fixed.repaired, fixed.orphans_removed = found.repaired, found.orphans_removed
    return fixed


def _union(first: list[str], more: list[str]) -> list[str]:
    return [*first, *(x for x in more if x not in first)]


def _embed_and_write(
    store: Store,
    todo: list[Paper],
    settings: Settings,
    progress: bool,
    on_batch: Callable[[int], None] | None,
    embed_model: Any = None,
) -> int:
    if not todo:
        return 0
    from tqdm import tqdm

    embed_model = embed_model or make_embed_model(settings)  # loaded only when needed
    total = 0
    with tqdm(total=len(todo), unit="paper", desc="Embedding", disable=not progress) as bar:
        size = settings.ingest_batch_papers
        for start in range(0, len(todo), size):
            batch = todo[start : start + size]
            chunked = [
                chunk_paper(
                    p.paper_id,
                    p.label,
                    p.abstract,
                    settings.chunk_tokens,
                    settings.chunk_overlap_sentences,
                )
                for p in batch
            ]
            flat = [c for chunks in chunked for c in chunks]
            encoded = encode_chunks(embed_model, flat, settings.embed_batch_size)
            items, offset = [], 0
            for paper, chunks in zip(batch, chunked, strict=True):
                items.append((paper, chunks, encoded.chunk_vectors[offset : offset + len(chunks)]))
                offset += len(chunks)
            store.write_papers(items, encoded.sentences)
            total += len(flat)
            bar.update(len(batch))
            if on_batch:
                on_batch(start // size)
    return total
