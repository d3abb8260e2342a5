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
from itertools import islice
from pathlib import Path
from typing import Any

from rag import generations
from rag.catalog import LINEAGE_KEY
from rag.components import embed_model_name, make_chroma_client
from rag.errors import (
    CorpusError,
    IndexMismatchError,
    IndexMissingError,
    RagError,
    StoreError,
)
from rag.file_cache import FileCache, file_key, state_of
from rag.formats import ReadOptions, RecordFilter
from rag.formats.collect import iter_corpus, read_corpus
from rag.index_access import IndexWriter, Snapshot, open_snapshot
from rag.ingest_plan import plan, removals
from rag.ingest_run import IngestRun, IngestSummary
from rag.ingest_writes import check_and_repair, within_limits
from rag.integrity import IntegrityReport, check
from rag.readers import Record, corpus_files
from rag.settings import Settings
from rag.store import Store


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
    run = IngestRun(started=started, files=len(files), embed_model=embed_model)
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
                health = check_and_repair(writer.writable(), settings, embed_model=run.embed_model)
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
    run = IngestRun(started=started, files=len(files))
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
        return check_and_repair(writer.writable(), settings, found)
