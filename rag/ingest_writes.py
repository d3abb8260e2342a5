"""Writing papers to the index: embedding them in batches, and repairing what a check finds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rag.chunking import chunk_paper
from rag.components import make_embed_model
from rag.encoding import encode_chunks
from rag.integrity import IntegrityReport, check, repair
from rag.papers import Paper
from rag.readers import Record
from rag.settings import Settings
from rag.store import Store


def within_limits(records: list[Record], max_chars: int) -> tuple[list[Record], list[Record]]:
    """Records with an abstract too long to be one are left out (and reported), not fatal."""
    kept = [r for r in records if len(r.abstract) <= max_chars]
    return kept, [r for r in records if len(r.abstract) > max_chars]


def too_long_notice(record: Record, max_chars: int) -> str:
    return (
        f"{record.location}: abstract of {len(record.abstract):,} characters is over "
        f"the {max_chars:,} limit (RAG_MAX_ABSTRACT_CHARS); skipped."
    )


def check_and_repair(
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
        lambda papers: embed_and_write(store, papers, settings, False, None, embed_model),
    )
    fixed = check(store, full=True)
    fixed.repaired, fixed.orphans_removed = found.repaired, found.orphans_removed
    return fixed


def embed_and_write(
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
