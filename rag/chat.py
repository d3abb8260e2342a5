"""A conversation: keeps the history so follow-ups ("what did [2] measure?") work."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from rag.filters import Filters
from rag.types import Answer

if TYPE_CHECKING:
    from rag.engine import Engine

MAX_TURNS = 20


class Chat:
    def __init__(
        self,
        engine: Engine | None = None,
        *,
        top_k: int | None = None,
        backend: str | None = None,
        filters: Filters | dict | None = None,
    ) -> None:
        self._engine = engine
        self.top_k, self.backend = top_k, backend
        self.filters = Filters.of(filters)  # every question of this conversation
        self.history: list[Answer] = []

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from rag import get_engine

            self._engine = get_engine()
        return self._engine

    def stream(self, question: str) -> Iterator[str | Answer]:
        for item in self.engine.stream(
            question,
            top_k=self.top_k,
            backend=self.backend,
            history=self.history,
            filters=self.filters,
        ):
            if isinstance(item, Answer):
                self.history = [*self.history, item][-MAX_TURNS:]
            yield item

    def ask(self, question: str) -> Answer:
        return next(i for i in self.stream(question) if isinstance(i, Answer))

    def reset(self) -> None:
        self.history = []
