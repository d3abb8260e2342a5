"""Sentence vectors as int8 with one scale each: a quarter of float32, cosine error ~0.1%.

They are only compared with a question or an answer sentence, never searched, so the
catalog keeps them as blobs (`rag/catalog.py`).
"""

from __future__ import annotations

import numpy as np

from rag.encoding import unit_vector


def quantize(vectors: np.ndarray) -> tuple[bytes, bytes]:
    """int8 rows with one float32 scale each: a quarter of float32, cosine error ~0.1%."""
    vectors = np.asarray(vectors, dtype=np.float32).reshape(len(vectors), -1)
    scales = np.abs(vectors).max(axis=1) / 127.0
    scales[scales == 0] = 1.0
    q = np.round(vectors / scales[:, None]).astype(np.int8)
    return scales.astype(np.float32).tobytes(), q.tobytes()


def dequantize(scales: bytes, vectors: bytes) -> np.ndarray:
    s = np.frombuffer(scales, dtype=np.float32)
    q = np.frombuffer(vectors, dtype=np.int8).reshape(len(s), -1) if len(s) else np.zeros((0, 1))
    return unit_vector(q.astype(np.float32) * s[:, None])
