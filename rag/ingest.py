"""From abstract files to the index: read in batches, merge, embed only what changed.

Files the index already reflects (same size, modification time and reading options) are
not read again (`rag/file_cache.py`). The others are read as a stream, a batch of records at
a time: each batch is merged, matched to the index by identity key (`rag/ingest_plan.py`)
and written before the next is read, so memory does not grow with the corpus. When every
batch is in, papers no longer in the files read whole (or in files gone from a folder read)
lose their places there, and leave the index when they have none left
(`rag.ingest_plan.removals`). One writer at a time (an inter-process lock); an embedded
index is written to a copy that is published when the run ends, so readers never see a
half-written index.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from itertools import islice
from pathlib import Path
from typing import Any

from rag import generations
from rag.catalog import LINEAGE_KEY
from rag.chunking import chunk_paper
from rag.components import embed_model_name, make_chroma_client, make_embed_model
from rag.encoding import encode_chunks
from rag.errors import (
    CorpusError,
    IndexMismatchError,
    IndexMissingError,
    RagError,
    StoreError,
)
from rag.file_cache import FileCache, FileState, file_key, state_of
from rag.formats import ReadOptions, RecordFilter
from rag.formats.collect import CorpusRead, iter_corpus, read_corpus
from rag.index_access import IndexWriter, Snapshot, open_snapshot
from rag.ingest_plan import Plan, Removal, plan, removals
from rag.ingest_report import FileReport, Tally, gone_reports
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
    removed_papers: int = 0  # no longer in the files they were read from: out of the index
    removed: list[str] = field(default_factory=list)  # every paper that left a file, and what
    # became of it (taken out of the index, or still at its other locations)

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
        return _dry_run(files, paths, options, keep, refused, settings, started, rebuild)
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
            run.gone = _gone(paths, files, writer.store.catalog)
            read = {run.resolve(str(p)) for p in fresh} | set(run.gone)
            for group in _groups(stream, settings.ingest_group_records):
                run.add(group, writer, settings, read, progress, on_batch)
            run.removal = removals(writer.store.catalog, run.swept(), run.planned | run.replaced)
            if run.removal.writes:  # after every batch: only then is a file read whole
                store = writer.writable()
                store.update_locations(run.removal.moved)
                store.delete_papers(run.removal.deleted)
            if writer.wrote:
                writer.store.catalog.forget_files()
            health = check(writer.store)
            if not health.ok or writer.store.catalog.renumbered():  # or a new shard size
                health = _check_and_repair(writer.writable(), settings, embed_model=run.embed_model)
            n_papers, n_chunks = writer.store.counts()
        counts = {file_key(Path(r.file)): r for r in run.reports() if not r.error}
        for state in states:  # as reported: an abstract over the limit is a skipped record
            if state.path in counts:
                c = counts[state.path]
                state.read, state.skipped, state.filtered = c.read, c.skipped, c.filtered
        cache.remember([s for s in states if s.path in counts])
        cache.forget(run.gone)
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
    planned: set[str] = field(default_factory=set)  # every paper this run planned (as indexed)
    to_embed: set[str] = field(default_factory=set)  # those planned to embed (a dry run too)
    replaced: set[str] = field(default_factory=set)  # indexed ids replaced by another id
    unchanged_files: list[FileState] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)  # indexed files no longer in their folder
    removal: Removal = field(default_factory=Removal)
    resolved: dict[str, str] = field(default_factory=dict)  # a record's path -> its file's
    records: int = 0
    papers: int = 0  # distinct papers among the records read
    read_papers: int = 0  # papers each batch's records merged into
    chunks: int = 0
    merges: list[str] = field(default_factory=list)
    joined: int = 0  # papers read that were copies of papers indexed from other files
    too_long: list[str] = field(default_factory=list)
    embed_model: Any = None  # loaded on the first paper to embed, then kept for the run

    def resolve(self, path: str) -> str:
        """A file as the index knows it (`file_key`), worked out once per file."""
        found = self.resolved.get(path)
        if found is None:
            found = self.resolved[path] = file_key(Path(path))
        return found

    def merge(self, records: list[Record]) -> MergeReport:
        report = merge(records)
        for paper in report.papers:
            paper.sources = [(self.resolve(path), line) for path, line in paper.sources or ()]
        return report

    def add(
        self,
        group: list[Record],
        writer: IndexWriter,
        settings: Settings,
        read: set[str],
        progress: bool,
        on_batch: Callable[[int], None] | None,
    ) -> None:
        kept, too_long = within_limits(group, settings.max_abstract_chars)
        report = self.merge(kept)
        todo = plan(report.papers, writer.store.catalog, read, self.planned)
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
        self, report: MergeReport, too_long: list[Record], max_chars: int, todo: Plan
    ) -> None:
        """A batch's records in the run's totals."""
        self.records += report.records
        self.merges += report.merges + todo.joined
        self.read_papers += len(todo.steps)
        for step in todo.steps:
            self.papers += not step.again  # a copy in a later batch is not another paper
            self.joined += step.joined
            self.planned.add(step.whole.paper_id)
            if step.embed:
                self.to_embed.add(step.whole.paper_id)
        self.replaced.update(todo.stale)
        self.too_long += [_too_long(r, max_chars) for r in too_long]
        self.tally.add(too_long, todo.steps, self.resolve)

    def swept(self) -> set[str]:
        """Files whose papers are all known now: read whole, or gone. Not a file that could
        not be read, or gave no record at all (garbled, or caught half-written: delete a file
        to take its papers out), nor one with records filtered out (a record outside
        --category/--since cannot be told from a deleted one)."""
        whole = {
            self.resolve(path)
            for path, count in self.read.files.items()
            if count.read and not count.error and not count.filtered
        }
        return whole | set(self.gone)

    def summary(
        self,
        n_papers: int = 0,
        n_chunks: int = 0,
        health: IntegrityReport | None = None,
        dry_run: bool = False,
    ) -> IngestSummary:
        health = health or IntegrityReport()
        embedded = len(self.to_embed - self.replaced)  # a paper embedded twice is one
        return IngestSummary(
            files=self.files,
            records=self.records,
            duplicates_merged=self.records - self.read_papers + self.joined,
            papers=self.papers,
            embedded_papers=0 if dry_run else embedded,
            unchanged_papers=max(0, self.papers - embedded),
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
            per_file=[replace(r, dry_run=dry_run).as_dict() for r in self.reports()],
            dry_run=dry_run,
            removed_papers=len(self.removal.deleted),
            removed=self.removal.lines,
        )

    def reports(self) -> list[FileReport]:
        """Per file: the files read in this run, those gone, then those not read again."""
        return (
            self.tally.reports(self.read, self.resolve, self.removal)
            + gone_reports(self.removal, self.gone)
            + [
                FileReport(s.path, s.read, s.skipped, s.filtered, 0, 0, unchanged=True)
                for s in self.unchanged_files
            ]
        )


def _gone(paths: Sequence[Path], files: list[Path], catalog: Any | None) -> list[str]:
    """Files the index holds papers from that were in a folder ingested now and are no longer
    there (deleted, moved or renamed). Files outside the folders ingested are not looked at:
    `rag ingest one.bib` says nothing about the others."""
    folders = [p.resolve() for p in paths if p.is_dir()]
    if not folders or catalog is None:
        return []
    listed = {file_key(f) for f in files}
    return [
        src
        for src in catalog.source_paths()
        if src not in listed
        and any(Path(src).is_relative_to(folder) for folder in folders)
        and not Path(src).exists()
    ]


def _dry_run(files, paths, options, keep, refused, settings, started, rebuild) -> IngestSummary:
    """Read and merge everything (in memory) and match it to the published index, read-only:
    what a run would embed, find unchanged and remove, and what the index holds now."""
    run = _Run(started=started, files=len(files))
    read = read_corpus(files, options, keep, refused)
    run.read = read
    kept, too_long = within_limits(read.records, settings.max_abstract_chars)
    report = run.merge(kept)
    snapshot = None if rebuild else _published(settings)
    try:  # no index yet, or one the run would start over: every paper is new
        catalog = snapshot.store.catalog if snapshot else None
        run.gone = _gone(paths, files, catalog)
        fresh = {run.resolve(str(p)) for p in files} | set(run.gone)
        todo = plan(report.papers, catalog, fresh, set())
        run.count(report, too_long, settings.max_abstract_chars, todo)
        run.removal = removals(catalog, run.swept(), run.planned | run.replaced)
        counts = snapshot.store.counts() if snapshot else (0, 0)
    finally:
        if snapshot is not None:
            snapshot.close()
    return run.summary(*counts, dry_run=True)


def _published(settings: Settings) -> Snapshot | None:
    """The published index, opened to read; None when there is none, or when it was built
    by an earlier version (a run rebuilds it)."""
    try:
        return open_snapshot(settings)
    except IndexMissingError:
        return None
    except IndexMismatchError:
        root = None if settings.chroma_host else generations.current(settings.index_path)
        store = Store(
            make_chroma_client(settings, root), settings, embed_model_name(settings), root
        )
        try:
            if store.outdated():
                return None
        finally:
            store.close()
        raise


def check_index(
    settings: Settings, *, repair_it: bool = False, on_wait: Callable[[str], None] | None = None
) -> IntegrityReport:
    """`rag check`: the full integrity scan; with `repair_it`, fix what it finds."""
    if not repair_it:
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
