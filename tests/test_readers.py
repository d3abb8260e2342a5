"""Corpus readers on the five real scraped files, JSON/JSONL/CSV, and every kind of bad file."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from rag.errors import CorpusError
from rag.readers import MAX_TITLE_CHARS, MIN_ABSTRACT_CHARS, corpus_files, read_file
from tests.support.index_fixtures import CORPUS

FILES = {
    "000_3196bafc52f3dd54.txt": 10,
    "001_0b2535d69c2be1ce.txt": 302,
    "002_7f8234e16d63ecf1.txt": 118,
    "003_8a5165cefb769214.txt": 102,
    "004_6a1ff8404f9e97b3.txt": 176,
}
FIRST_TITLES = {
    "001_0b2535d69c2be1ce.txt": "Matrix Calculus (for Machine Learning and Beyond)",
    "002_7f8234e16d63ecf1.txt": (
        "NUPES : Non-Uniform Post-Training Quantization via Power Exponent Search"
    ),
    "003_8a5165cefb769214.txt": (
        "ONEBench to Test Them All: Sample-Level Benchmarking Over Open-Ended Capabilities"
    ),
    "004_6a1ff8404f9e97b3.txt": (
        "Training and Inference Efficiency of Encoder-Decoder Speech Models"
    ),
}
HEADER_WORDS = ("subscribe", "get trending papers", "byak", "new")

ABSTRACT = (
    "We study how retrieval-augmented generation behaves when the corpus holds only "
    "paper abstracts, and show that sentence-level chunking keeps citations precise."
)
ABSTRACT_2 = (
    "A second abstract, about quantization of large language models: we cut memory by half "
    "while keeping accuracy within one point of the full-precision baseline."
)
ABSTRACT_3 = (
    "A third abstract on speech recognition, where a smaller encoder-decoder model trained "
    "with better batching matches a much larger one at a fraction of the compute."
)


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")


# -- the real scraped files -------------------------------------------------------------------
@pytest.mark.parametrize("name,count", list(FILES.items()))
def test_each_real_file_gives_its_exact_record_count(name: str, count: int) -> None:
    assert len(read_file(CORPUS / name)) == count


def test_the_whole_corpus_gives_708_records() -> None:
    files = corpus_files([CORPUS])
    assert [f.name for f in files] == sorted(FILES)
    assert sum(len(read_file(f)) for f in files) == 708


@pytest.mark.parametrize("name,title", list(FIRST_TITLES.items()))
def test_first_title_is_not_glued_to_the_page_header(name: str, title: str) -> None:
    records = read_file(CORPUS / name)
    assert records[0].title == title
    for record in records:
        assert record.title
        assert not record.title.lower().startswith(HEADER_WORDS), record.title
        assert len(record.abstract) >= MIN_ABSTRACT_CHARS


@pytest.mark.parametrize("name", [n for n in FILES if not n.startswith("000")])
def test_titled_records_point_at_their_title_line(name: str) -> None:
    lines = _lines(CORPUS / name)
    for record in read_file(CORPUS / name):
        line = lines[record.line - 1].strip()
        assert line.removeprefix("Subscribe") == record.title, record.location
        assert record.location == f"{name}:{record.line}"


def test_untitled_abstracts_have_no_title_and_point_at_their_line() -> None:
    name = "000_3196bafc52f3dd54.txt"
    lines = _lines(CORPUS / name)
    records = read_file(CORPUS / name)
    assert all(r.title is None for r in records)
    for r in records:
        assert lines[r.line - 1].startswith("Abstract:")
        assert r.abstract == " ".join(lines[r.line - 1].removeprefix("Abstract:").split())
    assert records[0].abstract.startswith("Understanding how events evolve over time")


def test_abstracts_are_whole_paragraphs_in_the_blank_line_layout(tmp_path: Path) -> None:
    text = "\n".join(
        [
            "new",
            "",
            "Subscribe",
            "",
            "Mar 13",
            "",
            "A Paper Title",
            "",
            " ".join(ABSTRACT.split()[:10]),
            " ".join(ABSTRACT.split()[10:]),
            "",
            "Another Title",
            "",
            ABSTRACT_2,
            "",
        ]
    )
    path = tmp_path / "listing.txt"
    path.write_text(text, encoding="utf-8")
    records = read_file(path)
    assert [(r.title, r.line) for r in records] == [("A Paper Title", 7), ("Another Title", 12)]
    assert records[0].abstract == " ".join(ABSTRACT.split())


def test_windows_line_endings_and_bom_are_read(tmp_path: Path) -> None:
    path = tmp_path / "crlf.txt"
    path.write_bytes(
        ("\ufeffTitle One\r\n" + ABSTRACT + "\r\nTitle Two\r\n" + ABSTRACT_2 + "\r\n").encode()
    )
    records = read_file(path)
    assert [(r.title, r.line) for r in records] == [("Title One", 1), ("Title Two", 3)]


# -- JSON / JSONL / CSV ------------------------------------------------------------------------
ARXIV = [
    {
        "id": "2401.00001",
        "submitter": "A. Author",
        "authors": "A. Author, B. Author",
        "title": "Retrieval Over  Abstracts\n Only",
        "comments": None,
        "categories": "cs.CL cs.IR",
        "abstract": "  " + ABSTRACT + "\n",
        "update_date": "2024-01-02",
        "authors_parsed": [["Author", "A.", ""], ["Author", "B.", ""]],
    },
    {
        "id": "2401.00002",
        "title": "Half-Memory Quantization",
        "abstract": ABSTRACT_2,
        "authors": ["C. Writer", "D. Writer"],
        "categories": ["cs.LG", "cs.AI"],
        "update_date": "2024-02-03",
        "versions": 3,
    },
]


def test_jsonl_arxiv_metadata(tmp_path: Path) -> None:
    path = tmp_path / "arxiv.jsonl"
    path.write_text("\n".join(json.dumps(p) for p in ARXIV) + "\n\n", encoding="utf-8")
    first, second = read_file(path)
    assert (first.title, first.abstract, first.line) == (
        "Retrieval Over Abstracts Only",
        ABSTRACT,
        1,
    )
    assert first.extra == {  # arXiv snapshot fields under the documented metadata keys
        "authors": ["Author, A.", "Author, B."],  # from authors_parsed, "Last, First"
        "categories": ["cs.CL", "cs.IR"],
        "arxiv_id": "2401.00001",
        "url": "https://arxiv.org/abs/2401.00001",
        "submitter": "A. Author",
        "update_date": "2024-01-02",
    }
    assert second.line == 2
    assert second.extra["authors"] == ["Writer, C.", "Writer, D."]  # "First Last" turned round
    assert second.extra["categories"] == ["cs.LG", "cs.AI"]
    assert second.extra["versions"] == 3


def test_jsonl_line_with_unicode_line_separator_is_one_record(tmp_path: Path) -> None:
    """U+2028 is legal inside a JSON string; it must not split the line."""
    path = tmp_path / "sep.jsonl"
    rows = [{"title": "T1", "abstract": ABSTRACT + "\u2028" + "More."}, {"abstract": ABSTRACT_2}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    records = read_file(path)
    assert [(r.title, r.line) for r in records] == [("T1", 1), (None, 2)]
    assert records[0].abstract.endswith("More.")


@pytest.mark.parametrize("wrap", [lambda ps: ps, lambda ps: {"papers": ps}])
def test_json_list_or_papers_object(tmp_path: Path, wrap) -> None:
    path = tmp_path / "papers.json"
    path.write_text(json.dumps(wrap(ARXIV), indent=2), encoding="utf-8")
    records = read_file(path)
    assert [r.title for r in records] == [
        "Retrieval Over Abstracts Only",
        "Half-Memory Quantization",
    ]
    assert records[1].extra["categories"] == ["cs.LG", "cs.AI"]
    lines = _lines(path)
    for r in records:  # the line is where the record's object starts in the file
        assert lines[r.line - 1].strip() == "{"
        paper_id = r.extra.get("arxiv_id") or r.extra["id"]
        assert json.dumps(paper_id) in "".join(lines[r.line : r.line + 3])


def test_json_single_object_is_one_paper(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"title": "Only One", "abstract": ABSTRACT}), encoding="utf-8")
    [record] = read_file(path)
    assert (record.title, record.abstract) == ("Only One", ABSTRACT)


def test_csv_requires_title_and_abstract_and_keeps_other_columns(tmp_path: Path) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Year", "Title", "Abstract", "DOI"])
    writer.writerow(
        ["2024", "Retrieval, Abstracts", ABSTRACT.replace(" the ", "\nthe ", 1), "10.1/x"]
    )
    writer.writerow(["2023", "", ABSTRACT_2, ""])
    writer.writerow(["2022", "Speech", ABSTRACT_3, "10.1/z"])
    path = tmp_path / "papers.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    records = read_file(path)
    assert [(r.title, r.line) for r in records] == [
        ("Retrieval, Abstracts", 2),
        (None, 4),  # a quoted field spanned lines 2-3; the next row starts at line 4
        ("Speech", 5),
    ]
    assert records[0].abstract == ABSTRACT
    assert records[0].extra == {"year": 2024, "doi": "10.1/x", "url": "https://doi.org/10.1/x"}
    assert records[1].extra == {"year": 2023}


# -- errors: CorpusError naming the file and the line -----------------------------------------
def _listing(*pairs: tuple[str, str]) -> str:
    head = "Get trending papers in your email inbox!\n"
    return head + "Subscribe" + "\n".join(f"{t}\n{a}" for t, a in pairs) + "\n"


BAD_FILES: dict[str, tuple[str, bytes, int]] = {
    # id: (file name, content, line the error must name)
    "fits-no-layout": ("notes.txt", b"shopping list\neggs\nmilk\nbread\n", 2),
    "fits-no-layout-long-lines": (
        "essay.txt",
        ("x" * 500 + "\n" + ABSTRACT + "\n").encode(),
        1,
    ),
    "title-without-abstract-at-end": (
        "listing.txt",
        _listing(("First Title", ABSTRACT), ("Orphan Title", ABSTRACT_2))
        .replace(ABSTRACT_2 + "\n", "")
        .encode(),
        4,
    ),
    "title-without-abstract-in-middle": (
        "listing.txt",
        _listing(("First Title", ABSTRACT), ("Orphan Title", ""), ("Third Title", ABSTRACT_3))
        .replace("Orphan Title\n\n", "Orphan Title\n")
        .encode(),
        5,  # "Orphan Title" (line 4) is followed by a title, not an abstract
    ),
    "untitled-layout-stray-line": (
        "untitled.txt",
        f"Abstract: {ABSTRACT}\n\nnot an abstract line\nAbstract: {ABSTRACT_2}\n".encode(),
        3,
    ),
    "untitled-layout-empty-abstract": (
        "untitled.txt",
        f"Abstract: {ABSTRACT}\nAbstract:\n".encode(),
        2,
    ),
    "jsonl-record-without-abstract": (
        "a.jsonl",
        "\n".join(
            json.dumps(r)
            for r in [{"title": "A", "abstract": ABSTRACT}, {"title": "B"}, {"abstract": ABSTRACT}]
        ).encode(),
        2,
    ),
    "jsonl-abstract-too-short": (
        "a.jsonl",
        (json.dumps({"title": "A", "abstract": "tiny"}) + "\n").encode(),
        1,
    ),
    "jsonl-abstract-not-text": (
        "a.jsonl",
        (json.dumps({"title": "A", "abstract": ["x"] * 50}) + "\n").encode(),
        1,
    ),
    "jsonl-bad-json-line": (
        "a.jsonl",
        (json.dumps({"title": "A", "abstract": ABSTRACT}) + "\n\n{'title': 'B',\n").encode(),
        3,
    ),
    "jsonl-not-an-object": ("a.jsonl", b"[1, 2, 3]\n", 1),
    "json-record-without-abstract": (
        "p.json",
        json.dumps(
            {"papers": [{"title": "A", "abstract": ABSTRACT}, {"title": "B"}]}, indent=2
        ).encode(),
        7,
    ),
    "json-syntax-error": ("p.json", b'[\n  {"title": "A",\n   "abstract": }\n]\n', 3),
    "json-title-is-a-number": (
        "p.json",
        json.dumps([{"title": 7, "abstract": ABSTRACT}]).encode(),
        1,
    ),
    "json-title-is-an-abstract": (
        "p.json",
        json.dumps([{"title": "t" * (MAX_TITLE_CHARS + 1), "abstract": ABSTRACT}]).encode(),
        1,
    ),
    "json-huge-number": ("p.json", b"\n" + b"9" * 5000, 1),
    "json-nested-too-deep": ("p.json", b"[" * 100_000, 1),
    "csv-missing-columns": ("p.csv", f"name,summary\nA,{ABSTRACT}\n".encode(), 1),
    "csv-record-without-abstract": (
        "p.csv",
        f'title,abstract\nA,"{ABSTRACT}"\nB,\n'.encode(),
        3,
    ),
    "csv-unquoted-comma": (
        "p.csv",
        f"title,abstract\nA,{ABSTRACT}, and more\n".encode(),
        2,
    ),
    "csv-huge-field": ("p.csv", b'title,abstract\n"' + b"x" * 200_000 + b'",y\n', 2),
    "not-utf8": (
        "latin1.txt",
        ("Title One\n" + ABSTRACT + "\nCaf\xe9 au lait\n" + ABSTRACT_2 + "\n").encode("latin-1"),
        3,
    ),
    "binary": ("image.txt", b"\x89PNG\r\n\x1a\nIHDR\x00\x00\x00\x10\x00\x00", 3),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_raises_corpus_error_naming_file_and_line(tmp_path: Path, case: str) -> None:
    name, content, line = BAD_FILES[case]
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CorpusError) as info:
        read_file(path)
    err = info.value
    assert (err.path, err.line) == (str(path), line), str(err)
    assert str(err).startswith(f"{path}:{line}: ")


def test_missing_abstract_message_quotes_the_title(tmp_path: Path) -> None:
    name, content, _ = BAD_FILES["title-without-abstract-at-end"]
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CorpusError, match="'Orphan Title' has no abstract"):
        read_file(path)


@pytest.mark.parametrize("content", [b"", b"\n\n  \n", b"new\nSubscribe\n"])
def test_file_without_abstracts_is_an_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    with pytest.raises(CorpusError, match="no abstracts found") as info:
        read_file(path)
    assert str(info.value).startswith(str(path))


def test_unsupported_extension_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "paper.pdf"
    path.write_bytes(b"%PDF-1.7\n")
    for call in (lambda: corpus_files([path]), lambda: read_file(path)):
        with pytest.raises(CorpusError, match="unsupported file type '.pdf'") as info:
            call()
        assert str(info.value).startswith(str(path))


def test_missing_path_and_empty_folder_are_errors(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="no such file"):
        corpus_files([tmp_path / "nope.txt"])
    (tmp_path / "readme.md").write_text("not a corpus file")
    with pytest.raises(CorpusError, match="no .txt, .json"):
        corpus_files([tmp_path])


def test_folders_expand_to_supported_files_only(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    for name in ("b.txt", "a.JSONL", "sub/c.csv", "notes.md", "d.json"):
        (tmp_path / name).write_text("x")
    (tmp_path / "e.txt").mkdir()  # a folder named like a file is not a file
    names = [p.relative_to(tmp_path).as_posix() for p in corpus_files([tmp_path])]
    assert names == ["a.JSONL", "b.txt", "d.json", "sub/c.csv"]
