"""Result types returned by the library, shared by the CLI, the UI and the eval harness."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from rag.metadata import PaperMeta


@dataclass(kw_only=True)
class Source(PaperMeta):
    """One retrieved paper, numbered as the answer cites it ([n]), with its bibliographic
    metadata where the source file had it (the `PaperMeta` fields; `url` is the paper's link:
    doi.org, arxiv.org or PubMed when an id is known)."""

    n: int
    paper_id: str
    title: str | None  # None for untitled abstracts
    label: str  # what to show: the title, or a readable label for untitled abstracts
    abstract: str
    score: float  # fused retrieval score (higher is better)
    snippet: str = ""  # best matching chunk text
    supporting: list[str] = field(default_factory=list)  # abstract sentences backing the answer
    locations: list[str] = field(default_factory=list)  # "file:line" of every copy in the corpus

    @property
    def text(self) -> str:
        """Title and abstract, as the lexical checks read a paper."""
        return f"{self.title or ''} {self.abstract}"


@dataclass
class Citation:
    n: int
    paper_id: str
    label: str


@dataclass
class SentenceCheck:
    """Support check of one answer sentence against the sources it cites."""

    text: str
    cites: list[int]
    support: float  # best semantic similarity to a sentence of a cited source, 0..1
    missing_numbers: list[str]  # numbers in the sentence found in no cited source
    supported: bool


@dataclass
class Coverage:
    """Whether the answer covers what was asked (see rag/coverage.py)."""

    covered: bool
    share: float  # IDF-weighted share of the question's key terms found in the answer
    terms_found: list[str]
    terms_missing: list[str]  # key terms and asked-about names the answer lacks
    wants_number: bool  # the question asks for a quantity
    has_number: bool  # the answer states one


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass
class Answer:
    question: str
    text: str
    sources: list[Source]
    citations: list[Citation]
    refused: bool
    backend: str  # "extractive", "openai:<model>", "local:<model>", or "extractive (fallback)"
    timings_ms: dict[str, float] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)
    sentences: list[SentenceCheck] = field(default_factory=list)
    invalid_citations: list[int] = field(default_factory=list)  # removed [n] with no source
    notices: list[str] = field(default_factory=list)  # e.g. question cut, LLM fallback
    standalone_question: str | None = None  # follow-up rewritten from the history
    coverage: Coverage | None = None  # does the answer cover the question (None: refused)

    @property
    def unsupported(self) -> list[SentenceCheck]:
        return [s for s in self.sentences if not s.supported]

    def to_markdown(self) -> str:
        """The answer with numbered references (authors, year, title, venue, link)."""
        from rag.exports import to_markdown

        return to_markdown(self)

    def to_bibtex(self) -> str:
        """BibTeX entries of the cited papers."""
        from rag.exports import to_bibtex

        return to_bibtex(self)

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape of `rag ask --json`."""
        data = asdict(self)
        data["answer"] = data.pop("text")
        for src in data["sources"]:
            src.pop("abstract")
        return data


class Retract(str):
    """Streamed when the text streamed so far is withdrawn (a failed or discarded LLM answer).

    It is an empty string, so code that just joins the pieces keeps working; a display
    should clear what it showed: the pieces after it are the answer that replaces it.
    `reason` says why, for a line between the two.
    """

    reason: str

    def __new__(cls, reason: str) -> Retract:
        retract = super().__new__(cls, "")
        retract.reason = reason
        return retract
