"""Eval metrics as pure functions on plain data, so each definition is testable by hand.

Retrieval metrics take `ranks`: one entry per retrieved paper in rank order, holding the index
of the gold entry that paper matches (see `paper_rag.eval.questions.gold_index`) or None.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rag.text import normalize_text, numbers_in

RETRIEVAL_KEYS = ("hit@1", "recall@5", "recall@10", "mrr", "ndcg@10")
ANSWER_KEYS = (
    "citation_validity",
    "citation_precision",
    "citation_recall",
    "key_fact_recall",
    "refusal_accuracy",
    "false_refusal_rate",
)
METRIC_KEYS = (*RETRIEVAL_KEYS, *ANSWER_KEYS, "latency_ms_p50", "latency_ms_p95")

FACT_TERM_SHARE = 0.6  # share of a key fact's content terms the answer must contain
# fmt: off
_STOPWORDS = frozenset(
    {
        "the", "and", "for", "with", "that", "this", "from", "are", "was", "were", "which", "its",
        "into", "than", "their", "our", "has", "have", "been", "can", "not", "but", "also", "such",
        "these", "those", "over", "via", "all", "more", "most", "other", "only", "both", "each",
        "between", "when", "where", "while", "how", "what", "who", "they", "them", "then", "will",
        "would", "does", "did", "per", "use", "using", "used", "based",
    }
)
# fmt: on


def _gold_positions(ranks: Sequence[int | None], k: int) -> list[int]:
    """0-based positions within the top k where a gold paper appears for the first time."""
    seen: set[int] = set()
    positions = []
    for pos, gold in enumerate(ranks[:k]):
        if gold is not None and gold not in seen:
            seen.add(gold)
            positions.append(pos)
    return positions


def hit_at_k(ranks: Sequence[int | None], k: int) -> float:
    """1.0 if any gold paper is among the top k results, else 0.0."""
    return 1.0 if _gold_positions(ranks, k) else 0.0


def recall_at_k(ranks: Sequence[int | None], n_gold: int, k: int) -> float | None:
    """Distinct gold papers in the top k / n_gold; None when the question has no gold."""
    if n_gold == 0:
        return None
    return len(_gold_positions(ranks, k)) / n_gold


def reciprocal_rank(ranks: Sequence[int | None]) -> float:
    """1 / (1-based rank of the first gold paper); 0.0 when no gold paper was retrieved."""
    positions = _gold_positions(ranks, len(ranks))
    return 1.0 / (positions[0] + 1) if positions else 0.0


def ndcg_at_k(ranks: Sequence[int | None], n_gold: int, k: int) -> float | None:
    """DCG / ideal DCG over the top k with binary relevance; None when there is no gold.

    DCG = sum of 1 / log2(rank + 1) over first occurrences of gold papers (1-based rank);
    the ideal DCG puts min(n_gold, k) gold papers at ranks 1..min(n_gold, k).
    """
    if n_gold == 0:
        return None
    dcg = sum(1.0 / math.log2(pos + 2) for pos in _gold_positions(ranks, k))
    ideal = sum(1.0 / math.log2(pos + 2) for pos in range(min(n_gold, k)))
    return dcg / ideal


@dataclass(frozen=True)
class CitationScores:
    validity: float | None
    precision: float | None
    recall: float | None


def citation_scores(
    cited_ns: Sequence[int], invalid: int, source_gold: Mapping[int, int | None], n_gold: int
) -> CitationScores:
    """Score the [n] markers of one answer.

    `cited_ns` holds the source number of every valid marker (repeats allowed), `invalid` the
    number of markers removed because no source had that number, `source_gold` maps each
    source number to its gold index (None if not gold).
    - validity = valid markers / all markers (valid + invalid); None when there is no marker.
    - precision = distinct cited sources that are gold / distinct cited sources; None if none.
    - recall = distinct gold papers cited / n_gold; None when the question has no gold.
    """
    markers = len(cited_ns) + invalid
    validity = len(cited_ns) / markers if markers else None
    cited = set(cited_ns)
    golds = [source_gold[n] for n in cited if source_gold[n] is not None]
    precision = len(golds) / len(cited) if cited else None
    recall = len(set(golds)) / n_gold if n_gold else None
    return CitationScores(validity, precision, recall)


def _terms(text: str) -> set[str]:
    """Content terms: normalized words of 3+ chars with a letter, no stopwords, final "s" cut."""
    words = normalize_text(text).split()
    return {
        w.removesuffix("s")
        for w in words
        if len(w) >= 3 and w not in _STOPWORDS and any(ch.isalpha() for ch in w)
    }


def key_fact_recall(answer_text: str, key_facts: Sequence[str]) -> float | None:
    """Share of key facts present in the answer; None when the question lists no key facts.

    A fact is present when (1) every number in the fact (as `rag.text.numbers_in` reads it,
    e.g. "76.2%" -> 76.2) is among the numbers of the answer, and (2) at least 60% of the
    fact's content terms appear among the answer's terms. Content terms are the normalized
    words of 3+ characters that contain a letter and are not stopwords, compared after
    stripping one trailing "s". A fact with no content terms needs only its numbers.
    """
    if not key_facts:
        return None
    answer_numbers = numbers_in(answer_text)
    answer_terms = _terms(answer_text)
    present = 0
    for fact in key_facts:
        terms = _terms(fact)
        share = len(terms & answer_terms) / len(terms) if terms else 1.0
        if numbers_in(fact) <= answer_numbers and share >= FACT_TERM_SHARE:
            present += 1
    return present / len(key_facts)


def refusal_rates(items: Iterable[tuple[bool, bool]]) -> tuple[float | None, float | None]:
    """(refusal_accuracy, false_refusal_rate) from (answerable, refused) pairs.

    refusal_accuracy = refused / unanswerable questions; false_refusal_rate = refused /
    answerable questions. Each is None when its group is empty.
    """
    refused_by_group: dict[bool, list[bool]] = {True: [], False: []}
    for answerable, refused in items:
        refused_by_group[answerable].append(refused)

    def rate(group: list[bool]) -> float | None:
        return sum(group) / len(group) if group else None

    return rate(refused_by_group[False]), rate(refused_by_group[True])


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0..100) with linear interpolation between ranks; None if empty."""
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be within 0..100, got {p}")
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    lo, hi = math.floor(rank), math.ceil(rank)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (rank - lo)


def aggregate(rows: Sequence[Mapping[str, Any]], keys: Iterable[str]) -> dict[str, float | None]:
    """Mean of each key over the rows that have a non-None value for it; None if none does."""
    result: dict[str, float | None] = {}
    for key in keys:
        values = [row[key] for row in rows if row.get(key) is not None]
        result[key] = sum(values) / len(values) if values else None
    return result
