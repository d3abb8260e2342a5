"""Crash safety of ingestion under a real `kill -9`: the rerun completes the index and
nothing is lost or doubled."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from rag.errors import IndexMissingError
from rag.ingest import ingest
from rag.settings import PROJECT_ROOT, Settings
from tests.support.index_fixtures import make_settings
from tests.support.ingest_checks import (
    SRC_000,
    assert_index_matches,
    chunks_of,
    expected_papers,
    records_003,
    slice_003,
    snapshot,
    title_abstract_rows,
    write_jsonl,
)

BATCH_PAPERS = Settings.model_fields["ingest_batch_papers"].default


def _child_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAG_", "OPENAI_"))}
    env.update(
        RAG_DATA_DIR=str(settings.data_dir),
        RAG_INDEX_DIR=str(settings.index_path),
        RAG_BACKEND="extractive",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(PROJECT_ROOT),
    )
    return env


class _Tail:
    """Collects a child's stream in a thread, so polling never blocks."""

    def __init__(self, stream) -> None:
        self.data = b""
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream) -> None:
        for block in iter(lambda: stream.read1(4096), b""):
            self.data += block

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", "replace")


def test_kill_9_during_cli_ingest_then_rerun_completes(tmp_path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SRC_000, corpus / SRC_000.name)
    slice_003(corpus / "003_slice.txt", 30)
    total = len(expected_papers([corpus]))
    assert total == 40 and total > BATCH_PAPERS
    settings = make_settings(tmp_path, corpus_dir=corpus)

    child = subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "ingest", str(corpus)],
        cwd=tmp_path,
        env=_child_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    tail = _Tail(child.stderr)
    progress = re.compile(rf"Embedding:.*?(\d+)/{total}\b")
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline and child.poll() is None:
            done = [int(n) for n in progress.findall(tail.text)]
            if done and max(done) >= BATCH_PAPERS:
                break
            time.sleep(0.02)
        assert child.poll() is None, f"ingest ended before the kill:\n{tail.text[-2000:]}"
        assert time.monotonic() < deadline, f"no progress within 300 s:\n{tail.text[-2000:]}"
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()

    # Readers see nothing of the killed run; its work folder kept its finished batch and
    # nothing else counts as finished there.
    with pytest.raises(IndexMissingError):
        snapshot(settings)
    (papers, _), records = snapshot(settings, unpublished=True)
    assert papers == BATCH_PAPERS, "the kill must land mid-run, after the first batch"

    summary = ingest([corpus], settings, progress=False)
    assert summary.embedded_papers == total - BATCH_PAPERS
    assert summary.unchanged_papers == BATCH_PAPERS
    assert_index_matches(settings, [corpus])
    assert {pid: rec for pid, rec in snapshot(settings)[1].items() if pid in records} == records


_KILL_AFTER_CHUNKS = """
import os, signal, sys
from pathlib import Path

import rag.ingest
from rag.catalog import Catalog
from rag.settings import Settings

write = Catalog.write
calls = []

def die_before_the_second_commit(self, items):
    calls.append(len(items))
    if len(calls) == 2:  # second batch: chunks are written, paper records are not
        os.kill(os.getpid(), signal.SIGKILL)
    return write(self, items)

Catalog.write = die_before_the_second_commit
settings = Settings(_env_file=None, ingest_batch_papers=2)
rag.ingest.ingest([Path(sys.argv[1])], settings, progress=False)
"""


def test_kill_9_between_chunks_and_paper_records(tmp_path) -> None:
    """The worst moment: a batch's chunks are in Chroma but its papers are not committed."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    recs = records_003()
    first = write_jsonl(corpus / "a.jsonl", title_abstract_rows(recs[:2]))
    write_jsonl(corpus / "b.jsonl", title_abstract_rows(recs[2:4]))
    settings = make_settings(tmp_path, corpus_dir=corpus)
    done = subprocess.run(
        [sys.executable, "-c", _KILL_AFTER_CHUNKS, str(corpus)],
        cwd=tmp_path,
        env=_child_env(settings),
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]

    a_chunks = sum(len(chunks_of(p, settings)) for p in expected_papers([first]))
    b_chunks = sum(len(chunks_of(p, settings)) for p in expected_papers([corpus / "b.jsonl"]))
    # b's chunks have no paper yet (in the work folder; readers see nothing of this run)
    assert snapshot(settings, unpublished=True)[0] == (2, a_chunks + b_chunks)

    # b.jsonl dropped before the re-run: its unfinished chunks are orphans and are removed.
    summary = ingest([first], settings, progress=False)
    assert summary.embedded_papers == 0 and summary.orphans_removed == b_chunks
    assert_index_matches(settings, [first])

    summary = ingest([corpus], settings, progress=False)
    assert summary.embedded_papers == 2
    assert_index_matches(settings, [corpus])
