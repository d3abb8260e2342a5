"""Which reader reads a file: by extension, and by content where the extension is ambiguous.

`.txt` may be a scraped listing, RIS, MEDLINE or a Web of Science export (plain or
tab-delimited); `.json` may be one document or JSON lines (the arXiv snapshot); `.xml` PubMed
or an arXiv API feed. Readers yield `Record`s and `Skip`s (a `Notice` is a Skip that lost no
record) lazily; `iter_file` raises `CorpusError` only for problems with the whole file
(unreadable, binary, not UTF-8, no known layout).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import CorpusError
from rag.formats.base import Filtered, Record, RecordFilter, Skip
from rag.formats.source import head, whole_text

# extension -> what it may hold (the README's "Your own abstracts" lists the same)
SUFFIXES = {
    ".txt": "scraped listing, RIS, MEDLINE or Web of Science (detected by content)",
    ".json": "JSON document or JSON lines (detected by content)",
    ".jsonl": "JSON lines",
    ".ndjson": "JSON lines",
    ".csv": "CSV",
    ".tsv": "tab-separated values",
    ".bib": "BibTeX",
    ".ris": "RIS",
    ".nbib": "MEDLINE",
    ".medline": "MEDLINE",
    ".ciw": "Web of Science plain text",
    ".xml": "PubMed XML or arXiv API results (Atom)",
}


@dataclass
class ReadOptions:
    strict: bool = False
    max_bytes: int = 512 * 2**20  # for formats read whole; streamed ones have no limit
    progress: bool = False
    column_map: dict[str, str] = field(default_factory=dict)
    keep: RecordFilter | None = None  # readers that can may drop records before building them


Item = Record | Skip | Filtered
Reader = Callable[[Path, ReadOptions], Iterator[Item]]


def reader_for(path: Path) -> tuple[str, Reader]:
    """(format name, reader) for this file; CorpusError if it is no format we read."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise CorpusError(
            str(path),
            None,
            f"unsupported file type '{suffix}'.",
            f"Use one of {', '.join(SUFFIXES)} (see README, 'Your own abstracts').",
        )
    from rag.formats import arxiv_atom, bibtex, jsondocs, pubmed_xml, scraped, tabular, tagged

    whole: dict[str, Callable[[str, str], Iterator[Record | Skip]]] = {
        "bibtex": bibtex.read_bibtex,
        "ris": tagged.read_ris,
        "wos": tagged.read_wos,
        "medline": tagged.read_medline,
        "pubmed-xml": pubmed_xml.read_pubmed_xml,
        "arxiv-atom": arxiv_atom.read_arxiv_atom,
        "scraped": scraped.read_scraped,
    }

    def read_whole(name: str) -> Reader:
        def read(p: Path, o: ReadOptions) -> Iterator[Record | Skip]:
            if name == "json":
                return jsondocs.read_json_document(str(p), whole_text(p, o.max_bytes), o.column_map)
            return whole[name](str(p), whole_text(p, o.max_bytes))

        return read

    def table(delimiter: str) -> Reader:
        return lambda p, o: tabular.read_table(p, delimiter, o.column_map)

    def json_lines(p: Path, o: ReadOptions) -> Iterator[Item]:
        return jsondocs.read_json_lines(p, o.column_map, o.progress, o.keep)

    fixed: dict[str, tuple[str, Reader]] = {
        ".bib": ("bibtex", read_whole("bibtex")),
        ".ris": ("ris", read_whole("ris")),
        ".nbib": ("medline", read_whole("medline")),
        ".medline": ("medline", read_whole("medline")),
        ".ciw": ("wos", read_whole("wos")),
        ".jsonl": ("json lines", json_lines),
        ".ndjson": ("json lines", json_lines),
        ".tsv": ("tsv", table("\t")),
    }
    if suffix in fixed:
        return fixed[suffix]
    start = head(path)
    if suffix == ".json":
        if jsondocs.looks_like_json_lines(start):
            return "json lines", json_lines
        return "json", read_whole("json")
    if suffix == ".csv":
        delimiter = tabular.delimiter_of(start)
        return ("tsv" if delimiter == "\t" else "csv"), table(delimiter)
    if suffix == ".xml":
        if pubmed_xml.is_pubmed_xml(start):
            return "pubmed-xml", read_whole("pubmed-xml")
        if arxiv_atom.is_arxiv_atom(start):
            return "arxiv-atom", read_whole("arxiv-atom")
        raise CorpusError(
            str(path),
            None,
            "neither PubMed XML (<PubmedArticleSet>) nor arXiv API results (an Atom <feed>).",
            "See README, 'Your own abstracts', for the XML exports read.",
        )
    tagged_kind = tagged.sniff(start)  # .txt
    if tagged_kind:
        return tagged_kind, read_whole(tagged_kind)
    if start.lstrip("\ufeff").startswith("PT\t"):
        return "wos tab-delimited", table("\t")
    return "scraped", read_whole("scraped")


def iter_file(path: Path, options: ReadOptions) -> Iterator[Item]:
    """Every record and skip of one file, lazily; a file with neither is an error."""
    _, read = reader_for(path)
    empty = True
    try:
        for item in read(path, options):
            empty = False
            yield item
    except RecursionError as exc:  # data nested deeper than Python can follow
        raise CorpusError(str(path), None, "data nested too deeply to read.") from exc
    if empty:
        raise CorpusError(str(path), None, "no abstracts found.", "Is this an abstracts file?")


__all__ = [
    "SUFFIXES",
    "Filtered",
    "ReadOptions",
    "Record",
    "RecordFilter",
    "Skip",
    "iter_file",
    "reader_for",
]
