"""Generative backends behind one interface: OpenAI-compatible HTTP, and llama.cpp in process."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any, Protocol

from rag.chunking import count_tokens, encoding
from rag.components import local_model_path, make_local_llm, make_openai_client
from rag.errors import LLMError
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
        self, messages: list[dict[str, str]], max_tokens: int, usage: Usage
    ) -> Iterator[str]:
        """Yield text pieces; fill `usage` (per call: one backend serves many sessions)."""
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


class OpenAIBackend:
    """Any OpenAI-compatible endpoint via the official client (retries 429/5xx itself)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client = make_openai_client(settings)
        self.model = settings.llm_model
        self.name = f"openai:{self.model}"
        self.context_window = settings.llm_context_window

    def stream(
        self, messages: list[dict[str, str]], max_tokens: int, usage: Usage
    ) -> Iterator[str]:
        import openai

        usage.prompt_tokens = sum(count_tokens(m["content"]) for m in messages)
        where = self.settings.openai_base_url or "api.openai.com"
        try:
            response = self.client.chat.completions.create(
                model=self.model,
                messages=messages,
                max_tokens=max_tokens,
                temperature=0,
                stream=True,
                stream_options={"include_usage": True},
            )
            produced = []
            for chunk in response:
                if chunk.usage:
                    usage.prompt_tokens = chunk.usage.prompt_tokens
                    usage.completion_tokens = chunk.usage.completion_tokens
                for choice in chunk.choices:
                    if choice.delta and choice.delta.content:
                        produced.append(choice.delta.content)
                        yield choice.delta.content
            if not usage.completion_tokens:
                usage.completion_tokens = count_tokens("".join(produced))
        except openai.APITimeoutError as exc:
            raise LLMError(
                f"The LLM at {where} did not answer within {self.settings.llm_timeout_s:.0f} s "
                f"(after {self.settings.llm_max_retries} retries). Try again, or raise "
                "RAG_LLM_TIMEOUT_S."
            ) from exc
        except openai.AuthenticationError as exc:
            raise LLMError(
                f"The LLM at {where} rejected the API key (401). Check OPENAI_API_KEY in .env."
            ) from exc
        except openai.RateLimitError as exc:
            raise LLMError(
                f"The LLM at {where} is rate limiting (429) and still was after "
                f"{self.settings.llm_max_retries} retries. Wait a minute and ask again."
            ) from exc
        except openai.NotFoundError as exc:
            raise LLMError(
                f"The LLM at {where} does not know model '{self.model}' (404). "
                "Set RAG_LLM_MODEL to a model it serves."
            ) from exc
        except openai.APIConnectionError as exc:
            raise LLMError(
                f"Cannot connect to the LLM at {where}. Is the server running and "
                "OPENAI_BASE_URL right?"
            ) from exc
        except openai.APIStatusError as exc:
            raise LLMError(
                f"The LLM at {where} failed with HTTP {exc.status_code} after "
                f"{self.settings.llm_max_retries} retries. Try again later."
            ) from exc
        except Exception as exc:  # httpx errors when a stream breaks off halfway
            if type(exc).__module__.startswith(("httpx", "httpcore", "openai")):
                raise LLMError(
                    f"The answer stream from {where} broke off ({type(exc).__name__}). Try again."
                ) from exc
            raise


class LocalBackend:
    """A GGUF model through llama.cpp, in this process (default: SmolLM2-135M-Instruct)."""

    def __init__(self, settings: Settings) -> None:
        self.path = local_model_path(settings)
        self.llm: Any = make_local_llm(settings)
        self.name = f"local:{self.path.stem}"
        self.context_window = settings.local_context_window
        self._lock = threading.Lock()  # one llama.cpp context: one generation at a time

    def stream(
        self, messages: list[dict[str, str]], max_tokens: int, usage: Usage
    ) -> Iterator[str]:
        usage.prompt_tokens = sum(count_tokens(m["content"]) for m in messages)
        produced = []
        with self._lock:
            for chunk in self.llm.create_chat_completion(
                messages=messages, max_tokens=max_tokens, temperature=0.0, stream=True
            ):
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    produced.append(piece)
                    yield piece
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
