"""Does the answer cover what was asked? An answer-level signal beside the per-sentence check.

Every quote can be verbatim from its source and the answer still miss the question (quotes
about another paper, no number for a "how much" question). Coverage looks at the answer
text: the share (IDF-weighted) of the question's key terms it contains, every name the
question asks about, and a number when the question asks for one.
"""

from __future__ import annotations

from rag.name_roles import is_unit, may_be_subject
from rag.question_type import QuestionInfo, is_measure, normalize_term, terms_of
from rag.sentence_scoring import LexicalStats, has_quantity, mentions
from rag.types import Coverage

MIN_SHARE = 0.5  # at least half of the question's key-term weight must appear in the answer
GENERIC_SHARE = 0.2  # terms in more than 20% of papers (model, training) are not key terms
# a name the question is about that this few papers write (GPTQ, CBQ) must be in the answer;
# not a common one (GPU, NeRF, RNNs) nor one no paper writes (a typo)
SPECIFIC_DF = 10


def coverage(
    info: QuestionInfo, answer_text: str, stats: LexicalStats, names: list[str]
) -> Coverage:
    generic = GENERIC_SHARE * max(stats.n_docs, 1)
    key = [t for t in info.terms if stats.df(t) <= generic]
    present = set(terms_of(answer_text))
    found = [t for t in key if t in present]
    missing = [t for t in key if t not in present]
    weight = sum(stats.idf(t) for t in key) or 1.0
    share = sum(stats.idf(t) for t in found) / weight if key else 1.0
    asked = [n for n in _subject_names(info) if 0 < stats.df(normalize_term(n)) <= SPECIFIC_DF]
    names_missing = [n for n in names if not mentions(answer_text, n)]
    names_missing += [  # written as a word of the answer's: "RNNs" as "RNN", "IFT" in "Sparse-IFT"
        n
        for n in asked
        if n not in names_missing
        and not set(terms_of(n)) <= present | set(names_missing)
        and not mentions(answer_text, n)
    ]
    number_ok = not info.wants_number or has_quantity(answer_text)
    return Coverage(
        covered=share >= MIN_SHARE and not names_missing and number_ok,
        share=round(share, 3),
        terms_found=found,
        terms_missing=missing + names_missing,
        wants_number=info.wants_number,
        has_number=has_quantity(answer_text),
    )


def _subject_names(info: QuestionInfo) -> list[str]:
    """The names the question is about ("Does VPTQ outperform GPTQ ...?": both), not its
    settings ("on LLaMA-3"), measures or units."""
    return [
        n for n in info.names if not (is_measure(n) or is_unit(n)) and may_be_subject(n, info.text)
    ]


def gap(cov: Coverage | None) -> str:
    """What an answer leaves out of the question, in words ("" when it covers it)."""
    if cov is None or cov.covered:
        return ""
    said = []
    if cov.terms_missing:
        said.append("it does not mention " + ", ".join(f"'{t}'" for t in cov.terms_missing[:6]))
    if cov.wants_number and not cov.has_number:
        said.append("the question asks for a number and the answer states none")
    return "; ".join(said) + "." if said else "it covers too little of the question."
