"""Fuzz the readers: any file of any supported type gives records or a CorpusError, nothing else."""

from __future__ import annotations

import csv
import io
import itertools
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag.errors import CorpusError
from rag.readers import MAX_TITLE_CHARS, MIN_ABSTRACT_CHARS, Record, read_file

SUFFIXES = [".txt", ".json", ".jsonl", ".csv"]
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_counter = itertools.count()

ABSTRACT = (
    "We propose a retrieval method for research abstracts and show that it improves "
    "recall by 12% over dense baselines on three benchmarks."
)
# Pieces of real layouts, so the fuzzer reaches deep into the parsers, not just their first check.
LINES = st.one_of(
    st.sampled_from(
        [
            "",
            "new",
            "Subscribe",
            "SubscribeA Glued Title",
            "Get trending papers in your email inbox!",
            "byAK and the research community",
            "Mar 13",
            "A Short Title",
            ABSTRACT,
            "Abstract:" + ABSTRACT,
            "Abstract:",
            "x" * (MAX_TITLE_CHARS + 5),
            '"quoted, field"',
            "title,abstract",
            "{",
            "}",
            "[",
            "]",
            "\u2028",
            "\r",
            "\ufeff",
            "9" * 4400,  # past Python's int-from-string limit
            "[" * 1200,  # past the recursion limit
        ]
    ),
    st.text(max_size=120),
)
TEXT_FILES = st.lists(LINES, max_size=25).map("\n".join)

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.just(ABSTRACT),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
PAPERS = st.fixed_dictionaries(
    {},
    optional={
        "title": st.one_of(st.text(max_size=60), st.just("x" * 500), JSON_VALUES),
        "abstract": st.one_of(st.just(ABSTRACT), st.text(max_size=200), JSON_VALUES),
        "authors": st.one_of(st.lists(st.text(max_size=10), max_size=3), st.text(max_size=20)),
        "categories": st.lists(st.text(max_size=6), max_size=3),
        "id": st.text(max_size=12),
        "update_date": st.text(max_size=12),
        "versions": JSON_VALUES,
    },
)
ITEMS = st.one_of(PAPERS, JSON_VALUES)


def _json_file(data) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


JSON_FILES = st.one_of(
    st.lists(ITEMS, max_size=6).map(_json_file),
    st.lists(ITEMS, max_size=6).map(lambda ps: _json_file({"papers": ps})),
    ITEMS.map(_json_file),
    st.tuples(st.lists(PAPERS, max_size=4).map(_json_file), st.integers(0, 400)).map(
        lambda t: t[0][: t[1]]  # truncated JSON
    ),
    TEXT_FILES,
)
JSONL_FILES = st.one_of(
    st.lists(
        st.one_of(ITEMS.map(lambda i: json.dumps(i, ensure_ascii=False)), LINES), max_size=8
    ).map("\n".join),
    TEXT_FILES,
)


def _csv_file(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


CELLS = st.one_of(
    st.sampled_from(["title", "abstract", "Title", ABSTRACT, ""]), st.text(max_size=30)
)
CSV_FILES = st.one_of(
    st.lists(st.lists(CELLS, max_size=5), max_size=8).map(_csv_file),
    st.lists(st.lists(CELLS, max_size=4), max_size=6).map(
        lambda rows: _csv_file([["title", "abstract", "year"], *rows])
    ),
    TEXT_FILES,
)
# Pieces of the exporters' tagged layouts (RIS, MEDLINE, Web of Science, BibTeX, PubMed XML).
TAGGED_LINES = st.one_of(
    LINES,
    st.sampled_from(
        [
            "TY  - JOUR",
            "ER  - ",
            "TI  - A Title",
            "AB  - " + ABSTRACT,
            "AU  - Smith, J.",
            "PY  - 2020///",
            "DO  - 10.1/x",
            "PMID- 123",
            "AB  - " + ABSTRACT[:60],
            "      continued line",
            "FN Clarivate Analytics Web of Science",
            "PT J",
            "TI A Title",
            "AB " + ABSTRACT,
            "ER",
            "EF",
            "PT\tTI\tAB",
            "J\tA Title\t" + ABSTRACT,
            "@article{key,",
            "  title = {A {T}itle},",
            "  abstract = {" + ABSTRACT + "},",
            "  author = {Smith, J. and Doe, J.},",
            "}",
            "@string{x = {y}}",
            "<PubmedArticleSet>",
            "<PubmedArticle><MedlineCitation><PMID>1</PMID><Article>",
            "<ArticleTitle>A Title</ArticleTitle>",
            "<Abstract><AbstractText>" + ABSTRACT + "</AbstractText></Abstract>",
            "</Article></MedlineCitation></PubmedArticle>",
            "</PubmedArticleSet>",
            "<!DOCTYPE x [<!ENTITY a 'aaaa'>]>",
        ]
    ),
)
TAGGED_FILES = st.lists(TAGGED_LINES, max_size=30).map("\n".join)
TAGGED = [".bib", ".ris", ".nbib", ".ciw", ".xml", ".tsv"]
SUFFIXES += TAGGED
CONTENT = {".txt": TEXT_FILES, ".json": JSON_FILES, ".jsonl": JSONL_FILES, ".csv": CSV_FILES}
CONTENT |= dict.fromkeys(TAGGED, TAGGED_FILES)
CONTENT[".txt"] = st.one_of(TEXT_FILES, TAGGED_FILES)


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _check(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    try:
        records = read_file(path)
    except CorpusError as exc:
        assert str(exc).startswith(str(path)), str(exc)
        assert exc.line is None or exc.line >= 1
        return
    n_lines = data.count(b"\n") + data.count(b"\r") + 1
    assert records
    for record in records:
        assert isinstance(record, Record)
        assert isinstance(record.abstract, str) and len(record.abstract) >= MIN_ABSTRACT_CHARS
        assert record.title is None or (0 < len(record.title) <= MAX_TITLE_CHARS)
        assert 1 <= record.line <= n_lines
        for value in record.extra.values():  # stored as JSON: scalars or lists of text
            assert isinstance(value, str | int | float | bool) or (
                isinstance(value, list) and all(isinstance(v, str) for v in value)
            )


def _path(fuzz_dir: Path, suffix: str) -> Path:
    return fuzz_dir / f"f{next(_counter)}{suffix}"


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_structured_text_gives_records_or_corpus_error(fuzz_dir, suffix) -> None:
    @FUZZ
    @given(text=CONTENT[suffix])
    def run(text: str) -> None:
        _check(_path(fuzz_dir, suffix), text.encode("utf-8", "surrogatepass"))

    run()


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_arbitrary_bytes_give_records_or_corpus_error(fuzz_dir, suffix) -> None:
    @FUZZ
    @given(
        data=st.one_of(
            st.binary(max_size=600),
            st.tuples(TEXT_FILES, st.binary(max_size=8), st.integers(0, 200)).map(
                lambda t: t[0].encode()[: t[2]] + t[1] + t[0].encode()[t[2] :]
            ),
        )
    )
    def run(data: bytes) -> None:
        _check(_path(fuzz_dir, suffix), data)

    run()
