"""The index layout that scales: keyword shards rebuilt only where papers changed, an open
that reads no paper records, compact sentence vectors, and indexes of older versions."""

from __future__ import annotations

import json
import re
import sqlite3

import numpy as np
import pytest

from rag.errors import IndexMismatchError
from rag.index_access import open_store
from rag.ingest import ingest
from rag.keyword_index import MANIFEST_KEY
from rag.sentence_codec import dequantize, quantize
from tests.support.index_fixtures import make_settings
from tests.support.ingest_checks import (
    published_catalog,
    records_003,
    title_abstract_rows,
    write_jsonl,
)


def _shards(settings) -> dict[str, str]:
    with published_catalog(settings) as catalog:
        return json.loads(catalog.info(MANIFEST_KEY))


def test_keyword_shards_are_rebuilt_only_where_papers_changed(tmp_path) -> None:
    from rag.engine import Engine

    recs = records_003()[:11]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_jsonl(corpus / "a.jsonl", title_abstract_rows(recs[:10]))
    settings = make_settings(tmp_path, corpus_dir=corpus, keyword_shard_papers=4)
    ingest([corpus], settings, progress=False)
    first = _shards(settings)
    assert sorted(first) == ["0", "1", "2"], "10 papers in shards of 4"

    write_jsonl(
        corpus / "b.jsonl", title_abstract_rows(recs[10:11])
    )  # the 11th paper lands in shard 2
    ingest([corpus], settings, progress=False)
    second = _shards(settings)
    assert (second["0"], second["1"]) == (first["0"], first["1"])
    assert second["2"] != first["2"]

    engine = Engine(settings)
    for record in (recs[0], recs[5], recs[10]):  # one paper of each shard
        hits, _ = engine.retrieve(record.title, mode="bm25")[:2]
        assert hits[0].title == record.title

    edited = title_abstract_rows(recs[:10])
    edited[0]["abstract"] += " Zyxwvut markers were counted as well."
    write_jsonl(corpus / "a.jsonl", edited)  # paper 1 leaves shard 0 and lands in shard 2
    ingest([corpus], settings, progress=False)
    third = _shards(settings)
    assert third["1"] == second["1"]
    assert third["0"] != second["0"] and third["2"] != second["2"]
    sources = Engine(settings).retrieve("Zyxwvut markers", mode="bm25")[0]
    assert [s.title for s in sources] == [recs[0].title], "found once, by its new text"

    settings = make_settings(tmp_path, corpus_dir=corpus, keyword_shard_papers=100)
    ingest([corpus], settings, progress=False)  # a new shard size renumbers every paper
    assert sorted(_shards(settings)) == ["0"]


def test_opening_an_engine_reads_no_paper_records(tmp_path, monkeypatch) -> None:
    """Start-up must not depend on the collection's size: no statement may read every
    record (the engine used to load all papers and rebuild BM25 at start-up)."""
    import rag.catalog
    from rag.engine import Engine

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_jsonl(corpus / "a.jsonl", title_abstract_rows(records_003()[:12]))
    settings = make_settings(tmp_path, corpus_dir=corpus)
    ingest([corpus], settings, progress=False)

    statements: list[str] = []
    connect = sqlite3.connect

    def traced(*args, **kwargs):
        db = connect(*args, **kwargs)
        db.set_trace_callback(statements.append)
        return db

    monkeypatch.setattr(rag.catalog.sqlite3, "connect", traced)
    engine = Engine(settings)
    opened = list(statements)
    assert opened, "the trace saw the catalog being opened"
    by_id = re.compile(r"WHERE (p\.)?(paper_id|doc) (IN|=)")
    reads_all = [
        s for s in opened if re.search(r"\b(abstract|extra|vectors)\b", s) and not by_id.search(s)
    ]
    assert reads_all == [], reads_all
    assert engine.ask(records_003()[3].title).sources, "and it answers from what it looks up"


def test_sentence_vectors_are_stored_as_int8_with_a_scale_each() -> None:
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(9, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    scales, blob = quantize(vectors)
    assert len(blob) == 9 * 384 and len(scales) == 9 * 4, "a quarter of float32, plus scales"
    back = dequantize(scales, blob)
    cosines = np.sum(back * vectors, axis=1)
    assert cosines.min() > 0.999
    assert np.allclose(np.linalg.norm(back, axis=1), 1.0, atol=1e-5)


def test_an_index_of_an_older_version_is_named_and_rebuilt(tmp_path) -> None:
    from rag.engine import Engine

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_jsonl(corpus / "a.jsonl", title_abstract_rows(records_003()[:3]))
    settings = make_settings(tmp_path, corpus_dir=corpus)
    ingest([corpus], settings, progress=False)
    store = open_store(settings)
    meta = dict(store.chunks.metadata)
    meta.pop("hnsw:space", None)
    store.chunks.modify(metadata={**meta, "schema": 4})  # as the previous version wrote it
    store.close()

    with pytest.raises(IndexMismatchError, match="earlier version.*rag ingest"):
        Engine(settings)
    summary = ingest([corpus], settings, progress=False)
    assert summary.embedded_papers == 3, "rebuilt, not refused"
    assert Engine(settings).ask(records_003()[1].title).sources


def _counted(settings) -> tuple[dict, dict, set]:
    """The catalog's word and term frequencies and name postings, as stored."""
    with published_catalog(settings) as catalog:
        db = catalog._db
        words = dict(db.execute("SELECT word, df FROM words").fetchall())
        terms = dict(db.execute("SELECT term, df FROM terms").fetchall())
        names = set(db.execute("SELECT word, doc FROM names").fetchall())
    return words, terms, names


def _recounted(settings) -> tuple[dict, dict, set]:
    """The same, counted from scratch from the papers the catalog holds now."""
    from collections import Counter

    from rag.paper_terms import content_terms, known_words, name_keys

    words, terms, names = Counter(), Counter(), set()
    with published_catalog(settings) as catalog:
        rows = catalog._db.execute("SELECT doc, title, abstract, extra FROM papers").fetchall()
    for doc, title, abstract, extra in rows:
        words.update(known_words(title or None, abstract, json.loads(extra)))
        terms.update(content_terms(title or None, abstract))
        names.update((k, doc) for k in name_keys(title or None, abstract))
    return dict(words), dict(terms), names


def test_counts_kept_while_writing_equal_counts_made_from_scratch(tmp_path) -> None:
    """Frequencies and postings are summed per batch; after adds, an edit (a replaced
    paper), a copy in a second file and a removed file they must equal a recount."""
    recs = records_003()[:12]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_jsonl(corpus / "a.jsonl", title_abstract_rows(recs[:8]))
    write_jsonl(corpus / "b.jsonl", title_abstract_rows(recs[8:12]))
    settings = make_settings(tmp_path, corpus_dir=corpus, ingest_batch_papers=3)
    ingest([corpus], settings, progress=False)
    assert _counted(settings) == _recounted(settings)
    assert _counted(settings)[0], "words were counted"

    edited = title_abstract_rows(recs[:8])
    edited[2]["abstract"] = "Quuxification of ABC-7 samplers halves their variance."
    write_jsonl(corpus / "a.jsonl", edited + title_abstract_rows(recs[8:9]))
    (corpus / "b.jsonl").unlink()
    ingest([corpus], settings, progress=False)
    words, terms, names = _counted(settings)
    assert (words, terms, names) == _recounted(settings)
    assert words.get("quuxification") == 1
    assert any(w == "abc-7" for w, _ in names), "the edit's name is posted"


def test_metadata_filters_and_cited_authors_are_looked_up_not_scanned(tmp_path) -> None:
    """At a million papers, reading every record per filter or per "Smith et al." costs
    seconds: SQLite's plan for each statement must search by key, never scan the papers."""
    from rag.catalog import Catalog
    from rag.filters import Filters
    from rag.papers import Paper

    catalog = Catalog(tmp_path / "c.sqlite3", create=True)
    extra = {"authors": ["Smith, Jane", "Wei Li"], "year": 2022, "venue": "NeurIPS",
             "categories": ["cs.LG"]}  # fmt: skip
    papers = [Paper(f"p{i}", f"T{i}", "Text.", [], extra) for i in range(3)]
    catalog.write([(p, 1, [], np.zeros((0, 4), dtype=np.float32)) for p in papers])
    statements: list[str] = []
    catalog._db.set_trace_callback(statements.append)
    wanted = {"authors": ["J. Smith", "Li"], "venues": "NeurIPS", "categories": "cs"}
    assert len(catalog.select(Filters.of({**wanted, "since": 2020}))) == 3
    assert len(catalog.select(Filters.of(wanted))) == 3
    assert catalog.has_author("Smith") and not catalog.has_author("Jane")
    catalog._db.set_trace_callback(None)
    reads = [s for s in statements if "FROM papers" in s]
    assert len(reads) >= 4, reads
    for sql in reads:
        plan = [row[-1] for row in catalog._db.execute(f"EXPLAIN QUERY PLAN {sql}")]
        assert not any(step.startswith("SCAN papers") for step in plan), (sql, plan)
    catalog.close()
