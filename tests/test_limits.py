"""Oversized and odd input: limits with clear messages, and one bad record never blocks others."""

from __future__ import annotations

import json
import os
import re

import numpy as np
import pytest

from rag.chunking import Chunk
from rag.errors import CorpusError
from rag.index_access import IndexWriter, open_store
from rag.ingest import ingest
from rag.papers import Paper
from rag.readers import read_file
from tests.support.index_fixtures import CORPUS, make_settings
from tests.support.processes import rag

REAL = next(r for r in read_file(CORPUS / "004_6a1ff8404f9e97b3.txt") if r.title)


def _jsonl(path, rows) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_a_huge_abstract_is_skipped_and_reported_and_the_others_are_indexed(tmp_path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    huge = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 18_000  # ~1 MB
    _jsonl(corpus / "a.jsonl", [{"title": "A runaway scrape", "abstract": huge}])
    _jsonl(corpus / "b.jsonl", [{"title": REAL.title, "abstract": REAL.abstract}])
    settings = make_settings(tmp_path, corpus_dir=corpus)
    done = rag(settings, "ingest", "--quiet", str(corpus))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "index holds 1 papers" in done.stdout and "1 records skipped" in done.stdout
    assert re.search(r"skipped: a.jsonl:1: abstract of 1,0\d\d,\d{3} characters is over the 20,000",
                     done.stderr)  # fmt: skip
    assert [p.title for p in open_store(settings).catalog.iter_records()] == [REAL.title]


def test_a_fifo_or_a_device_is_refused_at_once(tmp_path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    with pytest.raises(CorpusError, match="not a regular file"):
        read_file(fifo)  # would block forever if it opened the pipe
    zero = tmp_path / "zero.txt"
    zero.symlink_to("/dev/zero")
    with pytest.raises(CorpusError, match="not a regular file"):
        read_file(zero)
    settings = make_settings(tmp_path)
    done = rag(settings, "ingest", "/dev/zero", timeout=60)
    assert done.returncode == 2 and done.stderr.startswith("error: /dev/zero: unsupported file")


def test_a_file_over_the_size_limit_is_refused_with_the_setting_to_raise(tmp_path) -> None:
    """Formats read whole (a JSON document here) are limited; JSON lines stream, unlimited."""
    big = tmp_path / "big.json"
    row = {"title": REAL.title, "abstract": REAL.abstract}
    big.write_text(json.dumps([row] * (2 * 2**20 // len(json.dumps(row)) + 1)), encoding="utf-8")
    with pytest.raises(CorpusError, match=r"larger than the 1 MB limit.*RAG_MAX_FILE_MB"):
        read_file(big, max_bytes=2**20)
    assert len(read_file(big, max_bytes=4 * 2**20)) > 1
    lines = tmp_path / "big.jsonl"
    lines.write_text((json.dumps(row) + "\n") * (2 * 2**20 // len(json.dumps(row)) + 1))
    assert len(read_file(lines, max_bytes=2**20)) > 1000


def test_a_nul_byte_anywhere_in_a_text_file_is_refused_with_its_line(tmp_path) -> None:
    path = tmp_path / "late-nul.txt"
    body = "".join(f"Title {i}\nAbstract: {REAL.abstract}\n" for i in range(20))
    assert len(body.encode()) > 8192
    path.write_bytes(body.encode() + b"Title x\nAbstract: bad \x00 byte here\n")
    with pytest.raises(CorpusError, match=r"late-nul.txt:42: .*NUL byte"):
        read_file(path)


def test_writes_larger_than_chromas_batch_limit_are_split(tmp_path) -> None:
    """More chunk rows in one write than Chroma takes in one call (its max batch size)."""
    settings = make_settings(tmp_path)
    with IndexWriter(settings) as writer:
        store = writer.writable()
        rows = store.client.get_max_batch_size() + 100
        rng = np.random.default_rng(0)
        vectors = rng.normal(size=(rows, 8)).astype(np.float32).tolist()
        papers = [Paper(f"p{i}", f"Paper {i}", "One. Two.", ["x:1"]) for i in range(rows)]
        sentences = {
            p.paper_id: [("One.", vectors[i]), ("Two.", vectors[i])] for i, p in enumerate(papers)
        }
        store.write_papers(
            [
                (p, [Chunk(p.paper_id, 0, "One. Two.", 0)], [vectors[i]])
                for i, p in enumerate(papers)
            ],
            sentences,
        )
    store = open_store(settings)
    assert store.counts() == (rows, rows)


def test_ingest_prints_what_it_skipped_in_its_summary(tmp_path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _jsonl(
        corpus / "c.jsonl",
        [
            {"title": REAL.title, "abstract": REAL.abstract},
            {"title": "Too long", "abstract": "word " * 5000},
        ],
    )
    settings = make_settings(tmp_path, corpus_dir=corpus, max_abstract_chars=10_000)
    summary = ingest([corpus], settings, progress=False)
    assert summary.papers_in_index == 1
    assert summary.skipped == [
        "c.jsonl:2: abstract of 24,999 characters is over the 10,000 limit "
        "(RAG_MAX_ABSTRACT_CHARS); skipped."
    ]
