"""The HTTP side of the fake OpenAI server: each request recorded, then answered by its
step (JSON, an SSE stream, an error, a hang or a dropped connection)."""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from tests.support.fake_openai_payloads import completion_response, embeddings_response, usage
from tests.support.fake_openai_steps import Step, error_body, split_text

if TYPE_CHECKING:
    from tests.support.fake_openai import FakeOpenAI


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


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # never wait for keep-alive or hanging handler threads
    allow_reuse_address = True
    fake: FakeOpenAI

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (it gave up on a slow reply) is expected, not an error."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive + chunked streaming, like the real API
    server: Server
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
