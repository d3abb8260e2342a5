"""The three scraped `.txt` layouts of the default corpus.

`Abstract:` lines (untitled abstracts); alternating title / abstract lines; blank-line
separated title / abstract blocks after a listing page's header. A record that breaks the
layout is a `Skip`, and pairing resumes at the next line, so one stray line costs one paper.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rag.formats.base import MAX_TITLE_CHARS, Record, Skip, clean

# Scraped text has no field names: length is what tells an abstract from a title, so a
# scraped abstract must be longer than the shortest one structured formats accept.
SCRAPED_MIN_CHARS = 80

_HEADER_LINE = re.compile(
    r"^(new|subscribe|get trending papers in your email inbox.*|by\s*ak and the research community"
    r"|(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(,\s*\d{4})?)$",
    re.IGNORECASE,
)
_ABSTRACT_PREFIX = re.compile(r"^\s*abstract\s*:\s*", re.IGNORECASE)
# Lines end at \n, \r\n or \r only: str.splitlines() also splits at U+2028, \x0c, ... which are
# legal inside a JSON string and would shift every reported line number.
NEWLINE = re.compile(r"\r\n|\r|\n")

Numbered = list[tuple[int, str]]


def read_scraped(path: str, text: str) -> Iterator[Record | Skip]:
    numbered = [(i + 1, line.strip()) for i, line in enumerate(NEWLINE.split(text))]
    body = [(n, line) for n, line in numbered if line]
    if not body:
        return
    if any(_ABSTRACT_PREFIX.match(line) for _, line in body):
        yield from _abstract_lines(path, body)
        return
    body = _strip_header(body)
    if _has_blank_separators(numbered, body):
        # Blank-line layout: join each paragraph, then pair title / abstract.
        items = _paragraphs(numbered, first_line=body[0][0] if body else 0)
    else:
        items = body
    yield from _pairs(path, items)


def _abstract_lines(path: str, body: Numbered) -> Iterator[Record | Skip]:
    for n, line in body:
        if not _ABSTRACT_PREFIX.match(line):
            yield Skip(
                path,
                n,
                "expected a line starting with 'Abstract:'.",
                "Fix or remove this line; this file holds untitled abstracts.",
            )
            continue
        abstract = clean(_ABSTRACT_PREFIX.sub("", line))
        if len(abstract) < SCRAPED_MIN_CHARS:
            yield Skip(path, n, "abstract is empty or too short.")
            continue
        yield Record(None, abstract, path, n)


def _strip_header(body: Numbered) -> Numbered:
    """Drop the listing page's header; its first title may be glued to 'Subscribe'."""
    i = 0
    while i < len(body) and _HEADER_LINE.match(body[i][1]):
        i += 1
    rest = body[i:]
    if rest and rest[0][1].lower().startswith("subscribe") and len(rest[0][1]) > len("subscribe"):
        n, line = rest[0]
        rest = [(n, line[len("subscribe") :].strip()), *rest[1:]]
    return rest


def _has_blank_separators(numbered: Numbered, body: Numbered) -> bool:
    if len(body) < 2:
        return False
    start, end = body[0][0], body[-1][0]
    return any(not line for n, line in numbered if start < n < end)


def _paragraphs(numbered: Numbered, first_line: int) -> Numbered:
    items: Numbered = []
    current: list[str] = []
    start = 0
    for n, line in numbered:
        if n < first_line:
            continue
        if line:
            if not current:
                start = n
            current.append(line)
        elif current:
            items.append((start, " ".join(current)))
            current = []
    if current:
        items.append((start, " ".join(current)))
    return items


def _pairs(path: str, items: Numbered) -> Iterator[Record | Skip]:
    """Title, abstract, title, ...; after a broken pair, the next item is taken as a title."""
    i = 0
    while i < len(items):
        n, title = items[i]
        if len(title) > MAX_TITLE_CHARS:
            yield Skip(
                path,
                n,
                "expected a title here but found a long paragraph.",
                "Each abstract must follow its title; check for a missing title.",
            )
            i += 1
            continue
        if i + 1 >= len(items):
            yield Skip(
                path,
                n,
                f"title '{title[:80]}' has no abstract after it.",
                "Add the abstract or remove the title.",
            )
            return
        an, abstract = items[i + 1]
        if len(abstract) < SCRAPED_MIN_CHARS:
            yield Skip(
                path,
                an,
                f"title '{title[:80]}' is followed by '{abstract[:60]}', "
                "which is too short to be an abstract.",
                "Each title must be followed by its abstract.",
            )
            i += 1
            continue
        yield Record(clean(title), clean(abstract), path, n)
        i += 2
