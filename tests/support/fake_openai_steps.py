"""What the fake OpenAI server does with each request: a script of *steps* (answer, fail,
hang, drip, break the stream), and the error bodies OpenAI sends with a status."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Step:
    """One scripted answer. Build it with ``ok``, ``status``, ``hang``, ``break_stream``,
    ``drip``, ``raw`` or ``events``."""

    kind: str  # "ok" | "status" | "hang" | "break_stream" | "drip" | "stall" | "raw" | "events"
    text: str = ""
    chunks: tuple[str, ...] | None = None  # explicit streaming pieces for the text
    code: int = 200
    retry_after: float | str | None = None
    body: Any = None  # dict -> JSON, str/bytes -> raw, None -> OpenAI-style error
    headers: tuple[tuple[str, str], ...] = ()
    seconds: float = 0.0
    after_chunks: int = 0
    silence: float = 0.0  # stall: seconds without a byte after the last chunk
    finish_reason: str = "stop"


def ok(
    text: str = "OK", *, chunks: Sequence[str] | None = None, finish_reason: str = "stop"
) -> Step:
    """Answer with ``text``. Streaming splits it into several chunks (or uses ``chunks``)."""
    if chunks is not None and "".join(chunks) != text:
        raise ValueError("ok(): the chunks must join to the text")
    return Step(
        "ok",
        text=text,
        chunks=tuple(chunks) if chunks is not None else None,
        finish_reason=finish_reason,
    )


def status(
    code: int,
    retry_after: float | str | None = None,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
) -> Step:
    """Answer with HTTP ``code``; ``body`` defaults to an OpenAI-style error JSON.

    ``retry_after`` sets the ``Retry-After`` header (seconds, or any string verbatim).
    """
    return Step(
        "status",
        code=code,
        retry_after=retry_after,
        body=body,
        headers=tuple((headers or {}).items()),
    )


def hang(seconds: float, text: str = "Too late.") -> Step:
    """Sleep ``seconds`` before answering ``ok(text)`` (to trigger client timeouts).

    The sleep is cut short when the server stops, and other requests are served meanwhile.
    """
    return Step("hang", text=text, seconds=seconds)


def break_stream(text: str = "This answer will be cut", after_chunks: int = 1) -> Step:
    """Start a streamed answer, send ``after_chunks`` content chunks, then drop the socket.

    No ``[DONE]`` and no terminating HTTP chunk are sent, so the client sees an incomplete
    body. Non-streaming requests get the headers and half of the JSON body, then the drop.
    """
    return Step("break_stream", text=text, after_chunks=after_chunks)


def drip(text: str = "One word at a time.", every: float = 1.0) -> Step:
    """Stream ``text`` word by word, one chunk every ``every`` seconds (a server that never
    stalls long enough for a read timeout, yet takes ``every * words`` to finish)."""
    return Step("drip", text=text, chunks=tuple(re.findall(r"\S+\s*", text)), seconds=every)


def stall(text: str = "Half an answer and then", every: float = 1.0, seconds: float = 60) -> Step:
    """Drip ``text`` word by word (one chunk every ``every`` s), then go silent for
    ``seconds`` with the connection open: a server that stops mid-answer."""
    return Step(
        "stall",
        text=text,
        chunks=tuple(re.findall(r"\S+\s*", text)),
        seconds=every,
        silence=seconds,
    )


def raw(body: str | bytes = "", content_type: str = "text/html", code: int = 200) -> Step:
    """Answer any POST with this body verbatim (HTML from a proxy, an empty reply...)."""
    return Step("raw", body=body, code=code, headers=(("Content-Type", content_type),))


def events(*payloads: str) -> Step:
    """A 200 event stream whose ``data:`` payloads are these strings, verbatim, then [DONE].

    For garbage in the stream: ``events("{not json")``, ``events('{"choices": null}')``.
    """
    return Step("events", chunks=payloads)


def split_text(text: str, pieces: int = 4) -> list[str]:
    """Split ``text`` into (up to) ``pieces`` non-empty parts that join back to it."""
    if not text:
        return []
    words = re.findall(r"\S+\s*|\s+", text)
    if len(words) < pieces:  # few words: cut by characters instead
        size = max(1, math.ceil(len(text) / pieces))
        return [text[i : i + size] for i in range(0, len(text), size)]
    size = math.ceil(len(words) / pieces)
    return ["".join(words[i : i + size]) for i in range(0, len(words), size)]


_ERROR_KINDS = {
    400: ("invalid_request_error", None, "Bad request."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided: sk-***."),
    403: ("invalid_request_error", "unsupported_country_region_territory", "Forbidden."),
    404: ("invalid_request_error", "model_not_found", "The model does not exist."),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached for requests. Try again."),
}


def error_body(code: int, message: str | None = None) -> dict[str, Any]:
    """The JSON OpenAI sends with an error status."""
    kind, err_code, default = _ERROR_KINDS.get(
        code, ("server_error", None, "The server had an error while processing your request.")
    )
    return {"error": {"message": message or default, "type": kind, "param": None, "code": err_code}}
