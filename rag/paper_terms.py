"""The words of a paper that the index counts: one definition for writing and for reading.

The catalog keeps document frequencies and name postings up to date as papers are written
and deleted, so a reader looks a word up instead of scanning every abstract at start-up.
"""

from __future__ import annotations

import re

from rag.metadata import from_extra
from rag.question_type import WORD, terms_of
from rag.text import plain

# Words with a capital or a digit (NUPES, GPT-3, Fuyou, "Platonic" in a title).
NAME_LIKE = re.compile(r"\b[A-Za-z0-9\-]*[A-Z0-9][A-Za-z0-9\-]*\b")


def byline_text(extra: dict) -> str:
    """Authors and venue, so "papers by Smith" or a journal name finds them by keyword."""
    meta = from_extra(extra)
    return " ".join([*meta.authors, meta.venue or ""])


def keyword_text(title: str | None, abstract: str, extra: dict) -> str:
    """What BM25 indexes: the title twice (titles are dense in terms), abstract and byline."""
    return f"{title or ''}. {title or ''}. {abstract} {byline_text(extra)}"


def known_words(title: str | None, abstract: str, extra: dict) -> set[str]:
    """Lower-cased words, for telling a question's names that no abstract contains."""
    text = plain(f"{title or ''} {abstract} {byline_text(extra)}")
    return {w.lower() for w in WORD.findall(text)}


def content_terms(title: str | None, abstract: str) -> set[str]:
    """Normalized content terms, for weighting answer sentences by rarity."""
    return set(terms_of(f"{title or ''} {abstract}"))


def name_keys(title: str | None, abstract: str) -> set[str]:
    """Words written like names, and the parts of hyphenated ones: a question's names."""
    keys: set[str] = set()
    for word in NAME_LIKE.findall(plain(f"{title or ''} {abstract}")):
        low = word.lower()
        keys.add(low)
        keys.update(part for part in low.split("-") if part)
    return keys
