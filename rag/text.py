"""Text normalisation shared by dedupe, eval matching and citation checks."""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:[.,]\d+)*%?")


def fold(text: str) -> str:
    """Lower case without accents ("Müller" -> "muller")."""
    if text.isascii():  # most text: skip the per-character accent folding
        return text.lower()
    folded = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in folded if not unicodedata.combining(ch)).lower()


def normalize_text(text: str) -> str:
    """Lower-case, accent-folded, punctuation-free form used to compare titles and abstracts.

    Two scrapes of the same paper differ in spacing, dashes and case; this form makes them equal.
    """
    return _NON_ALNUM.sub(" ", fold(text)).strip()


def numbers_in(text: str) -> set[str]:
    """Numbers as written (``88.2``, ``5x`` -> ``5``, ``1,000`` -> ``1000``), for fact checks."""
    found = set()
    for match in _NUMBER.finditer(text):
        value = match.group(0).rstrip("%").lstrip("+")
        value = (
            value.replace(",", "") if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", value) else value
        )
        found.add(value)
    return found
