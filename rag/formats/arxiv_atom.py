"""arXiv API results: the Atom feed `export.arxiv.org/api/query?search_query=…` returns.

Read whole, like PubMed XML, with the standard library's parser and under the same size limit
(`RAG_MAX_FILE_MB`); each `<entry>` is one paper, reported at the line where it starts.
Withdrawn papers and the API's own error entries are skipped and reported.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

from rag.formats.arxiv import is_withdrawal_notice
from rag.formats.base import Record, Skip, make_record
from rag.formats.meta import arxiv_id_of, normalize
from rag.formats.xml_records import elements, node_text

_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
_ENTRY_START = re.compile(r"<entry[\s>]")


def is_arxiv_atom(head: str) -> bool:
    return "http://www.w3.org/2005/Atom" in head and "arxiv" in head.lower()


def read_arxiv_atom(path: str, text: str) -> Iterator[Record | Skip]:
    for line, entry in elements(path, text, _ENTRY_START, f"{_ATOM}entry"):
        yield _record(path, line, entry)


def _text(node: ET.Element | None) -> str | None:
    return node_text(node) or None


def _record(path: str, line: int, entry: ET.Element) -> Record | Skip:
    link = _text(entry.find(f"{_ATOM}id")) or ""
    summary = _text(entry.find(f"{_ATOM}summary"))
    comment = _text(entry.find(f"{_ARXIV}comment"))
    if "/api/errors" in link:
        return Skip(path, line, f"the arXiv API answered with an error: {summary}")
    arxiv_id = arxiv_id_of(link)
    if is_withdrawal_notice(comment) or is_withdrawal_notice(summary):
        return Skip(path, line, f"withdrawn paper (arXiv {arxiv_id or '?'}); no abstract.")
    primary = entry.find(f"{_ARXIV}primary_category")
    terms = [primary.get("term") if primary is not None else None]
    terms += [c.get("term") for c in entry.findall(f"{_ATOM}category")]
    fields: dict[str, Any] = {
        "authors": [
            n for a in entry.findall(f"{_ATOM}author") if (n := _text(a.find(f"{_ATOM}name")))
        ],
        "date": _text(entry.find(f"{_ATOM}published")),
        "venue": _text(entry.find(f"{_ARXIV}journal_ref")),
        "categories": list(dict.fromkeys(t for t in terms if t)),
        "doi": _text(entry.find(f"{_ARXIV}doi")),
        "arxiv_id": arxiv_id,
        "url": f"https://arxiv.org/abs/{arxiv_id}" if arxiv_id else link,
        "comments": comment,
    }
    title = _text(entry.find(f"{_ATOM}title"))
    return make_record(path, line, title, summary, normalize(fields))
