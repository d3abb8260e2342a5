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
class TokenOutput:
    """One text's pooled unit vector, its token vectors and their character spans."""

    vector: np.ndarray
    tokens: np.ndarray
    offsets: list[tuple[int, int]]


@dataclass
class Encoded:
    chunk_vectors: list[list[float]]
    sentences: dict[str, list[tuple[str, list[float]]]]  # paper_id -> [(sentence, vector)]


def encode_chunks(embed_model: Any, chunks: list[Chunk], batch_size: int) -> Encoded:
    outputs = _token_outputs(embed_model, [c.text for c in chunks], batch_size)
    if outputs is None:  # a remote model: no token vectors
        return _encode_separately(embed_model, chunks)
    chunk_vectors: list[list[float]] = []
    sentences: dict[str, dict[int, tuple[str, list[float]]]] = {}
    for chunk, out in zip(chunks, outputs, strict=True):
        chunk_vectors.append(out.vector.tolist())
        starts = np.array([a for a, _ in out.offsets])
        ends = np.array([b for _, b in out.offsets])
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
            vector = unit_vector(out.tokens[inside].mean(axis=0)) if inside.any() else out.vector
            seen[index] = (sentence, vector.tolist())
    return Encoded(
        chunk_vectors,
        {pid: [by_index[i] for i in sorted(by_index)] for pid, by_index in sentences.items()},
    )


def _token_outputs(embed_model: Any, texts: list[str], batch_size: int) -> list[TokenOutput] | None:
    """Token vectors and spans from the ONNX runtime, or from sentence-transformers (torch)."""
    if hasattr(embed_model, "encode_tokens"):  # rag.onnx_embedding.OnnxEmbedding
        return embed_model.encode_tokens(texts, batch_size)
    model = getattr(embed_model, "_model", None)
    if model is None or not hasattr(model, "tokenizer"):
        return None
    encoded = model.encode(texts, batch_size=batch_size, output_value=None, show_progress_bar=False)
    spans = model.tokenizer(
        texts, return_offsets_mapping=True, truncation=True, max_length=model.max_seq_length
    )["offset_mapping"]
    outputs = []
    for out, offsets in zip(encoded, spans, strict=True):
        n = min(len(offsets), len(out["token_embeddings"]))  # rows past n are padding
        outputs.append(
            TokenOutput(
                unit_vector(out["sentence_embedding"].float().numpy()),
                out["token_embeddings"][:n].float().numpy(),
                list(offsets[:n]),
            )
        )
    return outputs


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


def unit_vector(vectors: np.ndarray) -> np.ndarray:
    """Unit length along the last axis (one vector, or each row of a matrix)."""
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-9)
