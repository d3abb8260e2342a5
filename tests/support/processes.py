"""Real `rag` processes for the concurrency tests: environment, stream capture, waits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from rag.settings import PROJECT_ROOT, Settings


def child_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The child sees only these settings (no developer .env, no LLM)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAG_", "OPENAI_"))}
    env.update(
        RAG_DATA_DIR=str(settings.data_dir),
        RAG_INDEX_DIR=str(settings.index_path),
        RAG_CORPUS_DIR=str(settings.corpus_path),
        RAG_BACKEND="extractive",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(PROJECT_ROOT),
    )
    env.update(extra)
    return env


def rag(settings: Settings, *args: str, timeout: float = 300, **extra: str):
    """Run `rag ARGS` to the end."""
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", *args],
        cwd=settings.data_dir,
        env=child_env(settings, **extra),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class Rag:
    """`rag ARGS` running in the background, its output collected as it comes."""

    def __init__(self, settings: Settings, *args: str, **extra: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rag.cli", *args],
            cwd=settings.data_dir,
            env=child_env(settings, **extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self._out, self._err = bytearray(), bytearray()
        self._threads = [
            threading.Thread(target=self._pump, args=(s, b), daemon=True)
            for s, b in ((self.proc.stdout, self._out), (self.proc.stderr, self._err))
        ]
        for thread in self._threads:
            thread.start()

    @staticmethod
    def _pump(stream, into: bytearray) -> None:
        for block in iter(lambda: stream.read1(4096), b""):
            into.extend(block)

    @property
    def stdout(self) -> str:
        return self._out.decode("utf-8", "replace")

    @property
    def stderr(self) -> str:
        return self._err.decode("utf-8", "replace")

    def wait_for(self, text: str, timeout: float = 120) -> None:
        """Until `text` shows in stderr or stdout (fails if the process ends first)."""
        deadline = time.monotonic() + timeout
        while text not in self.stderr + self.stdout:
            assert self.proc.poll() is None, f"ended before {text!r}:\n{self.stderr[-2000:]}"
            assert time.monotonic() < deadline, f"no {text!r} in {timeout} s"
            time.sleep(0.05)

    def finish(self, timeout: float = 300) -> int:
        code = self.proc.wait(timeout=timeout)
        for thread in self._threads:
            thread.join(timeout=10)
        return code

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def check_json(settings: Settings) -> dict:
    """`rag check --json` in its own process: the full integrity scan of the published index."""
    done = rag(settings, "check", "--json")
    assert done.returncode in (0, 1), done.stderr[-2000:]
    return json.loads(done.stdout)


def corpus_of(folder: Path, *sources: Path) -> Path:
    """A corpus folder holding copies of these files."""
    folder.mkdir(parents=True, exist_ok=True)
    for source in sources:
        (folder / source.name).write_bytes(source.read_bytes())
    return folder
