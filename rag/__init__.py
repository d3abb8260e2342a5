"""paper-rag: cited answers over research-paper abstracts.

from rag import ask
answer = ask("Which papers speed up LLM inference?")
print(answer.text, [s.label for s in answer.sources])
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

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
from rag.types import Answer, Citation, Retract, SentenceCheck, Source

if TYPE_CHECKING:
    from rag.engine import Engine

__all__ = [
    "Answer",
    "Chat",
    "Citation",
    "ConfigError",
    "CorpusError",
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


def ask(
    question: str,
    *,
    top_k: int | None = None,
    backend: str | None = None,
    history: list[Answer] | None = None,
) -> Answer:
    """Answer one question with citations; see `Answer` for what comes back."""
    return get_engine().ask(question, top_k=top_k, backend=backend, history=history)


def stream(
    question: str,
    *,
    top_k: int | None = None,
    backend: str | None = None,
    history: list[Answer] | None = None,
) -> Iterator[str | Answer]:
    """Yield text pieces as they are produced, then the final `Answer`.

    A `Retract` piece (an empty string) withdraws the text before it: the pieces after it
    replace it (an LLM answer that failed or was rejected, replaced by quoted sentences).
    """
    return get_engine().stream(question, top_k=top_k, backend=backend, history=history)
