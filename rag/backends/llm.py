"""Generative backends behind one interface: llama.cpp in process here, OpenAI-compatible HTTP
in `openai_chat`; the prompt they are given."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Protocol

from rag.backends.budget import LOCAL_SLOTS, Deadline, Gate
from rag.chunking import count_tokens, encoding
from rag.components import local_model_path, make_local_llm
from rag.errors import ConfigError, LLMError
from rag.prompts import render, template
from rag.settings import Settings
from rag.types import Source, Usage

NOT_IN_SOURCES = "NOT_IN_SOURCES"
PROMPT_MARGIN = 64
_TAG = re.compile(r"<(?=\s*/?\s*source\b)", re.IGNORECASE)


class ChatBackend(Protocol):
    name: str
    context_window: int

    def stream(
        self, messages: list[dict[str, str]], max_tokens: int, usage: Usage, deadline: Deadline
    ) -> Iterator[str]:
        """Yield text pieces; fill `usage` (per call: one backend serves many sessions).

        Raises LLMError when the answer cannot be had within `deadline`, or is no answer.
        """
        ...


def build_messages(
    question: str, sources: list[Source], context_window: int, max_tokens: int
) -> list[dict[str, str]]:
    """System + answer prompt with as many abstracts as fit the window (the last one cut)."""
    system = template("system")
    fixed = count_tokens(system) + count_tokens(render("answer", sources="", question=question))
    budget = context_window - max_tokens - fixed - PROMPT_MARGIN
    blocks: list[str] = []
    for source in sources:
        head = f'<source n={source.n} title="{_inert(source.label).replace(chr(34), chr(39))}">\n'
        body = _inert(source.abstract)
        cost = count_tokens(head) + count_tokens(body) + 4
        if cost > budget:
            room = budget - count_tokens(head) - 4
            if room < 40:
                break
            body = encoding().decode(encoding().encode(body, disallowed_special=())[:room]) + " …"
            cost = budget
        blocks.append(f"{head}{body}\n</source>")
        budget -= cost
    user = render("answer", sources="\n\n".join(blocks), question=question)
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def _inert(text: str) -> str:
    """Source text cannot open or close a <source> block (no delimiter spoofing)."""
    return _TAG.sub("‹", text)


class LocalBackend:
    """A GGUF model through llama.cpp, in this process (default: SmolLM2-135M-Instruct)."""

    @staticmethod
    def label(settings: Settings) -> str:
        """How answers by this backend are labelled: local:MODEL (the GGUF's name), or just
        `local` when no model is found (its answers are then quotes, with a notice why)."""
        try:
            return f"local:{local_model_path(settings).stem}"
        except ConfigError:
            return "local"

    def __init__(self, settings: Settings) -> None:
        self.path = local_model_path(settings)
        self.llm: Any = make_local_llm(settings)
        self.name = self.label(settings)
        self.context_window = settings.local_context_window
        self.gate = Gate(LOCAL_SLOTS)

    def stream(
        self, messages: list[dict[str, str]], max_tokens: int, usage: Usage, deadline: Deadline
    ) -> Iterator[str]:
        usage.prompt_tokens = sum(count_tokens(m["content"]) for m in messages)
        produced = []
        with self.gate.slot(deadline, f"The local model {self.path.name}"):
            chunks = self.llm.create_chat_completion(
                messages=messages, max_tokens=max_tokens, temperature=0.0, stream=True
            )
            try:
                for chunk in chunks:
                    piece = chunk["choices"][0]["delta"].get("content")
                    if piece:
                        produced.append(piece)
                        yield piece
                    if deadline.expired:
                        raise LLMError(
                            f"The local model did not finish within {deadline.seconds:g} s "
                            "(RAG_LLM_TIMEOUT_S). Raise it, or ask for fewer sources."
                        )
            finally:
                chunks.close()  # stops llama.cpp generating for nobody
        usage.completion_tokens = count_tokens("".join(produced))


def says_not_in_sources(text: str) -> bool:
    """The model's own refusal, in the form the prompt asks for or in plain words."""
    lowered = text.lower()
    return NOT_IN_SOURCES.lower() in lowered.replace(" ", "_") or any(
        phrase in lowered
        for phrase in (
            "do not answer the question",
            "don't answer the question",
            "not contain information",
            "no information about",
        )
    )
