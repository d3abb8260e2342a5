"""Ingesting files that changed, against a real index (real MiniLM, real Chroma): papers with
the same title but different ids stay apart, a dry run reports against the index, the
report's counts agree, the newest version of a paper wins, and papers no longer in their
files leave the index."""

from __future__ import annotations

import os
from pathlib import Path

from rag.formats import RecordFilter
from rag.index_access import open_store
from rag.ingest import ingest
from rag.ingest_report import FileReport
from tests.support.index_fixtures import make_settings
from tests.support.ingest_checks import (
    assert_index_matches,
    published_catalog,
    records_003,
    run_cli,
    snapshot,
    title_abstract_rows,
    write_jsonl,
)

LECUN = """TY  - JOUR
TI  - Deep Learning
AU  - LeCun, Yann
PY  - 2015
JO  - Nature
DO  - 10.1038/nature14539
AB  - Deep learning allows computational models that are composed of multiple processing \
layers to learn representations of data with multiple levels of abstraction.
ER  -
"""
KELLEHER = """TY  - JOUR
TI  - Deep learning
AU  - Kelleher, John D.
PY  - 2019
JO  - MIT Press Essential Knowledge
DO  - 10.7551/mitpress/11171.001.0001
AB  - An accessible introduction to the artificial intelligence technology that enables \
computer vision, speech recognition and driverless cars, written for a general audience.
ER  -
"""


def _records(settings) -> dict:
    with published_catalog(settings) as catalog:
        return {r.paper_id: r for r in catalog.iter_records()}


def _bump_mtime(path: Path) -> None:
    """An edit within the file system's time resolution still reads as a change."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))


# -- same title, different DOI ---------------------------------------------------------------
def test_papers_with_one_title_and_different_dois_are_both_indexed(tmp_path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "sametitle.ris").write_text(LECUN + "\n" + KELLEHER, encoding="utf-8")
    settings = make_settings(tmp_path, corpus_dir=corpus)
    summary = ingest([corpus], settings, progress=False)
    assert (summary.records, summary.papers, summary.duplicates_merged) == (2, 2, 0)
    assert summary.merged == [] and summary.papers_in_index == 2
    papers = _records(settings).values()
    assert {p.extra["doi"] for p in papers} == {
        "10.1038/nature14539",
        "10.7551/mitpress/11171.001.0001",
    }
    [kelleher] = [p for p in papers if p.extra["authors"] == ["Kelleher, John D."]]
    assert kelleher.abstract.startswith("An accessible introduction")
    assert kelleher.locations == ["sametitle.ris:10"]
    assert_index_matches(settings, [corpus])


def test_a_new_file_does_not_join_an_indexed_paper_of_another_doi_by_title(tmp_path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.ris").write_text(LECUN, encoding="utf-8")
    settings = make_settings(tmp_path, corpus_dir=corpus)
    ingest([corpus], settings, progress=False)
    (corpus / "b.ris").write_text(KELLEHER, encoding="utf-8")
    summary = ingest([corpus], settings, progress=False)
    assert (summary.embedded_papers, summary.duplicates_merged, summary.merged) == (1, 0, [])
    assert summary.papers_in_index == 2
    by_doi = {p.extra["doi"]: p for p in _records(settings).values()}
    assert by_doi["10.1038/nature14539"].locations == ["a.ris:1"]
    assert by_doi["10.7551/mitpress/11171.001.0001"].locations == ["b.ris:1"]
    # A copy without a DOI still joins the indexed paper by its title.
    write_jsonl(
        corpus / "c.jsonl",
        [{"title": "Deep learning.", "abstract": by_doi["10.1038/nature14539"].abstract}],
    )
    summary = ingest([corpus], settings, progress=False)
    assert summary.papers_in_index == 2 and summary.embedded_papers == 0
    assert sorted(_records(settings)[by_doi["10.1038/nature14539"].paper_id].locations) == [
        "a.ris:1",
        "c.jsonl:1",
    ]


# -- a dry run reports against the index ------------------------------------------------------
def test_a_dry_run_reports_against_the_published_index_and_writes_nothing(
    tmp_path, monkeypatch, capsys
) -> None:
    recs = records_003()[:4]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    settings = make_settings(tmp_path, corpus_dir=corpus)
    path = write_jsonl(corpus / "a.jsonl", title_abstract_rows(recs[:3]))
    nothing = ingest([path], settings, progress=False, dry_run=True)
    assert (nothing.papers_in_index, nothing.unchanged_papers, nothing.papers) == (0, 0, 3)
    assert not settings.index_path.exists() or not any(settings.index_path.iterdir())

    first = ingest([corpus], settings, progress=False)
    before = snapshot(settings)
    write_jsonl(corpus / "b.jsonl", title_abstract_rows(recs[2:]))  # one known, one new
    summary = ingest([corpus], settings, progress=False, dry_run=True)
    assert summary.dry_run and summary.embedded_papers == 0
    assert (summary.records, summary.papers, summary.unchanged_papers) == (5, 4, 3)
    assert (summary.papers_in_index, summary.chunks_in_index) == (3, first.chunks_in_index)
    assert snapshot(settings) == before
    code, out, _ = run_cli(monkeypatch, capsys, settings, "ingest", "--dry-run", str(path))
    assert code == 0
    assert "3 papers (0 embedded, 3 unchanged)" in out
    assert f"index holds 3 papers / {first.chunks_in_index} chunks" in out
    assert snapshot(settings) == before


# -- the report's counts agree -----------------------------------------------------------------
def test_per_file_counts_add_up_to_the_totals(tmp_path, monkeypatch, capsys) -> None:
    recs = records_003()[:4]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_jsonl(corpus / "a.jsonl", title_abstract_rows(recs[:2]))
    b = write_jsonl(corpus / "b.jsonl", title_abstract_rows([recs[2], recs[0]]))
    long = {"title": "An abstract too long to be one", "abstract": "word " * 4100}
    write_jsonl(corpus / "c.jsonl", [title_abstract_rows([recs[3]])[0], long])
    settings = make_settings(tmp_path, corpus_dir=corpus)
    assert len(long["abstract"]) > settings.max_abstract_chars
    first = ingest([corpus], settings, progress=False)
    assert (first.records, first.papers, first.duplicates_merged) == (5, 4, 1)

    _bump_mtime(b)  # read again: its copy of recs[0] joins the paper a.jsonl holds
    code, out, _ = run_cli(monkeypatch, capsys, settings, "ingest", "--quiet", str(corpus))
    assert code == 0
    assert "b.jsonl: 2 read, 0 skipped, 1 merged, 0 added" in out
    assert ", 2 records, 1 duplicates merged, 2 papers (0 embedded, 2 unchanged)" in out
    # An abstract over the limit is a skipped record, also in the counts kept for next time.
    assert "c.jsonl: unchanged since the last ingest (1 read, 1 skipped)" in out

    summary = ingest([b], settings, progress=False, rebuild=True)
    _bump_mtime(b)
    for run in (summary, ingest([corpus], settings, progress=False)):
        read = [f for f in run.per_file if not f["unchanged"]]
        assert sum(f["read"] for f in read) == run.records
        assert sum(f["merged"] for f in read) == run.duplicates_merged
        assert run.embedded_papers + run.unchanged_papers == run.papers


def test_a_copy_in_a_later_batch_is_one_paper_in_the_counts(tmp_path) -> None:
    recs = records_003()[:3]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    rows = title_abstract_rows(recs)
    write_jsonl(corpus / "a.jsonl", [*rows, rows[0]])  # the copy is in the second batch
    settings = make_settings(tmp_path, corpus_dir=corpus, ingest_group_records=2)
    summary = ingest([corpus], settings, progress=False)
    assert (summary.records, summary.duplicates_merged, summary.papers) == (4, 1, 3)
    assert (summary.embedded_papers, summary.unchanged_papers) == (3, 0)
    [report] = summary.per_file
    assert (report["read"], report["merged"], report["added"]) == (4, 1, 3)


# -- the newest version of a paper gives its abstract -----------------------------------------
V1_BIB = """@article{raman2024tinyquant,
  title={TinyQuant: Two-Bit Weight Quantization for Large Language Models},
  author={Raman, Priya and Ruiz, Tom{\\'a}s},
  journal={arXiv preprint arXiv:2401.01234v1},
  year={2024},
  abstract={We introduce TinyQuant, a post-training method that quantizes the weights of large \
language models to three bits. On LLaMA-2 70B it keeps perplexity within 0.9 of the 16-bit \
model while cutting memory by 5.0x.}
}
"""
V2_ARXIV = {
    "id": "2401.01234",
    "submitter": "Priya Raman",
    "authors": "Priya Raman and Tom\u00e1s Ruiz",
    "title": "TinyQuant: Two-Bit Weight Quantization for Large Language Models",
    "categories": "cs.LG cs.CL",
    "abstract": "  We introduce TinyQuant, a post-training method that quantizes the weights of "
    "large language models to two bits. On LLaMA-2 70B it keeps perplexity within 0.6 of the "
    "16-bit model while cutting memory by 7.1x.\n",
    "versions": [
        {"version": "v1", "created": "Wed, 3 Jan 2024 18:00:00 GMT"},
        {"version": "v2", "created": "Sat, 10 Feb 2024 18:00:00 GMT"},
    ],
    "update_date": "2024-02-10",
    "authors_parsed": [["Raman", "Priya", ""], ["Ruiz", "Tom\u00e1s", ""]],
}


def test_the_newer_version_of_a_paper_wins_in_whichever_order_files_come(tmp_path) -> None:
    for first in ("v1", "v2"):
        corpus = tmp_path / first / "corpus"
        corpus.mkdir(parents=True)
        settings = make_settings(tmp_path / first, corpus_dir=corpus)
        files = {"v1": corpus / "a_v1.bib", "v2": corpus / "b_v2.jsonl"}
        if first == "v2":  # the file name order is the other way round as well
            files = {"v1": corpus / "b_v1.bib", "v2": corpus / "a_v2.jsonl"}
        files["v1"].write_text(V1_BIB, encoding="utf-8")
        write_jsonl(files["v2"], [V2_ARXIV])
        second = "v2" if first == "v1" else "v1"
        ingest([files[first]], settings, progress=False)
        summary = ingest([files[second]], settings, progress=False)
        [paper] = _records(settings).values()
        assert "to two bits" in paper.abstract, f"{first} first"
        assert sorted(paper.locations) == sorted(f"{f.name}:1" for f in files.values())
        [line] = summary.merged
        assert line.endswith(
            f"the abstracts differ: kept {files['v2'].name}:1's, the newest version)"
        )
        # Read together, the same.
        both = ingest([corpus], settings, progress=False, rebuild=True)
        [paper] = _records(settings).values()
        assert "to two bits" in paper.abstract and "the abstracts differ" in both.merged[0]
        assert_index_matches(settings, [corpus])


# -- papers no longer in their files leave the index ------------------------------------------
def _bib(entries: list[tuple[str, str]]) -> str:
    return "".join(
        f"@article{{key{i},\n  title = {{{title}}},\n  year = {{2022}},\n"
        f"  abstract = {{{abstract}}},\n}}\n\n"
        for i, (title, abstract) in enumerate(entries)
    )


def _ris(entries: list[tuple[str, str, str]]) -> str:
    return "".join(
        f"TY  - JOUR\nTI  - {title}\nDO  - {doi}\nAB  - {abstract}\nER  -\n\n"
        for title, abstract, doi in entries
    )


def _gone_everywhere(settings, paper_id: str, title_words: str) -> None:
    """No chunk, record, sentence vector, identity key or BM25 entry of the paper is left."""
    from rag.keyword_index import KeywordIndex

    store = open_store(settings)
    try:
        assert store.catalog.records([paper_id]) == []
        assert store.catalog.sentences([paper_id], settings.chunk_tokens) == {}
        assert not store.chunks.get(where={"paper_id": paper_id})["ids"]
        assert store.catalog.sources_of([paper_id]) == {}
        bm25 = KeywordIndex(store.catalog, store.side_path)
        assert paper_id not in {pid for pid, _ in bm25.search(title_words, 10)}
    finally:
        store.close()


def test_an_edited_title_replaces_the_paper_instead_of_adding_one(tmp_path) -> None:
    recs = records_003()[:3]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    bib = corpus / "zotero.bib"
    bib.write_text(_bib([(r.title, r.abstract) for r in recs]), encoding="utf-8")
    settings = make_settings(tmp_path, corpus_dir=corpus)
    ingest([corpus], settings, progress=False)
    [old] = [r for r in _records(settings).values() if r.title == recs[1].title]
    assert old.locations == ["zotero.bib:7"]

    new_title = recs[1].title + " for African Languages"
    bib.write_text(
        _bib([(recs[0].title, recs[0].abstract), (new_title, recs[1].abstract)]), encoding="utf-8"
    )  # and the third record deleted
    summary = ingest([bib], settings, progress=False)
    assert summary.papers_in_index == 2, "the edited and the deleted record's papers left"
    assert summary.removed_papers == 2
    [report] = summary.per_file
    assert (report["read"], report["added"], report["removed"]) == (2, 1, 2)
    line = FileReport(**report).line()
    assert line.startswith("zotero.bib: 2 read, 0 skipped, 0 merged, 1 added; removed 2 papers ")
    assert f"no longer in zotero.bib: {recs[1].title[:80]}" in line
    assert any(
        r.startswith(f"{recs[2].title[:80]}: no longer at zotero.bib:13") for r in summary.removed
    )
    records = _records(settings)
    assert {r.title for r in records.values()} == {recs[0].title, new_title}
    assert [r.locations for r in records.values() if r.title == new_title] == [["zotero.bib:7"]]
    _gone_everywhere(settings, old.paper_id, recs[1].title)
    assert_index_matches(settings, [corpus])
    again = ingest([corpus], settings, progress=False)
    assert (again.removed_papers, again.embedded_papers, again.unchanged_files) == (0, 0, 1)


def test_a_deleted_record_leaves_and_a_paper_in_another_file_keeps_its_other_place(
    tmp_path, monkeypatch, capsys
) -> None:
    recs = records_003()[:3]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    entries = [(r.title, r.abstract, f"10.1/p{i}") for i, r in enumerate(recs)]
    zotero = corpus / "zotero.ris"
    zotero.write_text(_ris(entries), encoding="utf-8")
    (corpus / "scopus.ris").write_text(_ris(entries[1:2]), encoding="utf-8")
    settings = make_settings(tmp_path, corpus_dir=corpus)
    ingest([corpus], settings, progress=False)
    ids = {r.extra["doi"]: r.paper_id for r in _records(settings).values()}

    zotero.write_text(_ris(entries[2:]), encoding="utf-8")  # the first two deleted
    code, out, _ = run_cli(monkeypatch, capsys, settings, "ingest", "--dry-run", str(zotero))
    assert code == 0 and "would remove 1 paper no longer in zotero.ris" in out
    assert "; 1 paper no longer in zotero.ris would be kept for other files" in out
    assert _records(settings).keys() == set(ids.values()), "a dry run writes nothing"
    code, out, _ = run_cli(monkeypatch, capsys, settings, "ingest", str(zotero))
    assert code == 0 and out.rstrip().endswith("; 1 paper no longer in the files removed"), out
    assert len(_records(settings)) == 2
    zotero.write_text(_ris(entries), encoding="utf-8")  # back, to check the report in full
    ingest([zotero], settings, progress=False)
    zotero.write_text(_ris(entries[2:]), encoding="utf-8")
    summary = ingest([zotero], settings, progress=False)
    assert summary.papers_in_index == 2 and summary.removed_papers == 1
    [report] = summary.per_file
    assert (report["removed"], report["kept_elsewhere"]) == (1, 1)
    assert (
        FileReport(**report)
        .line()
        .endswith(
            f"; removed 1 paper no longer in zotero.ris: {recs[0].title[:80]}"
            "; 1 paper no longer in zotero.ris kept for other files"
        )
    )
    records = _records(settings)
    assert records[ids["10.1/p1"]].locations == ["scopus.ris:1"], "its other place stays"
    assert records[ids["10.1/p2"]].locations == ["zotero.ris:1"], "moved up: cited where it is"
    _gone_everywhere(settings, ids["10.1/p0"], recs[0].title)
    assert_index_matches(settings, [corpus])


def test_a_file_deleted_from_the_corpus_folder_takes_its_papers_along(tmp_path) -> None:
    recs = records_003()[:3]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    a = write_jsonl(corpus / "a.jsonl", title_abstract_rows(recs[:2]))
    (corpus / "sub").mkdir()
    b = write_jsonl(corpus / "sub" / "b.jsonl", title_abstract_rows([recs[2], recs[0]]))
    settings = make_settings(tmp_path, corpus_dir=corpus)
    ingest([corpus], settings, progress=False)
    moved_away = tmp_path / "b.jsonl"
    b.rename(moved_away)

    one = ingest([a], settings, progress=False)  # one file named: the others are not judged
    assert one.papers_in_index == 3
    summary = ingest([corpus], settings, progress=False)  # the folder: b.jsonl left it
    assert summary.papers_in_index == 2 and summary.removed_papers == 1
    gone = [f for f in summary.per_file if f["gone"]]
    assert [Path(f["file"]).name for f in gone] == ["b.jsonl"]
    assert FileReport(**gone[0]).line() == (
        "b.jsonl: no longer in its folder; removed 1 paper no longer in b.jsonl: "
        f"{recs[2].title[:80]}; 1 paper no longer in b.jsonl kept for other files"
    )
    records = _records(settings)
    assert sorted(r.title for r in records.values()) == sorted(r.title for r in recs[:2])
    assert all(loc.startswith("a.jsonl:") for r in records.values() for loc in r.locations)
    assert_index_matches(settings, [corpus])

    moved_away.rename(b)  # put back as it was (same size and time): read again, not skipped
    back = ingest([corpus], settings, progress=False)
    assert (back.unchanged_files, back.embedded_papers, back.papers_in_index) == (1, 1, 3)


def test_nothing_still_in_a_file_is_removed(tmp_path) -> None:
    """Another file of the same name in another folder, a file read with records filtered
    out, one that cannot be read or gives no record at all: none takes a paper out."""
    recs = records_003()[:5]
    corpus = tmp_path / "corpus"
    (corpus / "x").mkdir(parents=True)
    (corpus / "y").mkdir()
    rows = [{**row, "year": 2020 + i} for i, row in enumerate(title_abstract_rows(recs))]
    x = write_jsonl(corpus / "x" / "refs.jsonl", rows[:2])
    y = write_jsonl(corpus / "y" / "refs.jsonl", rows[2:4])
    z = corpus / "z.bib"
    z.write_text(_bib([(recs[4].title, recs[4].abstract)]), encoding="utf-8")
    settings = make_settings(tmp_path, corpus_dir=corpus)
    ingest([corpus], settings, progress=False)
    before = snapshot(settings)

    _bump_mtime(y)  # the other refs.jsonl, read alone, does not judge x/refs.jsonl's papers
    assert ingest([y], settings, progress=False).removed_papers == 0
    _bump_mtime(x)  # read with a filter: the records left out cannot be told from deleted ones
    filtered = ingest([x], settings, progress=False, keep=RecordFilter(since=2021))
    assert filtered.removed_papers == 0 and filtered.filtered == 1
    x.write_bytes(b"GIF89a\n\x00\x01\x02\n")  # no record at all: garbled, or half-written
    z.write_bytes(z.read_bytes().replace(b"year", "ann\u00e9e".encode("latin-1")))  # unreadable
    broken = ingest([corpus], settings, progress=False)
    assert broken.removed_papers == 0
    reports = {Path(f["file"]).name: f for f in broken.per_file if not f["unchanged"]}
    assert reports["z.bib"]["error"] and reports["refs.jsonl"]["read"] == 0
    assert snapshot(settings) == before


def test_a_repaired_paper_keeps_where_it_was_read(tmp_path) -> None:
    """`rag check --repair` re-embeds a paper from its record: the files it came from stay
    known, so it still leaves the index when its file no longer has it."""
    from rag.components import embed_model_name, make_chroma_client
    from rag.generations import current
    from rag.ingest import check_index
    from rag.store import Store

    recs = records_003()[:2]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    path = write_jsonl(corpus / "a.jsonl", title_abstract_rows(recs))
    settings = make_settings(tmp_path, corpus_dir=corpus)
    ingest([corpus], settings, progress=False)
    [pid] = [r.paper_id for r in _records(settings).values() if r.title == recs[1].title]
    gen = current(settings.index_path)  # lose the paper's chunks behind the index's back
    store = Store(make_chroma_client(settings, gen), settings, embed_model_name(settings), gen)
    store.open(create=True)
    store.chunks.delete(where={"paper_id": pid})
    store.close()
    assert check_index(settings, repair_it=True).repaired == 1
    with published_catalog(settings) as catalog:
        assert catalog.sources_of([pid]) == {pid: [(str(path.resolve()), 2)]}

    write_jsonl(path, title_abstract_rows(recs[:1]))
    _bump_mtime(path)
    summary = ingest([corpus], settings, progress=False)
    assert summary.removed_papers == 1 and summary.papers_in_index == 1
    assert_index_matches(settings, [corpus])
