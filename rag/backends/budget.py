"""Time and concurrency limits of LLM answers: one deadline per answer, a gate per backend.

The deadline is the whole answer's budget (RAG_LLM_TIMEOUT_S): waiting for a free slot,
connecting, retries and a slow stream all spend it. The gate lets `size` answers run and as
many wait; more are turned away at once, so LLM answers can hold only a bounded number of
UI sessions and extractive answers never queue behind them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rag.errors import LLMError
from rag.settings import Settings

WAITING_PER_SLOT = 1  # answers that may wait for each running one
LOCAL_SLOTS = 1  # one llama.cpp context: one generation at a time


class Deadline:
    """The time left for one answer, shared by every LLM call made for it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self._end - time.monotonic())

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0.0


class Gate:
    """At most `size` LLM answers at once, `size * WAITING_PER_SLOT` more waiting."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._running = threading.Semaphore(size)
        self._room = threading.Semaphore(capacity(size))

    @contextmanager
    def slot(self, deadline: Deadline, who: str) -> Iterator[None]:
        """Hold a slot; LLMError ("busy") when none frees up before the deadline."""
        busy = (
            f"{who} is busy: {self.size} answer(s) are being written and others wait. "
            "Ask again in a minute, or raise RAG_LLM_CONCURRENCY if the server can take more."
        )
        if not self._room.acquire(blocking=False):
            raise LLMError(busy)
        try:
            if not self._running.acquire(timeout=deadline.remaining()):
                raise LLMError(busy)
            try:
                yield
            finally:
                self._running.release()
        finally:
            self._room.release()


def capacity(size: int) -> int:
    """Answers a gate of `size` admits at once, running or waiting."""
    return size * (1 + WAITING_PER_SLOT)


def llm_sessions(settings: Settings) -> int:
    """The most UI sessions LLM answers can occupy at once, over both LLM backends."""
    return capacity(settings.llm_concurrency) + capacity(LOCAL_SLOTS)
