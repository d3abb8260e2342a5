"""Ingestion into a real Chroma index with real MiniLM embeddings.

Incremental runs, bad files that cost nothing already indexed, model mismatch and the CLI
(crash safety under a real `kill -9` is in tests/test_ingest_crash.py).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from rag.errors import CorpusError, IndexMismatchError, IndexMissingError
from rag.index_access import open_store
from rag.ingest import ingest
from rag.readers import read_file
from rag.settings import Settings
from tests.support.index_fixtures import CORPUS, make_settings
from tests.support.ingest_checks import (
    SRC_000,
    assert_index_matches,
    chunks_of,
    expected_papers,
    records_003,
    run_cli,
    slice_003,
    snapshot,
    write_jsonl,
)


# -- a small shared index (000 + the first 10 papers of 003) -----------------------------------
@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Settings, Path, object]:
    tmp = tmp_path_factory.mktemp("small-index")
    corpus = tmp / "corpus"
    corpus.mkdir()
    shutil.copy(SRC_000, corpus / SRC_000.name)
    slice_003(corpus / "003_slice.txt", 10)
    settings = make_settings(tmp, corpus_dir=corpus)
    summary = ingest([corpus], settings, progress=False)
    return settings, corpus, summary


def test_small_corpus_is_indexed_completely(small) -> None:
    settings, corpus, summary = small
    papers = expected_papers([corpus])
    n_chunks = sum(len(chunks_of(p, settings)) for p in papers)
    assert (summary.files, summary.records, summary.papers) == (2, 20, 20)
    assert (summary.embedded_papers, summary.unchanged_papers) == (20, 0)
    assert summary.chunks_embedded == summary.chunks_in_index == n_chunks
    assert summary.papers_in_index == 20 and summary.orphans_removed == 0
    assert_index_matches(settings, [corpus])
    store = open_store(settings)
    store.open()
    untitled = [p for p in store.catalog.iter_records() if p.title is None]
    assert len(untitled) == 10
    assert all(p.label.startswith("Untitled: ") for p in untitled)


def test_a_small_index_is_searched_in_full(small, tmp_path) -> None:
    """Chroma re-inserts its unpersisted chunks in parallel in each process that opens the
    index, so a partial HNSW search could differ between processes; up to
    `hnsw_exact_chunks` the writer sets the search breadth to the whole collection."""
    _, corpus, _ = small

    def breadth(**overrides) -> tuple[int, int]:
        settings = make_settings(tmp_path / str(len(overrides)), corpus_dir=corpus, **overrides)
        ingest([corpus], settings, progress=False)
        store = open_store(settings)
        store.open()
        return store.chunks.count(), store.chunks.configuration["hnsw"]["ef_search"]

    count, ef = breadth(hnsw_search_ef=8)
    assert count > 8 and ef == count, "the whole collection"
    assert breadth(hnsw_search_ef=8, hnsw_exact_chunks=10) == (count, 8), "too big: as set"


def test_reingesting_the_same_files_embeds_nothing(small) -> None:
    settings, corpus, first = small
    before = snapshot(settings)
    summary = ingest([corpus], settings, progress=False)
    assert summary.embedded_papers == 0 and summary.chunks_embedded == 0
    assert (summary.unchanged_files, summary.records) == (2, 0), "not read again"
    assert {r["read"] for r in summary.per_file} == {10}, "the counts of their last read"
    assert (summary.papers_in_index, summary.chunks_in_index) == (20, first.chunks_in_index)
    assert snapshot(settings) == before

    touched = sorted(corpus.iterdir())[0]
    os.utime(touched)  # same content, new time: read again, and found unchanged
    summary = ingest([corpus], settings, progress=False)
    assert (summary.unchanged_files, summary.records, summary.unchanged_papers) == (1, 10, 10)
    assert summary.embedded_papers == 0 and snapshot(settings) == before


BAD = {
    "bad-json-line": (
        "extra.jsonl",
        b'{"title": "A", "abstract": "' + b"word " * 30 + b'"}\n{oops\n',
        2,
    ),
    "not-utf8": ("extra.txt", b"A Title\n" + b"caf\xe9 " * 30 + b"\n", 2),
    "binary": ("extra.txt", b"GIF89a\n\x00\x01\x02", 2),
    "csv-missing-columns": ("extra.csv", b"name,text\nA,B\n", 1),
    "title-without-abstract": (
        "extra.txt",
        b"A Title\n" + b"word " * 30 + b"\nLonely Title\n",
        3,
    ),
    "no-layout": ("extra.txt", b"one\ntwo\nthree\nfour\n", 2),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_file_stops_a_strict_ingest_and_nothing_indexed_is_lost(
    small, tmp_path, case
) -> None:
    settings, corpus, _ = small
    strict = settings.model_copy(update={"strict": True})
    name, content, line = BAD[case]
    bad = tmp_path / name
    bad.write_bytes(content)
    before = snapshot(settings)
    with pytest.raises(CorpusError) as info:
        ingest([corpus, bad], strict, progress=False)
    assert str(info.value).startswith(f"{bad}:{line}: ")
    assert snapshot(settings) == before


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_file_is_reported_and_the_rest_ingests_by_default(small, tmp_path, case) -> None:
    """Lenient: the problem is reported with its file and line, every good record is read."""
    settings, corpus, _ = small
    name, content, line = BAD[case]
    bad = tmp_path / name
    bad.write_bytes(content)
    before = snapshot(settings)
    summary = ingest([corpus, bad], settings, progress=False, dry_run=True)
    assert any(p.startswith((f"{name}:{line}: ", f"{bad}:{line}: ")) for p in summary.skipped)
    assert summary.records >= 20 and summary.dry_run
    [report] = [r for r in summary.per_file if r["file"] == str(bad)]
    assert report["skipped"] >= 1 or report["error"]
    assert snapshot(settings) == before  # a dry run touches nothing


def test_a_bad_file_inside_the_corpus_folder_stops_a_strict_ingest(small, tmp_path) -> None:
    settings, corpus, _ = small
    folder = tmp_path / "corpus"
    shutil.copytree(corpus, folder)
    (folder / "zz.jsonl").write_text('{"title": "x"}\n', encoding="utf-8")
    before = snapshot(settings)
    with pytest.raises(CorpusError, match=r"zz\.jsonl:1: record has no abstract"):
        ingest([folder], settings.model_copy(update={"strict": True}), progress=False)
    assert snapshot(settings) == before


def test_unsupported_file_stops_a_strict_ingest_and_is_reported_otherwise(small, tmp_path) -> None:
    settings, corpus, _ = small
    bad = tmp_path / "paper.pdf"
    bad.write_bytes(b"%PDF-1.4")
    before = snapshot(settings)
    with pytest.raises(CorpusError, match=r"paper\.pdf: unsupported file type"):
        ingest([corpus, bad], settings.model_copy(update={"strict": True}), progress=False)
    summary = ingest([corpus, bad], settings, progress=False)
    assert any("paper.pdf: unsupported file type" in p for p in summary.skipped)
    assert summary.embedded_papers == 0 and summary.unchanged_files == 2
    assert snapshot(settings) == before


def test_cli_ingest_of_a_bad_line_exits_2_when_strict_and_is_reported_otherwise(
    small, tmp_path, monkeypatch, capsys
) -> None:
    settings, _, _ = small
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "ok", "abstract": "' + "word " * 30 + '"}\nnot json\n')
    before = snapshot(settings)
    code, out, err = run_cli(monkeypatch, capsys, settings, "ingest", "--strict", str(bad))
    assert code == 2
    assert err.startswith(f"error: {bad}:2: invalid JSON")
    assert "Traceback" not in err and out == ""

    code, out, err = run_cli(monkeypatch, capsys, settings, "ingest", "--dry-run", str(bad))
    assert code == 0
    assert "skipped: bad.jsonl:2: invalid JSON" in err
    assert "bad.jsonl: 1 read, 1 skipped, 0 merged, 1 to add" in out  # new to the index
    assert out.splitlines()[-1].startswith("dry run (nothing written): 1 files, 1 records")
    assert "index holds 20 papers" in out
    assert snapshot(settings) == before


def test_cli_ingest_without_paths_uses_the_corpus_folder(small, monkeypatch, capsys) -> None:
    settings, _, _ = small
    code, out, _ = run_cli(monkeypatch, capsys, settings, "ingest", "--quiet")
    assert code == 0
    assert "2 files (2 unchanged, not read again), 0 records" in out and "(0 embedded" in out


def test_cli_stats_json(small, monkeypatch, capsys) -> None:
    settings, _, summary = small
    code, out, _ = run_cli(monkeypatch, capsys, settings, "stats", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["papers"] == 20 and data["chunks"] == summary.chunks_in_index
    assert data["embedding_model"] == "all-MiniLM-L6-v2"
    assert data["store"] == f"chroma {settings.index_path} (gen-000001)"


def test_index_built_with_another_model_is_refused(small, tmp_path) -> None:
    settings, corpus, _ = small
    before = snapshot(settings)
    other = settings.model_copy(update={"embed_backend": "openai", "openai_embed_model": "other"})
    with pytest.raises(IndexMismatchError, match=r"rag ingest --rebuild") as info:
        open_store(other).open()
    assert "all-MiniLM-L6-v2" in str(info.value) and "other" in str(info.value)
    with pytest.raises(IndexMismatchError):
        ingest([corpus], other, progress=False)
    with pytest.raises(IndexMismatchError, match="chunk_tokens"):
        open_store(settings.model_copy(update={"chunk_tokens": 128})).open()
    # int8 vectors differ from fp32 ones: switching runtime on a built index is refused too.
    with pytest.raises(IndexMismatchError, match=r"rag ingest --rebuild"):
        open_store(settings.model_copy(update={"embed_runtime": "onnx-int8"})).open()
    # Refusing did not rewrite what the index records: the right settings still open it.
    assert snapshot(settings) == before


def test_missing_index_says_how_to_build_it(tmp_path, monkeypatch, capsys) -> None:
    settings = make_settings(tmp_path)
    with pytest.raises(IndexMissingError, match="rag ingest"):
        open_store(settings).open()
    code, _, err = run_cli(monkeypatch, capsys, settings, "stats")
    assert code == 2 and err.startswith("error: No index found")


# -- incremental runs on their own tiny indexes -----------------------------------------------
def test_adding_a_file_embeds_only_new_papers_then_rebuild_starts_over(
    tmp_path, monkeypatch, capsys
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    slice_003(corpus / "a.txt", 3)
    settings = make_settings(tmp_path, corpus_dir=corpus)
    first = ingest([corpus], settings, progress=False)
    assert (first.papers, first.embedded_papers) == (3, 3)

    recs = records_003()
    dup, new1, new2 = recs[0], recs[3], recs[4]
    write_jsonl(
        corpus / "b.jsonl",
        [
            {"id": "n1", "title": new1.title, "abstract": new1.abstract},
            {"id": "n2", "title": new2.title, "abstract": new2.abstract},
            {"id": "d1", "title": dup.title.upper(), "abstract": dup.abstract},
        ],
    )
    new_papers = expected_papers([corpus / "b.jsonl"])[:2]
    summary = ingest([corpus], settings, progress=False)
    # a.txt is not read again; the copy in b.jsonl is matched to its indexed paper by title
    assert (summary.unchanged_files, summary.records, summary.duplicates_merged) == (1, 3, 1)
    assert any("b.jsonl:3 (one paper; already in the index)" in m for m in summary.merged)
    assert summary.embedded_papers == 2 and summary.unchanged_papers == 1
    assert summary.chunks_embedded == sum(len(chunks_of(p, settings)) for p in new_papers)
    assert summary.chunks_in_index == first.chunks_in_index + summary.chunks_embedded
    assert_index_matches(settings, [corpus])
    store = open_store(settings)
    [dup_record] = [p for p in store.catalog.iter_records() if p.title == dup.title]
    assert dup_record.locations == ["a.txt:3", "b.jsonl:3"]  # location added, not re-embedded
    assert dup_record.label == dup.title  # the update kept the rest of the record

    again = ingest([corpus], settings, progress=False)
    assert again.embedded_papers == 0 and again.chunks_embedded == 0

    code, out, _ = run_cli(monkeypatch, capsys, settings, "ingest", "--rebuild", "--quiet")
    assert code == 0 and "5 papers (5 embedded, 0 unchanged)" in out
    assert_index_matches(settings, [corpus])


def test_reingest_and_rebuild_drop_papers_no_longer_in_the_files(tmp_path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    extra = slice_003(corpus / "a.txt", 2)
    settings = make_settings(tmp_path, corpus_dir=corpus)
    ingest([corpus], settings, progress=False)
    extra.write_text(extra.read_text().rsplit("\n", 3)[0] + "\n")  # keep the first paper only
    assert len(read_file(extra)) == 1
    again = ingest([corpus], settings, progress=False)
    assert again.papers_in_index == 1 and again.removed_papers == 1  # read whole again
    assert_index_matches(settings, [corpus])
    summary = ingest([corpus], settings, rebuild=True, progress=False)
    assert summary.embedded_papers == 1 and summary.papers_in_index == 1
    assert_index_matches(settings, [corpus])


def test_untitled_paper_indexed_first_is_replaced_by_its_titled_copy(tmp_path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    untitled = read_file(SRC_000)[:2]
    (corpus / "u.txt").write_text(
        "".join(f"Abstract:{r.abstract}\n" for r in untitled), encoding="utf-8"
    )
    settings = make_settings(tmp_path, corpus_dir=corpus)
    ingest([corpus], settings, progress=False)
    [old_id] = [p.paper_id for p in expected_papers([corpus]) if p.abstract == untitled[0].abstract]

    write_jsonl(
        corpus / "t.jsonl", [{"title": "Query-Driven Timelines", "abstract": untitled[0].abstract}]
    )
    summary = ingest([corpus], settings, progress=False)
    assert (summary.unchanged_files, summary.papers, summary.embedded_papers) == (1, 1, 1)
    assert summary.papers_in_index == 2  # replaced, not a third (duplicate) entry
    assert_index_matches(settings, [corpus])
    store = open_store(settings)
    store.open()
    assert old_id not in {p.paper_id for p in store.catalog.iter_records()}
    assert not store.chunks.get(where={"paper_id": old_id})["ids"]
    [titled] = [p for p in store.catalog.iter_records() if p.title]
    assert titled.title == "Query-Driven Timelines"
    assert titled.locations == ["u.txt:1", "t.jsonl:1"]

    # Ingesting only the titled file later keeps both locations and changes nothing.
    again = ingest([corpus / "t.jsonl"], settings, progress=False)
    assert again.embedded_papers == 0 and again.papers_in_index == 2


def test_edited_abstract_is_re_embedded_and_its_old_chunks_replaced(tmp_path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    rec = max(records_003()[:20], key=lambda r: len(r.abstract))
    path = write_jsonl(corpus / "p.jsonl", [{"title": rec.title, "abstract": rec.abstract}])
    settings = make_settings(tmp_path, corpus_dir=corpus)
    first = ingest([corpus], settings, progress=False)
    assert first.chunks_in_index >= 2
    short = rec.abstract[: rec.abstract.index(". ") + 1]
    short = short if len(short) >= 80 else rec.abstract[:200]
    write_jsonl(path, [{"title": rec.title, "abstract": short}])
    summary = ingest([corpus], settings, progress=False)
    assert summary.embedded_papers == 1 and summary.papers_in_index == 1
    assert summary.chunks_in_index == 1  # the old chunks 001... are gone
    assert_index_matches(settings, [corpus])


# -- the whole default corpus (session index) ---------------------------------------------------
def test_default_corpus_index_is_complete(corpus_settings) -> None:
    assert_index_matches(corpus_settings, [CORPUS])
    (papers, _), records = snapshot(corpus_settings)
    assert papers == 683
    assert sum(len(locs) for _, locs in records.values()) == 708


def test_default_corpus_reingest_embeds_nothing(corpus_settings, tmp_path) -> None:
    before = snapshot(corpus_settings)
    summary = ingest([CORPUS], corpus_settings, progress=False)
    assert (summary.unchanged_files, summary.records, summary.embedded_papers) == (5, 0, 0)
    # The same files from another folder are other files (paths tell files apart): each of
    # their records is a copy of a paper indexed from the corpus, matched by key, so nothing
    # is embedded. A dry run, so this shared index does not start citing a temporary folder.
    copy = shutil.copytree(CORPUS, tmp_path / "abstracts")
    summary = ingest([copy], corpus_settings, progress=False, dry_run=True)
    assert (summary.records, summary.papers, summary.duplicates_merged) == (708, 683, 708)
    assert (summary.unchanged_papers, summary.removed_papers) == (683, 0)
    assert all(f["merged"] == f["read"] and f["added"] == 0 for f in summary.per_file)
    assert snapshot(corpus_settings) == before


def test_default_corpus_stats_json(corpus_settings, monkeypatch, capsys) -> None:
    code, out, _ = run_cli(monkeypatch, capsys, corpus_settings, "stats", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["papers"] == 683
    assert data["chunks"] == snapshot(corpus_settings)[0][1]
    assert data["embedding_model"] == "all-MiniLM-L6-v2"
    assert data["store"].startswith("chroma ")
