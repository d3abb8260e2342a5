"""Typed errors whose messages say what went wrong and what to do."""

from __future__ import annotations


class RagError(Exception):
    """Base of every error paper-rag raises on purpose."""


class CorpusError(RagError):
    """A corpus file could not be read; names the file and line."""

    def __init__(self, path: str, line: int | None, problem: str, fix: str = "") -> None:
        where = f"{path}:{line}" if line else str(path)
        self.path, self.line = path, line
        super().__init__(f"{where}: {problem}" + (f" {fix}" if fix else ""))


class IndexMissingError(RagError):
    """No index yet."""


class IndexMismatchError(RagError):
    """The index was built with another embedding model or chunking."""


class StoreError(RagError):
    """The vector store is unreachable, corrupted or not writable."""


class QuestionError(RagError):
    """The question is empty or unusable."""


class LLMError(RagError):
    """The LLM endpoint failed after bounded retries (timeout, 429, 5xx, bad key, refused)."""


class ConfigError(RagError):
    """A setting is missing or inconsistent."""
