"""The offline answer: the retrieved abstracts' own sentences that best answer the question.

Verbatim and deterministic: sentences are chosen by similarity to the question with a
diversity penalty (maximal marginal relevance), then shown in source order.
"""

from __future__ import annotations

import numpy as np

from rag.evidence import SentenceIndex
from rag.prompts import render
from rag.types import Source

MMR_LAMBDA = 0.7
MAX_PER_PAPER = 2
MIN_SIMILARITY = 0.15
RELATIVE_FLOOR = 0.8  # keep sentences within 80% of the best one (dev set: precision .41 -> .69)


def extractive_answer(
    query_vector: np.ndarray, sources: list[Source], evidence: SentenceIndex, n_sentences: int
) -> str:
    per_paper = evidence.many([(s.paper_id, s.abstract) for s in sources])
    candidates: list[tuple[int, int, str, np.ndarray, float]] = []  # n, position, text, vec, sim
    for source in sources:
        sents, vectors = per_paper[source.paper_id]
        sims = vectors @ query_vector if len(sents) else np.zeros(0)
        candidates.extend(
            (source.n, i, sent, vectors[i], float(sims[i])) for i, sent in enumerate(sents)
        )
    best = max((c[4] for c in candidates), default=0.0)
    floor = max(MIN_SIMILARITY, RELATIVE_FLOOR * best)
    chosen = _mmr([c for c in candidates if c[4] >= floor], n_sentences)
    if not chosen:
        chosen = sorted(candidates, key=lambda c: -c[4])[:1]
    chosen.sort(key=lambda c: (c[0], c[1]))
    lines = [f"- {text} [{n}]" for n, _, text, _, _ in chosen]
    lead = render("extractive_lead", n_papers=len({c[0] for c in chosen}))
    return "\n".join([lead, *lines])


def _mmr(candidates: list, k: int) -> list:
    chosen: list = []
    per_paper: dict[int, int] = {}
    pool = sorted(candidates, key=lambda c: (-c[4], c[0], c[1]))  # deterministic tie order
    while pool and len(chosen) < k:

        def gain(c) -> float:
            redundancy = max((float(c[3] @ s[3]) for s in chosen), default=0.0)
            return MMR_LAMBDA * c[4] - (1 - MMR_LAMBDA) * redundancy

        best = max(pool, key=gain)
        pool.remove(best)
        if per_paper.get(best[0], 0) >= MAX_PER_PAPER:
            continue
        per_paper[best[0]] = per_paper.get(best[0], 0) + 1
        chosen.append(best)
    return chosen
