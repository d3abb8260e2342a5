"""Answers that are not quotes chosen for relevance: refusals, metadata look-ups and mention
notices.

- "Who wrote [2]?" is answered from the paper record's metadata (JSON/CSV fields such as
  authors or update_date), or says plainly that the collection has none.
- A question about a name that papers here only mention gets "No paper in this collection
  is about X; X is mentioned in [2] and [4]:" and the mentioning sentences, verbatim.
- A number question about a paper whose abstract never names the asked measure ("What
  was the dollar cost of training X?") says the abstract does not report it, rather than
  quoting other numbers of that paper as if they answered.
"""

from __future__ import annotations

import re

from rag.citations import as_quoted
from rag.metadata import PaperMeta
from rag.name_plan import NamePlan
from rag.prompts import render
from rag.question_type import QuestionInfo
from rag.sentence_scoring import reports_measure
from rag.types import Source

MAX_MENTIONS = 3  # papers quoted under a mention notice
_ASKS = (
    ("authors", re.compile(r"\b(who|authors?|written by|wrote)\b", re.IGNORECASE)),
    ("date", re.compile(r"\b(when|year|date)\b", re.IGNORECASE)),
    ("venue", re.compile(r"\b(venue|journal|conference|where)\b", re.IGNORECASE)),
    ("categories", re.compile(r"\bcategor(y|ies)\b", re.IGNORECASE)),
    ("identifier", re.compile(r"\b(arxiv id|arxiv number|doi|identifier)\b", re.IGNORECASE)),
)
_MISSING = {
    "authors": "author",
    "date": "date",
    "venue": "venue",
    "categories": "category",
    "identifier": "id",
}


def asked_fields(question: str) -> list[str]:
    return [name for name, pattern in _ASKS if pattern.search(question)] or ["authors"]


def metadata_answer(question: str, source: Source, meta: PaperMeta) -> tuple[str, bool]:
    """(text, answered): the asked fields of the paper's record, or a plain "no information"."""
    values = {
        "authors": ", ".join(display_name(a) for a in meta.authors),
        "date": meta.date or (str(meta.year) if meta.year else ""),
        "venue": meta.venue or "",
        "categories": ", ".join(meta.categories),
        "identifier": "; ".join(
            f"{label} {value}"
            for label, value in (("DOI", meta.doi), ("arXiv", meta.arxiv_id), ("PMID", meta.pmid))
            if value
        ),
    }
    lines, missing = [], []
    for asked in asked_fields(question):
        if values[asked]:
            lines.append(f"- {asked}: {values[asked]} [{source.n}]")
        else:
            missing.append(_MISSING[asked])
    if not lines:
        fields = " or ".join(missing)
        text = render("metadata_missing", field=fields, cite=f"[{source.n}]", label=source.label)
        return text, False
    return "\n".join([f"[{source.n}] {source.label}", *lines]), True


def display_name(author: str) -> str:
    """'Lovelace, Ada' -> 'Ada Lovelace' (names are stored surname first)."""
    last, comma, first = author.partition(",")
    return f"{first.strip()} {last.strip()}" if comma and first.strip() else author.strip()


def mention_notice(names: list[str], quotes: list[tuple[Source, list[str]]]) -> str:
    """The notice, then each mentioning paper's sentences that name the thing."""
    shown = " or ".join(names)
    if not quotes:
        return render("not_about", names=shown)
    verb = "it is" if len(names) == 1 else "they are"
    cites = _and([f"[{source.n}]" for source, _ in quotes])
    lines = [render("mention_notice", names=shown, mentioned=f"{verb} mentioned", cites=cites)]
    for source, sentences in quotes:
        lines.append(f"[{source.n}] {source.label}")
        lines.extend(f"- {as_quoted(s)} [{source.n}]" for s in sentences[:2])
    return "\n".join(lines)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def no_source(missing: list[int], known: list[int]) -> str:
    """ "Who wrote [9]?" when no previous answer has a source [9]: say so, and which it had."""
    refs = _and([str(n) for n in missing])  # no [n] here: it would read as a citation
    if not known:
        return render("no_source", refs=refs, had="there is no earlier answer in this chat")
    had = f"the last answer's sources are {known[0]} to {known[-1]}"
    return render("no_source", refs=refs, had=had)


def refusal(sources: list[Source], unknown: list[str] | None = None) -> str:
    """The collection does not answer: say so, name the closest papers and any asked-about
    terms no abstract mentions."""
    closest = "\n".join(f"- [{s.n}] {s.label}" for s in sources[:3]) or "- (none)"
    text = render("refusal", closest=closest)
    if unknown:
        terms = ", ".join(f"'{t}'" for t in unknown)
        text = f"No abstract in this collection mentions {terms}. {text}"
    return text


def unreported_papers(info: QuestionInfo, plan: NamePlan, sources: list[Source]) -> list[Source]:
    """The papers a number question names, when it asks for a measure none of their
    abstracts names ("accuracy", "cost"); empty when the question can be answered."""
    if not info.measure or not info.only_number or info.asks_for_papers:
        return []
    named = [s for s in sources if s.paper_id in plan.leads]
    # the name's origin may be the paper meant: "the Transformer" is in the title of
    # "Efficient Transformer Inference" (the lead), the paper introducing it reports BLEU
    origins = [s for s in sources if s.paper_id in plan.origins]
    if any(reports_measure(s.text, info.measure) for s in [*named, *origins]):
        return []
    return named


def unreported_notice(measure: str, sources: list[Source]) -> str:
    """ "The abstract of [1] X does not report its cost." for each paper the question names."""
    papers = _and([f"[{s.n}] {s.label}" for s in sources])
    one = len(sources) == 1
    return render(
        "not_reported",
        noun="abstract" if one else "abstracts",
        papers=papers,
        verb="does" if one else "do",
        measure=measure,
    )
