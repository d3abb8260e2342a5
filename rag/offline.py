"""Environment that keeps every library off the network; set before heavy imports."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path


def configure_offline() -> None:
    """Point tiktoken at the encodings LlamaIndex ships and stop hub/analytics look-ups.

    tiktoken, HuggingFace and Gradio all try to download or phone home on first use;
    on a machine without internet that means long hangs or crashes.
    """
    spec = importlib.util.find_spec("llama_index.core")
    if spec and spec.submodule_search_locations:
        cache = Path(spec.submodule_search_locations[0]) / "_static" / "tiktoken_cache"
        os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(cache))
    for name, value in {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "ANONYMIZED_TELEMETRY": "False",
        "TOKENIZERS_PARALLELISM": "false",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "TRANSFORMERS_VERBOSITY": "error",
    }.items():
        os.environ.setdefault(name, value)
