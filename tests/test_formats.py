"""Exporter formats: each sample file mimics one exporter's exact layout (tests/samples/)."""

from __future__ import annotations

import csv
import json

import pytest

from bench.snapshot import SHARED, SHORT, sample_records, write_snapshot
from rag.errors import CorpusError
from rag.formats import ReadOptions, RecordFilter, Skip, iter_file, reader_for
from rag.formats.collect import read_corpus
from rag.metadata import from_extra
from rag.papers import merge
from rag.readers import Record, read_file
from rag.types import Answer, Citation, Source
from tests.support.format_samples import EXPECTED, RAG_DOI, RAG_PAPER, SAMPLES


def _read(path, **options) -> tuple[list[Record], list[Skip]]:
    items = list(iter_file(path, ReadOptions(**options)))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Skip)]


def _items(name: str, **options) -> tuple[list[Record], list[Skip]]:
    return _read(SAMPLES / name, **options)


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


# -- what an exploratory test found: each case as the exporter writes it ----------------------
def _snapshot_line(n: int, abstract: str, comments: str | None = None) -> str:
    row = {"id": f"2310.{n:05d}", "submitter": "Ana Lopes", "authors": "Ana Lopes",
           "title": f"Paper {n}", "comments": comments, "categories": "cs.LG",
           "abstract": f"  {abstract}\n", "authors_parsed": [["Lopes", "Ana", ""]],
           "versions": [{"version": "v1", "created": "Mon, 16 Oct 2023 10:00:00 GMT"}]}  # fmt: skip
    return json.dumps(row)


def test_only_arxiv_withdrawal_notices_drop_a_paper_not_the_word_withdrawn(tmp_path) -> None:
    real = "Among 1,204 ICU patients withdrawn from mechanical ventilation, 14% were reintubated."
    notices = [
        ("This paper has been withdrawn by the author(s).", None),
        ("This submission has been withdrawn by arXiv administrators due to text overlap.", None),
        (real, "Withdrawn."),
        (real, "withdrawn due to a crucial error in Lemma 2"),
    ]
    path = tmp_path / "snapshot.jsonl"
    lines = [
        _snapshot_line(1, real, "10 pages, 3 figures"),
        _snapshot_line(2, real, "An earlier version was withdrawn from a conference and revised"),
    ] + [_snapshot_line(n, a, c) for n, (a, c) in enumerate(notices, start=3)]
    path.write_text("\n".join(lines) + "\n")
    records, skips = _read(path)
    assert [r.line for r in records] == [1, 2]
    assert [s.line for s in skips] == [3, 4, 5, 6]
    assert all("withdrawn paper" in s.reason for s in skips)


ZOTERO_ENTRY = """@article{%(key)s,
	title = {%(title)s},
	author = {%(author)s},
	year = {2023},
	abstract = {%(abstract)s},
}
"""


def _bib(tmp_path, *entries: dict[str, str]) -> list[Record]:
    path = tmp_path / "library.bib"
    path.write_text("\n".join(ZOTERO_ENTRY % e for e in entries), encoding="utf-8")
    records, skips = _read(path)
    assert not skips, skips
    return records


def test_a_bare_percent_in_a_bibtex_field_is_a_percent_sign(tmp_path) -> None:
    """BibTeX keeps % literal inside braces; LaTeX would cut the rest of the line."""
    abstract = "Methane fluxes rose by 35% between 2010 and 2020, tracking active-layer deepening."
    [record] = _bib(tmp_path, {"key": "frost", "title": "Thaw", "author": "Frost, Jack",
                               "abstract": abstract})  # fmt: skip
    assert record.abstract == abstract


def test_bibtex_entries_with_a_repeated_key_are_both_read_and_decoded(tmp_path) -> None:
    """Two Google Scholar-keyed exports pasted into one file: both papers, decoded alike."""
    first = {"key": "same", "title": "Seismic Noise Reduction During Lockdown",
             "author": "Quake, Ed", "abstract": "Seismic noise fell by half during the "
             "lockdowns, letting stations detect smaller earthquakes."}  # fmt: skip
    second = {"key": "same", "title": "{Night} Sky Brightness in {M}{\\\"u}nster",
              "author": "Star, Lu and M{\\\"u}ller, J{\\\"o}rg", "abstract": "Citizen "
              "observations show the night sky brightened by 9.6\\% per year, "
              "{\\emph{faster}} than satellites suggested."}  # fmt: skip
    records = _bib(tmp_path, first, second)
    assert [r.line for r in records] == [1, 8]
    night = records[1]
    assert night.title == "Night Sky Brightness in Münster"
    assert night.extra["authors"] == ["Star, Lu", "Müller, Jörg"]
    assert "by 9.6% per year, faster than" in night.abstract
    assert night.extra["bibtex_key"] == "same"


def test_author_names_keep_their_order_whatever_the_exporter(tmp_path) -> None:
    scopus = tmp_path / "scopus.csv"
    with scopus.open("w", newline="", encoding="utf-8-sig") as out:
        csv.writer(out, quoting=csv.QUOTE_ALL).writerows([
            ["Authors", "Title", "Year", "Abstract"],
            ["Nguyen T.L.; Smith J.A.; Lee K.-H.; Van der Berg J.", "Kelp Recovery", "2021",
             "Removing urchins from barren reef let kelp recover to 60% cover in three years."],
        ])  # fmt: skip
    [record] = _read(scopus)[0]
    assert record.extra["authors"] == ["Nguyen, T.L.", "Smith, J.A.", "Lee, K.-H.",
                                       "Van der Berg, J."]  # fmt: skip
    bib = _bib(tmp_path, {"key": "dm", "title": "Gemini", "abstract": "A family of models "
                          "that read text, images, audio and video, evaluated on 32 benchmarks.",
                          "author": "{Google DeepMind} and Nguyen T.L. and Ana Lopes"})  # fmt: skip
    assert bib[0].extra["authors"] == ["Google DeepMind", "Nguyen, T.L.", "Lopes, Ana"]
    plain = tmp_path / "mine.jsonl"
    plain.write_text(json.dumps({"title": "T", "abstract": "A" * 50,
                                 "authors": "Smith, John and Lee, Kim"}) + "\n")  # fmt: skip
    assert _read(plain)[0][0].extra["authors"] == ["Smith, John", "Lee, Kim"]


def test_bibtex_arxiv_fields_give_the_arxiv_id_and_categories(tmp_path) -> None:
    path = tmp_path / "scholar.bib"
    path.write_text(
        "@article{raman2024tinyquant,\n  title={TinyQuant: Two-bit weight quantization},\n"
        "  author={Raman, Priya and Ruiz, Tom{\\'a}s},\n"
        "  journal={arXiv preprint arXiv:2401.01234v1},\n  year={2024},\n"
        "  abstract={We quantize the weights of large language models to two bits.}\n}\n\n"
        "@misc{lopes2023,\n  title={Extubation},\n  author={Lopes, Ana},\n  year={2023},\n"
        "  eprint={2310.12345},\n  archivePrefix={arXiv},\n  primaryClass={cs.LG},\n"
        "  abstract={We predict extubation failure from six hours of vital signs.}\n}\n\n"
        "@misc{hal2023,\n  title={Not arXiv},\n  eprint={2310.99999},\n  archivePrefix={HAL},\n"
        "  abstract={An eprint in another archive is not an arXiv paper, whatever its id.}\n}\n"
    )
    scholar, zotero, hal = _read(path)[0]
    assert scholar.extra["arxiv_id"] == "2401.01234"
    assert (zotero.extra["arxiv_id"], zotero.extra["categories"]) == ("2310.12345", ["cs.LG"])
    assert "arxiv_id" not in hal.extra


def test_an_unclosed_csv_quote_names_the_rows_it_swallowed(tmp_path) -> None:
    path = tmp_path / "badquote.csv"
    rows = [
        '"Ocean Wave Energy","We deploy 12 converters and report a capacity factor of 31%,2021',
        '"Kelp Forest Recovery","Removing urchins let kelp canopy recover to 60% cover.",2022',
        '"Coral Spawning","Light at night desynchronized coral spawning by up to three days.",2023',
    ]
    path.write_text("Title,Abstract,Year\n" + "\n".join(rows) + "\n")
    records, [skip] = _read(path)
    assert [r.line for r in records] == [4]
    assert skip.line == 2 and "unclosed quote runs to line 3" in skip.reason
    assert "line 3 was not read" in skip.reason
    path.write_text("Title,Abstract,Year\n" + "\n".join([rows[2], rows[0], rows[1]]) + "\n")
    records, [skip] = _read(path)  # open to the end of the file
    assert [r.line for r in records] == [2]
    assert (skip.line, skip.reason.split(" (")[0]) == (3, "unclosed quote runs to line 4")
    assert "line 4 was not read" in skip.reason


def test_a_ris_file_cut_short_gives_its_last_record_and_says_so(tmp_path) -> None:
    path = tmp_path / "zotero.ris"
    text = (SAMPLES / "zotero.ris").read_text(encoding="utf-8")
    path.write_text(text[: text.rindex("ER  -")], encoding="utf-8")
    read = read_corpus([path], ReadOptions())
    assert len(read.records) == 3 and read.files[str(path)].skipped == 0  # nothing lost
    [notice] = read.skipped
    assert notice.line == 29 and "ends inside this record (no closing ER tag)" in notice.reason
    with pytest.raises(CorpusError, match=r"zotero\.ris:29: the file ends inside"):
        read_corpus([path], ReadOptions(strict=True))


def test_small_file_problems_are_named_in_full(tmp_path) -> None:
    bad = tmp_path / "a.jsonl"
    line = '{"title": "T", "abstract": "a tab\there"}'
    bad.write_text(line + "\n" + json.dumps({"title": "U", "abstract": "A" * 50}) + "\n")
    [record], [skip] = _read(bad)
    column = line.index("\t") + 1
    assert skip.reason == f"invalid JSON (Invalid control character at: column {column})."
    assert "\\t" in skip.fix
    whole = tmp_path / "p.json"
    whole.write_text(f"[\n {line}\n]\n")
    with pytest.raises(CorpusError, match=r"p\.json:2: invalid JSON \(Invalid control "
                       rf"character at: line 2 column {column + 1}\)"):  # fmt: skip
        _read(whole)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(CorpusError, match=r"empty\.csv: the file is empty"):
        _read(empty)


def test_arxiv_api_results_are_read_and_withdrawn_papers_reported() -> None:
    assert reader_for(SAMPLES / "arxiv_api.xml")[0] == "arxiv-atom"
    (tinyquant, strings), [withdrawn] = _items("arxiv_api.xml")
    assert tinyquant.title == "TinyQuant: Two-Bit Weight Quantization for Large Language Models"
    assert tinyquant.extra["authors"] == ["Raman, Priya", "Ruiz, Tomás"]
    assert tinyquant.extra["categories"] == ["cs.LG", "cs.CL"]
    assert (tinyquant.extra["arxiv_id"], tinyquant.extra["date"]) == ("2401.01234", "2024-01-03")
    assert (strings.line, strings.extra["arxiv_id"]) == (34, "hep-th/9901001")
    assert strings.extra["venue"] == "Nucl.Phys. B550 (1999) 101-120"
    assert withdrawn.line == 53 and "withdrawn paper (arXiv 2302.05555)" in withdrawn.reason


def test_a_trailing_copyright_notice_is_not_part_of_the_abstract() -> None:
    for name in ("scopus.csv", "scopus.ris"):  # "... unsupported claims. © 2023 Elsevier Inc."
        [record] = [r for r in _items(name)[0] if r.extra.get("doi") == RAG_DOI]
        assert record.abstract.endswith("grounding halves unsupported claims."), name


def test_bibtex_export_folds_accents_in_keys_and_reads_back_the_same(tmp_path) -> None:
    godel = _items("zotero.bib")[0][0]  # Müller, Jörg; "Deep Learning for Gödel's ..."; 95%
    meta = from_extra(godel.extra)
    source = Source(n=1, paper_id="p1", title=godel.title, label=godel.title or "",
                    abstract=godel.abstract, score=1.0, authors=meta.authors, year=meta.year,
                    venue=meta.venue, doi=meta.doi)  # fmt: skip
    answer = Answer("q", "[1]", [source], [Citation(1, "p1", "x")], False, "extractive")
    path = tmp_path / "export.bib"
    path.write_text(answer.to_bibtex(), encoding="utf-8")
    [again] = _read(path)[0]
    assert again.extra["bibtex_key"] == "muller2020deep"
    assert (again.title, again.abstract) == (godel.title, godel.abstract)
    assert again.extra["authors"] == godel.extra["authors"]
