"""Sentence embeddings of abstracts, computed on demand and cached per paper.

Both the extractive answer and the citation check compare sentences to the question or
to answer sentences; abstracts repeat across questions, so their vectors are kept.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rag.bounded_cache import BoundedCache
from rag.chunking import split_sentences
from rag.encoding import unit_vector

CACHE_PAPERS = 4096


class SentenceIndex:
    """Shared by every answer a view serves, from several threads at once (the cache is
    thread-safe; the catalog reads and the encoding run outside its lock)."""

    def __init__(self, embed_model: Any, catalog: Any = None, max_tokens: int = 0) -> None:
        self._embed = embed_model
        self._max_tokens = max_tokens  # the chunking budget the stored sentences were cut with
        self._catalog = catalog  # stored sentence vectors (written at ingestion), when there are
        self._cache: BoundedCache[str, tuple[list[str], np.ndarray]] = BoundedCache(CACHE_PAPERS)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        vectors = np.asarray(self._embed.get_text_embedding_batch(texts), dtype=np.float32)
        return unit_vector(vectors)

    def sentences(self, paper_id: str, abstract: str) -> tuple[list[str], np.ndarray]:
        return self.many([(paper_id, abstract)])[paper_id]

    def many(self, papers: list[tuple[str, str]]) -> dict[str, tuple[list[str], np.ndarray]]:
        """Sentences and unit vectors of several abstracts; missing ones embedded in one batch."""
        found = self._cache.get_many(pid for pid, _ in papers)
        wanted = [pid for pid, _ in papers if pid not in found]
        if wanted and self._catalog is not None:
            found |= self._catalog.sentences(wanted, self._max_tokens)
        missing = [(pid, split_sentences(text)) for pid, text in papers if pid not in found]
        flat = [s for _, sents in missing for s in sents]
        vectors = self.embed(flat) if flat else np.zeros((0, 1), dtype=np.float32)
        offset = 0
        for pid, sents in missing:
            found[pid] = (sents, vectors[offset : offset + len(sents)])
            offset += len(sents)
        self._cache.put_many({pid: found[pid] for pid, _ in papers})
        return {pid: found[pid] for pid, _ in papers}

    def best_similarity(self, papers: list[tuple[str, str]], query: np.ndarray) -> float:
        """The closest any sentence of these abstracts comes to the question: a question on
        another subject, asked in the field's words, still matches no sentence well."""
        found = self.many(papers)
        return max((float((v @ query).max()) for _, v in found.values() if len(v)), default=0.0)

    def stored(self, ids: list[str]) -> dict[str, tuple[list[str], np.ndarray]]:
        """Sentences and stored vectors of these papers, for ranking retrieval candidates:
        nothing is embedded here (papers without stored vectors are left out)."""
        out = self._cache.get_many(ids)
        wanted = [pid for pid in ids if pid not in out]
        if wanted and self._catalog is not None:
            fetched = self._catalog.sentences(wanted, self._max_tokens)
            out |= fetched
            self._cache.put_many(fetched)
        return out

    def closeness(self, paper_id: str, others: list[str]) -> float:
        """Cosine between the centroid of a paper's sentence vectors and that of other
        papers: which of two papers named alike is in the others' field."""
        found = self.stored([paper_id, *others])
        centroids = {pid: v.mean(axis=0) for pid, (_, v) in found.items() if len(v)}
        if paper_id not in centroids or not (
            rest := [c for p, c in centroids.items() if p != paper_id]
        ):
            return 0.0
        a, b = centroids[paper_id], np.mean(rest, axis=0)
        return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) or 1.0))
