"""A small index whose papers carry metadata (authors, dates, categories, ids), for filter,
export and LlamaIndex tests. The records are written here in the arXiv snapshot's shape."""

from __future__ import annotations

import json

import pytest

from rag.ingest import ingest
from rag.readers import read_file
from tests.support.index_fixtures import CORPUS, make_settings

PAPERS = [r for r in read_file(CORPUS / "004_6a1ff8404f9e97b3.txt") if r.title][:12]
CATEGORIES = ["cs.CL", "cs.LG", "q-bio.BM"]
AUTHORS = ["Alice Smith", "Chidi Okafor", "Yui Tanaka", "Petra Novak"]


def rows() -> list[dict]:
    return [
        {
            "id": f"2{i % 4 + 1}01.{10000 + i}",
            "title": r.title,
            "abstract": r.abstract,
            "authors": f"{AUTHORS[i % 4]} and Lee Min",
            "update_date": f"202{i % 4 + 1}-0{i % 9 + 1}-15",
            "categories": f"{CATEGORIES[i % 3]} stat.ML",
            "journal-ref": "Nature Methods 12 (2023)" if i % 5 == 0 else None,
            "doi": f"10.1234/test.{i}" if i % 2 == 0 else None,
        }
        for i, r in enumerate(PAPERS)
    ]


@pytest.fixture(scope="module")
def meta_engine(tmp_path_factory):
    """(engine, settings) over the 12 papers."""
    from rag.engine import Engine

    tmp = tmp_path_factory.mktemp("meta")
    corpus = tmp / "corpus"
    corpus.mkdir()
    (corpus / "arxiv.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows()))
    settings = make_settings(tmp, corpus_dir=corpus)
    ingest([corpus], settings, progress=False)
    return Engine(settings), settings
