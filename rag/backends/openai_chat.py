"""Any OpenAI-compatible endpoint via the official client, held to the answer's deadline.

The client keeps its own retries (429/5xx with backoff and Retry-After); two httpx hooks
hold every attempt to the deadline: an attempt never waits longer than the time left, no
attempt starts after it, and a Retry-After longer than the time left ends the answer at once.
Whatever the server sends back is checked: garbage, an empty or non-streamed reply, or a
drip that outlasts the deadline raise LLMError, never a traceback or a false refusal.
"""

from __future__ import annotations

import contextlib
import contextvars
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

from rag.backends.budget import Deadline, Gate
from rag.chunking import count_tokens
from rag.components import make_openai_client
from rag.errors import LLMError
from rag.redact import redact_url
from rag.settings import Settings
from rag.types import Usage


@dataclass
class _Attempts:
    """What the hooks know of the answer being fetched in this thread."""

    deadline: Deadline
    asked_wait: float | None = None  # a Retry-After that did not fit the time left


_PHASES = ("connect", "read", "write", "pool")  # httpx's timeouts
_CURRENT: contextvars.ContextVar[_Attempts | None] = contextvars.ContextVar(
    "llm_attempts", default=None
)


_FAILURES: tuple[tuple[str, str], ...] = (  # an openai exception's name, the message
    (
        "APITimeoutError",
        "The LLM at {where} did not answer within {budget} (RAG_LLM_TIMEOUT_S, the whole "
        "answer including retries). Try again, or raise RAG_LLM_TIMEOUT_S.",
    ),
    (
        "AuthenticationError",
        "The LLM at {where} rejected the API key (401). Check OPENAI_API_KEY in .env.",
    ),
    (
        "RateLimitError",
        "The LLM at {where} is rate limiting (429) and still was after {retries} retries. "
        "Wait a minute and ask again.",
    ),
    (
        "NotFoundError",
        "The LLM at {where} does not know model '{model}' (404). "
        "Set RAG_LLM_MODEL to a model it serves.",
    ),
    (
        "APIConnectionError",
        "Cannot connect to the LLM at {where}. Is the server running and OPENAI_BASE_URL right?",
    ),
    (
        "APIStatusError",
        "The LLM at {where} failed with HTTP {status} after {retries} retries. Try again later.",
    ),
)


class _Malformed(Exception):
    """The server's reply is not an OpenAI chat completion stream."""


class OpenAIBackend:
    """Chat completions, streamed; at most `llm_concurrency` at once."""

    @staticmethod
    def label(settings: Settings) -> str:
        """How answers by this backend are labelled: openai:MODEL."""
        return f"openai:{settings.llm_model}"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client = make_openai_client(
            settings, {"request": [_hold_request], "response": [_hold_response]}
        )
        self.model = settings.llm_model
        self.name = self.label(settings)
        self.context_window = settings.llm_context_window
        self.where = redact_url(settings.openai_base_url or "api.openai.com")
        self.gate = Gate(settings.llm_concurrency)

    def stream(
        self, messages: list[dict[str, str]], max_tokens: int, usage: Usage, deadline: Deadline
    ) -> Iterator[str]:
        usage.prompt_tokens = sum(count_tokens(m["content"]) for m in messages)
        with self.gate.slot(deadline, f"The LLM at {self.where}"):
            attempts = _Attempts(deadline)
            try:
                token = _CURRENT.set(attempts)
                try:
                    response = self.client.chat.completions.create(
                        model=self.model,
                        messages=messages,
                        max_tokens=max_tokens,
                        temperature=0,
                        stream=True,
                        stream_options={"include_usage": True},
                    )
                finally:
                    _CURRENT.reset(token)
                yield from self._read(response, usage, deadline)
            except Exception as exc:
                problem = self._explain(exc, attempts)
                if problem is None:
                    raise
                raise problem from exc

    def _read(self, response: Any, usage: Usage, deadline: Deadline) -> Iterator[str]:
        produced: list[str] = []
        # A read blocked past the deadline (the server went quiet mid-answer) is woken up:
        # the read timeout was set when the answer started, so it alone could run over.
        watchdog = threading.Timer(deadline.remaining(), _hang_up, (response.response,))
        watchdog.daemon = True
        watchdog.start()
        try:
            for chunk in _chunks(response):
                for piece in _pieces(chunk, usage):
                    produced.append(piece)
                    yield piece
                if deadline.expired:  # a drip: each read is quick, the whole is too slow
                    import openai

                    raise openai.APITimeoutError(request=response.response.request)
        finally:
            watchdog.cancel()
            response.close()
        if not "".join(produced).strip():
            kind = response.response.headers.get("content-type", "no content type")
            raise _Malformed(f"no answer text (the reply was {kind}, not an event stream)")
        if not usage.completion_tokens:
            usage.completion_tokens = count_tokens("".join(produced))

    def _explain(self, exc: Exception, attempts: _Attempts) -> LLMError | None:
        """An LLMError that says what went wrong and what to do (the URL shown redacted)."""
        import openai

        where, retries = self.where, self.settings.llm_max_retries
        budget = f"{attempts.deadline.seconds:g} s"
        if isinstance(exc, LLMError):
            return exc
        if attempts.deadline.expired and attempts.asked_wait is None:
            exc = openai.APITimeoutError(request=None)  # whatever broke, time ran out first
        if isinstance(exc, _Malformed):
            return LLMError(
                f"The LLM at {where} sent {exc}. Is OPENAI_BASE_URL an OpenAI-compatible "
                "/v1 endpoint?"
            )
        if attempts.asked_wait is not None:
            return LLMError(
                f"The LLM at {where} asked to wait {attempts.asked_wait:.0f} s before retrying, "
                f"more than is left of the {budget} an answer may take (RAG_LLM_TIMEOUT_S). "
                "Wait a minute and ask again."
            )
        for kind, text in _FAILURES:  # the first that matches: subclasses come first
            if isinstance(exc, getattr(openai, kind)):
                return LLMError(
                    text.format(
                        where=where,
                        budget=budget,
                        retries=retries,
                        model=self.model,
                        status=getattr(exc, "status_code", "?"),
                    )
                )
        if type(exc).__module__.startswith(("httpx", "httpcore", "openai")):
            return LLMError(  # a stream that broke off halfway, or an error event in it
                f"The answer stream from {where} broke off ({type(exc).__name__}). Try again."
            )
        return None


def _chunks(response: Any) -> Iterator[Any]:
    """The stream's chunks; an event that is not JSON, or not an object, is `_Malformed`."""
    events = iter(response)
    while True:
        try:
            chunk = next(events)
        except StopIteration:
            return
        except (ValueError, TypeError, AttributeError, KeyError) as exc:  # JSON or shape
            raise _Malformed(f"an event that is not a chat completion chunk ({exc})") from exc
        yield chunk


def _pieces(chunk: Any, usage: Usage) -> Iterator[str]:
    """The text of one chunk, checked field by field (the client does not validate)."""
    choices = getattr(chunk, "choices", None)
    if not isinstance(choices, list):
        raise _Malformed(f"a chunk whose 'choices' is {type(choices).__name__}, not a list")
    reported = getattr(chunk, "usage", None)
    tokens = getattr(reported, "completion_tokens", None)
    if isinstance(tokens, int):
        usage.completion_tokens = tokens
        prompt = getattr(reported, "prompt_tokens", None)
        usage.prompt_tokens = prompt if isinstance(prompt, int) else usage.prompt_tokens
    for choice in choices:
        content = getattr(getattr(choice, "delta", None), "content", None)
        if content is not None and not isinstance(content, str):
            raise _Malformed(f"a chunk whose content is {type(content).__name__}, not text")
        if content:
            yield content


def _hang_up(response: Any) -> None:
    """Shut the answer's socket, so a read blocked on it returns at once."""
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _hold_request(request: Any) -> None:
    """No attempt starts after the deadline, and none waits longer than the time left."""
    attempts = _CURRENT.get()
    if attempts is None:
        return
    import openai

    left = attempts.deadline.remaining()
    if left <= 0:
        raise openai.APITimeoutError(request=request)  # an OpenAIError: the client won't retry
    limits = request.extensions.get("timeout") or dict.fromkeys(_PHASES)
    request.extensions["timeout"] = {
        phase: left if limit is None else min(limit, left) for phase, limit in limits.items()
    }


def _hold_response(response: Any) -> None:
    """An error reply asking for a wait longer than the time left ends the answer now."""
    attempts = _CURRENT.get()
    if attempts is None or response.status_code < 400:
        return
    wait = _retry_after(response.headers)
    if wait is not None and wait >= attempts.deadline.remaining():
        import openai

        attempts.asked_wait = wait
        response.close()
        raise openai.APITimeoutError(request=response.request)


def _retry_after(headers: Any) -> float | None:
    """Seconds a Retry-After(-ms) header asks for, None when absent or unreadable."""
    try:
        if millis := headers.get("retry-after-ms"):
            return float(millis) / 1000
        value = headers.get("retry-after")
        if not value:
            return None
        try:
            return float(value)
        except ValueError:
            return parsedate_to_datetime(value).timestamp() - time.time()
    except (TypeError, ValueError):
        return None
