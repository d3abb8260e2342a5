"""Hybrid retrieval: dense chunks (LlamaIndex over Chroma) + BM25 papers (bm25s), fused by RRF.

Both lists are grouped by paper before fusion, so a paper with many matching chunks
counts once, with its best chunk as the snippet.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rag.catalog import Catalog, Selection
from rag.keyword_index import KeywordIndex
from rag.name_roles import heading
from rag.question_type import (
    GREEK_LETTERS,
    STOPWORDS,
    analyze,
    inflected_from,
    names_in,
    normalize_term,
    word_forms,
)
from rag.sentence_scoring import LexicalStats, lexical_share, term_weights
from rag.settings import RetrievalMode, Settings
from rag.text import plain


@dataclass
class Hit:
    paper_id: str
    score: float  # fused score (RRF for hybrid, similarity or BM25 for the single modes)
    dense: float = 0.0  # best chunk cosine similarity; 0 when dense did not find the paper
    position: int = 0  # the best chunk's place in its paper (its text is shown as snippet)
    ranks: dict[str, int] = field(default_factory=dict)  # rank per retriever, 1-based


MAX_IN_IDS = 5000  # filters selecting more papers than this post-filter a wider search
WIDER_SEARCH = 10
RARE_DF = 3  # a name in at most this many papers is "rare"
# Scores are compared at this precision and ties broken by id: near-equal floats from the
# approximate index otherwise come back in varying order and reorder the sources run to run.
SCORE_DIGITS = 6
EXTRA_CANDIDATES = 8  # fetched beyond `candidates` so the cut falls on a deterministic order
FEEDBACK_PAPERS = 4  # a survey question's query moves toward its first this many papers
FEEDBACK_KEEP = 2  # ... which keep their places at the top


class HybridRetriever:
    """Dense chunks and BM25 papers, fused; word counts come from the catalog by lookup."""

    def __init__(
        self,
        vector_index: Any,
        catalog: Catalog,
        keywords: KeywordIndex,
        stats: LexicalStats,
        settings: Settings,
    ) -> None:
        self.settings = settings
        self._index = vector_index
        self._dense = self._dense_retriever(settings)
        self._bm25 = keywords
        self._catalog = catalog
        self._stats = stats

    def _df(self, word: str) -> int:
        return self._catalog.word_df(word)

    def _dense_retriever(self, settings: Settings) -> Any:
        return self._index.as_retriever(similarity_top_k=settings.candidates + EXTRA_CANDIDATES)

    def with_settings(self, settings: Settings) -> HybridRetriever:
        """The same indexes under other settings (an `Engine.with_settings` view)."""
        if settings is self.settings:
            return self
        clone = copy.copy(self)
        clone.settings = settings
        clone._dense = self._dense_retriever(settings)
        return clone

    @staticmethod
    def _names(question: str) -> list[str]:
        return names_in(question)

    def unknown_terms(self, question: str) -> list[str]:
        """Names and acronyms in the question that no abstract contains, and the plain words
        of its heading that none writes.

        A question about something the collection never mentions should be refused even
        when its general topic is close to some paper.
        """
        question = plain(question)  # as the papers' words are counted
        unknown = []  # "PixArt-Sigma" is known when an abstract writes "PixArt-Σ"
        for word in self._names(question):
            if any(self._df(form) for form in word_forms(word)):
                continue
            parts = [p for p in word.lower().split("-") if p]
            typed_low = {p for p in word.split("-") if p.islower()}  # "LLM-powered"
            known = [self._known_part(p) or (p in typed_low and self.heard(p)) for p in parts]
            if all(known) and not self._unwritten_name(word, parts):
                continue
            if len(parts) < 2 or not self._catalog.naming(parts, 1):  # "CodeACT-DeepSeek-
                unknown.append(word)  # Coder-6.7B" holds the name "DeepSeek-Coder-6.7B"
        # a heading's plain word no abstract writes ("malware classification: do GNNs ...")
        for word in re.findall(r"(?<![\w-])[a-z]{4,}(?![\w-])", heading(question)):
            if word not in STOPWORDS and not self.heard(normalize_term(word)):
                unknown.append(word)
        return unknown

    def _unwritten_name(self, word: str, parts: list[str]) -> bool:
        """A hyphenated proper name whose parts are common words but which no abstract writes,
        joined or not ("IP-Adapter", "Q-Former": "ip" and "adapter" are everywhere); a
        compound the asker formed ("GPU-cluster", "Adam-style") has a lower-case part."""
        pieces = [p for p in word.split("-") if p]
        proper = len(pieces) > 1 and all(p[0].isupper() or p[0].isdigit() for p in pieces)
        typed_symbol = any(p in GREEK_LETTERS for p in parts)  # "PixArt-Sigma": see _known_part
        return proper and not typed_symbol and not self._df("".join(parts))

    def heard(self, term: str) -> bool:
        """A question term some abstract writes, as it is or uninflected ("adversarially")."""
        return any(self._stats.df(t) for t in (term, *inflected_from(term)))

    def _known_part(self, part: str) -> bool:
        """A part of a hyphenated name that an abstract contains; a Greek letter spelled out
        ("PixArt-Sigma") is known when the abstract writes the symbol, indexed as "pixart-"."""
        return bool(
            self._df(part) or part.isdigit() or part in GREEK_LETTERS or self._df(part + "-")
        )

    def rare_names(self, question: str) -> list[str]:
        """Names in the question that only a few papers contain (NUPES, QDET).

        The embedding model has never seen such names, so keyword search should lead.
        """
        return [w for w in self._names(question) if 0 < self._df(w.lower()) <= RARE_DF]

    def _bm25_search(self, question: str, allowed: Selection | None) -> list[tuple[str, float]]:
        k = self.settings.candidates
        found = self._bm25.search(question, k, allowed)
        return sorted(found, key=lambda h: (-round(h[1], SCORE_DIGITS), h[0]))[:k]

    def dense(self, embedding: list[float], allowed: set[str] | None = None) -> list[Hit]:
        from llama_index.core.schema import QueryBundle

        if allowed is None:
            retriever = self._dense
        elif len(allowed) <= MAX_IN_IDS:
            retriever = self._filtered(allowed)
        else:  # too many ids for one SQL query: search wider, keep the allowed ones
            k = self._dense.similarity_top_k * WIDER_SEARCH
            retriever = self._index.as_retriever(similarity_top_k=k)
        nodes = retriever.retrieve(QueryBundle(query_str="", embedding=embedding))
        nodes = [n for n in nodes if allowed is None or n.node.metadata.get("paper_id") in allowed]
        nodes = sorted(nodes, key=lambda n: (-round(n.score or 0.0, SCORE_DIGITS), n.node_id))
        nodes = nodes[: self.settings.candidates]
        best: dict[str, Hit] = {}
        for node in nodes:  # best first
            pid = node.node.metadata.get("paper_id")
            if pid and pid not in best:
                score = float(node.score or 0.0)
                position = int(node.node.metadata.get("position", 0))
                best[pid] = Hit(pid, score, dense=score, position=position)
        return list(best.values())

    def _filtered(self, allowed: set[str]) -> Any:
        """A dense retriever that Chroma restricts to these papers (`paper_id $in …`)."""
        from llama_index.core.vector_stores import FilterOperator, MetadataFilter, MetadataFilters

        ids = sorted(allowed)
        if not ids:
            ids = [""]  # Chroma refuses an empty $in; no paper has this id
        only = MetadataFilter(key="paper_id", value=ids, operator=FilterOperator.IN)
        return self._index.as_retriever(
            similarity_top_k=self._dense.similarity_top_k, filters=MetadataFilters(filters=[only])
        )

    def retrieve(
        self,
        question: str,
        embedding: list[float],
        top_k: int,
        mode: RetrievalMode,
        allowed: Selection | None = None,
        sentences: SentenceEvidence | None = None,
    ) -> tuple[list[Hit], float]:
        """The top papers for `mode`, and the best dense similarity (the evidence strength).

        `allowed` (from filters) restricts both retrievers to those paper ids. `sentences`
        gives papers' sentences with their stored vectors: in hybrid mode the candidates of
        both retrievers are also ranked by their best sentence (its similarity plus the
        question's terms it contains), a third list in the fusion."""
        dense = self.dense(embedding, allowed)
        evidence = dense[0].dense if dense else 0.0
        sparse = (
            [Hit(pid, s) for pid, s in self._bm25_search(question, allowed)]
            if mode in ("bm25", "hybrid")
            else []
        )
        if mode == "dense":
            return dense[:top_k], evidence
        if mode == "bm25":
            return sparse[:top_k], evidence
        query = np.asarray(embedding, dtype=np.float32)
        fuse = self._fusion(question, sparse, sentences)
        fused = fuse(query, dense)
        weight = self.settings.survey_feedback_weight
        if weight > 0 and sentences is not None and analyze(question).wants_survey:
            fused = self._with_feedback(query, fused, allowed, sentences, fuse)
        return fused[:top_k], evidence

    def _fusion(
        self, question: str, sparse: list[Hit], sentences: SentenceEvidence | None
    ) -> Fusion:
        """RRF of a dense list with the BM25 list and, given `sentences`, with their
        candidates ranked by best sentence; the question's weights and terms are worked out
        once, for both searches of a survey question."""
        bm25_weight = self.settings.rare_name_bm25_weight if self.rare_names(question) else 1.0
        weights = {"dense": self.settings.dense_weight, "bm25": bm25_weight}
        by_sentence = sentences is not None and self.settings.sentence_weight > 0
        if by_sentence:
            weights["sentences"] = self.settings.sentence_weight
        terms = term_weights(analyze(question).terms, self._stats) if by_sentence else {}

        def fuse(query: np.ndarray, dense: list[Hit]) -> list[Hit]:
            lists = {"dense": dense, "bm25": sparse}
            if by_sentence:
                candidates = sorted({h.paper_id for h in dense} | {h.paper_id for h in sparse})
                lists["sentences"] = sentence_hits(
                    sentences(candidates), query, terms, self.settings.sentence_lexical_weight
                )
            return rrf(lists, self.settings.rrf_k, weights)

        return fuse

    def _with_feedback(
        self,
        query: np.ndarray,
        fused: list[Hit],
        allowed: Selection | None,
        sentences: SentenceEvidence,
        fuse: Fusion,
    ) -> list[Hit]:
        """A survey question's papers after the first FEEDBACK_KEEP, searched again with the
        query moved toward the first FEEDBACK_PAPERS (pseudo-relevance feedback).

        The papers on one topic resemble each other more than any question resembles them,
        so the best few find the ones a paraphrase missed (dev recall@5 0.951 -> 0.960,
        probes 1-27 0.979 -> 0.981; MRR unchanged: the first papers stay)."""
        lead = fused[:FEEDBACK_PAPERS]
        centroid = _centroid(sentences([h.paper_id for h in lead]))
        if centroid is None:
            return fused
        moved = query + self.settings.survey_feedback_weight * centroid
        moved /= np.linalg.norm(moved)
        again = fuse(moved, self.dense(moved.tolist(), allowed))
        kept = fused[:FEEDBACK_KEEP]
        seen = {h.paper_id for h in kept}
        return kept + [h for h in again if h.paper_id not in seen]


def _centroid(evidence: Mapping[str, tuple[list[str], np.ndarray]]) -> np.ndarray | None:
    """The mean of the papers' unit mean-sentence vectors; None when none has sentences."""
    means = [vecs.mean(axis=0) for _, vecs in evidence.values() if len(vecs)]
    if not means:
        return None
    return np.mean([m / np.linalg.norm(m) for m in means], axis=0).astype(np.float32)


# Papers' sentences with their stored unit vectors (one row per sentence), by paper id.
SentenceEvidence = Callable[[list[str]], Mapping[str, tuple[list[str], np.ndarray]]]
# One fusion of a question's lists, given its query vector and dense list (`_fusion`).
Fusion = Callable[[np.ndarray, list[Hit]], list[Hit]]


def sentence_hits(
    evidence: Mapping[str, tuple[list[str], np.ndarray]],
    query: np.ndarray,
    terms: Mapping[str, float],
    lexical_weight: float,
) -> list[Hit]:
    """Papers ranked by their best sentence: its cosine similarity to the question plus
    `lexical_weight` times the IDF-weighted share of the question's `terms` it contains.

    A paraphrased question often matches one sentence of the paper that answers it more
    closely than any 200-token chunk, whose vector averages several statements; the terms
    favour the sentence that also says what was asked (dev recall@5 0.916 -> 0.951)."""
    scored = []
    for pid, (texts, vecs) in evidence.items():
        if not len(vecs):
            continue
        score = vecs @ query
        if lexical_weight and terms:
            score = score + lexical_weight * np.array([lexical_share(t, terms) for t in texts])
        scored.append((float(score.max()), pid))
    scored.sort(key=lambda s: (-round(s[0], SCORE_DIGITS), s[1]))
    return [Hit(pid, score) for score, pid in scored]


def rrf(lists: dict[str, list[Hit]], k: int, weights: dict[str, float] | None = None) -> list[Hit]:
    """Weighted reciprocal rank fusion: score = sum over retrievers of w / (k + rank)."""
    fused: dict[str, Hit] = {}
    for name, hits in lists.items():
        weight = (weights or {}).get(name, 1.0)
        for rank, hit in enumerate(hits, start=1):
            into = fused.setdefault(hit.paper_id, Hit(hit.paper_id, 0.0))
            into.score += weight / (k + rank)
            into.ranks[name] = rank
            if hit.dense:
                into.dense, into.position = hit.dense, hit.position
    return sorted(fused.values(), key=lambda h: (-round(h.score, SCORE_DIGITS), h.paper_id))
