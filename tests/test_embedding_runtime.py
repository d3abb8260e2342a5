"""The local MiniLM on onnxruntime: same model as sentence-transformers, exported once."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from rag.chunking import chunk_paper
from rag.components import make_embed_model
from rag.encoding import _token_outputs
from rag.errors import ConfigError
from rag.onnx_export import ensure_onnx_model
from rag.papers import merge
from rag.readers import corpus_files, read_file
from rag.settings import PROJECT_ROOT
from tests.support.index_fixtures import CORPUS, make_settings


@pytest.fixture(scope="module")
def chunk_texts() -> list[str]:
    papers = merge(r for path in corpus_files([CORPUS]) for r in read_file(path)).papers
    return [c.text for p in papers[::60] for c in chunk_paper(p.paper_id, p.label, p.abstract, 200)]


def test_onnx_runtimes_reproduce_sentence_transformers(tmp_path, chunk_texts) -> None:
    outputs = {
        runtime: _token_outputs(
            make_embed_model(make_settings(tmp_path, embed_runtime=runtime)), chunk_texts, 8
        )
        for runtime in ("torch", "onnx", "onnx-int8")
    }
    reference = outputs["torch"]
    for runtime, floor in (("onnx", 0.9999), ("onnx-int8", 0.98)):
        cosines = [
            float(a.vector @ b.vector) for a, b in zip(reference, outputs[runtime], strict=True)
        ]
        assert min(cosines) > floor, (runtime, min(cosines))
        for a, b in zip(reference, outputs[runtime], strict=True):
            assert a.offsets == b.offsets  # same tokenizer, same truncation at 256
            assert a.tokens.shape == b.tokens.shape
    assert any(len(out.offsets) > 100 for out in reference)  # real, long chunks were compared


def test_default_runtime_gives_the_models_own_vectors(tmp_path, chunk_texts) -> None:
    """int8 vectors depend on the CPU's integer kernels (AVX2 without VNNI saturates), so
    an index, its rankings and the eval figures would differ from machine to machine; the
    default gives sentence-transformers' vectors, the same on every CPU."""
    settings = make_settings(tmp_path)
    assert "embed_runtime" not in settings.model_fields_set  # the default, not a test's choice
    default = _token_outputs(make_embed_model(settings), chunk_texts[:4], 8)
    torch = make_settings(tmp_path, embed_runtime="torch")
    reference = _token_outputs(make_embed_model(torch), chunk_texts[:4], 8)
    for a, b in zip(reference, default, strict=True):
        assert float(a.vector @ b.vector) > 0.9999


def test_query_vector_is_the_text_vector_and_unit_length(tmp_path) -> None:
    model = make_embed_model(make_settings(tmp_path, embed_runtime="onnx"))
    text = "Low-bit quantization of large language models."
    query = np.asarray(model.get_query_embedding(text))
    batch = np.asarray(model.get_text_embedding_batch([text, "A much longer text " * 20]))
    assert abs(np.linalg.norm(query) - 1) < 1e-5
    assert float(query @ batch[0]) > 0.99999  # padding in a batch does not change a vector


def test_export_is_done_once_and_leaves_no_partial_file(tmp_path) -> None:
    first = ensure_onnx_model(tmp_path, "int8")
    stamp = first.stat().st_mtime_ns
    assert ensure_onnx_model(tmp_path, "int8") == first
    assert first.stat().st_mtime_ns == stamp  # not exported again
    assert sorted(p.name for p in first.parent.glob("model-*")) == [
        "model-fp32.onnx",
        "model-int8.onnx",
    ]


def test_unwritable_model_cache_is_a_clear_error(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigError, match="RAG_MODEL_CACHE_DIR"):
        ensure_onnx_model(blocker / "models", "int8")


def test_answering_needs_no_torch(corpus_settings) -> None:
    """The default runtime answers without importing torch (start-up time and memory)."""
    script = (
        "import sys, json\n"
        "from rag import ask\n"
        "answer = ask('How can large language models be quantized to low bit widths?')\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'torch', 'sentence_transformers', 'transformers'})\n"
        "print(json.dumps({'refused': answer.refused, 'heavy': heavy}))\n"
    )
    env = {
        **os.environ,
        "RAG_DATA_DIR": str(corpus_settings.data_dir),
        "RAG_CORPUS_DIR": str(corpus_settings.corpus_path),
        "RAG_INDEX_DIR": str(corpus_settings.index_path),
        "RAG_BACKEND": "extractive",
    }
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"refused": False, "heavy": []}
