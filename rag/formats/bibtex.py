"""BibTeX / BibLaTeX from Zotero, Mendeley, JabRef or Google Scholar, parsed by bibtexparser (v2).

Names are split before LaTeX is decoded, so a braced `{Google DeepMind}` stays one name;
then accents and braces are decoded (`{G}\\"odel` -> `Gödel`) and names come out as
"von Last, First, Jr". A block bibtexparser cannot parse is reported at its line; an entry
whose key repeats an earlier one (concatenated exports) is read like any other.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import bibtexparser
from bibtexparser import middlewares as mw
from bibtexparser.library import Library
from bibtexparser.middlewares.names import NameParts
from bibtexparser.model import DuplicateBlockKeyBlock, Entry
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

from rag.formats.base import Record, Skip, clean, make_record
from rag.formats.meta import is_initials, normalize, person

_VENUE = ("journal", "journaltitle", "booktitle", "publisher", "institution", "school")
_BARE_PERCENT = re.compile(r"(?<!\\)%")


class _BibtexLatex(LatexNodes2Text):
    """LaTeX decoding with BibTeX's reading of `%`: literal inside a field ("rose by 35% in
    2020"), where LaTeX would drop the rest of the line as a comment."""

    def __init__(self) -> None:
        context = get_default_latex_context_db()  # bibtexparser's own decoder settings
        context.add_context_category(
            "paper-rag-bibtex", prepend=True, macros=[MacroTextSpec("url", simplify_repl="%s")]
        )
        super().__init__(latex_context=context, keep_braced_groups=False, math_mode="verbatim")

    def latex_to_text(self, latex: str, **parse_flags: Any) -> str:
        return super().latex_to_text(_BARE_PERCENT.sub(r"\\%", latex), **parse_flags)


def _parse(text: str, decoder: _BibtexLatex, library: Library | None = None) -> Library:
    """Fields decoded; authors split into name parts (`_names` decodes those)."""
    stack = [
        mw.SeparateCoAuthors(),
        mw.SplitNameParts(),
        mw.LatexDecodingMiddleware(decoder=decoder),
    ]
    return bibtexparser.parse_string(text, append_middleware=stack, library=library)


def read_bibtex(path: str, text: str) -> Iterator[Record | Skip]:
    # Its splitter also logs each broken block; we report them ourselves, with 1-based lines.
    logging.getLogger("bibtexparser.splitter").setLevel(logging.ERROR)
    decoder = _BibtexLatex()
    library = _parse(text, decoder)
    found = [
        (e.start_line + 1, _record(path, e.start_line + 1, e, decoder)) for e in library.entries
    ]
    for block in library.failed_blocks:
        line = (block.start_line or 0) + 1
        inner = block.ignore_error_block
        if isinstance(block, DuplicateBlockKeyBlock) and isinstance(inner, Entry):
            inner = _decoded_alone(block.raw or "", library, decoder)
        if isinstance(inner, Entry):  # a field a middleware could not decode: still a paper
            found.append((line, _record(path, line, inner, decoder)))
            continue
        error = block.error
        reason = getattr(error, "abort_reason", None) or str(error) or type(error).__name__
        found.append((line, Skip(path, line, f"BibTeX entry not readable: {reason.strip()}")))
    for _, item in sorted(found, key=lambda pair: pair[0]):
        yield item


def _decoded_alone(raw: str, library: Library, decoder: _BibtexLatex) -> Entry | None:
    """An entry whose key was taken: bibtexparser set it aside before any middleware ran, so
    it is parsed again on its own, seeing the file's @string macros."""
    alone = _parse(raw, decoder, Library(library.strings))
    partial = [b.ignore_error_block for b in alone.failed_blocks]
    return next((e for e in [*alone.entries, *partial] if isinstance(e, Entry)), None)


def _record(path: str, line: int, entry: Entry, decoder: _BibtexLatex) -> Record | Skip:
    f = {k.lower(): v.value for k, v in entry.fields_dict.items()}
    # BibLaTeX says `eprinttype`; Google Scholar puts arXiv papers in the journal field:
    # journal = {arXiv preprint arXiv:2401.01234}.
    archive = str(f.get("archiveprefix") or f.get("eprinttype") or "arxiv").lower()
    journal = str(f.get("journal") or f.get("journaltitle") or "")
    names, split = _names(f.get("author"), decoder)
    fields: dict[str, Any] = {
        "authors": None if split else names,
        "year": f.get("year") or f.get("date"),
        "date": f.get("date") or _year_month(f),
        "venue": next((f[k] for k in _VENUE if f.get(k)), None),
        "categories": f.get("primaryclass") or f.get("eprintclass"),
        "keywords": f.get("keywords"),
        "doi": f.get("doi"),
        "arxiv_id": (f.get("eprint") if archive == "arxiv" else None)
        or (journal if "arxiv" in journal.lower() else None),
        "pmid": f.get("pmid"),
        "url": f.get("url"),
        "type": entry.entry_type,
        "bibtex_key": entry.key,
    }
    extra = normalize(fields)
    if split:  # already "Last, First": a one-part name such as a company is not turned round
        extra["authors"] = names
    return make_record(path, line, f.get("title"), f.get("abstract"), extra)


def _names(value: Any, decoder: _BibtexLatex) -> tuple[list[str] | str | None, bool]:
    """The authors, and whether they are already 'von Last, First, Jr' (each part decoded on
    its own). If bibtexparser could not split them, the text as written, turned round later."""
    if isinstance(value, list) and all(isinstance(p, NameParts) for p in value):
        names = []
        for parts in value:
            pieces = ([*parts.von, *parts.last], parts.first, parts.jr)
            last, first, jr = [clean(decoder.latex_to_text(" ".join(words))) for words in pieces]
            if first and last and is_initials(last.split()[-1]):  # Scopus 'Nguyen T.L.', no comma
                last, first = person(f"{first} {last}").split(", ", 1)
            names.append(", ".join(p for p in (last, first, jr) if p))
        return [n for n in names if n], True
    if isinstance(value, list):
        return [clean(decoder.latex_to_text(str(p))) for p in value], False
    return value, False


def _year_month(f: dict[str, Any]) -> str | None:
    year, month = f.get("year"), f.get("month")
    return f"{year} {month}" if year and month else year
