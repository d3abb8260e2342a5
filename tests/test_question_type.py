"""Question kinds, terms and names: the rules are about English question forms."""

from __future__ import annotations

import pytest

from rag.question_type import (
    analyze,
    inflected_from,
    is_measure,
    names_in,
    normalize_term,
    terms_of,
    word_forms,
)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How much memory does the method save?", "number"),
        ("How many GPUs were used for training?", "number"),
        ("What speed-up does the new kernel give over the baseline?", "number"),
        ("What accuracy does the model reach on ImageNet?", "number"),
        ("What ImageNet top-1 accuracy does the optimizer reach on ResNet-50?", "number"),
        ("What was the total dollar cost of training the model?", "number"),
        ("What is the densing law?", "definition"),
        ("What does the framework propose for quantization?", "definition"),
        ("How does the router work?", "definition"),
        ("Which papers study federated learning?", "which"),
        ("Is there a dataset of heat pump meter readings?", "which"),
        ("Compare the two optimizers in memory use.", "comparison"),
        ("How do method A and method B differ?", "comparison"),
        ("Who wrote [2]?", "metadata"),
        ("When was [1] published?", "metadata"),
        ("What are the authors of the paper?", "metadata"),
        ("When was Echo published?", "metadata"),
        ("When did SynLogic come out?", "metadata"),
        ("What year is FRUGAL from?", "metadata"),
        ("In which venue did Morph appear?", "metadata"),
        ("Where was [3] published?", "metadata"),
        ("What is the DOI of [2]?", "metadata"),
        ("When was the first learned optimizer proposed?", "general"),
        ("Where does the speed-up come from?", "general"),
        ("Why do deep networks generalize?", "general"),
    ],
)
def test_kind(question: str, kind: str) -> None:
    assert analyze(question).kind == kind


@pytest.mark.parametrize(
    ("question", "measure"),
    [
        ("What ImageNet top-1 accuracy does the optimizer reach on ResNet-50?", "accuracy"),
        ("What was the total dollar cost of training the model?", "cost"),
        ("What speed-up does the new kernel give?", "speed-up"),
        ("How much memory does the method save?", "memory"),
        ("How many training tokens does the model see?", "tokens"),
        ("How much does the method save?", ""),  # no measure word after "how much"
        ("What is the densing law?", ""),
    ],
)
def test_measure_of_a_number_question(question: str, measure: str) -> None:
    assert analyze(question).measure == measure


def test_a_question_about_what_authors_claim_is_not_a_metadata_question() -> None:
    assert (
        analyze("What do the authors of 'Some Title' claim causes sharpening?").kind != "metadata"
    )


def test_terms_drop_stopwords_and_plural_s() -> None:
    assert terms_of("Which papers reduce the GPUs' memory costs?") == [
        "reduce",
        "gpu",
        "memory",
        "cost",
    ]
    assert normalize_term("process") == "process" and normalize_term("models") == "model"


def test_names_are_found_by_form_not_by_list() -> None:
    assert names_in("What does CO-Bench measure for GPT-4 and Fuyou?") == [
        "CO-Bench",
        "GPT-4",
        "Fuyou",
    ]
    assert names_in("Which methods reduce memory?") == []  # the first word is not a name
    two = "Can deep nets learn fast? Which inits work, e.g. Fixup?"
    assert names_in(two) == ["Fixup"], "each sentence's first word, not an abbreviation's"
    assert names_in("how many scenes are in nuScenes?") == ["nuScenes"], "a capital inside"
    assert names_in("Silkie's gains: how large?") == ["Silkie"], "a first word in the possessive"
    assert names_in("What's the best? Let's see.") == [], "a contraction is not a possessive"
    assert names_in("Is ZeRO++ faster than QuIP# or LR+GD?") == ["ZeRO++", "QuIP#", "LR", "GD"]
    assert names_in("Argoverse 2 has how many scenes?") == ["Argoverse"], "first, before a version"
    assert names_in("Octopus v2 adds which tokens?") == ["Octopus", "v2"]


def test_phrases_of_capitalized_words() -> None:
    assert analyze("What is the Platonic Representation Hypothesis?").phrases == (
        "Platonic Representation Hypothesis",
    )
    assert analyze("Is it Deep Sets? Where does it fail?").phrases == ("Deep Sets",)


def test_asks_for_papers() -> None:
    assert analyze("Is there an optimizer for sparse models?").asks_for_papers
    assert analyze("Which papers use CLIP features?").asks_for_papers
    assert not analyze("What accuracy does CLIP reach?").asks_for_papers
    assert analyze("Is there something that prunes experts?").asks_for_papers


@pytest.mark.parametrize(
    "question",
    [
        "Our FooNet runs are slow. I read about a scheme that compresses them. How fast is it?",
        "We use Paddle. One system trained a 12B FooNet model: how long did that take?",
        "In the write-up about making FooNet run faster, how big was the speed-up?",
        "there was a paper that prunes FooNet heads; how many heads did it keep?",
        "i read that FooNet answers are fixed halfway. what % of QuxQuant items decode early?",
        "FooNet and BarNet are detectors. One efficiency study sped them up. By how much?",
        "There's a paper with a scaling rule for FooNet EMAs. What batch size did it reach?",
        "Two papers on speeding up training both reason about SNR: how much faster is each?",
    ],
)
def test_a_paper_described_but_not_named_is_asked_for(question: str) -> None:
    """The names in such a question are the described paper's setting, not its subject."""
    assert analyze(question).asks_for_papers


@pytest.mark.parametrize(
    "question",
    [
        "In the paper that introduced FooNet, how many layers are there?",
        "The paper about FooNet: how many layers does it have?",
        "How many layers does one FooNet block have?",
    ],
)
def test_a_paper_named_by_its_subject_is_not_a_described_one(question: str) -> None:
    assert not analyze(question).asks_for_papers


def test_units_and_metrics_are_measures_not_names() -> None:
    assert all(is_measure(w) for w in ("FLOPs", "GPUs", "BLEU", "MFU", "tokens"))
    assert not any(is_measure(w) for w in ("NUPES", "Fuyou", "FLOPsNet", "GPT-4"))


def test_word_forms_add_the_singular_of_an_acronym_plural() -> None:
    assert word_forms("IDs") == ["ids", "id"]
    assert word_forms("LLMs") == ["llms", "llm"]
    assert word_forms("Mamba") == ["mamba"]
    assert word_forms("Adams") == ["adams"], "a capitalized word is not an acronym plural"
    assert word_forms("A100s") == ["a100s", "a100"], "a model number's plural"
    assert word_forms("v100s") == ["v100s", "v100"], "also typed in lower case"
    assert word_forms("1T") == ["1t", "trillion"], "written 'a trillion'"
    assert word_forms("65B") == ["65b"], "a size no abstract writes stays unknown"
    assert word_forms("GPT-4s") == ["gpt-4s", "gpt-4"]
    assert word_forms("1024px") == ["1024px", "1024"], "a size in pixels is its number"
    assert word_forms("ZeRO++") == ["zero++", "zero"], "as the index keeps it"


@pytest.mark.parametrize(
    "question",
    [
        "What methods scale Gaussian splatting to large scenes?",
        "Which papers study federated learning?",
        "What work is there on zeroth-order optimization?",
        "What neural text-to-speech work is in the collection?",
        "What has been studied about diffusion language models?",
        "What is known about learned optimizers?",
        "Are there datasets of heat pump readings?",
        "How are LLMs being used to write optimization models?",
        "How have graph networks been simplified for recommendation?",
        "List papers on 3D Gaussian splatting.",
        "Give me some recent work about federated learning with slow clients.",
        "find studies that compress optimizer states",
        "what's been done with point clouds here?",
        "how do people train agents with tool calls these days",
        "Has deep learning been applied to crop yield forecasting?",
        "papers on robot grasping",
        "speech enhancement papers?",
        "data pruning: methods for choosing pretraining examples",
        "What does this collection have on learning-rate warmup?",
        "LLMs for chemistry: what's in here?",
    ],
)
def test_survey_questions_want_the_papers(question: str) -> None:
    assert analyze(question).wants_survey


@pytest.mark.parametrize(
    "question",
    [
        "Which work multiplies each residual branch by a learnable scalar?",
        "Is there a program that writes music following a tension arc?",
        "What accuracy does the model reach on ImageNet?",
        "How does the router work?",
        "Who wrote [2]?",
        "List the authors of [1].",
        "Show me the GaLore paper.",
        "How many driving scenes are there in FooSet?",  # a count, not "are there papers"
        "What was the learning rate used for the papers' baseline?",
    ],
)
def test_questions_about_one_thing_are_not_surveys(question: str) -> None:
    assert not analyze(question).wants_survey


def test_a_term_may_be_an_inflection_of_a_written_one() -> None:
    """ "adversarially" is heard where abstracts write "adversarial"; only inflections are
    undone, so "referable" is not taken for "refer"."""
    assert "adversarial" in inflected_from("adversarially")
    assert "look" in inflected_from("looking")
    assert "scale" in inflected_from("scaled")
    assert "refer" not in inflected_from("referable")
    assert inflected_from("bed") == []  # too short a stem to mean anything


def test_a_name_given_as_an_example_is_not_the_subject() -> None:
    """A survey lists its topic's papers even when an example names one of them."""
    info = analyze("Which methods animate faces, such as Identity-Preserving video?")
    assert info.only_as_example("Identity-Preserving")
    assert not info.only_as_example("faces")
    named = analyze("Which methods beat Identity-Preserving baselines (on faces)?")
    assert not named.only_as_example("Identity-Preserving")


def test_things_joined_by_and_then_each_are_compared() -> None:
    """ "What do the X paper and the Y study each recommend?" asks about two things, and so
    does "How do A and B differ"; "..., and tell me how each piece ..." or "kept each line"
    join clauses, not things."""
    from rag.question_scope import compared

    question = (
        "I train on many nodes. What do the Megatron-LM cluster paper and the ablation study "
        "on parallel layouts each recommend?"
    )
    assert compared(question) == (
        "What do the Megatron-LM cluster paper",
        "the ablation study on parallel layouts",
    )
    assert analyze(question).papers_asked == 2
    common = compared("What do the tutorial on amortized solvers and FooNet have in common?")
    assert common[-1] == "FooNet" and common[0].endswith("the tutorial on amortized solvers")
    differ = compared("How do bert2BERT and the V-cycle framework differ?")
    assert differ == ("How do bert2BERT", "the V-cycle framework")
    assert compared("Co-DETR and DeepSolo both build on DETR. What does each modify?") == (
        "Co-DETR",
        "DeepSolo",
    )
    listed = compared("For LoRA, what do BiLoRA, MoLA and Fast Forward each propose?")
    assert listed == ("what do BiLoRA", "MoLA", "Fast Forward"), "a list, after its clause's start"
    for joined_clauses in (
        "Point me to the paper that splits the domain, and tell me how each piece is solved.",
        "A paper had an LLM invent transcripts and kept each generated line. How much time?",
        "Which papers study it, and what does each report?",
        "How much faster is it, and how do the results differ from each baseline's?",
    ):
        assert compared(joined_clauses) == (), joined_clauses


def test_a_description_joined_by_hyphens_is_not_a_name() -> None:
    """ "the self-training-with-DPO paper", "image-to-3D generators" describe work; names
    joined by hyphens stay names ("Mixture-of-Experts", "CO-Bench", "GPT-4")."""
    question = "How do the self-training-with-DPO paper and image-to-3D generators compare?"
    assert names_in(question) == []
    assert names_in("Is Mixture-of-Experts in CO-Bench or GPT-4?") == [
        "Mixture-of-Experts",
        "CO-Bench",
        "GPT-4",
    ]


def test_papers_described_one_by_one_are_read_as_descriptions() -> None:
    """ "one X, the other Y", "the one on X, and the one asking Y", "(a) X, (b) Y and (c) Z"
    describe papers one by one; "one-shot", "one of", or a lone "one" do not."""
    from rag.question_scope import described

    assert described(
        "Two papers on diffusion training: one reweights timestep losses, the other looks at "
        "the SNR distribution for DiT. What does each find?"
    ) == ("reweights timestep losses", "looks at the SNR distribution for DiT")
    assert described(
        "which two papers deal with privacy - one through private fine-tuning, the other "
        "through a production federated system - and what's the trick in each"
    ) == ("through private fine-tuning", "through a production federated system")
    assert described(
        "What do the two RL papers conclude: the one on self-predictive representations, and "
        "the one asking when model-generated data beats replay?"
    ) == ("on self-predictive representations", "asking when model-generated data beats replay")
    assert described(
        "What is there on (a) recipes for tiny LMs, (b) training costs on cloud GPUs, and (c) "
        "simpler training data?"
    ) == ("recipes for tiny LMs", "training costs on cloud GPUs", "simpler training data")
    assert described(
        "splatting for (a) 3d edge maps and (b) tourist photos: how is each done?"
    ) == (
        "3d edge maps",
        "tourist photos",
    )
    assert described(
        "How does the vision paper cope with a large teacher, and how does the language "
        "paper avoid running the teacher online?"
    ) == ("vision", "language")
    assert described(
        "For cheap training there is one paper using spot instances with random pipelines, one "
        "that schedules jobs across mixed network cards, and one that trains a MoE on older "
        "chips. What does each achieve?"
    ) == (
        "using spot instances with random pipelines",
        "that schedules jobs across mixed network cards",
        "that trains a MoE on older chips",
    )
    assert described(
        "LoRA variants: one uses bi-level optimization to fight overfitting, one is built on "
        "block affine maps, and one gives higher layers more experts. How does each work?"
    ) == (
        "uses bi-level optimization to fight overfitting",
        "is built on block affine maps",
        "gives higher layers more experts",
    )
    assert described(
        "Agents: compare the hierarchical actor-critic framework with the method that regresses "
        "relative future rewards. How well does each work?"
    ) == (
        "the hierarchical actor-critic framework",
        "the method that regresses relative future rewards",
    )
    assert described(
        "Two video-generation reports: a cast of media models that also makes audio, and a "
        "model family for marketing. How big are their models?"
    ) == ("cast of media models that also makes audio", "model family for marketing")
    assert described("zapdpo vs s-vcx: how does each one make the model look at the image?") == (
        "zapdpo",
        "s-vcx",
    )
    for not_described in (
        "Lion vs Adam: how much pre-training compute does Lion save?",  # asks about one
        "Which options are there, e.g. decoding-time filters versus RL tuning, and how does "
        "each work?",  # examples of the options asked for
        "compare UPO and SRPO: how does each one try to make preference optimization robust?",
        "Compare two ways to cut latency: parallel layers vs. early exits. What does each report?",
        "How do the OptMATH problems compare in length with NL4OPT?",
        "Is there one paper on pruning, and what does it report?",
        "What does the original paper report, and what does the second paper add?",
        "How does the one-shot any-to-any VC model work, and what does the other baseline do?",
        "Which one of the two methods is faster?",
        "Is there one paper on pruning that reports 2x speedups?",
        "Which is faster: one pass of the sampler, or one class of solvers?",
        "Of the two, one is faster; what does it report?",
        "What does (a) mean in the loss?",
    ):
        assert described(not_described) == (), not_described
