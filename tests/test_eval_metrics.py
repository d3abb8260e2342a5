"""Eval metrics on hand-computed cases; each case fails if its counting rule breaks."""

from __future__ import annotations

import math

import pytest

from paper_rag.eval.metrics import (
    METRIC_KEYS,
    CitationScores,
    aggregate,
    citation_scores,
    hit_at_k,
    key_fact_recall,
    ndcg_at_k,
    percentile,
    recall_at_k,
    reciprocal_rank,
    refusal_rates,
)


def test_metric_keys_are_the_published_names() -> None:
    assert METRIC_KEYS == (
        "hit@1", "recall@5", "recall@10", "mrr", "ndcg@10",
        "citation_validity", "citation_precision", "citation_recall",
        "key_fact_recall", "refusal_accuracy", "false_refusal_rate",
        "latency_ms_p50", "latency_ms_p95",
    )  # fmt: skip


def test_retrieval_metrics_on_gold_at_ranks_2_and_4() -> None:
    ranks = [None, 0, None, 1]
    # rank 1 is not gold -> hit@1 = 0; both golds within top 5 -> recall@5 = 2/2;
    # only gold 0 within top 2 -> recall@2 = 1/2; first gold at rank 2 -> RR = 1/2;
    # DCG = 1/log2(3) + 1/log2(5), ideal DCG (2 gold) = 1/log2(2) + 1/log2(3).
    assert hit_at_k(ranks, 1) == 0.0
    assert hit_at_k(ranks, 2) == 1.0
    assert recall_at_k(ranks, 2, 5) == 1.0
    assert recall_at_k(ranks, 2, 2) == 0.5
    assert reciprocal_rank(ranks) == 0.5
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(ranks, 2, 10) == pytest.approx(expected)


def test_gold_retrieved_twice_counts_once() -> None:
    ranks = [0, 0, None]
    # gold 0 twice, gold 1 missing -> recall = 1/2, not 2/2;
    # DCG = 1 (the second copy adds nothing), ideal = 1 + 1/log2(3) -> 0.6131
    assert recall_at_k(ranks, 2, 5) == 0.5
    assert ndcg_at_k(ranks, 2, 10) == pytest.approx(1 / (1 + 1 / math.log2(3)))


def test_duplicate_before_second_gold_keeps_its_rank() -> None:
    ranks = [0, 0, 1]
    # gold 1 is a first occurrence at rank 3: DCG = 1 + 1/log2(4) = 1.5, ideal = 1 + 1/log2(3)
    assert ndcg_at_k(ranks, 2, 10) == pytest.approx(1.5 / (1 + 1 / math.log2(3)))


def test_ideal_dcg_is_capped_at_k() -> None:
    # 3 gold but k = 2: golds at ranks 1 and 2 are the best possible -> nDCG@2 = 1
    assert ndcg_at_k([0, 1], 3, 2) == pytest.approx(1.0)
    # recall still divides by all 3 gold
    assert recall_at_k([0, 1], 3, 2) == pytest.approx(2 / 3)


def test_no_gold_retrieved_scores_zero() -> None:
    for ranks in ([None, None], []):
        assert hit_at_k(ranks, 1) == 0.0
        assert recall_at_k(ranks, 1, 10) == 0.0
        assert reciprocal_rank(ranks) == 0.0
        assert ndcg_at_k(ranks, 1, 10) == 0.0


def test_question_without_gold_has_no_recall_or_ndcg() -> None:
    assert recall_at_k([None], 0, 5) is None
    assert ndcg_at_k([None], 0, 10) is None


def test_citation_scores_count_distinct_papers() -> None:
    # markers [1][1][2]: all valid -> validity 3/3; distinct cited {1, 2}, only 1 is gold
    # -> precision 1/2; gold papers cited {0} of 2 -> recall 1/2
    scores = citation_scores([1, 1, 2], 0, {1: 0, 2: None, 3: 1}, 2)
    assert scores == CitationScores(validity=1.0, precision=0.5, recall=0.5)


def test_invalid_citations_lower_validity() -> None:
    # 2 valid + 2 removed invalid markers -> validity 2/4
    scores = citation_scores([1, 2], 2, {1: 0, 2: 1}, 2)
    assert scores == CitationScores(validity=0.5, precision=1.0, recall=1.0)
    # only invalid markers: validity 0, nothing valid cited -> precision None, recall 0
    assert citation_scores([], 1, {1: 0}, 1) == CitationScores(0.0, None, 0.0)


def test_two_copies_of_one_gold_paper_count_once_for_recall() -> None:
    # sources 1 and 2 are both gold 0: precision 2/2, recall {0} / 2 = 1/2
    assert citation_scores([1, 2], 0, {1: 0, 2: 0}, 2) == CitationScores(1.0, 1.0, 0.5)


def test_citation_scores_none_handling() -> None:
    # no marker at all: validity and precision undefined, recall 0 of 2 gold
    assert citation_scores([], 0, {1: 0}, 2) == CitationScores(None, None, 0.0)
    # unanswerable question (no gold): recall undefined, a citation is not gold
    assert citation_scores([1], 0, {1: None}, 0) == CitationScores(1.0, 0.0, None)


def test_number_mismatch_makes_fact_absent() -> None:
    answer = "BERT-large reaches 76.1% F1 on SQuAD 2.0 [1]."
    assert key_fact_recall(answer, ["76.2% F1 on SQuAD 2.0"]) == 0.0
    assert key_fact_recall(answer, ["76.1% F1 on SQuAD 2.0"]) == 1.0


def test_fact_needs_sixty_percent_of_its_terms() -> None:
    fact = "transformer encoder pretrained on books corpora"
    # terms: transformer, encoder, pretrained, book, corpora (5; "on" is too short)
    three_of_five = "A transformer encoder, pretrained on web text."  # 3/5 = 0.6 -> present
    two_of_five = "A transformer encoder trained on web text."  # 2/5 = 0.4 -> absent
    assert key_fact_recall(three_of_five, [fact]) == 1.0
    assert key_fact_recall(two_of_five, [fact]) == 0.0


def test_fact_terms_ignore_plural_case_and_stopwords() -> None:
    # fact terms: model, dataset (the/and/with are stopwords); "Models"/"datasets" stem alike
    assert key_fact_recall("Models trained with datasets.", ["the model and the dataset"]) == 1.0


def test_key_fact_recall_is_the_share_of_facts_present() -> None:
    answer = "The model scores 28.4 BLEU on WMT14 English-German."
    facts = ["28.4 BLEU on WMT14", "trains in 3.5 days on eight GPUs"]
    assert key_fact_recall(answer, facts) == 0.5
    assert key_fact_recall(answer, []) is None


def test_number_only_fact_needs_only_its_number() -> None:
    assert key_fact_recall("It gets 28.4.", ["28.4"]) == 1.0
    assert key_fact_recall("It gets 28.5.", ["28.4"]) == 0.0


def test_refusal_rates() -> None:
    items = [(False, True), (False, False), (True, False), (True, False), (True, True)]
    # unanswerable: 1 of 2 refused -> accuracy 0.5; answerable: 1 of 3 refused -> 1/3
    accuracy, false_rate = refusal_rates(items)
    assert accuracy == 0.5
    assert false_rate == pytest.approx(1 / 3)
    assert refusal_rates([(True, False)]) == (None, 0.0)
    assert refusal_rates([(False, True)]) == (1.0, None)
    assert refusal_rates([]) == (None, None)


def test_percentile_interpolates_linearly() -> None:
    values = [40.0, 10.0, 30.0, 20.0]
    # sorted 10, 20, 30, 40: p50 at rank 1.5 -> 25; p95 at rank 2.85 -> 30 + 0.85 * 10 = 38.5
    assert percentile(values, 50) == pytest.approx(25.0)
    assert percentile(values, 95) == pytest.approx(38.5)
    assert percentile(values, 0) == 10.0
    assert percentile(values, 100) == 40.0
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) is None
    with pytest.raises(ValueError):
        percentile(values, 101)


def test_aggregate_ignores_none() -> None:
    rows = [
        {"type": "lookup", "mrr": 1.0, "citation_recall": None},
        {"type": "lookup", "mrr": 0.0, "citation_recall": None},
        {"type": "topic", "mrr": None},
    ]
    # mrr: mean of 1 and 0 (None skipped) = 0.5; citation_recall all None; absent key -> None
    assert aggregate(rows, ["mrr", "citation_recall", "ndcg@10"]) == {
        "mrr": 0.5,
        "citation_recall": None,
        "ndcg@10": None,
    }
    assert aggregate([], ["mrr"]) == {"mrr": None}
