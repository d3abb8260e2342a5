"""A real, scriptable, misbehaving OpenAI-compatible HTTP server for tests.

It is a stdlib ``ThreadingHTTPServer`` on 127.0.0.1 (a free port) in a background thread.
It speaks enough of the OpenAI REST API for the official ``openai`` client and LlamaIndex's
``OpenAILike`` to talk to it: ``GET /v1/models``, ``POST /v1/chat/completions`` (plain and
streamed as Server-Sent Events), ``POST /v1/completions`` and ``POST /v1/embeddings``.

Behaviour is scripted with a queue of *steps*: every POST consumes the next step and the
last step repeats once the queue is down to it::

    with FakeOpenAI([status(429, retry_after=1), ok("Hi [1].")]) as srv:
        client = openai.OpenAI(base_url=srv.base_url, api_key="sk-test")
        ...
        assert len(srv.requests) == 2

Every request (GETs included) is recorded in ``srv.requests`` on arrival, so tests can count
retries, measure the delay between them and check headers.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
import socket
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = [
    "FakeOpenAI",
    "RecordedRequest",
    "Step",
    "break_stream",
    "closed_port",
    "drip",
    "events",
    "hang",
    "ok",
    "raw",
    "stall",
    "status",
]

DEFAULT_MODEL = "fake-model"
EMBEDDING_DIM = 8


# --------------------------------------------------------------------------------------
# Steps
# --------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------
# Recording
# --------------------------------------------------------------------------------------


@dataclass
class RecordedRequest:
    """What the server saw. ``headers`` has lower-case keys; ``time`` is ``time.monotonic()``."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or None
    raw: bytes
    time: float
    step: Step | None = None  # the step this request consumed (POSTs only)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")

    @property
    def stream(self) -> bool:
        return bool(isinstance(self.body, dict) and self.body.get("stream"))


# --------------------------------------------------------------------------------------
# Server
# --------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # never wait for keep-alive or hanging handler threads
    allow_reuse_address = True
    fake: FakeOpenAI

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (it gave up on a slow reply) is expected, not an error."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive + chunked streaming, like the real API
    server: _Server
    server_version = "FakeOpenAI/1.0"

    # ---- plumbing ----
    def setup(self) -> None:
        super().setup()
        self.server.fake._track(self.connection, add=True)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.server.fake._track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        pass

    def _record(self) -> RecordedRequest:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        rec = RecordedRequest(
            method=self.command,
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            raw=raw,
            time=time.monotonic(),
        )
        self.server.fake._record(rec)
        return rec

    def _send_json(self, code: int, obj: Any, headers: Iterable[tuple[str, str]] = ()) -> None:
        data = (
            obj
            if isinstance(obj, bytes)
            else (obj.encode() if isinstance(obj, str) else json.dumps(obj).encode())
        )
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _sse(self, obj: Any) -> None:
        payload = obj if isinstance(obj, str) else json.dumps(obj)
        self._write_chunk(f"data: {payload}\n\n".encode())

    def _drop(self) -> None:
        """Close the socket now, mid-body."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.wfile.flush()
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self.connection.close()

    # ---- verbs ----
    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        rec = self._record()
        path = rec.path.split("?", 1)[0].rstrip("/")
        fake = self.server.fake
        if path.endswith("/models"):
            self._send_json(200, {"object": "list", "data": [fake._model_obj()]})
        elif "/models/" in path:
            self._send_json(200, fake._model_obj(path.rsplit("/", 1)[1]))
        else:
            self._send_json(404, error_body(404, f"Unknown path {rec.path}"))

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        rec = self._record()
        fake = self.server.fake
        path = rec.path.split("?", 1)[0].rstrip("/")
        if not (
            path.endswith("/chat/completions")
            or path.endswith("/completions")
            or path.endswith("/embeddings")
        ):
            self._send_json(404, error_body(404, f"Unknown path {rec.path}"))
            return
        if fake.api_key is not None and rec.authorization != f"Bearer {fake.api_key}":
            self._send_json(401, error_body(401))
            return
        step = fake._next_step()
        rec.step = step
        try:
            self._answer(step, rec, path)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (timeout); nothing to do

    def _answer(self, step: Step, rec: RecordedRequest, path: str) -> None:
        fake = self.server.fake
        if step.kind == "raw":
            data = step.body.encode() if isinstance(step.body, str) else step.body
            self.send_response(step.code)
            for k, v in step.headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        if step.kind == "events":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for payload in [*(step.chunks or ()), "[DONE]"]:
                self._sse(payload)
            self._write_chunk(b"")
            return
        if step.kind == "status":
            headers = list(step.headers)
            if step.retry_after is not None:
                headers.append(("Retry-After", str(step.retry_after)))
            body = step.body if step.body is not None else error_body(step.code)
            self._send_json(step.code, body, headers)
            return
        if step.kind == "hang" and fake._stopping.wait(step.seconds):
            self._drop()  # the server is shutting down: give up on this answer
            return
        body = rec.body if isinstance(rec.body, dict) else {}
        if path.endswith("/embeddings"):
            self._send_json(200, embeddings_response(body))
            return
        chat = path.endswith("/chat/completions")
        if body.get("stream"):
            self._stream(step, body, chat)
        elif step.kind == "break_stream":
            answer = completion_response(step, body, chat, fake.next_id(), fake.model)
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self._drop()
        else:
            answer = completion_response(step, body, chat, fake.next_id(), fake.model)
            self._send_json(200, answer)

    def _stream(self, step: Step, body: dict[str, Any], chat: bool) -> None:
        fake = self.server.fake
        model = body.get("model") or fake.model
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        cid = fake.next_id()
        created = int(time.time())
        pieces = list(step.chunks) if step.chunks is not None else split_text(step.text)

        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def chunk(delta: dict[str, Any] | str, finish: str | None) -> dict[str, Any]:
            if chat:
                choice: dict[str, Any] = {
                    "index": 0,
                    "delta": delta,
                    "logprobs": None,
                    "finish_reason": finish,
                }
                obj = "chat.completion.chunk"
            else:
                choice = {"index": 0, "text": delta, "logprobs": None, "finish_reason": finish}
                obj = "text_completion"
            out: dict[str, Any] = {
                "id": cid,
                "object": obj,
                "created": created,
                "model": model,
                "choices": [choice],
            }
            if include_usage:
                out["usage"] = None
            return out

        if chat:
            self._sse(chunk({"role": "assistant", "content": ""}, None))
        for i, piece in enumerate(pieces):
            if step.kind == "break_stream" and i >= step.after_chunks:
                self._drop()
                return
            self._sse(chunk({"content": piece} if chat else piece, None))
            if fake.chunk_delay:
                time.sleep(fake.chunk_delay)
            if step.kind in ("drip", "stall") and fake._stopping.wait(step.seconds):
                self._drop()  # the server is shutting down
                return
        if step.kind == "stall":
            fake._stopping.wait(step.silence)
            self._drop()
            return
        if step.kind == "break_stream":
            self._drop()
            return
        self._sse(chunk({} if chat else "", step.finish_reason))
        if include_usage:
            self._sse(
                {
                    "id": cid,
                    "object": "chat.completion.chunk" if chat else "text_completion",
                    "created": created,
                    "model": model,
                    "choices": [],
                    "usage": usage(body, step.text),
                }
            )
        self._sse("[DONE]")
        self._write_chunk(b"")  # end of the chunked body (zero-length chunk)


def _count_tokens(text: str) -> int:
    return len(re.findall(r"\w+|[^\w\s]", text))


def usage(body: dict[str, Any], text: str) -> dict[str, int]:
    """Rough token counts (words and punctuation), stable across runs."""
    prompt = ""
    for m in body.get("messages") or []:
        content = m.get("content") if isinstance(m, dict) else None
        if isinstance(content, str):
            prompt += content + "\n"
        elif isinstance(content, list):
            prompt += " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    p = body.get("prompt")
    if isinstance(p, str):
        prompt += p
    elif isinstance(p, list):
        prompt += " ".join(x for x in p if isinstance(x, str))
    pt, ct = _count_tokens(prompt), _count_tokens(text)
    return {"prompt_tokens": pt, "completion_tokens": ct, "total_tokens": pt + ct}


def completion_response(
    step: Step, body: dict[str, Any], chat: bool, cid: str, model: str = DEFAULT_MODEL
) -> dict[str, Any]:
    model = body.get("model") or model
    if chat:
        choice: dict[str, Any] = {
            "index": 0,
            "message": {"role": "assistant", "content": step.text},
            "logprobs": None,
            "finish_reason": step.finish_reason,
        }
        obj = "chat.completion"
    else:
        choice = {
            "index": 0,
            "text": step.text,
            "logprobs": None,
            "finish_reason": step.finish_reason,
        }
        obj = "text_completion"
    return {
        "id": cid,
        "object": obj,
        "created": int(time.time()),
        "model": model,
        "choices": [choice],
        "usage": usage(body, step.text),
    }


def fake_embedding(text: str, dim: int = EMBEDDING_DIM) -> list[float]:
    """A deterministic unit vector derived from the text's hash."""
    digest = hashlib.sha256(text.encode()).digest()
    vec = [(digest[i % len(digest)] - 127.5) / 127.5 for i in range(dim)]
    norm = math.sqrt(sum(v * v for v in vec)) or 1.0
    return [v / norm for v in vec]


def embeddings_response(body: dict[str, Any]) -> dict[str, Any]:
    inputs = body.get("input")
    items = [inputs] if isinstance(inputs, str) else list(inputs or [])
    texts = [x if isinstance(x, str) else json.dumps(x) for x in items]
    dim = int(body.get("dimensions") or EMBEDDING_DIM)
    tokens = sum(_count_tokens(t) for t in texts)
    return {
        "object": "list",
        "data": [
            {"object": "embedding", "index": i, "embedding": fake_embedding(t, dim)}
            for i, t in enumerate(texts)
        ],
        "model": body.get("model") or DEFAULT_MODEL,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


class FakeOpenAI:
    """A scriptable OpenAI-compatible server on 127.0.0.1. Use as a context manager.

    Attributes: ``base_url`` ("http://127.0.0.1:PORT/v1"), ``port``, ``model``,
    ``requests`` (list of ``RecordedRequest``, in arrival order).

    ``api_key``: when set, POSTs without ``Authorization: Bearer <api_key>`` get a 401
    (without consuming a step). ``chunk_delay``: seconds to sleep between streamed chunks.
    """

    def __init__(
        self,
        steps: Sequence[Step] | None = None,
        *,
        model: str = DEFAULT_MODEL,
        api_key: str | None = None,
        chunk_delay: float = 0.0,
    ) -> None:
        self.model = model
        self.api_key = api_key
        self.chunk_delay = chunk_delay
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._steps: list[Step] = []
        self.set_steps(steps or [ok("Hello from FakeOpenAI.")])
        self._stopping = threading.Event()
        self._conns: set[socket.socket] = set()
        self._ids = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ---- script ----
    def set_steps(self, steps: Sequence[Step]) -> None:
        """Replace the queue. The last step repeats once the others are consumed."""
        steps = list(steps)
        if not steps:
            raise ValueError("FakeOpenAI needs at least one step")
        for s in steps:
            if not isinstance(s, Step):
                raise TypeError(f"not a Step: {s!r} (use ok/status/hang/drip/raw/events...)")
        with self._lock:
            self._steps = steps

    def add_steps(self, *steps: Step) -> None:
        """Append steps after the ones still queued."""
        with self._lock:
            self._steps.extend(steps)

    def _next_step(self) -> Step:
        with self._lock:
            return self._steps.pop(0) if len(self._steps) > 1 else self._steps[0]

    @property
    def pending_steps(self) -> list[Step]:
        with self._lock:
            return list(self._steps)

    # ---- records ----
    def _record(self, rec: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(rec)

    def posts(self, path_suffix: str = "/chat/completions") -> list[RecordedRequest]:
        """Recorded POSTs whose path ends with ``path_suffix`` (chat completions by default)."""
        with self._lock:
            return [
                r
                for r in self.requests
                if r.method == "POST" and r.path.split("?", 1)[0].endswith(path_suffix)
            ]

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return self.posts("/chat/completions")

    def gaps(self, path_suffix: str = "/chat/completions") -> list[float]:
        """Seconds between consecutive matching POSTs (e.g. the client's retry back-off)."""
        times = [r.time for r in self.posts(path_suffix)]
        return [b - a for a, b in zip(times, times[1:], strict=False)]

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()

    def next_id(self) -> str:
        with self._lock:
            self._ids += 1
            return f"chatcmpl-fake-{self._ids}"

    def _model_obj(self, model: str | None = None) -> dict[str, Any]:
        return {
            "id": model or self.model,
            "object": "model",
            "created": 1700000000,
            "owned_by": "fake-openai",
        }

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            (self._conns.add if add else self._conns.discard)(conn)

    # ---- lifecycle ----
    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeOpenAI is not started")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def start(self) -> FakeOpenAI:
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"FakeOpenAI:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()  # wakes up hanging handlers
        server.shutdown()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:  # unblock keep-alive readers and hung writers
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.base_url if self._server else "stopped"
        return f"<FakeOpenAI {where} requests={len(self.requests)}>"


def closed_port() -> int:
    """A 127.0.0.1 port with nothing listening (connection refused), at the time of the call."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
