"""Exporter formats: each sample file mimics one exporter's exact layout (tests/samples/)."""

from __future__ import annotations

import csv
import json

import pytest

from bench.snapshot import SHARED, SHORT, sample_records, write_snapshot
from rag.errors import CorpusError
from rag.formats import ReadOptions, RecordFilter, Skip, iter_file, reader_for
from rag.formats.collect import read_corpus
from rag.papers import merge
from rag.readers import Record, read_file
from tests.support.format_samples import EXPECTED, RAG_DOI, RAG_PAPER, SAMPLES


def _items(name: str, **options) -> tuple[list[Record], list[Skip]]:
    items = list(iter_file(SAMPLES / name, ReadOptions(**options)))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Skip)]


@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_exporter_sample_gives_its_papers_and_reports_the_rest(name: str) -> None:
    kind, kept, skipped_lines = EXPECTED[name]
    assert reader_for(SAMPLES / name)[0] == kind
    records, skips = _items(name)
    assert len(records) == kept
    assert [s.line for s in skips] == skipped_lines
    for record in records:
        assert record.title and len(record.abstract) >= 40
        for key in ("authors", "categories", "keywords"):
            value = record.extra.get(key, [])
            assert isinstance(value, list) and all(isinstance(v, str) and v for v in value)
        assert isinstance(record.extra.get("year", 2000), int)
        for author in record.extra.get("authors", []):
            assert ", " in author or " " not in author, author  # "Last, First"


def test_the_same_paper_from_six_exporters_has_the_same_metadata() -> None:
    found = {}
    for name in ("scopus.ris", "pubmed.nbib", "pubmed.xml", "wos_savedrecs.txt", "scopus.csv"):
        [record] = [r for r in _items(name)[0] if r.extra.get("doi") == RAG_DOI]
        found[name] = record
        assert record.title.rstrip(".").lower() == RAG_PAPER.lower()
        assert record.extra["year"] == 2023
        assert record.extra["authors"][:2] in (
            ["Wang, Li", "Nakamura, Hiro"],
            ["Wang, L.", "Nakamura, H."],  # Scopus RIS gives initials only
        )
    assert found["pubmed.nbib"].extra["pmid"] == "36997093"
    assert found["pubmed.nbib"].extra["date"] == "2023-04"
    assert found["pubmed.xml"].extra["keywords"] == [
        "Clinical question answering",
        "Large language models",
    ]
    assert found["wos_savedrecs.txt"].extra["categories"] == [
        "Computer Science, Interdisciplinary Applications",
        "Medical Informatics",
    ]
    assert found["scopus.csv"].extra["venue"] == "Journal of Biomedical Informatics"
    [openalex] = _items("openalex.json")[0]
    assert openalex.abstract.startswith("Large language models answer clinical questions")
    assert openalex.abstract.endswith("Grounding in PubMed halves clinical errors.")
    assert openalex.extra["pmid"] == "36997093" and openalex.extra["doi"] == RAG_DOI
    papers = merge([*found.values(), openalex]).papers
    assert len(papers) == 1 and len(papers[0].locations) == 6


def test_bibtex_latex_is_decoded_and_fields_kept() -> None:
    records, skips = _items("zotero.bib")
    godel, attention, spanish, mendeley = records
    assert godel.title == "Deep Learning for Gödel's Incompleteness Theorems"
    assert "95% accuracy" in godel.abstract and "naïve" in godel.abstract and "—" in godel.abstract
    assert godel.extra["authors"] == ["Müller, Jörg", "Smith, John A.", "van der Berg, Piet"]
    assert (godel.extra["date"], godel.extra["venue"]) == ("2020-03", "Journal of Formal Reasoning")
    assert godel.extra["doi"] == "10.1234/jfoo.2020.001"
    assert attention.extra["arxiv_id"] == "1706.03762"  # from Zotero's arXiv DOI
    assert spanish.extra["authors"] == ["García, María", "O'Brien, Seán"]
    assert spanish.extra["arxiv_id"] == "2104.01234"  # eprint, version dropped
    assert len(mendeley.abstract) == 79  # a short real abstract is kept
    assert "Unexpected block start" in skips[1].reason


def test_json_lines_under_a_json_name_are_detected_by_content(tmp_path) -> None:
    path = write_snapshot(tmp_path / "arxiv-metadata-oai-snapshot.json", 200)
    assert reader_for(path)[0] == "json lines"
    records = read_file(path, strict=False)
    assert len(records) == 199  # the withdrawn paper is left out
    assert any(r.abstract == SHORT for r in records)  # 79 characters: real, kept


def test_arxiv_snapshot_of_200_keeps_199_papers_with_both_shared_abstract_papers(
    tmp_path,
) -> None:
    path = write_snapshot(tmp_path / "snapshot.json", 200)
    read = read_corpus([path], ReadOptions())
    [withdrawn] = read.skipped
    assert withdrawn.line == 18 and "withdrawn" in withdrawn.reason
    report = merge(read.records)
    assert len(report.papers) == 199 and report.merges == []
    shared = sorted(p.title for p in report.papers if p.abstract == SHARED)
    assert shared == ["Placeholder Substructures II", "Placeholder Substructures III"]
    first = read.records[0]
    row = sample_records(1)[0]
    assert first.extra["arxiv_id"] == row["id"]
    assert first.extra["authors"] == [
        f"{last}, {given}" for last, given, _ in row["authors_parsed"]
    ]
    assert first.extra["categories"] == row["categories"].split()
    assert first.extra["date"] == "2007-04-01" and first.extra["year"] == 2007
    assert first.extra["versions"] == [v["version"] for v in row["versions"]]
    assert first.extra["url"] == f"https://arxiv.org/abs/{row['id']}"


def test_category_and_since_take_a_subset_at_read_time(tmp_path) -> None:
    path = write_snapshot(tmp_path / "snapshot.jsonl", 200)
    everything = read_corpus([path], ReadOptions()).records
    read = read_corpus([path], ReadOptions(), RecordFilter(("cs.CL",), 2015))
    expected = [
        r for r in everything if "cs.CL" in r.extra["categories"] and r.extra["year"] >= 2015
    ]
    assert read.records == expected and 0 < len(expected) < 40
    count = read.files[str(path)]  # outside the subset counts as filtered, even if withdrawn
    assert count.filtered + count.skipped == 200 - len(expected) and count.read == len(expected)
    top_level = read_corpus([path], ReadOptions(), RecordFilter(("cs",))).records
    assert all(any(c.startswith("cs.") for c in r.extra["categories"]) for r in top_level)
    assert len(top_level) > len(expected)


def test_every_problem_of_a_file_is_reported_in_one_run(tmp_path) -> None:
    rows = sample_records(20)
    lines = [json.dumps(r) for r in rows]
    lines[3] = "{not json"
    lines[7] = json.dumps(rows[7] | {"abstract": "  "})
    lines[11] = json.dumps(["a list"])
    path = tmp_path / "snap.jsonl"
    path.write_bytes(("\n".join(lines) + "\n").encode() + b"\xff\xfe broken bytes\n")
    read = read_corpus([path], ReadOptions())
    assert [s.line for s in read.skipped] == [4, 8, 12, 21]
    assert len(read.records) == 17
    with pytest.raises(CorpusError, match=r"snap\.jsonl:4: invalid JSON"):
        read_corpus([path], ReadOptions(strict=True))


def test_a_bad_file_is_reported_and_the_other_files_still_read(tmp_path) -> None:
    bad = tmp_path / "latin1.ris"
    bad.write_bytes("TY  - JOUR\nTI  - Caf\xe9\nER  - \n".encode("latin-1"))
    read = read_corpus([bad, SAMPLES / "ieee.csv"], ReadOptions())
    assert len(read.records) == 2
    [error] = read.failed
    assert str(error).startswith(f"{bad}:2: not valid UTF-8")
    assert read.files[str(bad)].error


@pytest.mark.parametrize("separator", [",", ";"])  # ';': spreadsheets in decimal-comma locales
def test_unknown_columns_can_be_mapped_whatever_the_separator(tmp_path, separator) -> None:
    path = tmp_path / "mine.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, delimiter=separator)
        writer.writerow(["Paper Name", "Summary Text", "Yr"])
        writer.writerow(["My Paper", "A real abstract, with commas, long enough. " * 2, "2020"])
    with pytest.raises(CorpusError, match=r"lacks column\(s\): abstract.*RAG_COLUMN_MAP"):
        read_file(path)
    column_map = {"title": "paper name", "abstract": "Summary Text", "year": "Yr"}
    [record] = [r for r in iter_file(path, ReadOptions(column_map=column_map))]
    assert record.title == "My Paper" and record.extra["year"] == 2020
    assert record.abstract.startswith("A real abstract, with commas")


def test_a_utf16_web_of_science_export_reads_like_its_utf8_copy(tmp_path) -> None:
    """Web of Science "Tab delimited (Win)" files are UTF-16 with a byte-order mark."""
    text = (SAMPLES / "wos_tab.txt").read_text(encoding="utf-8-sig")
    path = tmp_path / "savedrecs.txt"
    path.write_text(text, encoding="utf-16")
    assert reader_for(path)[0] == "wos tab-delimited"
    [record] = read_file(path, strict=False)
    [expected] = read_file(SAMPLES / "wos_tab.txt", strict=False)
    assert (record.title, record.abstract, record.extra) == (
        expected.title,
        expected.abstract,
        expected.extra,
    )
    plain = tmp_path / "savedrecs-plain.txt"
    plain.write_text((SAMPLES / "wos_savedrecs.txt").read_text(), encoding="utf-16")
    assert len(read_file(plain, strict=False)) == 2
