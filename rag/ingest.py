"""From abstract files to the index: parse all, merge, embed only what changed, commit per batch."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from rag.chunking import chunk_paper
from rag.components import (
    embed_model_name,
    forget_chroma_clients,
    make_chroma_client,
    make_embed_model,
    make_vector_store,
)
from rag.encoding import encode_chunks
from rag.errors import RagError, StoreError
from rag.papers import Paper, merge
from rag.readers import corpus_files, read_file
from rag.settings import Settings
from rag.store import Store

BATCH_PAPERS = 32
_CHROMA_FILE = re.compile(r"^(chroma\.sqlite3(-wal|-shm|-journal)?|\.lock)$")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


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

    def as_dict(self) -> dict:
        return asdict(self)


def open_store(settings: Settings) -> Store:
    return Store(make_chroma_client(settings), settings, embed_model_name(settings))


def ingest(
    paths: Sequence[Path],
    settings: Settings,
    *,
    rebuild: bool = False,
    progress: bool = True,
    on_batch: Callable[[int], None] | None = None,
) -> IngestSummary:
    """Read every file first (a bad file stops here, before any write), then embed what changed."""
    started = time.perf_counter()
    files = corpus_files(paths)
    records = [record for path in files for record in read_file(path)]
    report = merge(records)

    if rebuild and not settings.chroma_host:
        clear_local_index(settings.index_path)  # works even when Chroma cannot open it
    store = open_store(settings)
    if rebuild:
        store.drop()
    store.open(create=True)
    try:
        existing = store.paper_hashes()
        current = {paper.paper_id for paper in report.papers}
        todo: list[Paper] = []
        moved: list[Paper] = []
        stale: list[str] = []
        for paper in report.papers:
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
        store.update_locations(moved)
        store.delete_papers(stale)  # before writing: a crash in between leaves them to redo
        embedded_chunks = _embed_and_write(store, todo, settings, progress, on_batch)
        orphans = store.remove_orphan_chunks()
        n_papers, n_chunks = store.counts()
    except Exception as exc:  # Chroma raises its own error types, sqlite and OS errors
        if isinstance(exc, RagError):
            raise
        raise StoreError(
            f"Writing to the index failed ({type(exc).__name__}: {exc}). Nothing finished was "
            "lost; check that the data folder is writable and has free space, then re-run "
            "`rag ingest` to resume."
        ) from exc
    return IngestSummary(
        files=len(files),
        records=report.records,
        duplicates_merged=report.duplicates,
        papers=len(report.papers),
        embedded_papers=len(todo),
        unchanged_papers=len(report.papers) - len(todo),
        chunks_embedded=embedded_chunks,
        papers_in_index=n_papers,
        chunks_in_index=n_chunks,
        orphans_removed=orphans,
        seconds=round(time.perf_counter() - started, 2),
    )


def clear_local_index(path: Path) -> None:
    """Delete an on-disk index folder, but only one that holds nothing but Chroma's files."""
    if not path.exists():
        return
    if not path.is_dir():
        raise StoreError(f"{path} is a file, not an index folder. Set RAG_INDEX_DIR to a folder.")
    entries = list(path.iterdir())
    foreign = [
        e.name
        for e in entries
        if not (_CHROMA_FILE.match(e.name) or (e.is_dir() and _UUID.fullmatch(e.name)))
    ]
    if foreign:
        raise StoreError(
            f"{path} holds files that are not a Chroma index ({', '.join(sorted(foreign)[:5])}); "
            "not deleting them. Move them away or set RAG_INDEX_DIR to another folder."
        )
    forget_chroma_clients()
    shutil.rmtree(path)


def _union(first: list[str], more: list[str]) -> list[str]:
    return [*first, *(x for x in more if x not in first)]


def _embed_and_write(
    store: Store,
    todo: list[Paper],
    settings: Settings,
    progress: bool,
    on_batch: Callable[[int], None] | None,
) -> int:
    if not todo:
        return 0
    from tqdm import tqdm

    embed_model = make_embed_model(settings)  # loaded only when something must be embedded
    vector_store = make_vector_store(store.chunks)
    total = 0
    with tqdm(total=len(todo), unit="paper", desc="Embedding", disable=not progress) as bar:
        for start in range(0, len(todo), BATCH_PAPERS):
            batch = todo[start : start + BATCH_PAPERS]
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
            store.write_papers(items, vector_store, encoded.sentences)
            total += len(flat)
            bar.update(len(batch))
            if on_batch:
                on_batch(start // BATCH_PAPERS)
    return total
