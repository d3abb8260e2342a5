"""Ingest in bounded memory: batches of records matched to the index by key, and files the
index already reflects left unread."""

from __future__ import annotations

import os

from rag.ingest import ingest
from rag.papers import joining_keys, paper_keys
from tests.support.index_fixtures import make_settings
from tests.support.ingest_checks import (
    assert_index_matches,
    published_catalog,
    records_003,
    title_abstract_rows,
    write_jsonl,
)


def _records(settings) -> dict:
    with published_catalog(settings) as catalog:
        return {r.paper_id: r for r in catalog.iter_records()}


def test_a_copy_in_a_later_batch_joins_the_paper_an_earlier_batch_wrote(tmp_path) -> None:
    recs = records_003()[:5]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    rows = title_abstract_rows(recs)
    copy = {"title": recs[0].title.upper(), "abstract": recs[0].abstract + " Extended."}
    write_jsonl(corpus / "a.jsonl", [*rows, copy])  # the copy is the sixth record
    settings = make_settings(tmp_path, corpus_dir=corpus, ingest_group_records=2)
    summary = ingest([corpus], settings, progress=False)

    assert (summary.records, summary.papers_in_index, summary.duplicates_merged) == (6, 5, 1)
    [paper] = [r for r in _records(settings).values() if r.abstract.endswith("Extended.")]
    assert paper.locations == ["a.jsonl:1", "a.jsonl:6"], "one paper, both places"
    assert any("a.jsonl:1 + a.jsonl:6" in line for line in summary.merged)


def test_a_new_file_matches_indexed_papers_by_doi_and_by_title(tmp_path) -> None:
    recs = records_003()[:3]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_jsonl(
        corpus / "a.jsonl",
        [
            {"title": r.title, "abstract": r.abstract, "doi": f"10.1/x{i}"}
            for i, r in enumerate(recs)
        ],
    )
    settings = make_settings(tmp_path, corpus_dir=corpus)
    ingest([corpus], settings, progress=False)
    before = _records(settings)

    write_jsonl(
        corpus / "b.jsonl",
        [
            {"title": "A retitled preprint", "abstract": recs[0].abstract, "doi": "10.1/X0"},
            {"title": recs[1].title, "abstract": recs[1].abstract},
        ],
    )
    summary = ingest([corpus], settings, progress=False)
    assert (summary.unchanged_files, summary.records, summary.duplicates_merged) == (1, 2, 2)
    after = _records(settings)
    assert len(after) == 3, "no duplicates: the DOI and the title found the indexed papers"
    by_doi = next(r for r in after.values() if r.extra.get("doi") == "10.1/x0")
    assert sorted(by_doi.locations) == ["a.jsonl:1", "b.jsonl:1"]
    # The title "A retitled preprint" sorts first, so the paper takes it (as a merge would).
    assert by_doi.title == "A retitled preprint" and by_doi.paper_id not in before
    assert summary.embedded_papers == 1
    assert_index_matches(settings, [corpus])


def test_an_edited_file_is_read_again_and_its_new_text_replaces_the_old(tmp_path) -> None:
    recs = records_003()[:2]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    path = write_jsonl(corpus / "a.jsonl", title_abstract_rows(recs))
    settings = make_settings(tmp_path, corpus_dir=corpus)
    ingest([corpus], settings, progress=False)

    shorter = recs[0].abstract.rsplit(". ", 1)[0] + "."  # an edit that shortens it
    write_jsonl(path, [{"title": recs[0].title, "abstract": shorter}, {"title": recs[1].title,
                "abstract": recs[1].abstract}])  # fmt: skip
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    summary = ingest([corpus], settings, progress=False)
    assert (summary.unchanged_files, summary.embedded_papers) == (0, 1)
    [edited] = [r for r in _records(settings).values() if r.title == recs[0].title]
    assert edited.abstract == shorter, "the file's text now, not the longer one indexed before"
    old_keys = paper_keys(recs[0].title, recs[0].abstract, {})
    with published_catalog(settings) as catalog:
        assert set(catalog.indexed_as(old_keys)) == {old_keys[0]}, "the old abstract's key went"
    assert_index_matches(settings, [corpus])


def test_a_rebuild_reads_every_file_again(tmp_path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_jsonl(corpus / "a.jsonl", title_abstract_rows(records_003()[:2]))
    settings = make_settings(tmp_path, corpus_dir=corpus)
    ingest([corpus], settings, progress=False)
    assert ingest([corpus], settings, progress=False).unchanged_files == 1
    rebuilt = ingest([corpus], settings, rebuild=True, progress=False)
    assert (rebuilt.unchanged_files, rebuilt.records, rebuilt.embedded_papers) == (0, 2, 2)


def test_titled_papers_sharing_a_placeholder_abstract_are_not_looked_up_as_one(tmp_path) -> None:
    """A titled paper's abstract joins only an untitled copy, so the lookup for a titled
    paper must not fetch every titled paper with "No abstract available." (an index with
    thousands of them would read them all for each one); an untitled copy still joins."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    placeholder = "No abstract available for this record in the source database."
    rows = [{"title": f"Placeholder study number {i}", "abstract": placeholder} for i in range(3)]
    write_jsonl(corpus / "a.jsonl", rows)
    settings = make_settings(tmp_path, corpus_dir=corpus)
    first = ingest([corpus], settings, progress=False)
    assert first.papers_in_index == 3, "three titled papers"
    new_title = "Placeholder study number 9"
    with published_catalog(settings) as catalog:
        found = catalog.indexed_as(joining_keys(new_title, placeholder, {}))
        assert found == {}, "no titled copy is a candidate for a titled paper"
        untitled = catalog.indexed_as(joining_keys(None, placeholder, {}))
        assert sum(len(ids) for ids in untitled.values()) == 3, "an untitled copy meets all"
    write_jsonl(corpus / "b.jsonl", [{"title": new_title, "abstract": placeholder}])
    summary = ingest([corpus], settings, progress=False)
    assert (summary.papers_in_index, summary.embedded_papers) == (4, 1)
    assert_index_matches(settings, [corpus])
