"""The LLM answer backends: a chat model (OpenAI-compatible or llama.cpp) writes the answer,
which is kept only if it holds up.

A failed call, an empty or malformed reply, or a degenerate answer (`rag/guard.py`) is
replaced by the quoted answer, with a notice; text already streamed is withdrawn (`Retract`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing

from rag.backends.budget import Deadline
from rag.backends.extractive import ExtractiveBackend
from rag.backends.llm import ChatBackend, build_messages, says_not_in_sources
from rag.citations import clean_markers
from rag.conversation import Standalone, history_text, resolve
from rag.errors import ConfigError, LLMError
from rag.guard import LOOP_CHECK_EVERY, degeneracy, loops
from rag.prompts import render
from rag.settings import Settings
from rag.special_answers import refusal
from rag.turn import Turn
from rag.types import Answer, Retract, Usage

CONDENSE_TOKENS = 64  # a rewritten follow-up is one short question


class ChatAnswers:
    """An `AnswerBackend` over a chat model. The model is built on first use, so a model that
    cannot be had (no key, no GGUF) gives the quoted answer and a notice saying why."""

    def __init__(
        self,
        choice: str,
        chat_type: Callable[[Settings], ChatBackend],
        label: str,
        settings: Settings,
        quotes: ExtractiveBackend,
    ) -> None:
        self.name = label
        self.fallback_label = f"{quotes.name} (fallback from {choice})"
        self.max_tokens = settings.llm_max_tokens
        self.quotes = quotes
        self._make = lambda: chat_type(settings)
        self._chat: ChatBackend | None = None
        self._lock = threading.Lock()  # UI sessions share the backend; build the model once

    def chat(self) -> ChatBackend:
        with self._lock:
            if self._chat is None:
                self._chat = self._make()
            return self._chat

    def standalone(self, question: str, history: list[Answer], deadline: Deadline) -> Standalone:
        """The model rewrites a follow-up; the rule's answer when it pins papers or the model
        fails."""
        rule = resolve(question, history)
        if not history or rule.pinned or rule.missing:
            return rule
        try:
            prompt = render("condense", history=history_text(history), question=question)
            messages = [{"role": "user", "content": prompt}]
            pieces = self.chat().stream(messages, CONDENSE_TOKENS, Usage(), deadline)
            text = "".join(pieces).strip()
            return Standalone(text.splitlines()[0].strip() or rule.question, [], rule.excluded)
        except (LLMError, ConfigError, IndexError):
            return rule

    def answer(self, turn: Turn, deadline: Deadline) -> Iterator[str | Retract | Answer]:
        mark = time.perf_counter()

        def fall_back(reason: str, streamed: bool) -> Iterator[str | Retract | Answer]:
            """The quoted answer instead of the LLM's, replacing whatever it streamed."""
            turn.notices.append(f"{reason} Showing sentences quoted from the abstracts instead.")
            for source in turn.sources:
                source.supporting.clear()  # highlights of a discarded answer
            text = self.quotes.quotes(turn)
            turn.lap("answer", mark)
            if streamed:
                yield Retract(reason)
            yield text
            yield turn.finish(text, False, self.fallback_label, quotes=True)

        pieces: list[str] = []
        max_tokens = self.max_tokens
        try:
            llm = self.chat()
            question = turn.standalone.question
            messages = build_messages(question, turn.sources, llm.context_window, max_tokens)
            usage = Usage()
            with closing(llm.stream(messages, max_tokens, usage, deadline)) as out:
                for piece in out:
                    pieces.append(piece)
                    yield piece
                    if len(pieces) % LOOP_CHECK_EVERY == 0 and loops("".join(pieces)):
                        break  # no need to wait for the rest of a loop: the guard rejects it
            raw = "".join(pieces).strip()
            if not raw:
                raise LLMError(f"The LLM ({llm.name}) sent an empty answer.")
        except (LLMError, ConfigError) as exc:
            yield from fall_back(str(exc), bool(pieces))
            return
        turn.lap("answer", mark)
        if says_not_in_sources(raw):
            text = refusal(turn.sources)
            yield Retract("the LLM found no answer in the sources")
            yield text
            yield turn.finish(text, True, llm.name, usage)
            return
        text, invalid = clean_markers(raw, len(turn.sources))
        answer = turn.finish(text, False, llm.name, usage, invalid)
        problem = degeneracy(answer, max_tokens)
        if problem:
            yield from fall_back(f"The LLM's answer was not shown: {problem}.", True)
            return
        if invalid:
            turn.notices.append(
                "Removed citation(s) to sources that do not exist: "
                + ", ".join(f"[{n}]" for n in invalid)
                + "."
            )
        yield answer
