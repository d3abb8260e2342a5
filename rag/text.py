"""Text normalisation shared by dedupe, tokenizing, eval matching and citation checks."""

from __future__ import annotations

import re
import threading
import unicodedata

import Stemmer

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:[.,]\d+)*%?")


# LaTeX accents as arXiv abstracts write them: T\"ulu, {\'e}, \c{c}, \v{s}, \'{\i}
_LATEX_ACCENT = re.compile(r"\{?\\(?:[\"'`^~=.]\s*|[cvuHkr](?:\s+|(?=\{)))\{?\\?([A-Za-z])\}?\}?")


def plain(text: str) -> str:
    """Letters without accents, case kept, LaTeX accents too ("Tülu", "T\\"ulu" -> "Tulu"):
    the words are ASCII wherever text is split into words, so a name matches however written."""
    if text.isascii() and "\\" not in text:  # most text: nothing to do
        return text
    text = _LATEX_ACCENT.sub(r"\1", text)
    if text.isascii():
        return text
    folded = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


def as_asked(name: str, question: str) -> str:
    """A name found in `plain(question)` as the question spells it ("Wachter" -> "Wächter"),
    for saying back to the user."""
    if question.isascii() and "\\" not in question:
        return name
    return " ".join(_word_as_asked(word, question) for word in name.split())


def _word_as_asked(word: str, question: str) -> str:
    for token in question.split():
        token = token.strip('.,;:?!()[]"')
        written = plain(token)
        if written == word or written in (f"{word}'s", f"{word}’s"):
            return token[: len(token) - len(written) + len(word)]
    return word


def fold(text: str) -> str:
    """Lower case without accents ("Müller", "M\\"uller" -> "muller")."""
    return plain(text).lower()


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


_LOCAL = threading.local()


def stemmer() -> Stemmer.Stemmer:
    """This thread's English Snowball stemmer, the one BM25 indexes with and survey coverage
    compares by: a PyStemmer object must not be shared between threads, and the UI answers
    several questions at once."""
    if (found := getattr(_LOCAL, "stemmer", None)) is None:
        found = _LOCAL.stemmer = Stemmer.Stemmer("english")
    return found
