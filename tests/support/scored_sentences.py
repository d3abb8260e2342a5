"""Sentences and vectors for the sentence scoring and answer grouping tests."""

from __future__ import annotations

import numpy as np

CORPUS = [
    "Sparse attention for long documents. We propose SparseX for long inputs.",
    "A study of memory in transformers. The memory grows with the sequence length.",
    "Quantization of language models to low bit widths.",
    "Federated learning with slow clients and asynchronous updates.",
]


# Two orthogonal unit vectors: sentences along the first are redundant with each other.
AXES = (np.array([1.0, 0.0], dtype=np.float32), np.array([0.0, 1.0], dtype=np.float32))


def equal_vectors(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Sentence vectors that all have the same cosine (0.5) with the query vector."""
    query = np.zeros(n + 1, dtype=np.float32)
    query[0] = 1.0
    vectors = np.zeros((n, n + 1), dtype=np.float32)
    for i in range(n):
        vectors[i, 0] = 0.5
        vectors[i, i + 1] = np.sqrt(0.75)
    return query, vectors
