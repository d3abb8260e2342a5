"""Sentence scoring cues, on sentences with equal dense similarity so only the cues decide."""

from __future__ import annotations

import pytest

from rag.question_type import analyze
from rag.sentence_scoring import (
    LexicalStats,
    has_quantity,
    introduces,
    is_boilerplate,
    mentions,
    reports_measure,
    score_sentences,
)
from tests.support.scored_sentences import CORPUS, equal_vectors


def _top(question: str, sentences: list[str], focus: list[str] | None = None) -> str:
    query, vectors = equal_vectors(len(sentences))
    scored = score_sentences(
        analyze(question),
        query,
        [(1, sentences, vectors)],
        LexicalStats.of_texts(CORPUS),
        focus or [],
    )
    return scored[0].text


def test_number_question_prefers_the_sentence_stating_a_quantity() -> None:
    sentences = [
        "SparseX reduces the memory of long-context inference.",
        "SparseX reduces memory by 3.2x on 128k-token inputs.",
    ]
    assert _top("How much memory does SparseX save?", sentences).startswith(
        "SparseX reduces memory by"
    )


def test_a_how_question_passes_over_the_problem_stated_before_the_proposal() -> None:
    """ "How do they recover GPU time lost to failures?" restates the problem an abstract
    opens with; its answer follows "we propose C4". A question that does not ask how keeps
    the first of two equal sentences."""
    sentences = [
        "Training runs on many GPUs.",
        "Systems save little GPU time lost to failures.",
        "We propose C4, a communication-driven design.",
        "C4 saves GPU time lost to failures.",
    ]
    assert _top("How do systems save GPU time lost to failures?", sentences).startswith("C4")
    assert _top("Which systems save GPU time lost to failures?", sentences).startswith("Systems")


def test_a_how_question_prefers_the_sentence_saying_how_it_is_done() -> None:
    sentences = [
        "Long inputs are common.",
        "SparseX keeps long inputs within memory on one GPU.",
        "SparseX keeps long inputs within memory through chunked attention.",
    ]
    assert "through" in _top("How does SparseX keep long inputs within memory?", sentences)
    assert "one GPU" in _top("How much memory does SparseX keep long inputs within?", sentences)


def test_definition_question_prefers_the_sentence_introducing_the_name() -> None:
    sentences = [
        "Long inputs make attention expensive for SparseX baselines.",
        "We propose SparseX, a sparse attention method for long inputs.",
    ]
    assert _top("What is SparseX?", sentences, ["SparseX"]).startswith("We propose SparseX")


def test_in_the_paper_about_the_name_the_name_is_not_lexical_evidence() -> None:
    """Every sentence of the paper about VantorX has the focus bonus: the one that answers
    "what does VantorX propose for quantization" must not lose to a side remark that merely
    repeats the name; another paper's sentences still count the name."""
    question = "What does VantorX propose for quantization?"
    sentences = [
        "VantorX leverages automorphisms for scalar products.",
        "A non-uniform quantization operator is derived from power functions.",
    ]
    query, vectors = equal_vectors(2)
    stats = LexicalStats.of_texts(CORPUS)

    def top(about: frozenset[int]) -> str:
        papers = [(1, sentences, vectors)]
        return score_sentences(analyze(question), query, papers, stats, ["VantorX"], about)[0].text

    assert top(frozenset({1})).startswith("A non-uniform quantization operator")
    assert top(frozenset()).startswith("VantorX leverages"), "a paper not about it: the name counts"


def test_background_sentences_lose_to_the_papers_own_statement() -> None:
    for opening in ("Recent advances in", "However, existing work on", "Recently,"):
        sentences = [f"{opening} sparse attention cut memory.", "Sparse attention cut memory."]
        assert _top("How does sparse attention cut memory?", sentences) == sentences[1], opening


def test_where_the_paper_may_lead_is_not_what_it_did() -> None:
    answer = "Our sparse attention cuts memory."
    for outlook in (
        "We hope our sparse attention can cut memory for all.",
        "Sparse attention paves the way to cut memory.",
    ):
        sentences = ["Models are large.", outlook, answer]
        assert _top("How does sparse attention cut memory?", sentences) == answer, outlook


def test_a_claim_with_nothing_in_it_is_not_an_answer() -> None:
    """ "Experiments demonstrate the excellent performance of our GALIP" says only that the
    paper works; the sentence saying how much it saves answers "how does GALIP reduce ..."."""
    answer = "GALIP needs about 3% of the training data of diffusion models."
    for claim in (
        "The extensive experimental results demonstrate the excellent performance of our GALIP.",
        "Experiments on image datasets validate the effectiveness of the proposed GALIP.",
    ):
        sentences = ["Images are costly.", claim, answer]
        question = "How does GALIP reduce the data needed for text-to-image synthesis?"
        assert _top(question, sentences, ["GALIP"]) == answer, claim
    # a result with something in it is not empty
    full = "Experiments demonstrate the effectiveness of GALIP on 3 datasets, 120 times faster."
    sentences = ["Images are costly.", full]
    assert _top("How does GALIP reduce the compute for image synthesis?", sentences) == full


def test_the_abstracts_own_question_is_not_an_answer() -> None:
    sentences = [
        "Agents act over many turns.",
        "How can we design multi-turn RL for LLMs?",
        "Our multi-turn RL for LLMs fits Q-values.",
    ]
    assert _top("How is multi-turn RL for LLMs designed?", sentences) == sentences[2]


def test_a_definition_is_not_answered_by_the_papers_motivation() -> None:
    """ "What is VantorX?": the gap the paper fills, or where its field stands, says why
    VantorX exists, not what it is; a question of another kind may still want them."""
    stats = LexicalStats.of_texts(CORPUS)
    query, vectors = equal_vectors(3)
    plain = "It covers quantization of models."

    def top(question: str, motive: str, plain: str = plain) -> str:
        papers = [(1, ["VantorX is released.", motive, plain], vectors)]
        scored = score_sentences(analyze(question), query, papers, stats, ["VantorX"], {1})
        return scored[0].text

    for motive in (
        "This gap underscores the need for quantization of language models.",
        "A promising technique for language models is quantization.",
        "Quantization of language models, however, is hard.",
    ):
        assert top("What is VantorX for quantization of language models?", motive) == plain
        assert top("Why is quantization of language models hard?", motive) == motive
    # "how does it keep X from Y" restates the problem: the sentence saying models suffer
    # from it is not how the method works
    method = "It trains language models against quantization noise."
    for motive in (
        "Language models struggle with quantization noise.",
        "Quantization noise can introduce errors in language models.",
    ):
        how = "VantorX: how does it keep language models from quantization noise?"
        assert top(how, motive, method) == method
        assert top("Do language models suffer from quantization noise?", motive, method) == motive


def test_lexical_overlap_breaks_equal_similarity() -> None:
    sentences = ["Our method is evaluated widely.", "Asynchronous updates tolerate slow clients."]
    assert _top("How do asynchronous methods handle slow clients?", sentences).startswith("Asynch")


def test_code_availability_sentence_is_not_an_answer() -> None:
    sentences = [
        "Our code for SparseX is available at https://github.com/x/sparsex.",
        "SparseX splits attention heads across devices.",
    ]
    assert _top("How does SparseX split attention?", sentences, ["SparseX"]).startswith(
        "SparseX splits"
    )


def test_cue_detectors() -> None:
    assert has_quantity("It is 2.5x faster.") and has_quantity("It saves 40% memory.")
    assert not has_quantity("Published in 2023.") and not has_quantity("See (1) and (2).")
    assert introduces("In this paper, we introduce FooNet, a detector.")
    assert not introduces("FooNet was used as a baseline.")


def test_equal_scores_keep_source_then_position_order() -> None:
    query, vectors = equal_vectors(6)
    papers = [
        (2, ["Opening line.", "Same words.", "Same words."], vectors[3:]),
        (1, ["Opening line.", "Same words.", "Same words."], vectors[:3]),
    ]
    scored = score_sentences(analyze("Tell me"), query, papers, LexicalStats.of_texts([]), [])
    ties = [(s.n, s.position) for s in scored if s.text == "Same words."]
    assert ties == [(1, 1), (1, 2), (2, 1), (2, 2)]


def test_reports_measure_ignores_hyphens_plurals_and_case() -> None:
    assert reports_measure("A 3.1x speed-up over the baseline.", "speedup")
    assert reports_measure("It reaches 81.2% top-1 Accuracy.", "accuracy")
    assert reports_measure("Trained on 8 GPUs.", "gpus")
    assert not reports_measure("Trained on 8,192 NPUs for 13.2 trillion tokens.", "cost")


def test_reports_measure_reads_through_a_misspelling() -> None:
    assert reports_measure("It achieves 84.5% accurracy on RULER at 128K.", "accuracy")
    assert not reports_measure("Its estimates are accurate.", "accuracy"), "another word"


@pytest.mark.parametrize(
    ("text", "name", "found"),
    [
        ("a planner based on Phi-3 Mini, tuned", "phi-3-mini", True),
        ("trained with Llama-2 weights", "Llama 2", True),
        ("a swarm of particles", "SWARM", False),  # an acronym keeps its case
        ("tested on the NL4OPT dataset", "NL4Opt", True),  # written in capitals
        ("trained with LLaMA-2 weights", "LLaMA 2", True),
        ("the Llama-2 weights", "LLaMA 2", False),
        ("fine-tuning on a Single GPU", "single-GPU", False),
        ("the Mega-CO-Bench suite", "CO-Bench", False),  # a whole word only
        ("an Expansion & Squeeze Strategy", "Expansion Squeeze Strategy", True),
        ("an Expansion&Squeeze Strategy", "Expansion Squeeze Strategy", False),
    ],
)
def test_a_name_is_mentioned_whichever_separator_is_written(text, name, found) -> None:
    assert mentions(text, name) is found


@pytest.mark.parametrize(
    ("sentence", "boilerplate"),
    [
        ("We publicly release FinSet-100K, hoping to advance research.", True),
        ("Upon acceptance, we will release the code and model checkpoints.", True),
        ("Code is available at https://example.org/x.", True),
        ("We release Pythia, a suite of 16 models trained on public data.", False),
        ("We propose FinSet, built by rewriting chains of thought.", False),
    ],
)
def test_a_release_statement_is_boilerplate_but_a_released_models_introduction_is_not(
    sentence: str, boilerplate: bool
) -> None:
    """ "We publicly release X" says where to get it, not what it is (it beat the sentence
    on how X was built); "We release Pythia, a suite of ..." introduces Pythia."""
    assert is_boilerplate(sentence) is boilerplate
