"""Retrieval hits as the sources an answer cites: the paper's record, metadata and snippet."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rag.chunking import chunk_paper
from rag.types import Source

if TYPE_CHECKING:
    from rag.catalog import PaperRecord
    from rag.index_views import IndexView
    from rag.retrieval import Hit
    from rag.settings import Settings


def sources_of(hits: list[Hit], view: IndexView, settings: Settings) -> list[Source]:
    """Numbered sources, best first; a chunk whose paper this snapshot does not hold is never
    cited."""
    out = []
    for hit in hits:
        paper = view.papers.get(hit.paper_id)
        if paper is None:
            continue
        meta = view.meta[paper.paper_id]
        out.append(
            Source(
                **(vars(meta) | {"url": meta.link}),
                n=len(out) + 1,
                paper_id=paper.paper_id,
                title=paper.title,
                label=paper.label,
                abstract=paper.abstract,
                score=round(hit.score, 4),
                snippet=_snippet(hit, paper, settings),
                locations=paper.locations,
            )
        )
    return out


def _snippet(hit: Hit, paper: PaperRecord, settings: Settings) -> str:
    """The best chunk's sentences (the index keeps vectors, not chunk text), or the abstract's
    opening for a paper only keyword search found."""
    if not hit.dense:
        return paper.abstract[:300]
    s = settings
    chunks = chunk_paper(
        paper.paper_id, paper.label, paper.abstract, s.chunk_tokens, s.chunk_overlap_sentences
    )
    return " ".join(chunks[min(hit.position, len(chunks) - 1)].sentences)
