"""BibTeX / BibLaTeX from Zotero, Mendeley or JabRef, parsed by bibtexparser (v2).

LaTeX accents and braces are decoded (`{G}\\"odel` -> `Gödel`); names come out as
"von Last, First, Jr". A block bibtexparser cannot parse is reported at its line.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from rag.formats.base import Record, Skip, make_record
from rag.formats.meta import normalize

_VENUE = ("journal", "journaltitle", "booktitle", "publisher", "institution", "school")


def read_bibtex(path: str, text: str) -> Iterator[Record | Skip]:
    import bibtexparser
    from bibtexparser import middlewares as mw
    from bibtexparser.model import DuplicateBlockKeyBlock, Entry

    # Its splitter also logs each broken block; we report them ourselves, with 1-based lines.
    logging.getLogger("bibtexparser.splitter").setLevel(logging.ERROR)
    library = bibtexparser.parse_string(
        text,
        append_middleware=[
            mw.LatexDecodingMiddleware(),
            mw.SeparateCoAuthors(),
            mw.SplitNameParts(),
        ],
    )
    found: list[tuple[int, Record | Skip]] = []
    for entry in library.entries:
        found.append((entry.start_line + 1, _record(path, entry)))
    for block in library.failed_blocks:
        line = (block.start_line or 0) + 1
        inner = block.ignore_error_block
        if isinstance(inner, Entry):  # a duplicate key or an undecodable field: still a paper
            found.append((line, _record(path, inner)))
            if not isinstance(block, DuplicateBlockKeyBlock):
                continue
        else:
            error = block.error
            reason = getattr(error, "abort_reason", None) or str(error) or type(error).__name__
            found.append((line, Skip(path, line, f"BibTeX entry not readable: {reason.strip()}")))
    for _, item in sorted(found, key=lambda pair: pair[0]):
        yield item


def _record(path: str, entry: Any) -> Record | Skip:
    f = {k.lower(): v.value for k, v in entry.fields_dict.items()}
    eprint = f.get("eprint")
    is_arxiv = (
        str(f.get("archiveprefix", "")).lower() == "arxiv"
        or "arxiv" in str(f.get("journal", "")).lower()
    )
    fields: dict[str, Any] = {
        "authors": _names(f.get("author")),
        "year": f.get("year") or f.get("date"),
        "date": f.get("date") or _year_month(f),
        "venue": next((f[k] for k in _VENUE if f.get(k)), None),
        "keywords": f.get("keywords"),
        "doi": f.get("doi"),
        "arxiv_id": eprint if is_arxiv or eprint else None,
        "pmid": f.get("pmid"),
        "url": f.get("url"),
        "type": entry.entry_type,
        "bibtex_key": entry.key,
    }
    return make_record(
        path, entry.start_line + 1, f.get("title"), f.get("abstract"), normalize(fields)
    )


def _names(value: Any) -> list[str] | str | None:
    if not isinstance(value, list):
        return value  # a middleware failed on this entry: the raw 'A and B' text
    names = []
    for parts in value:
        if isinstance(parts, str):
            names.append(parts)
            continue
        last = " ".join([*parts.von, *parts.last])
        first = " ".join(parts.first)
        names.append(", ".join(p for p in (last, first, " ".join(parts.jr)) if p))
    return names


def _year_month(f: dict[str, Any]) -> str | None:
    year, month = f.get("year"), f.get("month")
    return f"{year} {month}" if year and month else year
