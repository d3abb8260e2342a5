"""Filters a question states in words: "since 2023", "between 2020 and 2022", "by Smith".

Only unambiguous phrasings are read, and only against what the collection knows: a year
phrase counts when some papers have a year, an author when a paper has that surname. The
phrase is then taken out of the question so it does not steer retrieval, and the answer
says which filter was applied.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Protocol

from rag.filters import Filters
from rag.metadata_words import has_surname
from rag.name_roles import CITED

if TYPE_CHECKING:
    from rag.types import Source

_Y = r"((?:18|19|20)\d\d)"
_RANGE = re.compile(rf"\b(?:between|from)\s+{_Y}\s+(?:and|to|-)\s+{_Y}\b", re.IGNORECASE)
_SINCE = re.compile(rf"\b(?:since|after|from)\s+{_Y}(?:\s+on(?:wards?)?)?\b", re.IGNORECASE)
_UNTIL = re.compile(rf"\b(?:before|until|up to)\s+{_Y}\b", re.IGNORECASE)
_IN = re.compile(rf"\b(?:published|written|appeared)\s+in\s+{_Y}\b", re.IGNORECASE)
_BY = re.compile(
    r"\b(?:papers?|work|articles?|studies)\s+by\s+([A-Z][\w'\-]+(?:\s+[A-Z][\w'\-]+)?)"
)


class Collection(Protocol):
    """What the collection knows about its papers' metadata (`rag.catalog.Catalog`)."""

    def has_years(self) -> bool: ...

    def has_author(self, surname: str) -> bool: ...


def filters_from_question(question: str, papers: Collection) -> tuple[Filters, str]:
    """The filters the question states, and the question without those phrases."""
    found: dict[str, object] = {}
    text = question
    if papers.has_years():
        for pattern in (_RANGE, _IN, _SINCE, _UNTIL):
            match = pattern.search(text)
            if not match:
                continue
            years = [int(y) for y in match.groups() if y]
            if pattern is _RANGE:
                found["since"], found["until"] = min(years), max(years)
            elif pattern is _IN:
                found["since"] = found["until"] = years[0]
            elif pattern is _SINCE:
                after = match.group(0).lower().startswith("after")
                found.setdefault("since", years[0] + (1 if after else 0))
            else:
                before = match.group(0).lower().startswith("before")
                found.setdefault("until", years[0] - (1 if before else 0))
            text = text[: match.start()] + text[match.end() :]
    match = _BY.search(text)
    if match:
        name = match.group(1).split()[-1]
        if papers.has_author(name):
            found["authors"] = [name]
            text = text[: match.start(1) - 3].rstrip() + " " + text[match.end() :]
    cleaned = " ".join(text.split()).strip(" ,")
    if not found or len(cleaned) < 3:
        return Filters(), question
    return Filters.of(found), cleaned


_CITATION = re.compile(CITED)
_CITED_SPAN = re.compile(rf"\(?{CITED}(?:['’]s\b|,?\s*\(?(?:19|20)\d\d[a-z]?\)?)?\)?")


def cited_authors(question: str, papers: Collection) -> list[str]:
    """Surnames the question cites ("What did Okafor et al. find ...", "Smith and Lee's
    method") that the collection's metadata holds: not words no abstract writes, and their
    papers are the ones asked about. Both names of "X and Y" must be authors."""
    found = []
    for match in _CITATION.finditer(question):
        names = [name for name in match.groups() if name]
        if all(papers.has_author(name) for name in names):
            found.append(names[0])
    return found


_WORD_IN_SENTENCE = re.compile(r"(?<![\w'’-])(?<![.?!]\s)(?<!^)([^\W\d_][^\W\d_]+)(?![\w-])")


def named_authors(question: str, papers: Collection, unwritten: Callable[[str], bool]) -> list[str]:
    """Capitalized words inside the question that no paper writes as a name and that are an
    author's surname ("What did Müller propose?"): the question cites that author, without
    "et al."."""
    words = [m.group(1) for m in _WORD_IN_SENTENCE.finditer(question.strip())]
    return [
        word
        for word in dict.fromkeys(words)
        if word[0].isupper() and word[1:].islower() and unwritten(word) and papers.has_author(word)
    ]


def without_citations(question: str, surnames: list[str]) -> str:
    """The question without its citations of these authors ("Okafor et al.'s", "Smith and Lee
    (2021)"): they name whose paper is asked about, not what it says."""
    if not surnames:
        return question
    wanted = {name.lower() for name in surnames}

    def drop(match: re.Match[str]) -> str:
        return " " if match.group(1).lower() in wanted else match.group(0)

    return " ".join(_CITED_SPAN.sub(drop, question).split())


def papers_by(sources: Iterable[Source], surnames: list[str]) -> list[str]:
    """The sources with an author of one of these surnames, in their order."""
    return [
        s.paper_id
        for s in sources
        if any(has_surname(a, name) for a in s.authors for name in surnames)
    ]
