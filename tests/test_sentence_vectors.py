"""Sentence vectors pooled from the chunk encoder's token embeddings at ingestion."""

from __future__ import annotations

import numpy as np

from rag.chunking import split_sentences
from rag.index_access import open_store


def test_every_paper_has_one_unit_vector_per_sentence(corpus_settings, engine):
    store = open_store(corpus_settings)
    ids = list(engine.papers)[:25]
    stored = store.catalog.sentences(ids, corpus_settings.chunk_tokens)
    assert set(stored) == set(ids)
    for pid in ids:
        texts, vectors = stored[pid]
        assert " ".join(texts) == " ".join(split_sentences(engine.papers[pid].abstract))
        norms = np.linalg.norm(np.asarray(vectors), axis=1)
        assert np.allclose(norms, 1.0, atol=1e-3)


def test_pooled_vectors_rank_the_sentence_that_answers(engine):
    nupes = next(p for p in engine.papers.values() if (p.title or "").startswith("NUPES"))
    texts, vectors = engine.evidence.sentences(nupes.paper_id, nupes.abstract)
    query = np.asarray(
        engine.embed_model.get_query_embedding(
            "which functions are the transformations derived from?"
        )
    )
    best = texts[int(np.argmax(vectors @ query))]
    assert best == "Such transformations are derived from power functions."


def test_sentences_come_from_the_store_not_the_encoder(corpus_settings, engine):
    """Answering must not embed abstract sentences again (that made answers ~1 s slower)."""
    from rag.engine import Engine

    fresh = Engine(corpus_settings)
    calls = []
    original = fresh.evidence.embed
    fresh.evidence.embed = lambda texts: calls.append(list(texts)) or original(texts)
    answer = fresh.ask("How can large language models be quantized to low bit widths?")
    assert not answer.refused
    assert calls == [], "extractive answers reuse stored sentence vectors"


def test_the_sentence_cache_survives_concurrent_answers(corpus_settings, engine, monkeypatch):
    """UI answers share one SentenceIndex from several threads. With a full cache, one thread
    evicted a paper that another was about to mark as recent: KeyError."""
    import sys
    import threading

    import rag.evidence
    from rag.evidence import SentenceIndex

    monkeypatch.setattr(rag.evidence, "CACHE_PAPERS", 2)  # every call evicts
    store = open_store(corpus_settings)
    index = SentenceIndex(engine.embed_model, store.catalog, corpus_settings.chunk_tokens)
    papers = [(p.paper_id, p.abstract) for p in list(engine.papers.values())[:6]]
    errors: list[str] = []

    def answer_many(seed: int) -> None:
        rng = np.random.default_rng(seed)
        try:
            for _ in range(400):
                chosen = [papers[int(i)] for i in rng.integers(0, len(papers), 3)]
                got = index.many(chosen)
                assert set(got) == {pid for pid, _ in chosen}
                assert set(index.stored([pid for pid, _ in chosen])) == set(got)
        except Exception as exc:  # noqa: BLE001 - reported below with the thread's seed
            errors.append(f"{seed}: {exc!r}")

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=answer_many, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
