"""MiniLM served by onnxruntime as a LlamaIndex embedding model.

The default local embedder: the same weights as sentence-transformers (fp32 vectors
agree to 1e-6; int8 to ~0.99 cosine), without importing torch at query time. It also
hands back token vectors and character offsets from a single tokenizer pass, which
ingestion pools into sentence vectors (rag/encoding.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.bridge.pydantic import PrivateAttr

from rag.encoding import TokenOutput, unit_vector
from rag.onnx_export import INPUTS


class OnnxEmbedding(BaseEmbedding):
    """Mean-pooled, unit-length MiniLM vectors (what sentence-transformers computes)."""

    _session: object = PrivateAttr()
    _tokenizer: object = PrivateAttr()

    def __init__(self, model_file: Path, tokenizer_dir: Path, embed_batch_size: int) -> None:
        super().__init__(model_name=model_file.name, embed_batch_size=embed_batch_size)
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(
            str(model_file), options, providers=["CPUExecutionProvider"]
        )
        config = json.loads((tokenizer_dir / "sentence_bert_config.json").read_text())
        tokenizer = Tokenizer.from_file(str(tokenizer_dir / "tokenizer.json"))
        tokenizer.no_padding()  # padded per batch below, to the batch's longest text
        tokenizer.enable_truncation(max_length=int(config["max_seq_length"]))
        self._tokenizer = tokenizer

    @classmethod
    def class_name(cls) -> str:
        return "OnnxEmbedding"

    def encode_tokens(self, texts: list[str], batch_size: int | None = None) -> list[TokenOutput]:
        """Encode in batches of similar length (little padding), results in input order."""
        size = batch_size or self.embed_batch_size
        encodings = self._tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        results: list[TokenOutput | None] = [None] * len(texts)
        for start in range(0, len(order), size):
            batch = [encodings[i] for i in order[start : start + size]]
            width = max(len(e.ids) for e in batch)
            feed = {name: np.zeros((len(batch), width), dtype=np.int64) for name in INPUTS}
            for row, e in enumerate(batch):
                n = len(e.ids)
                feed["input_ids"][row, :n] = e.ids
                feed["attention_mask"][row, :n] = e.attention_mask
                feed["token_type_ids"][row, :n] = e.type_ids
            hidden = self._session.run(None, feed)[0]
            for row, (i, e) in enumerate(zip(order[start : start + size], batch, strict=True)):
                tokens = hidden[row, : len(e.ids)]
                results[i] = TokenOutput(unit_vector(tokens.mean(axis=0)), tokens, list(e.offsets))
        return [r for r in results if r is not None]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return [out.vector.tolist() for out in self.encode_tokens(texts)]

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._get_text_embedding(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)
