"""The answer backends by the names settings, the CLI and the UI offer (`rag.choices.BACKENDS`,
kept free of these imports for `rag --help`; a test checks the two agree)."""

from __future__ import annotations

from rag.backends.base import AnswerBackend
from rag.backends.extractive import ExtractiveBackend
from rag.backends.llm import LocalBackend
from rag.backends.openai_chat import OpenAIBackend
from rag.choices import BACKENDS
from rag.errors import ConfigError
from rag.llm_answer import ChatAnswers
from rag.settings import Settings

CHAT_MODELS = {"openai": OpenAIBackend, "local": LocalBackend}  # LLM backends by name


def make_backend(name: str, settings: Settings) -> AnswerBackend:
    """The backend called `name`, set up with `settings` (an LLM's model loads on first use)."""
    quotes = ExtractiveBackend(settings)
    if name == quotes.name:
        return quotes
    chat = CHAT_MODELS.get(name)
    if chat is None:
        raise ConfigError(f"Unknown backend '{name}'. Use one of: {', '.join(BACKENDS)}.")
    return ChatAnswers(name, chat, chat.label(settings), settings, quotes)
