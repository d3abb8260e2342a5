"""One real ingest (real MiniLM, real Chroma, the `rag` process) of every exporter family."""

from __future__ import annotations

import json
import shutil

from rag.index_access import open_store
from tests.support.format_samples import EXPECTED, RAG_DOI, SAMPLES
from tests.support.index_fixtures import make_settings
from tests.support.processes import rag

FILES = [name for name in EXPECTED if name != "acm.csv"]  # acm.csv: 46 look-alike papers


def test_every_format_family_ingests_with_one_paper_per_real_paper(tmp_path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in FILES:
        shutil.copy(SAMPLES / name, corpus / name)
    settings = make_settings(tmp_path, corpus_dir=corpus)
    done = rag(settings, "ingest", "--quiet", str(corpus))
    assert done.returncode == 0, done.stderr[-2000:]

    kept = sum(EXPECTED[name][1] for name in FILES)
    skipped = sum(len(EXPECTED[name][2]) for name in FILES)
    assert f"{kept} records" in done.stdout
    assert "ieee.csv: 2 read, 0 skipped, 0 merged, 2 added" in done.stdout
    # scopus.ris's clinical paper was already read from openalex.json (files go in name order)
    assert "scopus.ris: 2 read, 1 skipped, 1 merged, 1 added" in done.stdout
    assert f"{skipped} records skipped" in done.stdout
    assert "skipped: zotero.bib:44: record has no abstract." in done.stderr
    assert "skipped: scopus.csv:3: no abstract (the export says '[No abstract available]')" in (
        done.stderr
    )

    papers = {p.title: p for p in open_store(settings).catalog.iter_records()}
    # The clinical RAG paper is in seven files under three spellings of its title: one paper.
    [clinical] = [p for p in papers.values() if p.extra.get("doi") == RAG_DOI]
    assert len(clinical.locations) == 7
    assert {"year", "authors", "venue", "pmid"} <= set(clinical.extra)
    # Attention: BibTeX, RIS and Semantic Scholar copies share DOI / arXiv id / title.
    [attention] = [p for p in papers.values() if p.extra.get("arxiv_id") == "1706.03762"]
    assert sorted(loc.split(":")[0] for loc in attention.locations) == [
        "semantic_scholar.jsonl",
        "zotero.bib",
        "zotero.ris",
    ]
    # Two papers sharing an abstract stay two, each citable under its own title.
    assert {"Placeholder Substructures II", "Placeholder Substructures III"} <= set(papers)
    assert papers["Deep Learning for Gödel's Incompleteness Theorems"].extra["authors"][0] == (
        "Müller, Jörg"
    )

    summary = json.loads(rag(settings, "ingest", "--json", str(corpus)).stdout)
    assert summary["embedded_papers"] == 0 and summary["unchanged_files"] == len(FILES)
    assert sum(f["skipped"] for f in summary["per_file"]) == skipped, "counts of the last read"
    # The same files read again (from another folder): every paper matched by its keys.
    again = shutil.copytree(corpus, tmp_path / "again")
    summary = json.loads(rag(settings, "ingest", "--json", str(again)).stdout)
    assert summary["embedded_papers"] == 0 and summary["papers_in_index"] == len(papers)
    assert len(summary["skipped"]) == skipped
    assert any("(same DOI" in line for line in summary["merged"])


def test_a_file_cut_short_is_a_note_not_a_skipped_record(tmp_path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    text = (SAMPLES / "zotero.ris").read_text(encoding="utf-8")
    (corpus / "zotero.ris").write_text(text[: text.rindex("ER  -")], encoding="utf-8")
    settings = make_settings(tmp_path, corpus_dir=corpus)
    done = rag(settings, "ingest", "--quiet", "--dry-run", str(corpus))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "note: zotero.ris:29: the file ends inside this record" in done.stderr
    assert "skipped:" not in done.stderr and "records skipped" not in done.stdout
    assert "zotero.ris: 3 read, 0 skipped" in done.stdout
    report = json.loads(rag(settings, "ingest", "--json", "--dry-run", str(corpus)).stdout)
    assert report["skipped"] == [] and report["notices"][0].startswith("zotero.ris:29: ")
