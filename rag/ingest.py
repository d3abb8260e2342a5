"""From abstract files to the index: read in batches, merge, embed only what changed.

Files the index already reflects (same size, modification time and reading options) are
not read again (`rag/file_cache.py`). The others are read as a stream, a batch of records at
a time: each batch is merged, matched to the index by identity key (`rag/ingest_plan.py`)
and written before the next is read, so memory does not grow with the corpus. One writer
at a time (an inter-process lock); an embedded index is written to a copy that is
published when the run ends, so readers never see a half-written index.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from itertools import islice
from pathlib import Path
from typing import Any

from rag.catalog import LINEAGE_KEY
from rag.chunking import chunk_paper
from rag.components import make_embed_model
from rag.encoding import encode_chunks
from rag.errors import CorpusError, RagError, StoreError
from rag.file_cache import FileCache, FileState, state_of
from rag.formats import ReadOptions, RecordFilter
from rag.formats.collect import CorpusRead, iter_corpus, read_corpus
from rag.index_access import IndexWriter
from rag.ingest_plan import Plan, plan
from rag.ingest_report import FileReport, Tally
from rag.integrity import IntegrityReport, check, repair
from rag.papers import MergeReport, Paper, merge
from rag.readers import Record, corpus_files
from rag.settings import Settings
from rag.store import Store


@dataclass
class IngestSummary:
    files: int
    records: int  # records read in this run (files not read again are not counted)
    duplicates_merged: int
    papers: int  # distinct papers in the records read
    embedded_papers: int
    unchanged_papers: int
    chunks_embedded: int
    papers_in_index: int
    chunks_in_index: int
    orphans_removed: int
    seconds: float
    repaired_papers: int = 0  # found incomplete by the closing check and re-embedded
    unchanged_files: int = 0  # already in the index as they are: not read again
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
    """Embed what changed in the files. Bad records and files are skipped and reported
    (`settings.strict`: the first one stops the run, before any write: strict runs read
    everything first).

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
    if dry_run:
        return _dry_run(files, options, keep, refused, settings, started)
    run = _Run(started=started, files=len(files), embed_model=embed_model)
    try:
        with IndexWriter(settings, rebuild=rebuild, on_wait=on_wait) as writer:
            cache = FileCache(
                writer.file_cache_path,
                _reading(settings, keep),
                writer.store.catalog.info(LINEAGE_KEY) or "",
            )
            fresh, states = [], []
            for path in files:
                state = state_of(path)  # before reading: an edit made meanwhile is read next time
                known = cache.unchanged(state)
                if known:
                    run.unchanged_files.append(known)
                else:
                    fresh.append(path)
                    states.append(state)
            stream = iter_corpus(
                fresh, options, keep, refused, run.read, others_read=bool(run.unchanged_files)
            )
            if settings.strict:  # every problem is found before anything is written
                stream = iter(list(stream))
            read_files = {p.name for p in fresh}
            for group in _groups(stream, settings.ingest_group_records):
                run.add(group, writer, settings, read_files, progress, on_batch)
            health = check(writer.store)
            if not health.ok or writer.store.catalog.renumbered():  # or a new shard size
                health = _check_and_repair(writer.writable(), settings, embed_model=run.embed_model)
            n_papers, n_chunks = writer.store.counts()
        counts = {str(Path(p).resolve()): c for p, c in run.read.files.items() if not c.error}
        for state in states:
            if state.path in counts:
                c = counts[state.path]
                state.read, state.skipped, state.filtered = c.read, c.skipped, c.filtered
        cache.remember([s for s in states if s.path in counts])
        cache.close()
    except Exception as exc:  # Chroma raises its own error types, sqlite and OS errors
        if isinstance(exc, RagError):
            raise
        raise StoreError(
            f"Writing to the index failed ({type(exc).__name__}: {exc}). Nothing finished was "
            "lost; check that the data folder is writable and has free space, then re-run "
            "`rag ingest` to resume."
        ) from exc
    return run.summary(n_papers, n_chunks, health)


def _reading(settings: Settings, keep: RecordFilter | None) -> dict:
    """The options that decide what a file yields: a change means reading it again."""
    return {
        "keep": [list(keep.categories), keep.since] if keep else None,
        "column_map": settings.column_map,
        "max_abstract_chars": settings.max_abstract_chars,
        "max_file_mb": settings.max_file_mb,
    }


def _groups(records: Iterator[Record], size: int) -> Iterator[list[Record]]:
    while group := list(islice(records, size)):
        yield group


@dataclass
class _Run:
    """What one ingest run has done so far, batch by batch."""

    started: float
    files: int
    read: CorpusRead = field(default_factory=CorpusRead)
    tally: Tally = field(default_factory=Tally)
    written: set[str] = field(default_factory=set)  # papers this run embedded
    unchanged_files: list[FileState] = field(default_factory=list)
    records: int = 0
    papers: int = 0
    unchanged: int = 0
    chunks: int = 0
    merges: list[str] = field(default_factory=list)
    joined: int = 0  # records that were copies of papers indexed from other files
    too_long: list[str] = field(default_factory=list)
    embed_model: Any = None  # loaded on the first paper to embed, then kept for the run

    def add(
        self,
        group: list[Record],
        writer: IndexWriter,
        settings: Settings,
        read_files: set[str],
        progress: bool,
        on_batch: Callable[[int], None] | None,
    ) -> None:
        kept, too_long = within_limits(group, settings.max_abstract_chars)
        report = merge(kept)
        todo = plan(report.papers, writer.store.catalog, read_files, self.written)
        if todo.writes:
            store = writer.writable()
            store.update_locations(todo.moved)
            store.delete_papers(todo.stale)  # before writing: a crash in between leaves them
            if todo.todo and self.embed_model is None:
                self.embed_model = make_embed_model(settings)
            self.chunks += _embed_and_write(
                store, todo.todo, settings, progress, on_batch, self.embed_model
            )
            self.written.update(p.paper_id for p in todo.todo)
        self.count(report, too_long, settings.max_abstract_chars, todo)

    def count(
        self, report: MergeReport, too_long: list[Record], max_chars: int, todo: Plan | None
    ) -> None:
        """A batch's records in the run's totals (`todo` None: a dry run planned nothing)."""
        self.records += report.records
        self.papers += len(report.papers)
        self.merges += report.merges
        if todo is not None:
            self.unchanged += len(report.papers) - len(todo.todo)
            self.merges += todo.joined
            self.joined += len(todo.joined)
        self.too_long += [_too_long(r, max_chars) for r in too_long]
        self.tally.add(too_long, report.papers, self.written)

    def summary(
        self, n_papers: int = 0, n_chunks: int = 0, health: IntegrityReport | None = None
    ) -> IngestSummary:
        health = health or IntegrityReport()
        reports = self.tally.reports(self.read) + [
            FileReport(s.path, s.read, s.skipped, s.filtered, 0, 0, unchanged=True)
            for s in self.unchanged_files
        ]
        return IngestSummary(
            files=self.files,
            records=self.records,
            duplicates_merged=self.records - self.papers + self.joined,
            papers=self.papers,
            embedded_papers=len(self.written),
            unchanged_papers=self.unchanged,
            chunks_embedded=self.chunks,
            papers_in_index=n_papers,
            chunks_in_index=n_chunks,
            orphans_removed=health.orphans_removed,
            seconds=round(time.perf_counter() - self.started, 2),
            repaired_papers=health.repaired,
            unchanged_files=len(self.unchanged_files),
            skipped=self.read.problems() + self.too_long,
            merged=self.merges,
            filtered=sum(c.filtered for c in self.read.files.values()),
            per_file=[r.as_dict() for r in reports],
        )


def _dry_run(files, options, keep, refused, settings, started) -> IngestSummary:
    """Read and merge everything (in memory), touch no index."""
    run = _Run(started=started, files=len(files))
    read = read_corpus(files, options, keep, refused)
    run.read = read
    kept, too_long = within_limits(read.records, settings.max_abstract_chars)
    run.count(merge(kept), too_long, settings.max_abstract_chars, None)
    return replace(run.summary(), dry_run=True)


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


def within_limits(records: list[Record], max_chars: int) -> tuple[list[Record], list[Record]]:
    """Records with an abstract too long to be one are left out (and reported), not fatal."""
    kept = [r for r in records if len(r.abstract) <= max_chars]
    return kept, [r for r in records if len(r.abstract) > max_chars]


def _too_long(record: Record, max_chars: int) -> str:
    return (
        f"{record.location}: abstract of {len(record.abstract):,} characters is over "
        f"the {max_chars:,} limit (RAG_MAX_ABSTRACT_CHARS); skipped."
    )


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
