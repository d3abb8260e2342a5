"""The words a paper's metadata is found by, which is how filters match it.

Names match by whole words, not by substring: an author filter "Li" is not part of
"Williams", a venue "ACL" not of "NAACL". Every word of a filter name must be in one author's
name; a one-letter word is an initial ("J. Smith"), and accents are optional ("Muller" finds
"Müller"). A category also matches its sub-categories ("cs" finds "cs.CL"). The catalog keeps
these words as postings (rag/catalog.py), so a filter or a cited author is looked up by key,
never by reading every paper.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rag.metadata import PaperMeta
from rag.text import fold

AUTHOR, VENUE, CATEGORY = "a", "v", "c"  # the postings' field column
WORDS_CACHE = 65_536
_WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=WORDS_CACHE)
def words_of(text: str) -> tuple[str, ...]:
    """Lower-case words without accents ("Müller-Lüdenscheidt, J." -> muller, ludenscheidt,
    j); kept, since the same co-authors' names come back paper after paper."""
    return tuple(_WORD.findall(fold(text)))


def category_keys(category: str) -> list[str]:
    """A category and the ones it is part of: "cs.CL" -> ["cs", "cs.cl"]."""
    parts = category.strip().lower().split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts)) if parts[i]]


def postings(meta: PaperMeta) -> set[tuple[str, str, int]]:
    """(field, word, slot) triples a paper is found by; the slot is the author's place in the
    byline, so the words of one filter name must all belong to one author."""
    found = {(AUTHOR, w, i) for i, author in enumerate(meta.authors) for w in words_of(author)}
    found |= {(VENUE, w, 0) for w in words_of(meta.venue or "")}
    found |= {(CATEGORY, k, 0) for c in meta.categories for k in category_keys(c)}
    return found


def surname_of(author: str) -> str:
    """ "Smith, John" and "John Smith" -> "smith"."""
    if "," in author:
        return author.split(",")[0].strip().lower()
    return author.split()[-1].lower() if author.split() else ""


def has_surname(author: str, surname: str) -> bool:
    """The author's surname is this one, accents optional ("Muller" for "Müller, Anna")."""
    wanted = words_of(surname)
    return bool(wanted) and words_of(surname_of(author)) == wanted
