"""The index in a real `chroma run` server instead of on disk: ingest, stats and answers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.index_access import open_store
from rag.ingest import ingest
from rag.settings import Settings
from tests.support.index_fixtures import CORPUS, make_settings
from tests.support.ingest_checks import assert_index_matches, run_cli, slice_003
from tests.support.llama_server import free_port

CHROMA = Path(sys.executable).with_name("chroma")


class ChromaServer:
    def __init__(self, path: Path) -> None:
        self.path, self.port = path, free_port()
        self.log = path.parent / "chroma-server.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> None:
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [str(CHROMA), "run", "--path", str(self.path), "--host", "127.0.0.1"]
                + ["--port", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
            )
        url = f"http://127.0.0.1:{self.port}/api/v2/heartbeat"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chroma run exited:\n{self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    if "nanosecond heartbeat" in json.loads(resp.read()):
                        return
            except (urllib.error.URLError, OSError, ValueError):
                time.sleep(0.2)
        raise RuntimeError(f"no heartbeat from chroma within {timeout} s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="module")
def server_settings(tmp_path_factory) -> Iterator[tuple[Settings, Path]]:
    assert CHROMA.exists(), f"{CHROMA} missing: chromadb's CLI is part of the install"
    tmp = tmp_path_factory.mktemp("chroma-server")
    server = ChromaServer(tmp / "chroma-data")
    server.start()
    try:
        corpus = tmp / "corpus"
        corpus.mkdir()
        slice_003(corpus / "003_slice.txt", 6)
        shutil.copy(CORPUS / "000_3196bafc52f3dd54.txt", corpus)
        settings = make_settings(
            tmp, corpus_dir=corpus, chroma_host="127.0.0.1", chroma_port=server.port
        )
        yield settings, corpus
    finally:
        server.stop()


def test_ingest_into_the_server_and_incremental_rerun(server_settings) -> None:
    settings, corpus = server_settings
    first = ingest([corpus], settings, progress=False)
    assert first.papers == first.embedded_papers == first.papers_in_index == 16
    assert_index_matches(settings, [corpus])
    assert not settings.index_path.exists(), "the embedded on-disk store must not be used"
    again = ingest([corpus], settings, progress=False)
    assert again.embedded_papers == 0 and again.chunks_embedded == 0
    assert open_store(settings).describe() == f"chroma-server 127.0.0.1:{settings.chroma_port}"


def test_engine_answers_from_the_server(server_settings) -> None:
    from rag.engine import Engine

    settings, corpus = server_settings
    if not open_store(settings).exists():
        ingest([corpus], settings, progress=False)
    engine = Engine(settings)
    answer = engine.ask("What is ONEBench and how does it aggregate sample-level tests?")
    assert answer.sources, answer.text
    assert answer.sources[0].title.startswith("ONEBench")
    assert answer.sources[0].locations == ["003_slice.txt:3"]
    assert not answer.refused


def test_stats_json_reports_the_server(server_settings, monkeypatch, capsys) -> None:
    settings, corpus = server_settings
    if not open_store(settings).exists():
        ingest([corpus], settings, progress=False)
    code, out, _ = run_cli(monkeypatch, capsys, settings, "stats", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["store"] == f"chroma-server 127.0.0.1:{settings.chroma_port}"
    assert data["papers"] == 16 and data["chunks"] > 16
    assert data["embedding_model"] == "all-MiniLM-L6-v2"
