"""Tagged-line exports: RIS (Scopus, Zotero, EndNote, PubMed), Web of Science plain text and
MEDLINE (PubMed `.nbib` / `.txt`).

Each file is cut into records at their start tags, remembering the line each starts on;
RIS and Web of Science records are then parsed by `rispy`, MEDLINE by its simple tag rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from rag.formats.base import Notice, Record, Skip, make_record
from rag.formats.meta import normalize
from rag.formats.scraped import NEWLINE

_RIS_START = re.compile(r"^TY  -")
_WOS_START = re.compile(r"^PT ")
_MEDLINE_START = re.compile(r"^PMID-")
_MEDLINE_TAG = re.compile(r"^([A-Z][A-Z0-9]{0,3}) *- (.*)$")


def sniff(head: str) -> str | None:
    """'ris', 'wos' or 'medline' from a file's first non-blank line, else None."""
    first = next((line for line in head.lstrip("\ufeff").splitlines() if line.strip()), "")
    if _RIS_START.match(first):
        return "ris"
    if first.startswith(("FN ", "VR ")) or _WOS_START.match(first):
        return "wos"
    if _MEDLINE_START.match(first):
        return "medline"
    return None


def _chunks(text: str, start: re.Pattern[str]) -> Iterator[tuple[int, list[str]]]:
    lines = NEWLINE.split(text.lstrip("\ufeff"))
    first, current = 0, None
    for number, line in enumerate(lines, start=1):
        if start.match(line):
            if current:
                yield first, current
            first, current = number, [line]
        elif current is not None:
            current.append(line)
    if current:
        yield first, current


def read_ris(path: str, text: str) -> Iterator[Record | Skip]:
    from rispy import RisParser

    parser = RisParser(enforce_list_tags=False)
    yield from _parsed(path, text, _RIS_START, lambda lines: parser.parse_lines(iter(lines)), _ris)


def read_wos(path: str, text: str) -> Iterator[Record | Skip]:
    from rispy import WokParser

    parser = WokParser(enforce_list_tags=False, skip_unknown_tags=True)  # its map has no "UK"
    yield from _parsed(path, text, _WOS_START, lambda lines: parser.parse_lines(iter(lines)), _wos)


def read_medline(path: str, text: str) -> Iterator[Record | Skip]:
    yield from _parsed(path, text, _MEDLINE_START, _medline_fields, _medline)


def _parsed(
    path: str,
    text: str,
    start: re.Pattern[str],
    parse: Callable[[list[str]], list[dict[str, Any]]],
    to_record: Callable[[str, int, dict[str, Any]], Record | Skip],
) -> Iterator[Record | Skip]:
    chunks = list(_chunks(text, start))
    for n, (line, lines) in enumerate(chunks, start=1):
        if start is not _MEDLINE_START and not any(re.match(r"^ER\b", row) for row in lines):
            lines = [*lines, "ER  -"]  # a record without its end tag is still a record
            if n == len(chunks):
                yield Notice(
                    path,
                    line,
                    "the file ends inside this record (no closing ER tag); it was read as it "
                    "is, but its abstract may be cut short.",
                    "Check that the file is complete, or export it again.",
                )
        try:
            parsed = parse(lines)
        except (KeyError, ValueError, TypeError, AttributeError):  # rispy on a mangled record
            parsed = []
        if not parsed:
            yield Skip(path, line, "record could not be parsed.")
            continue
        yield to_record(path, line, parsed[0])


def _first(record: dict[str, Any], *names: str) -> Any:
    for name in names:
        value = record.get(name)
        if isinstance(value, list):
            value = value[0] if value else None
        if value:
            return value
    return None


def _ris(path: str, line: int, r: dict[str, Any]) -> Record | Skip:
    urls = r.get("urls") or []
    fields = {
        "authors": (r.get("authors") or []) + (r.get("first_authors") or []),
        "year": _first(r, "year", "publication_year", "date"),
        "date": _first(r, "date", "publication_year"),
        "venue": _first(
            r, "secondary_title", "journal_name", "alternate_title3", "alternate_title1"
        ),
        "keywords": r.get("keywords"),
        "doi": r.get("doi"),
        "url": urls[0] if urls else None,
        "pmid": _pubmed_accession(r),
        "type": r.get("type_of_reference"),
        "publisher": r.get("publisher"),
    }
    title = _first(r, "title", "primary_title")
    abstract = _first(r, "abstract", "notes_abstract")
    return make_record(path, line, title, abstract, normalize(fields))


def _pubmed_accession(r: dict[str, Any]) -> str | None:
    database = str(r.get("name_of_database") or r.get("database_provider") or "").lower()
    return r.get("accession_number") if "pubmed" in database or "medline" in database else None


def _wos(path: str, line: int, r: dict[str, Any]) -> Record | Skip:
    fields = {
        "authors": r.get("author_full_name") or r.get("authors"),
        "year": r.get("publication_year"),
        "date": f"{r.get('publication_year', '')} {r.get('publication_date', '')}".strip(),
        "venue": r.get("publication_name"),
        "categories": r.get("wos_categories"),
        "keywords": r.get("author_keywords"),
        "doi": r.get("doi"),
        "pmid": r.get("pubmed_id"),
        "wos_id": r.get("accession_number"),
        "type": r.get("publication_type"),
    }
    return make_record(path, line, r.get("document_title"), r.get("abstract"), normalize(fields))


def _medline_fields(lines: list[str]) -> list[dict[str, Any]]:
    """{tag: [values]}: continuation lines (six spaces) extend the previous value."""
    fields: dict[str, list[str]] = {}
    last: list[str] | None = None
    for row in lines:
        match = _MEDLINE_TAG.match(row)
        if match:
            last = fields.setdefault(match.group(1), [])
            last.append(match.group(2).strip())
        elif row.startswith(" ") and last:
            last[-1] = f"{last[-1]} {row.strip()}"
    return [fields] if fields else []


def _medline(path: str, line: int, f: dict[str, list[str]]) -> Record | Skip:
    ids = f.get("AID", []) + f.get("LID", [])
    doi = next((i.removesuffix("[doi]").strip() for i in ids if i.endswith("[doi]")), None)
    one = lambda tag: (f.get(tag) or [None])[0]  # noqa: E731
    fields = {
        "authors": f.get("FAU") or f.get("AU"),
        "date": one("DP"),
        "venue": one("JT") or one("TA"),
        "keywords": f.get("OT"),
        "categories": f.get("MH"),
        "doi": doi,
        "pmid": one("PMID"),
        "url": f"https://pubmed.ncbi.nlm.nih.gov/{one('PMID')}/" if one("PMID") else None,
        "pmcid": one("PMC"),
        "type": one("PT"),
    }
    return make_record(path, line, one("TI"), " ".join(f.get("AB", [])), normalize(fields))
