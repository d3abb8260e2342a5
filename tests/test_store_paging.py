"""Whole-collection reads are paged: one unpaged get() of ~40k records fails in Chroma."""

from __future__ import annotations

from rag.components import make_chroma_client
from rag.store import get_all
from tests.support.index_fixtures import make_settings


def test_get_all_reads_every_record_across_pages(tmp_path):
    client = make_chroma_client(make_settings(tmp_path))
    collection = client.get_or_create_collection("paging")
    ids = [f"p{i:03d}" for i in range(23)]
    collection.add(
        ids=ids,
        embeddings=[[float(i), 1.0] for i in range(23)],
        documents=[f"doc {i}" for i in range(23)],
        metadatas=[{"i": i} for i in range(23)],
    )
    got = get_all(collection, ["metadatas", "documents"], page=5)
    assert sorted(got["ids"]) == ids
    assert len(got["documents"]) == len(got["metadatas"]) == 23
    assert {m["i"] for m in got["metadatas"]} == set(range(23))
