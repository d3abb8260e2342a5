"""Token-aware chunks on sentence boundaries that fit the embedding model's window."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rag.offline import configure_offline

# A sentence ends at . ! ? followed by space and a capital/digit/bracket, except after
# common abbreviations ("e.g.", "a.k.a.", "et al.", "Fig.") and single initials, and never
# inside parentheses or brackets. The look-behinds sit where the space starts, so each one
# includes the full stop; the cheap "after . ! ?" test comes first, so the abbreviation tests
# run only there (15 times faster over the default corpus, same sentences).
ABBREVIATIONS = (
    r"e\.g\.",
    r"i\.e\.",
    r"a\.k\.a\.",
    r"et al\.",
    r"vs\.",
    r"Fig\.",
    r"Figs\.",
    r"Eq\.",
    r"Eqs\.",
    r"cf\.",
    r"approx\.",
    r"resp\.",
    r"w\.r\.t\.",
    r"Sec\.",
    r"Tab\.",
    r"No\.",
)
_ABBREV = "".join(rf"(?<!\b{a})" for a in ABBREVIATIONS)
_SENTENCE_END = re.compile(r"(?<=[.!?])" + _ABBREV + r"(?<!\b[A-Z]\.)\s+(?=[\"'(\[]?[A-Z0-9])")
_CLOSE = ")]"


@dataclass(frozen=True)
class Chunk:
    paper_id: str
    position: int
    text: str  # title line + sentences: what is embedded and BM25-indexed
    n_tokens: int
    sentences: tuple[str, ...] = ()  # the body, sentence by sentence: text ends with their join
    first: int = 0  # index of the first of them among the paper's sentences

    @property
    def chunk_id(self) -> str:
        return f"{self.paper_id}-{self.position:03d}"


@lru_cache(maxsize=1)
def encoding():
    configure_offline()
    import tiktoken

    return tiktoken.get_encoding("cl100k_base")


def count_tokens(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))


def split_sentences(text: str) -> list[str]:
    """Sentences of an abstract; a full stop inside (...) or [...] does not end one (an
    opening bracket that never closes is ignored, so it cannot swallow the abstract)."""
    out, start, depth, scanned = [], 0, 0, 0
    for match in _SENTENCE_END.finditer(text):
        a, b = scanned, match.start()
        opened = text.count("(", a, b) + text.count("[", a, b)
        depth = max(depth + opened - text.count(")", a, b) - text.count("]", a, b), 0)
        scanned = b
        if depth == 0 or all(text.find(ch, match.end()) < 0 for ch in _CLOSE):
            out.append(text[start : match.start()])
            start = match.end()
    out.append(text[start:])
    return [s.strip() for s in out if s.strip()]


def _cut(sentence: str, budget: int) -> list[str]:
    """A sentence longer than the budget is cut on token boundaries."""
    tokens = encoding().encode(sentence, disallowed_special=())
    return [encoding().decode(tokens[i : i + budget]) for i in range(0, len(tokens), budget)]


def _head(heading: str, max_tokens: int) -> tuple[str, int, int]:
    """The heading line (shortened when over half the budget), its tokens, and the budget
    left for sentences."""
    heading_tokens = encoding().encode(heading, disallowed_special=())
    if len(heading_tokens) > max_tokens // 2:
        heading = encoding().decode(heading_tokens[: max_tokens // 2 - 2]).rstrip() + "…"
    head = f"{heading}\n"
    head_tokens = count_tokens(head)
    return head, head_tokens, max(16, max_tokens - head_tokens)


def _pieces(abstract: str, budget: int) -> list[tuple[str, int]]:
    """Sentences (a sentence over the budget cut in parts), each with its token cost."""
    pieces: list[tuple[str, int]] = []
    for sentence in split_sentences(abstract):
        n = count_tokens(sentence)
        parts = _cut(sentence, budget) if n > budget else [sentence]
        pieces.extend((part, (n if len(parts) == 1 else count_tokens(part)) + 1) for part in parts)
    return pieces


def sentence_pieces(heading: str, abstract: str, max_tokens: int) -> list[str]:
    """The units chunks are packed from, in order: what sentence vectors are stored for.

    Same pieces as chunking cuts, with fewer token counts: a token is at least one byte, so
    a sentence of no more bytes than the budget is never cut and is not counted."""
    budget = _head(heading, max_tokens)[2]
    return [
        part
        for sentence in split_sentences(abstract)
        for part in (
            _cut(sentence, budget)
            if len(sentence.encode("utf-8")) > budget and count_tokens(sentence) > budget
            else [sentence]
        )
    ]


def chunk_paper(
    paper_id: str, heading: str, abstract: str, max_tokens: int, overlap: int = 1
) -> list[Chunk]:
    """Greedy sentence packing under `max_tokens` (heading included); `overlap` sentences carried.

    A heading over half the budget is shortened, so every chunk still fits the model's window.
    """
    head, head_tokens, budget = _head(heading, max_tokens)
    pieces = _pieces(abstract, budget)
    chunks: list[Chunk] = []
    start = done = 0
    while start < len(pieces):
        end, used = start, 0
        while end < len(pieces) and (end == start or used + pieces[end][1] <= budget):
            used += pieces[end][1]
            end += 1
        if end <= done:  # only the carried-over sentences fit: drop the overlap this time
            start = done
            continue
        done = end
        sentences = tuple(p for p, _ in pieces[start:end])
        body = " ".join(sentences)
        chunks.append(
            Chunk(paper_id, len(chunks), head + body, head_tokens + used, sentences, start)
        )
        if end >= len(pieces):
            break
        start = max(start + 1, end - overlap)
    return chunks
