"""Dedupe of the real corpus into distinct papers, readable labels, and stable ids."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from pathlib import Path

import pytest

from rag.papers import Paper, merge, untitled_label
from rag.readers import Record, corpus_files, read_file
from rag.text import normalize_text
from tests.support.index_fixtures import CORPUS

SHARED = (
    "Large language models are increasingly used as agents that plan and call tools over "
    "long horizons."  # 98 characters shared by two different papers
)
REST_A = " We propose a memory module that stores past tool results and cuts token cost by 40%."
REST_B = " We study their failure modes and release a benchmark of 500 multi-step web tasks."


def _corpus_records(files: list[Path] | None = None) -> list[Record]:
    return [r for f in files or corpus_files([CORPUS]) for r in read_file(f)]


@pytest.fixture(scope="module")
def corpus_papers() -> list[Paper]:
    return merge(_corpus_records()).papers


def _groups(papers: list[Paper]) -> dict[str, frozenset[str]]:
    return {p.paper_id: frozenset(p.locations) for p in papers}


# -- the real corpus -------------------------------------------------------------------------
def test_default_corpus_gives_683_distinct_papers_from_708_records() -> None:
    report = merge(_corpus_records())
    assert report.records == 708
    assert len(report.papers) == 683
    assert report.duplicates == 25


def test_every_source_location_is_kept(corpus_papers: list[Paper]) -> None:
    records = _corpus_records()
    all_locations = [loc for p in corpus_papers for loc in p.locations]
    assert sorted(all_locations) == sorted(r.location for r in records)
    assert len(set(all_locations)) == 708
    # 24 papers repeat: 23 twice and one three times (25 extra records)
    assert Counter(len(p.locations) for p in corpus_papers) == {1: 659, 2: 23, 3: 1}


def test_merged_records_really_are_the_same_paper(corpus_papers: list[Paper]) -> None:
    by_location = {r.location: r for r in _corpus_records()}
    for paper in corpus_papers:
        records = [by_location[loc] for loc in paper.locations]
        titles = {normalize_text(r.title) for r in records if r.title}
        abstracts = {normalize_text(r.abstract) for r in records}
        assert len(titles) <= 1 and len(abstracts) == 1, paper.locations
        assert paper.abstract == records[0].abstract


def test_paper_ids_are_unique(corpus_papers: list[Paper]) -> None:
    assert len({p.paper_id for p in corpus_papers}) == 683


def test_untitled_corpus_papers_get_readable_labels(corpus_papers: list[Paper]) -> None:
    untitled = [p for p in corpus_papers if p.title is None]
    assert len(untitled) == 10
    assert len({p.label for p in untitled}) == 10
    for paper in untitled:
        assert paper.label.startswith("Untitled: ")
        assert "None" not in paper.label
        words = paper.label.removeprefix("Untitled: ").removesuffix("…").split()
        assert words and paper.abstract.split()[: len(words)] == words
        assert len(paper.label) <= len("Untitled: ") + 71
    titled = [p for p in corpus_papers if p.title]
    assert all(p.label == p.title for p in titled)


# -- synthetic cases --------------------------------------------------------------------------
def rec(title: str | None, abstract: str, path: str = "x.txt", line: int = 1) -> Record:
    return Record(title, abstract, path, line)


def test_papers_sharing_their_first_60_characters_are_not_merged() -> None:
    assert len(SHARED) > 60
    report = merge(
        [
            rec("Tool Memory for Agents", SHARED + REST_A, "a.txt", 1),
            rec("Where Agents Fail", SHARED + REST_B, "b.txt", 1),
            rec(None, SHARED + REST_A + " Code is released.", "c.txt", 1),
            rec(None, SHARED + REST_B + " Data is released.", "c.txt", 2),
        ]
    )
    assert len(report.papers) == 4
    assert len({p.paper_id for p in report.papers}) == 4


def test_same_abstract_untitled_and_titled_merges_into_the_titled_paper() -> None:
    abstract = SHARED + REST_A
    for order in itertools.permutations(
        [rec(None, abstract, "u.txt", 3), rec("Tool Memory for Agents", abstract, "t.txt", 8)]
    ):
        [paper] = merge(order).papers
        assert paper.title == "Tool Memory for Agents"
        assert paper.label == "Tool Memory for Agents"
        assert sorted(paper.locations) == ["t.txt:8", "u.txt:3"]
        untitled_id = merge([rec(None, abstract)]).papers[0].paper_id
        assert untitled_id in paper.aliases  # ingestion replaces an untitled entry by this one


def test_spacing_case_and_punctuation_differences_merge() -> None:
    report = merge(
        [
            rec("NUPES : Non-Uniform  Quantization", SHARED + REST_A, "a.txt", 1),
            rec("nupes: non uniform quantization", SHARED + " " + REST_A.upper(), "b.txt", 5),
        ]
    )
    assert len(report.papers) == 1
    assert report.papers[0].locations == ["a.txt:1", "b.txt:5"]


def test_same_title_with_longer_abstract_keeps_the_longer_one() -> None:
    short, longer = SHARED + REST_A, SHARED + REST_A + " Code is released."
    for order in ([short, longer], [longer, short]):
        [paper] = merge([rec("Tool Memory", a, line=i) for i, a in enumerate(order, 1)]).papers
        assert paper.abstract == longer


def test_untitled_label_is_short_and_never_none() -> None:
    assert untitled_label("Short abstract here.") == "Untitled: Short abstract here."
    label = untitled_label(SHARED + REST_A)
    assert label.startswith("Untitled: Large language models") and label.endswith("…")
    assert len(label) <= len("Untitled: ") + 71
    assert merge([rec(None, SHARED)]).papers[0].label == untitled_label(SHARED)


# -- stable ids -------------------------------------------------------------------------------
def test_parse_and_merge_twice_gives_the_same_ids() -> None:
    first = merge(_corpus_records()).papers
    second = merge(_corpus_records()).papers
    assert [(p.paper_id, p.content_hash) for p in first] == [
        (p.paper_id, p.content_hash) for p in second
    ]


def test_ids_do_not_depend_on_file_order(corpus_papers: list[Paper]) -> None:
    files = corpus_files([CORPUS])
    expected = _groups(corpus_papers)
    for seed in range(3):
        shuffled = files[:]
        random.Random(seed).shuffle(shuffled)
        assert _groups(merge(_corpus_records(shuffled)).papers) == expected
    assert _groups(merge(_corpus_records(files[::-1])).papers) == expected


def test_ids_do_not_depend_on_record_order_when_a_record_links_two_groups() -> None:
    """C shares A's title and B's abstract: A and C are one paper; B, titled otherwise, stays
    apart (an abstract alone never merges different titles), whatever the order."""
    a = rec("Tool Memory for Agents", SHARED + REST_A, "a.txt", 1)
    b = rec("Agent Memory Revisited", SHARED + REST_B, "b.txt", 1)
    c = rec("Tool Memory for Agents", SHARED + REST_B, "c.txt", 1)
    results = set()
    for order in itertools.permutations([a, b, c]):
        papers = merge(order).papers
        results.add(frozenset((p.paper_id, p.title, frozenset(p.locations)) for p in papers))
    [groups] = results
    assert {locs for _, _, locs in groups} == {
        frozenset({"a.txt:1", "c.txt:1"}),
        frozenset({"b.txt:1"}),
    }


def test_content_hash_changes_with_what_is_embedded() -> None:
    base = merge([rec("T", SHARED + REST_A)]).papers[0]
    moved = merge([rec("T", SHARED + REST_A, "other.txt", 99)]).papers[0]
    retitled = merge([rec("T2", SHARED + REST_A)]).papers[0]
    edited = merge([rec("T", SHARED + REST_B)]).papers[0]
    assert moved.content_hash == base.content_hash and moved.paper_id == base.paper_id
    assert edited.paper_id == base.paper_id and edited.content_hash != base.content_hash
    assert retitled.content_hash != base.content_hash
    # Another scrape of the same title (case, spacing) is not a change to re-embed.
    variant = merge([rec(" t ", SHARED + REST_A)]).papers[0]
    assert variant.paper_id == base.paper_id and variant.content_hash == base.content_hash


# -- identity by DOI, arXiv id and PubMed id; every merge reported ---------------------------
def test_same_doi_arxiv_id_or_pmid_is_one_paper_even_with_another_title() -> None:
    pairs = [
        ({"doi": "10.1/ABC"}, {"doi": "10.1/abc"}),
        ({"arxiv_id": "2401.00001"}, {"arxiv_id": "2401.00001"}),  # readers drop the version
        ({"pmid": "123"}, {"pmid": "123"}),
    ]
    for first, second in pairs:
        a = Record("Preprint Title", SHARED + REST_A, "a.bib", 3, first)
        b = Record("Published Title", SHARED + REST_A + " More.", "b.ris", 9, second)
        report = merge([a, b])
        [paper] = report.papers
        assert paper.locations == ["a.bib:3", "b.ris:9"]
        [line] = report.merges
        kind = {"doi": "DOI", "arxiv_id": "arXiv id", "pmid": "PubMed id"}[next(iter(first))]
        assert line.endswith(f"(same {kind}; the abstracts differ: kept b.ris:9's, the longest)")
        assert "a.bib:3 + b.ris:9" in line


def test_different_titles_sharing_an_abstract_stay_two_papers() -> None:
    """arXiv 'Placeholder Substructures II' and 'III' share one abstract: both are kept."""
    two = merge(
        [
            rec("Placeholder Substructures II", SHARED + REST_A, "s.json", 41),
            rec("Placeholder Substructures III", SHARED + REST_A, "s.json", 42),
        ]
    )
    assert sorted(p.title for p in two.papers) == [
        "Placeholder Substructures II",
        "Placeholder Substructures III",
    ]
    assert two.merges == [] and len({p.paper_id for p in two.papers}) == 2
    # An untitled copy of that abstract joins one of them (the first title), not a third paper.
    three = merge([*[rec(p.title, p.abstract) for p in two.papers], rec(None, SHARED + REST_A)])
    assert len(three.papers) == 2
    [line] = three.merges
    assert line.startswith("Placeholder Substructures II:") and line.endswith("(same abstract)")


def test_merges_of_the_default_corpus_are_reported_with_why() -> None:
    report = merge(_corpus_records())
    assert len(report.merges) == 24  # 24 papers found more than once
    assert all(m.endswith("(same title)") for m in report.merges)


def test_one_title_with_different_dois_is_two_papers_in_any_order() -> None:
    """'Deep Learning' (LeCun, Nature 2015) and 'Deep learning' (Kelleher, MIT Press 2019)."""
    lecun = Record("Deep Learning", SHARED + REST_A, "s.ris", 1, {"doi": "10.1038/nature14539"})
    kelleher = Record("Deep learning", SHARED + REST_B, "s.ris", 10, {"doi": "10.7551/mit.1"})
    copy = rec("DEEP LEARNING", SHARED + REST_A, "c.txt", 4)  # no DOI: joins one of them
    results = set()
    for order in itertools.permutations([lecun, kelleher, copy]):
        report = merge(order)
        assert len(report.papers) == 2 and len({p.paper_id for p in report.papers}) == 2
        by_doi = {p.extra["doi"]: p for p in report.papers}
        assert by_doi["10.7551/mit.1"].abstract == SHARED + REST_B
        assert by_doi["10.7551/mit.1"].locations == ["s.ris:10"]
        results.add(frozenset((p.paper_id, frozenset(p.locations)) for p in report.papers))
    assert len(results) == 1, "the same papers whatever the order"
    # The same arXiv id is one paper even when the DOIs differ (preprint and journal DOI);
    # arXiv's own DOI for a preprint is its arXiv id, not a conflicting DOI.
    preprint = {"doi": "10.48550/arXiv.2401.00001", "arxiv_id": "2401.00001"}
    for other in ({"doi": "10.1/j", "arxiv_id": "2401.00001"}, {"doi": "10.1/j"}):
        a = Record("Tool Memory", SHARED + REST_A, "a.bib", 1, preprint)
        b = Record("Tool memory", SHARED + REST_A, "b.ris", 1, other)
        assert len(merge([a, b]).papers) == 1
    # An untitled copy with another DOI does not join by its abstract either.
    titled = Record("Tool Memory", SHARED + REST_A, "a.bib", 1, {"pmid": "1"})
    untitled = Record(None, SHARED + REST_A, "b.txt", 1, {"pmid": "2"})
    assert len(merge([titled, untitled]).papers) == 2


def test_the_newest_version_gives_the_abstract_whatever_the_order() -> None:
    v1 = Record(
        "TinyQuant: Two-Bit Weight Quantization",
        SHARED + " We quantize the weights to three bits and cut memory by 5.0x.",
        "versions.bib",
        1,
        {"year": 2024, "date": "2024", "venue": "arXiv preprint arXiv:2401.01234v1"},
    )
    v2 = Record(
        "TinyQuant: Two-Bit Weight Quantization",
        SHARED + " We quantize the weights to two bits and cut memory by 7.1x.",
        "versions.jsonl",
        1,
        {"arxiv_id": "2401.01234", "versions": ["v1", "v2"], "update_date": "2024-02-10"},
    )
    assert len(v1.abstract) > len(v2.abstract), "the older one is longer"
    for order in ([v1, v2], [v2, v1]):
        report = merge(order)
        [paper] = report.papers
        assert paper.abstract == v2.abstract
        assert paper.extra["venue"].startswith("arXiv preprint")  # fields v2 lacks still come
        [line] = report.merges
        assert line.endswith("; the abstracts differ: kept versions.jsonl:1's, the newest version)")
    # A later year is newer too; with nothing to tell them apart the longer abstract is kept.
    old = Record("T", SHARED + REST_A + " More words here.", "a.csv", 2, {"year": 2019})
    new = Record("T", SHARED + REST_B, "b.csv", 2, {"year": 2021})
    assert merge([old, new]).papers[0].abstract == new.abstract
    # A year and a month of that year are no later than each other.
    month = Record("T", SHARED + REST_A + " More words here.", "a.bib", 4, {"date": "2023-12"})
    year = Record("T", SHARED + REST_B, "a.bib", 33, {"date": "2023", "year": 2023})
    report = merge([year, month])
    assert report.papers[0].abstract == month.abstract
    assert report.merges[0].endswith("; the abstracts differ: kept a.bib:4's, the longest)")
    report = merge([rec("T", SHARED + REST_A + " Longer."), rec("T", SHARED + REST_B)])
    assert report.papers[0].abstract == SHARED + REST_A + " Longer."
    assert report.merges[0].endswith("; the abstracts differ: kept x.txt:1's, the longest)")
    # Copies whose abstracts differ only in spacing or case are not reported as differing.
    same = merge([rec("T", SHARED + REST_A), rec("T", (SHARED + REST_A).upper())])
    assert same.merges[0].endswith("(same title)")
