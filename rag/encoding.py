"""Chunk vectors and sentence vectors from one pass of the encoder.

The extractive answer ranks single sentences. Embedding them separately would double
ingestion time, so each sentence's vector is the mean of the chunk encoder's token
embeddings over that sentence's span (contextual, and free once the chunk is encoded).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rag.chunking import Chunk


@dataclass
class Encoded:
    chunk_vectors: list[list[float]]
    sentences: dict[str, list[tuple[str, list[float]]]]  # paper_id -> [(sentence, vector)]


def encode_chunks(embed_model: Any, chunks: list[Chunk], batch_size: int) -> Encoded:
    model = getattr(embed_model, "_model", None)
    if model is None or not hasattr(model, "tokenizer"):  # a remote model: no token vectors
        return _encode_separately(embed_model, chunks)
    outputs = model.encode(
        [c.text for c in chunks], batch_size=batch_size, output_value=None, show_progress_bar=False
    )
    offsets = model.tokenizer(
        [c.text for c in chunks],
        return_offsets_mapping=True,
        truncation=True,
        max_length=model.max_seq_length,
    )["offset_mapping"]
    chunk_vectors: list[list[float]] = []
    sentences: dict[str, dict[int, tuple[str, list[float]]]] = {}
    for chunk, out, spans in zip(chunks, outputs, offsets, strict=True):
        pooled = _unit(out["sentence_embedding"].float().numpy())
        chunk_vectors.append(pooled.tolist())
        n = min(len(spans), len(out["token_embeddings"]))  # rows past n are padding
        tokens = out["token_embeddings"][:n].float().numpy()
        starts = np.array([a for a, _ in spans[:n]])
        ends = np.array([b for _, b in spans[:n]])
        real = ends > starts  # special tokens have empty spans
        at = len(chunk.text) - len(" ".join(chunk.sentences))
        seen = sentences.setdefault(chunk.paper_id, {})
        for i, sentence in enumerate(chunk.sentences):
            begin, end = at, at + len(sentence)
            at = end + 1
            index = chunk.first + i
            if index in seen:
                continue  # overlap: keep the vector from the chunk where the sentence starts
            inside = real & (starts >= begin) & (ends <= end)
            vector = _unit(tokens[inside].mean(axis=0)) if inside.any() else pooled
            seen[index] = (sentence, vector.tolist())
    return Encoded(
        chunk_vectors,
        {pid: [by_index[i] for i in sorted(by_index)] for pid, by_index in sentences.items()},
    )


def _encode_separately(embed_model: Any, chunks: list[Chunk]) -> Encoded:
    chunk_vectors = embed_model.get_text_embedding_batch([c.text for c in chunks])
    unique: dict[str, dict[int, str]] = {}
    for chunk in chunks:
        for i, sentence in enumerate(chunk.sentences):
            unique.setdefault(chunk.paper_id, {}).setdefault(chunk.first + i, sentence)
    flat = [(pid, i, s) for pid, by in unique.items() for i, s in sorted(by.items())]
    vectors = embed_model.get_text_embedding_batch([s for _, _, s in flat]) if flat else []
    sentences: dict[str, list[tuple[str, list[float]]]] = {}
    for (pid, _, sentence), vector in zip(flat, vectors, strict=True):
        sentences.setdefault(pid, []).append((sentence, vector))
    return Encoded(chunk_vectors, sentences)


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-9)
