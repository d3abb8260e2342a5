"""Check an answer's citations: drop numbers with no source, score each sentence's support."""

from __future__ import annotations

import re

import numpy as np

from rag.chunking import split_sentences
from rag.evidence import SentenceIndex
from rag.text import numbers_in
from rag.types import Citation, SentenceCheck, Source

_MARKER = re.compile(r"\[(\s*\d+\s*(?:[,;]\s*\d+\s*)*)\]")
_LEADING_MARKERS = re.compile(r"^(?:\s*\[[\d,;\s]+\])+[.]?")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


def as_quoted(text: str) -> str:
    """An abstract's text as an answer quotes it: its own reference numbers ("as in [7]") read
    "(ref. 7)", so that no bracketed number in an answer is anything but a citation."""
    return _MARKER.sub(lambda m: f"(ref. {m.group(1).strip()})", text)


def clean_markers(text: str, k: int) -> tuple[str, list[int]]:
    """Remove citation numbers outside 1..k; return the text and the removed numbers."""
    invalid: list[int] = []

    def fix(match: re.Match[str]) -> str:
        nums = [int(x) for x in re.split(r"[,;]", match.group(1))]
        good = [n for n in nums if 1 <= n <= k]
        invalid.extend(n for n in nums if not 1 <= n <= k)
        return "".join(f"[{n}]" for n in good)

    cleaned = _MARKER.sub(fix, text)
    return re.sub(r"[ \t]+([.,;])", r"\1", cleaned), invalid


def cited_numbers(text: str) -> list[int]:
    """Distinct citation numbers in order of first appearance."""
    seen: list[int] = []
    for match in _MARKER.finditer(text):
        for n in (int(x) for x in re.split(r"[,;]", match.group(1))):
            if n not in seen:
                seen.append(n)
    return seen


def answer_sentences(text: str) -> list[str]:
    """Sentences of an answer; a citation left after the full stop stays with its sentence."""
    out: list[str] = []
    for line in text.splitlines():
        line = _BULLET.sub("", line).strip()
        if not line:
            continue
        for part in split_sentences(line):
            lead = _LEADING_MARKERS.match(part)
            if out and lead:  # "Claim. [1] Next claim" splits before the [1]: give it back
                out[-1] = f"{out[-1]} {lead.group(0).strip()}"
                part = part[lead.end() :].strip()
            if part:
                out.append(part)
    return out


def check_sentences(
    sentences: list[str], sources: list[Source], evidence: SentenceIndex, threshold: float
) -> list[SentenceCheck]:
    """Support = best cosine between the sentence and any sentence of a source it cites.

    A sentence is supported when it cites something, its support reaches `threshold`, and
    every number it states appears in a cited abstract. Supporting sentences are recorded
    on the sources, for the UI to highlight.
    """
    by_n = {s.n: s for s in sources}
    per_paper = evidence.many([(s.paper_id, s.abstract) for s in sources])
    bare = [_MARKER.sub("", s).strip() for s in sentences]
    quoted = [
        _quoted_from(text, cited_numbers(s), by_n) for s, text in zip(sentences, bare, strict=True)
    ]
    to_embed = [text for text, q in zip(bare, quoted, strict=True) if q is None]
    embedded = iter(evidence.embed(to_embed)) if to_embed else iter(())
    checks = []
    for sentence, text, quote in zip(sentences, bare, quoted, strict=True):
        vector = next(embedded) if quote is None else None
        cites = [n for n in cited_numbers(sentence) if n in by_n]
        best, support_text = (1.0, quote) if quote else (0.0, None)
        cited_numbers_found: set[str] = set()
        for n in cites:
            sents, vecs = per_paper[by_n[n].paper_id]
            cited_numbers_found |= numbers_in(by_n[n].abstract)
            if vector is not None and len(sents):
                sims = vecs @ vector
                i = int(np.argmax(sims))
                if float(sims[i]) > best:
                    best, support_text = float(sims[i]), (n, sents[i])
        missing = sorted(numbers_in(text) - cited_numbers_found)
        supported = bool(cites) and best >= threshold and not missing
        if supported and support_text:
            n, sent = support_text
            if sent not in by_n[n].supporting:
                by_n[n].supporting.append(sent)
        checks.append(SentenceCheck(text, cites, round(best, 3), missing, supported))
    return checks


def _quoted_from(text: str, cites: list[int], by_n: dict[int, Source]) -> tuple[int, str] | None:
    """A sentence copied verbatim from a cited abstract is fully supported by it."""
    for n in cites:
        if n in by_n and len(text) > 20 and text in as_quoted(by_n[n].abstract):
            return n, text
    return None


def citations_for(text: str, sources: list[Source]) -> list[Citation]:
    by_n = {s.n: s for s in sources}
    return [Citation(n, by_n[n].paper_id, by_n[n].label) for n in cited_numbers(text) if n in by_n]
