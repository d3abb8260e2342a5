"""paper-rag: cited answers over research-paper abstracts.

from rag import ask
answer = ask("Which papers speed up LLM inference?")
print(answer.text, [s.label for s in answer.sources])
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.chat import Chat
from rag.errors import (
    ConfigError,
    CorpusError,
    IndexMismatchError,
    IndexMissingError,
    LLMError,
    QuestionError,
    RagError,
    StoreError,
)
from rag.filters import Filters
from rag.types import Answer, Citation, Retract, SentenceCheck, Source

if TYPE_CHECKING:
    from rag.engine import Engine
    from rag.settings import Settings

__all__ = [
    "Answer",
    "Chat",
    "Citation",
    "ConfigError",
    "CorpusError",
    "Filters",
    "IndexMismatchError",
    "IndexMissingError",
    "LLMError",
    "QuestionError",
    "RagError",
    "Retract",
    "SentenceCheck",
    "Source",
    "StoreError",
    "ask",
    "get_engine",
    "open",
    "stream",
]

_engine: Engine | None = None


def get_engine() -> Engine:
    """The process-wide engine, opened on first use with settings from env/.env."""
    global _engine
    if _engine is None:
        from rag.engine import Engine
        from rag.offline import configure_offline
        from rag.settings import get_settings

        configure_offline()
        _engine = Engine(get_settings())
    return _engine


def open(target: str | Path | Settings | None = None, **overrides: Any) -> Engine:  # noqa: A001
    """An engine over one index; several can live in one process.

    `target` is a `Settings`, a data folder (holding `index/` and `abstracts/`), an index
    folder, or None for env/.env. Keyword arguments override single settings:
    `rag.open("~/papers", top_k=8, backend="extractive")`.
    """
    from rag.engine import Engine
    from rag.offline import configure_offline
    from rag.settings import Settings, load_settings

    configure_offline()
    if isinstance(target, Settings):
        settings = target.model_copy(update=overrides) if overrides else target
    else:
        if target is not None:
            folder = Path(target).expanduser()
            is_index = (folder / "CURRENT").exists() or (folder / "chroma.sqlite3").exists()
            overrides = {("index_dir" if is_index else "data_dir"): folder, **overrides}
        settings = load_settings(**overrides)
    return Engine(settings)


def ask(
    question: str,
    *,
    top_k: int | None = None,
    backend: str | None = None,
    history: list[Answer] | None = None,
    filters: Filters | dict | None = None,
) -> Answer:
    """Answer one question with citations; see `Answer` for what comes back.

    `filters` limits the papers used: `{"since": 2023, "authors": ["Smith"], "categories":
    ["cs.CL"]}` (keys: since, until, authors, venues, categories, paper_ids)."""
    return get_engine().ask(
        question, top_k=top_k, backend=backend, history=history, filters=filters
    )


def stream(
    question: str,
    *,
    top_k: int | None = None,
    backend: str | None = None,
    history: list[Answer] | None = None,
    filters: Filters | dict | None = None,
) -> Iterator[str | Answer]:
    """Yield text pieces as they are produced, then the final `Answer`.

    A `Retract` piece (an empty string) withdraws the text before it: the pieces after it
    replace it (an LLM answer that failed or was rejected, replaced by quoted sentences).
    """
    return get_engine().stream(
        question, top_k=top_k, backend=backend, history=history, filters=filters
    )
