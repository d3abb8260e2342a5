"""A real, scriptable, misbehaving OpenAI-compatible HTTP server for tests.

It is a stdlib ``ThreadingHTTPServer`` on 127.0.0.1 (a free port) in a background thread.
It speaks enough of the OpenAI REST API for the official ``openai`` client and LlamaIndex's
``OpenAILike`` to talk to it: ``GET /v1/models``, ``POST /v1/chat/completions`` (plain and
streamed as Server-Sent Events), ``POST /v1/completions`` and ``POST /v1/embeddings``.

Behaviour is scripted with a queue of *steps* (built by `tests/support/fake_openai_steps.py`):
every POST consumes the next step and the last step repeats once the queue is down to it::

    with FakeOpenAI([status(429, retry_after=1), ok("Hi [1].")]) as srv:
        client = openai.OpenAI(base_url=srv.base_url, api_key="sk-test")
        ...
        assert len(srv.requests) == 2

Every request (GETs included) is recorded in ``srv.requests`` on arrival, so tests can count
retries, measure the delay between them and check headers.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Sequence
from typing import Any

from tests.support.fake_openai_http import Handler, RecordedRequest, Server
from tests.support.fake_openai_payloads import DEFAULT_MODEL
from tests.support.fake_openai_steps import Step, ok

__all__ = ["FakeOpenAI", "RecordedRequest", "closed_port"]


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
        self._server: Server | None = None
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
        server = Server(("127.0.0.1", 0), Handler)
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
