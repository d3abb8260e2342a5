"""Helpers for ingestion tests: corpus slices, expected papers, and a full index check."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rag import generations
from rag.catalog import Catalog
from rag.chunking import chunk_paper
from rag.components import embed_model_name, make_chroma_client
from rag.index_access import open_store
from rag.papers import Paper, merge
from rag.readers import Record, corpus_files, read_file
from rag.settings import Settings
from rag.store import Store
from rag.text import normalize_text
from tests.support.index_fixtures import CORPUS

SRC_000 = CORPUS / "000_3196bafc52f3dd54.txt"
SRC_003 = CORPUS / "003_8a5165cefb769214.txt"
MINILM_DIM = 384


# -- helpers ----------------------------------------------------------------------------------
def slice_003(dest: Path, n_papers: int, skip: int = 0) -> Path:
    """The listing 003 with only papers skip..skip+n_papers (header kept when skip == 0)."""
    lines = SRC_003.read_text(encoding="utf-8").split("\n")
    body = lines[2 + 2 * skip : 2 + 2 * (skip + n_papers)]
    if skip:
        body = ["Get trending papers in your email inbox!", "Subscribe" + body[0], *body[1:]]
    else:
        body = lines[:2] + body
    dest.write_text("\n".join(body) + "\n", encoding="utf-8")
    return dest


def records_003() -> list[Record]:
    return read_file(SRC_003)


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def title_abstract_rows(records: list[Record]) -> list[dict]:
    """JSONL rows of these records' titles and abstracts."""
    return [{"title": r.title, "abstract": r.abstract} for r in records]


@contextmanager
def published_catalog(settings: Settings) -> Iterator[Catalog]:
    """The published index's catalog, closed afterwards."""
    store = open_store(settings)
    try:
        yield store.catalog
    finally:
        store.close()


def expected_papers(paths: list[Path]) -> list[Paper]:
    return merge(r for f in corpus_files(paths) for r in read_file(f)).papers


def chunks_of(paper: Paper, settings: Settings):
    return chunk_paper(
        paper.paper_id,
        paper.label,
        paper.abstract,
        settings.chunk_tokens,
        settings.chunk_overlap_sentences,
    )


def snapshot(settings: Settings, unpublished: bool = False) -> tuple[tuple[int, int], dict]:
    """Counts and paper records of the published index, or of a killed writer's work folder."""
    if unpublished:
        work = generations.unfinished(settings.index_path)
        assert work is not None, "the killed run left no work folder to resume"
        client = make_chroma_client(settings, work)
        store = Store(client, settings, embed_model_name(settings), work)
        store.open()
    else:
        store = open_store(settings)
    papers = {
        p.paper_id: (p.content_hash, tuple(p.locations)) for p in store.catalog.iter_records()
    }
    return store.counts(), papers


def assert_index_matches(settings: Settings, paths: list[Path]) -> None:
    """The index holds exactly the papers of `paths`, each with all its chunks, once."""
    papers = expected_papers(paths)
    store = open_store(settings)
    records = {r.paper_id: r for r in store.catalog.iter_records()}
    assert set(records) == {p.paper_id for p in papers}
    expected = {}
    for paper in papers:
        record = records[paper.paper_id]
        assert record.content_hash == paper.content_hash
        assert set(paper.locations) <= set(record.locations)
        # A title variant (case, spacing) found later does not re-embed: the stored one stays.
        assert normalize_text(record.label) == normalize_text(paper.label)
        assert record.title == paper.title or normalize_text(record.title or "") == normalize_text(
            paper.title or ""
        )
        stored = Paper(paper.paper_id, record.title, record.abstract, record.locations)
        assert stored.abstract == paper.abstract
        chunks = chunks_of(stored, settings)
        assert record.extra is not None and len(chunks) > 0
        expected.update({c.chunk_id: c for c in chunks})
    got = store.chunks.get(include=["metadatas", "embeddings"])
    ids = got["ids"]
    assert len(ids) == len(set(ids)), "duplicate chunk ids"
    assert set(ids) == set(expected)
    assert store.counts() == (len(papers), len(expected))
    for cid, meta, vector in zip(ids, got["metadatas"], got["embeddings"], strict=True):
        chunk = expected[cid]
        assert (meta["paper_id"], meta["position"]) == (chunk.paper_id, chunk.position)
        assert len(vector) == MINILM_DIM


def run_cli(monkeypatch, capsys, settings: Settings, *argv: str) -> tuple[int, str, str]:
    """`rag ARGV` in process, configured only through environment variables."""
    from rag.cli import main
    from rag.settings import get_settings

    for name in list(os.environ):
        if name.startswith("RAG_") or name.startswith("OPENAI_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("RAG_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("RAG_INDEX_DIR", str(settings.index_path))
    monkeypatch.setenv("RAG_CORPUS_DIR", str(settings.corpus_path))
    monkeypatch.setenv("RAG_BACKEND", "extractive")
    if settings.chroma_host:
        monkeypatch.setenv("RAG_CHROMA_HOST", settings.chroma_host)
        monkeypatch.setenv("RAG_CHROMA_PORT", str(settings.chroma_port))
    monkeypatch.chdir(settings.data_dir)  # no developer .env
    capsys.readouterr()
    get_settings.cache_clear()
    try:
        code = main(list(argv))
    finally:
        get_settings.cache_clear()
    out, err = capsys.readouterr()
    return code, out, err
