"""Which papers a question's names point to: introductions, titles, near misses, settings."""

from __future__ import annotations

import numpy as np
import pytest

from rag.catalog import Catalog
from rag.name_introductions import introduced, introduces_name
from rag.name_roles import variant_base
from rag.naming import PaperNames
from rag.papers import Paper
from rag.question_type import analyze
from rag.sentence_scoring import LexicalStats


def _paper(pid: str, title: str | None, abstract: str) -> Paper:
    return Paper(pid, title, abstract, [])


def _names_over(tmp_path, papers: list[Paper]) -> PaperNames:
    """Name postings as an index keeps them: a real catalog holding these papers."""
    catalog = Catalog(tmp_path / "catalog.sqlite3", create=True)
    catalog.write([(p, 1, [], np.zeros((0, 384), dtype=np.float32)) for p in papers])
    return PaperNames(catalog)


PAPERS = [
    _paper("a", "FooNet: Fast Object Detection", "We propose FooNet, a detector. It is fast."),
    _paper("j", None, "We propose a style transfer method without tuning, termed as PaintOmni."),
    _paper("k", None, "A sampler, referred to as SkipStep, halves the steps of diffusion."),
    _paper("b", "Detectors Compared", "We compare FooNet and BarNet on COCO. BarNet wins."),
    _paper("c", None, "In this work, we introduce BazOpt, an optimizer for sparse models."),
    _paper("d", "Another Study", "We train models with BazOpt and QuxQuant as baselines."),
    _paper("e", "A Third Study", "QuxQuant is a strong baseline for quantization."),
    _paper("f", "Sparse Experts", "Our mixture of experts gives 3x FLOPs savings over dense."),
]


@pytest.fixture
def names(tmp_path) -> PaperNames:
    """Name postings as an index keeps them: a real catalog holding PAPERS."""
    return _names_over(tmp_path, PAPERS)


def test_paper_about_a_name_by_title_or_introduction(names) -> None:
    assert names.plan(analyze("What is FooNet?")).about == ["a"]
    assert names.plan(analyze("How fast is BazOpt?")).about == ["c"]  # untitled: introduced
    assert names.plan(analyze("What is PaintOmni?")).about == ["j"]
    assert names.plan(analyze("How does SkipStep sample?")).about == ["k"]


def test_the_work_a_described_paper_builds_on_does_not_point_to_its_paper(names) -> None:
    """ "the sparse extension of BazOpt" asks for another paper: BazOpt's own paper is not
    promoted, nor quoted as the one about the name."""
    for question in (
        "How does the sparse extension of BazOpt pick its step size?",
        "Which optimizer builds on BazOpt to save memory?",
    ):
        plan = names.plan(analyze(question))
        assert plan.about == plan.promoted == plan.focus == [], question
    plan = names.plan(analyze("How does BazOpt compare with the extension of BazOpt?"))
    assert plan.about == ["c"], "also named in its own right"


def test_a_name_introduced_second_with_its_acronym_is_the_papers_own(tmp_path) -> None:
    """ "we introduce A Models (AM) and Path Matching (PM)": the paper is about Path Matching,
    so asking what it is is not a near miss; a paper citing it among others is not about it."""
    papers = [
        _paper(
            "g",
            "Aligning Design Paths",
            "We introduce Shape Diffusion Models (SDM) and Path Matching (PM), a framework "
            "that aligns sampling paths with solver paths. It needs few samples.",
        ),
        _paper(
            "h",
            "A Survey of Design Generation",
            "Recent methods such as Path Matching (PM) have been proposed for design.",
        ),
        _paper("i", "Solver Paths", "Path Matching is a baseline in our comparison."),
    ]
    names = _names_over(tmp_path, papers)
    info = analyze("What is Path Matching in design generation?")
    plan = names.plan(info)
    assert plan.about == ["g"] and not names.near_miss(info, plan)
    assert names.about_strength("h", "Path Matching") == 0, "cited, not introduced"
    assert names.about_strength("g", "Diffusion Models") == 0, "SDM is not its initials"


def test_an_acronym_spelled_out_in_lower_case_is_a_term_not_a_name(tmp_path) -> None:
    """ "deep neural network (DNN)": a title containing DNN is not the paper about DNN, and a
    question about DNNs is neither promoted nor a near miss; "Gradient Projection (GraPro)"
    is a named method, and the paper titled by it stays about it."""
    papers = [
        _paper("s", "Efficient Sparse DNN Training", "We train sparse DNNs faster on chips."),
        _paper("t", "Bell Curves", "Each deep neural network (DNN) has bell-shaped weights."),
        _paper("g", "GraPro: Cheap Training", "We propose Gradient Projection (GraPro)."),
        _paper("h", "Baselines", "We compare with gradient projection (GraPro) and Adam."),
    ]
    names = _names_over(tmp_path, papers)
    plan = names.plan(analyze("How are DNN accelerators designed?"))
    assert plan.about == [] and plan.mentioned_only == [] and plan.focus == []
    assert names.plan(analyze("What does GraPro project?")).about == ["g"], "titled by the name"


@pytest.mark.parametrize(
    ("name", "sentence"),
    [
        ("ScaleRL", "So we propose a best-practice recipe, ScaleRL, and show that it scales."),
        ("PageLLM", "We propose a reward-based fine-tuning approach, PageLLM, for pages."),
        ("AMSBound", "We provide new variants of Adam, called AdaBound and AMSBound respectively."),
        ("LaVIN", "We term this formed large vision-language instructed model as LaVIN."),
        ("CloudMatrix", "This paper introduces Huawei CloudMatrix, a datacenter architecture."),
        ("MM-HELIX", "We construct MM-HELIX, a multimodal benchmark of 1,260 samples."),
        ("ZorbVL-MPO", "Notably, our model, ZorbVL-MPO, reaches 67.0 on MathVista."),
        ("Sulkie", "To test the feedback, we train Sulkie, an LVLM fine-tuned with DPO."),
    ],
)
def test_ways_a_paper_introduces_its_own_name(name: str, sentence: str) -> None:
    assert introduced(name, sentence)


@pytest.mark.parametrize(
    ("name", "sentence"),
    [
        ("FlashAttention", "At present, FlashAttention is not easily moved to NPUs."),
        ("CPU", "We present ZeRO-Infinity, a system that leverages GPU, CPU, and NVMe memory."),
        ("GPTQ", "We propose a quantizer that runs faster than, say, GPTQ on all models."),
        ("GPTQ", "We propose a new quantizer, which outperforms baselines such as GPTQ."),
        ("Diffusion Models", "We introduce Shape Diffusion Models for meshes."),
        ("LISA", "We build on a recently proposed memory-saving technique called LISA."),
        ("SurRoL", "We build our platform on our previously released SurRoL simulator."),
        ("TabPFN", "We show that a recently released tabular classifier, TabPFN, is fast."),
        ("GPT-2", "We train GPT-2 on code, a harder domain."),
        ("English", "We use data in several languages, namely English, Japanese and Polish."),
    ],
)
def test_names_a_sentence_mentions_without_introducing(name: str, sentence: str) -> None:
    assert not introduced(name, sentence)


def test_a_name_only_mentioned_is_a_near_miss_unless_papers_are_asked_for(names) -> None:
    info = analyze("What accuracy does QuxQuant report?")
    plan = names.plan(info)
    assert plan.mentioned_only == ["QuxQuant"] and plan.mentioning == ["d", "e"]
    assert names.near_miss(info, plan)
    topical = analyze("Which papers use QuxQuant as a baseline?")
    assert not names.near_miss(topical, names.plan(topical))
    origin = analyze("What method does the original QuxQuant paper use to pick bits?")
    assert names.near_miss(origin, names.plan(origin)), "its own method, not papers"
    cited = analyze("Luo et al.'s Qux-Quant: how are bits split, and which model was tuned?")
    assert names.near_miss(cited, names.plan(cited)), "the cited authors' own, as typed"
    heading = analyze("QuxQuant: how many bits does it use, and which model picks them?")
    assert names.near_miss(heading, names.plan(heading)), "a part of the heading's subject"
    own = analyze("How was QuxQuant trained? Which teacher models give its targets?")
    assert names.near_miss(own, names.plan(own)), "its own question asks about it"
    both = analyze("Which papers cite QuxQuant? Which models do they quantize?")
    assert not names.near_miss(both, names.plan(both)), "every question asks for papers"


def test_a_name_that_qualifies_something_else_is_not_the_subject(names) -> None:
    info = analyze("Is there a fast detector for the COCO images used by QuxQuant's authors?")
    assert names.plan(info).mentioned_only == []
    own = analyze("What FID does QuxQuant's largest class-conditional model reach?")
    assert names.plan(own).mentioned_only == ["QuxQuant"], "its own model: about QuxQuant"


def test_a_name_after_a_preposition_is_a_setting_not_the_subject(names) -> None:
    setting = analyze("What score does the detector reach on QuxQuant benchmarks?")
    assert names.plan(setting).mentioned_only == []
    source = analyze("According to the QuxQuant paper, what bit width works best?")
    assert names.plan(source).mentioned_only == ["QuxQuant"]
    built = analyze("How many training tokens were used for QuxQuant?")
    assert names.plan(built).mentioned_only == ["QuxQuant"], "what was used for it: its own"


def test_a_unit_or_metric_is_never_the_subject(names) -> None:
    """FLOPs is written like a name and only one paper mentions it, but it is what the
    question measures: the question is about the mixture of experts, not a near miss."""
    info = analyze("What FLOPs savings does a sparse mixture of experts give?")
    plan = names.plan(info)
    assert plan.mentioned_only == [] and not names.near_miss(info, plan)
    assert names.plan(analyze("What FLOPs savings does QuxQuant give?")).mentioned_only == [
        "QuxQuant"
    ]


def test_the_original_paper_of_a_common_name_is_a_near_miss_when_absent(tmp_path) -> None:
    """ "the original Zormer": many papers use Zormer (in titles too), none introduced it, so
    the question asks about a paper the collection does not hold."""
    users = [
        _paper("u1", "Deeper Zormer Layers", "We study Zormer layers at depth 96 in vision."),
        _paper("u2", "Efficient Zormer Training", "Training a Zormer takes 3x less memory."),
        _paper("u3", "Zormer Pruning at Scale", "We prune Zormer heads with no loss."),
    ]
    names = _names_over(tmp_path, users)
    for question in (
        "How many layers does the original Zormer use?",
        "What depth did the Zormer paper report?",
        "What learning rate did the paper that introduced Zormer use?",
    ):
        info = analyze(question)
        plan = names.origins_missing(info, names.plan(info), ["u1", "u2", "u3"])
        assert plan.mentioned_only == ["Zormer"] and names.near_miss(info, plan), question
        assert plan.mentioning == ["u1", "u2", "u3"]
    plain = analyze("How many layers does a Zormer use?")
    assert names.origins_missing(plain, names.plan(plain), ["u1"]).mentioned_only == []

    (tmp_path / "with_origin").mkdir()
    origin = _paper("o", "Zormer: Attention for Everything", "We propose the Zormer.")
    names = _names_over(tmp_path / "with_origin", [*users, origin])
    info = analyze("How many layers does the original Zormer use?")
    assert names.origins_missing(info, names.plan(info), ["u1", "o"]).mentioned_only == []


def test_a_title_containing_a_name_is_not_the_paper_that_introduced_it(tmp_path) -> None:
    """ "Which paper introduced QuxFlow?": the paper titled "Accelerate QuxFlow Sampling"
    builds on QuxFlow; it leads a question about QuxFlow, but not one about its origin."""
    papers = [
        _paper("s", "Accelerate QuxFlow Sampling", "We speed up QuxFlow sampling 4x."),
        _paper("t", "Other Flows", "Flows such as QuxFlow are slow to sample."),
    ]
    names = _names_over(tmp_path, papers)
    origin = analyze("Which paper introduced QuxFlow, and what bits per dimension did it get?")
    plan = names.origins_missing(origin, names.plan(origin), ["s", "t"])
    assert plan.mentioned_only == ["QuxFlow"] and plan.leads == []
    assert names.near_miss(origin, plan)
    topical = analyze("How much faster can QuxFlow sample?")
    plan = names.origins_missing(topical, names.plan(topical), ["s", "t"])
    assert plan.leads == ["s"] and not names.near_miss(topical, plan)


def test_a_mentioning_paper_that_holds_the_rest_of_the_question_answers_it(names) -> None:
    """ "How do you train models with QuxQuant as baselines?" is answered by paper d, which
    holds everything but the name; "What bit width does QuxQuant pick?" is not."""
    stats = LexicalStats.of_texts(p.abstract for p in PAPERS)
    held = analyze("Which models train when QuxQuant is among the baselines?")
    plan = names.plan(held)
    assert plan.mentioned_only == ["QuxQuant"]
    assert names.answered_by_mention(held, plan, ["d", "e"], stats)
    assert not names.answered_by_mention(held, plan, ["e"], stats), "e holds only 'baseline'"
    own = analyze("What bit width does QuxQuant pick?")
    assert not names.answered_by_mention(own, names.plan(own), ["d", "e"], stats)
    origin = analyze("Which baselines train models in the QuxQuant paper?")
    assert not names.answered_by_mention(origin, names.plan(origin), ["d"], stats), "its paper"


def test_a_named_paper_in_a_setting_does_not_hide_a_near_miss(names) -> None:
    """ControlNet-style: the question is about QuxQuant, which papers only mention; FooNet,
    which has its own paper, is where it is applied, not what is asked about."""
    info = analyze("How does QuxQuant connect its copy to the locked FooNet detector?")
    plan = names.plan(info)
    assert plan.specific == ["FooNet"] and plan.leads == []
    assert plan.mentioned_only == ["QuxQuant"] and names.near_miss(info, plan)


def test_a_paper_that_introduces_a_name_its_title_contains_owns_it(tmp_path) -> None:
    """Ownership (the title's name part, or an abstract that introduces the name) is the one
    rule for promotion and for "the original X". "into meta-training VeLOx" reads as a setting,
    yet the paper that introduces VeLOx leads; a title that only contains it does not."""
    papers = [
        _paper("v", "Scaling VeLOx Training", "We introduce VeLOx, a learned optimizer."),
        _paper("w", "VeLOx Meets Adam", "We tune Adam against VeLOx on small tasks."),
    ]
    names = _names_over(tmp_path, papers)
    assert names.owns("v", "VeLOx") and not names.owns("w", "VeLOx")
    info = analyze("How much compute went into meta-training VeLOx?")
    assert names.plan(info).promoted == ["v", "w"]


def test_a_versioned_name_typed_in_lower_case_with_hyphens_is_found(tmp_path) -> None:
    """ "phi-3-mini" as typed, "Phi-3 Mini" as written: the same name, only mentioned here,
    so the question is a near miss; "1B-parameter" is a size, not a name."""
    papers = [_paper("o", "Octo Planner", "A planner based on Phi-3 Mini, tuned on our data.")]
    names = _names_over(tmp_path, papers)
    info = analyze("How many tokens was phi-3-mini pretrained on?")
    plan = names.plan(info)
    assert plan.mentioned_only == ["phi-3-mini"] and plan.mentioning == ["o"]
    assert names.near_miss(info, plan)
    assert names.plan(analyze("What makes a strong 1B-parameter model?")).mentioned_only == []


@pytest.mark.parametrize(
    ("question", "subject"),
    [
        ("Our detector runs QuxQuant inside. Is there a faster detector for COCO?", False),
        ("We use FooNet on COCO. What bit width does QuxQuant pick?", True),
        ("What are the scores on COCO and QuxQuant?", False),  # listed after "on"
        ("What is QuxQuant's accuracy on COCO?", True),  # its measure: about it
        ("What did QuxQuant score on COCO?", True),  # "score" the verb, not "QuxQuant score"
        ("How many bits are in QuxQuant?", True),  # what it contains
        ("According to the QuxQuant scaling study, what bit width works?", True),
        ("What sources make up the QuxQuant corpus?", True),  # "the X corpus": X itself
        # the question points back at the context sentence's names
        ("QuxQuant and FooNet both shrink detectors. How does each one work?", True),
        ("How far can you shrink QuxQuant to fit a phone?", False),  # what is done to it
        ("Why does the usual regularizer hurt the alignment of QuxQuant?", False),  # ditto
        ("FooNet picks bits. By how much did it beat QuxQuant?", False),  # a baseline
        ("By how much does FooNet beat QuxQuant?", True),  # two names compared
        ("How was the QuxQuant competition organized?", True),  # "the X competition": X
        ("How large is the QuxQuant visual question answering benchmark?", True),  # its head
        ("What are the QuxQuant results on the VOC benchmark?", False),  # not its head
        ("What recipe lets QuxQuant fine-tuning of detectors match fp16?", False),  # method
        ("How many images was QuxQuant trained on?", True),  # what it was trained on
        ("How long did the QuxQuant training run take?", True),  # its own run
        ("I'm citing Luo et al. (2022) for QuxQuant. How does that method pick bits?", True),
        ("We run QuxQuant. How does that method pick bits?", True),  # "that method": back
        ("What is the architecture of QuxQuant?", True),  # a part of it, not what is done
        ("QuxQuant is a quantizer. How does it pick bit widths?", True),
        ("We run QuxQuant. Is it possible to pick bit widths faster?", False),
        ("How do the FooNet and QuxQuant results compare on COCO?", False),  # "the ... results"
        ("For QuxQuant, what bit width works?", True),  # the topic, put first
        ("In QuxQuant (a quantizer), how are bits chosen?", True),
        ("For the QuxQuant video dataset (v2), how many clips are there?", True),
        ("What bit width works for QuxQuant?", False),
        ("The QuxQuant is a common quantizer. How many bits does it use?", True),
        ("Bits get costly inside QuxQuant detectors. Which paper splits them?", False),
        ("What QuxQuant bit width does FooNet pick?", False),  # "what X width": X qualifies
        ("Which QuxQuant model is smallest?", True),  # "which X model": X itself
        ("What exactly is the rounding step in QuxQuant?", True),  # a part of X
        ("What is the best bit width in QuxQuant?", False),  # a ranking within X
        ("What is the state of the art in QuxQuant?", False),
        ("What was the original QuxQuant simulator built for?", True),  # "the X simulator"
        ("How much does it beat FooNet on COCO, VOC, Cityscapes and QuxQuant?", False),
        ("we tried FooNet and QuxQuant but need more: which optimizers cut memory?", False),
        ("Unlike QuxQuant- or FooNet-style rounding, which quantizer is exact?", False),
        ("We test our QuxQuant detector on VOC. How many images has VOC, who labeled them?", False),
        ("How small is that detector (under 8 bits of QuxQuant) on a phone?", False),  # aside
        ("What speedup does Quantized Ultra Xpress (QuxQuant) give?", True),  # its acronym
    ],
)
def test_where_a_name_stands_says_whether_it_is_asked_about(names, question, subject) -> None:
    expected = ["QuxQuant"] if subject else []
    assert names.plan(analyze(question)).mentioned_only == expected


def test_a_version_of_a_name_is_that_name_but_a_style_is_not(names) -> None:
    """ "QuxQuant-Large" is QuxQuant, which papers only mention; "FooNet-style" says like
    FooNet, so FooNet's own paper does not lead."""
    large = names.plan(analyze("What bit width does QuxQuant-Large pick?"))
    assert large.mentioned_only == ["QuxQuant"]
    assert names.plan(analyze("How fast are FooNet-style detectors?")).leads == []


def test_a_name_typed_joined_or_split_is_the_name_the_paper_writes(tmp_path) -> None:
    """ "MovieGen" is written "Movie Gen", "Light-Gen" is written "LightGen"; "GPU-days" is a
    unit, not a name a paper could be about."""
    papers = [
        _paper("m", "Movie Gen: Media Models", "We present Movie Gen, a family of video models."),
        _paper("l", "LightGen: Cheap Generation", "We propose LightGen, a distilled generator."),
        _paper("g", "Budgets", "Training took 88 GPU-days on our cluster."),
    ]
    names = _names_over(tmp_path, papers)
    assert names.plan(analyze("How big is the largest MovieGen model?")).about == ["m"]
    assert names.written_otherwise("MovieGen") and not names.written_otherwise("MovieNet")
    light = names.plan(analyze("How many GPU-days does Light-Gen need?"))
    assert light.about == ["l"] and light.mentioned_only == []


def test_the_words_of_a_written_phrase_are_not_names_of_their_own(tmp_path) -> None:
    """ "Qwen2 Audio" is a paper's name: "Qwen2" alone, which other papers mention, is not a
    near miss; "Experience" in "Hindsight Experience Replay" does not lead with a paper
    titled "Synthetic Experience Replay"."""
    papers = [
        _paper("q", "Qwen2-Audio Technical Report", "We introduce Qwen2-Audio, a voice model."),
        _paper("r", "Reasoning With RL", "We train Qwen2 with rewards on math."),
        _paper("s", "Synthetic Experience Replay", "We propose SynthER, an upsampler."),
        _paper("t", "Goal Learning", "Methods like Hindsight Experience Replay (HER) help."),
    ]
    names = _names_over(tmp_path, papers)
    audio = names.plan(analyze("What are Qwen2 Audio's interaction modes?"))
    assert audio.about == ["q"] and audio.mentioned_only == []
    her = analyze("How does Hindsight Experience Replay relabel goals?")
    plan = names.plan(her)
    assert plan.leads == [] and plan.mentioned_only == ["Hindsight Experience Replay"]
    assert names.near_miss(her, plan)


def test_the_head_noun_may_follow_a_modifier() -> None:
    from rag.name_roles import may_be_subject

    question = "How many parameters does the largest Flamingo vision-language model have?"
    assert may_be_subject("Flamingo", question)
    assert not may_be_subject("Flamingo", "Is the Flamingo color scheme pink?")
    assert may_be_subject("3D Qux Corruptions", "How many does the 3D Qux Corruptions suite hold?")


def test_an_acronym_in_a_background_sentence_is_not_introduced(tmp_path) -> None:
    """ "the recently developed neural radiance fields (NeRF) have shown ..." cites NeRF;
    "we propose neural radiance fields (NeRF)" introduces it."""
    papers = [
        _paper("x", "LiDAR Mapping", "The recently developed neural fields (NeRF) work well."),
        _paper("y", "Scene Fields", "We propose neural scene fields (NeRF) for views."),
    ]
    names = _names_over(tmp_path, papers)
    assert names.about_strength("x", "NeRF") == 0
    assert names.about_strength("y", "NeRF") == 1


def test_an_acronym_written_out_in_words_is_a_mention(tmp_path) -> None:
    """ "neural ODEs" in the question, "Neural Ordinary Differential Equations" in the paper
    that answers: the paper mentions the name, so the question is not a near miss there."""
    from rag.name_introductions import spells_out

    assert spells_out("models such as Neural Ordinary Differential Equations, have", "ODEs")
    assert spells_out("on graphics processing units", "GPU")
    assert not spells_out("a set of data examples", "ODE"), "'of' is not a word of a name"
    assert not spells_out("Ordinary Differential Equations", "Ode"), "not an acronym"
    papers = [
        _paper(
            "s",
            "Parallel Sequential Models",
            "Training Neural Ordinary Differential "
            "Equations is slow; our parallel algorithm trains them 10 times faster on GPUs.",
        ),
        _paper("t", "Point Processes", "We use neural ODEs to steer point processes."),
    ]
    names = _names_over(tmp_path, papers)
    stats = LexicalStats.of_texts(p.abstract for p in papers)
    info = analyze("How much faster can neural ODEs be trained with a parallel algorithm?")
    plan = names.plan(info)
    assert plan.mentioned_only == ["ODEs"] and plan.mentioning == ["t"]
    assert names.answered_by_mention(info, plan, ["s"], stats)
    assert not names.answered_by_mention(info, plan, [], stats)


def test_names_used_as_a_benchmark_example_or_container(names) -> None:
    """ "an average GLUE score", "a generator like MAR" use a name; "what's in X" asks about X."""
    from rag.name_roles import may_be_subject

    assert not may_be_subject("GLUE", "What average GLUE score does a large encoder reach?")
    assert not may_be_subject("CPU", "How much CPU time did it take?")
    assert not may_be_subject("MAR", "How much faster is a generator like MAR made?")
    assert not may_be_subject("MAR", "How fast are generators such as MAR?")
    assert may_be_subject("ForgeHLS", "what's in ForgeHLS and how big is it?")
    assert may_be_subject("StyleGAN", "What FID did StyleGAN report?")


def test_a_name_called_in_passing_is_not_introduced() -> None:
    sentence = "We apply it to a recent LLM called LLaMA and term this model as LaVIN."
    assert not introduced("LLaMA", sentence), "someone else's model, named in passing"
    assert introduced("LaVIN", sentence)
    assert introduced("FooNet", "We propose a new detector called FooNet.")


def test_a_name_inside_a_variants_name_is_not_introduced(tmp_path) -> None:
    """ "MSPLoRA ... introduces Global Shared LoRA": a variant's paper does not own the base
    name, so "the original LoRA paper" is still a near miss; a successor that starts with
    the name ("Direct3D-S2", written "Direct3D S2") keeps it."""
    papers = [
        _paper(
            "v",
            "MSPLoRA: Pyramid Adapters",
            "We propose MSPLoRA, which introduces Global Shared LoRA and Layer LoRA.",
        ),
        _paper("w", "Direct3D-S2: Sparse 3D", "We introduce Direct3D S2, a 3D generator."),
    ]
    names = _names_over(tmp_path, papers)
    assert not names.owns("v", "LoRA") and names.owns("v", "MSPLoRA")
    assert names.owns("w", "Direct3D")


def test_a_capitalized_opening_phrase_counts_only_when_a_paper_owns_it(tmp_path) -> None:
    """ "Immiscible Diffusion vs AutoDiffusion": the first words are a name (a paper is titled
    by it), so its paper leads; "Vanilla FooNet ..." is FooNet, not a near miss."""
    papers = [
        _paper("i", "Immiscible Diffusion: Noise Assignment", "We propose Immiscible Diffusion."),
        _paper("u", "AutoDiffusion: Step Search", "We propose AutoDiffusion, a step search."),
        _paper("a", "FooNet: Fast Object Detection", "We propose FooNet, a detector."),
        _paper("b", "Baselines", "We compare with vanilla FooNet on COCO."),
    ]
    names = _names_over(tmp_path, papers)
    plan = names.plan(analyze("Immiscible Diffusion vs AutoDiffusion: which trains faster?"))
    assert plan.leads == ["i"] and sorted(plan.about) == ["i", "u"]
    vanilla = names.plan(analyze("Vanilla FooNet or BarNet: which is faster?"))
    assert vanilla.about == ["a"] and vanilla.mentioned_only == []


def test_a_name_typed_with_its_version_apart_is_the_name_written_joined(tmp_path) -> None:
    """ "AudioLDM 2" as typed, "AudioLDM2" as written: a name papers mention, not unknown."""
    papers = [_paper("x", "Tango Two", "We beat Tango and AudioLDM2 on audio quality.")]
    names = _names_over(tmp_path, papers)
    question = "In AudioLDM 2, what is the language of audio?"
    assert names.plan(analyze(question)).mentioned_only == ["AudioLDM2"]
    assert names.written_otherwise("AudioLDM", question)
    assert not names.written_otherwise("AudioLDM", "What is AudioLDM?")


def test_a_part_of_the_named_paper_is_not_a_near_miss(tmp_path) -> None:
    """ "the Expansion & Squeeze Strategy in DynamicCity": a phrase only the named paper
    writes is a part of it, so the question is answered, not refused as a near miss; a
    name other papers mention as well still is one."""
    papers = [
        _paper(
            "d",
            "DynamicCity: LiDAR Generation",
            "We propose DynamicCity with a Projection Module and an Expansion & Squeeze "
            "Strategy, giving a 2.06x training speedup over OccSora.",
        ),
        _paper("o", "Scene Survey", "We review OccSora and other scene generators."),
    ]
    names = _names_over(tmp_path, papers)
    part = names.plan(analyze("How much does the Expansion & Squeeze Strategy in DynamicCity buy?"))
    assert part.about == ["d"] and part.mentioned_only == [] and part.mentioning == []
    other = names.plan(analyze("How fast does OccSora train in DynamicCity?"))
    assert other.about == ["d"] and other.mentioned_only == ["OccSora"]
    assert other.mentioning == ["o"]


def test_an_acronym_spelled_out_with_a_small_word_in_lower_case_is_a_term(tmp_path) -> None:
    """ "chain-of-thought (CoT)", "mixture of experts (MoE)": the "of" has no capital in the
    acronym, yet the term is common, so a paper's "termed CoT Cube" does not make it the
    paper a question's "its CoT evaluation" is about (MathVerse is the subject)."""
    papers = [
        _paper("x", "Finance Data", "We propose FinSet; a study, termed CoT Cube, shows gains."),
        _paper("y", None, "Prompting with chain-of-thought (CoT) helps on MathVerse."),
        _paper("z", None, "We propose a sparse mixture of experts (MoE) router."),
    ]
    names = _names_over(tmp_path, papers)
    plan = names.plan(analyze("MathVerse: how does its CoT evaluation score steps?"))
    assert plan.about == [] and plan.mentioned_only == ["MathVerse"]
    assert names.plan(analyze("How is the MoE routed?")).about == []


def test_the_work_a_paper_builds_on_is_not_its_own(tmp_path) -> None:
    """ "Inspired by ... Latent Consistency Model (LCM), we propose AnimateLCM": LCM is the
    earlier work, so "the original Latent Consistency Model" from another named model (a
    paper about Stable Diffusion is here) is a near miss, not AnimateLCM's answer."""
    papers = [
        _paper(
            "a",
            "AnimateLCM: Fast Animation",
            "Inspired by the Consistency Model (CM) and its extension Latent Consistency Model "
            "(LCM), we propose AnimateLCM, a video generator.",
        ),
        _paper("s", None, "We propose Stable Diffusion (SD), a latent text-to-image model."),
        _paper("t", None, "We propose the Tiny Consistency Model (TCM), a small sampler."),
    ]
    names = _names_over(tmp_path, papers)
    assert not names.owns("a", "Latent Consistency Model") and names.owns("a", "AnimateLCM")
    assert names.owns("t", "Tiny Consistency Model")
    info = analyze(
        "What did distilling the original Latent Consistency Model from Stable Diffusion cost?"
    )
    plan = names.origins_missing(info, names.plan(info), ["a", "s"])
    assert plan.mentioned_only == ["Latent Consistency Model"] and names.near_miss(info, plan)


def test_a_name_that_starts_with_a_digit_can_be_the_subject(tmp_path) -> None:
    """ "3D-FRONT" is a dataset's name; "1B-parameter" is a size."""
    papers = [_paper("s", "Room Layouts", "We train on 3D-FRONT scenes with 1B-parameter models.")]
    names = _names_over(tmp_path, papers)
    assert names.plan(analyze("How many rooms does 3D-FRONT hold?")).mentioned_only == ["3D-FRONT"]
    assert names.plan(analyze("How fast are 1B-parameter models?")).mentioned_only == []


def test_an_acronym_the_question_spells_out_is_that_papers(tmp_path) -> None:
    """ "Task Preference Optimization (TPO)": of two papers that introduce a TPO, the one
    that writes the words the question spells it out with is the one asked about."""
    papers = [
        _paper("g", "Graph Clustering", "We propose TPO, a clustering method for graphs."),
        _paper(
            "t",
            "Task Preference Optimization: Vision Tasks",
            "We propose Task Preference Optimization (TPO) for multimodal models.",
        ),
    ]
    names = _names_over(tmp_path, papers)
    assert sorted(names.plan(analyze("How fast is TPO?")).about) == ["g", "t"]
    spelled = analyze("Task Preference Optimization (TPO): how big was the improvement?")
    assert names.plan(spelled).about == ["t"]


def test_a_plain_word_of_a_phrase_no_paper_writes_is_not_a_name_of_its_own(tmp_path) -> None:
    """ "GPT-4o's Voice Mode": no paper writes "Voice Mode", so the paper titled "Voice" is
    not what is asked, and GPT-4o, which papers only mention, is still a near miss."""
    papers = [
        _paper("v", "Voice: A Speech Model", "We propose Voice, a speech model."),
        _paper("g", "Speech Baselines", "We compare with GPT-4o on speech and voice."),
    ]
    names = _names_over(tmp_path, papers)
    info = analyze("Per the GPT-4o system card, how fast is it, and was Voice Mode slower?")
    plan = names.plan(info)
    assert plan.leads == [] and plan.mentioned_only == ["GPT-4o"] and names.near_miss(info, plan)
    assert names.plan(analyze("How fast is Voice?")).leads == ["v"]


def test_a_name_the_paper_calls_recently_proposed_is_someone_elses() -> None:
    """ "we use the recently proposed Maximal Update Parametrization (muP)": the acronym is
    spelled out in a sentence that introduces something, but it is earlier work."""
    used = "We use the recently proposed Maximal Update Parametrization (muP) for transfer."
    assert not introduces_name("muP", used)
    assert introduces_name("FN", "We propose FooNet (FN), a fast detector.")


def test_a_name_the_paper_calls_classical_is_someone_elses() -> None:
    """ "We further introduce the classical elastic weight consolidation (EWC)": the paper
    uses EWC, so "the original EWC paper" is not this one."""
    used = "We further introduce the classical elastic weight consolidation (EWC) for updates."
    assert not introduces_name("EWC", used)
    assert not introduced("EWC", used)
    assert introduces_name("EWC", "We introduce elastic weight consolidation (EWC) for updates.")


def test_a_phrase_also_written_inside_a_sentence_is_a_name(tmp_path) -> None:
    """ "Deformable DETR is our baseline. In the original Deformable DETR paper, ...": the
    phrase opens one sentence, but the question also writes it capitalized inside another,
    so it is a name (written "Deformable-DETR" by the paper that mentions it), not "Deformable"."""
    papers = [
        _paper("t", "Deformable ConvNets v4", "We propose deformable convolutions, DCNv4."),
        _paper("m", "Hybrid Assignments", "We test on DAB-DETR, Deformable-DETR, and DINO."),
    ]
    names = _names_over(tmp_path, papers)
    info = analyze(
        "Deformable DETR is our baseline. How long did the original Deformable DETR paper train?"
    )
    plan = names.plan(info)
    assert plan.mentioned_only == ["Deformable DETR"] and plan.leads == []
    assert names.near_miss(info, plan)
    opening = names.plan(analyze("Deformable DETR is our baseline. How many epochs does it need?"))
    assert "Deformable DETR" not in opening.mentioned_only  # only its opening capital


def test_a_lower_case_name_typed_with_a_version_is_its_base_name(tmp_path) -> None:
    """ "redpajama-v2" where papers write "RedPajama": a near miss about RedPajama; a
    quantity such as "carbon-13" is not a version of "carbon"."""
    papers = [
        _paper("r", "Data Mixtures", "We train on RedPajama and C4."),
        _paper("c", "Carbon Capture", "We propose CarbNet for carbon capture."),
    ]
    names = _names_over(tmp_path, papers)
    plan = names.plan(analyze("redpajama-v2: how many tokens does it contain?"))
    assert plan.mentioned_only == ["redpajama"] and plan.mentioning == ["r"]
    assert names.plan(analyze("how do carbon-13 spectra work?")).mentioned_only == []


def test_a_modifier_made_from_a_name_is_not_its_subject(tmp_path) -> None:
    """ "the Transformer-based TTS model" asks about a kind of model, though papers write
    "Transformer-based" as a word of its own."""
    names = _names_over(
        tmp_path,
        [
            _paper("x", None, "Our QuxQuant-based detector is small."),
            _paper("y", None, "We propose SpeechNet, a fast speech model."),
        ],
    )
    info = analyze(
        "Compare the QuxQuant-based TTS model that replaced FooNet's RNNs with the fast "
        "SpeechNet model: what MOS does each report?"
    )
    assert "QuxQuant-based" in info.names
    assert names.plan(info).mentioned_only == []


def test_names_in_a_described_paper_are_its_setting_not_a_near_miss(names) -> None:
    """ "I read about a scheme that ...": the user describes the paper they want; QuxQuant,
    which papers only mention, is where it was used, not what is asked about."""
    described = analyze(
        "I read about a scheme that shrinks weights. How many bits does QuxQuant get?"
    )
    assert not names.near_miss(described, names.plan(described))
    direct = analyze("How many bits does QuxQuant get?")
    assert names.near_miss(direct, names.plan(direct))


def test_a_proper_noun_of_a_phrase_no_paper_writes_is_still_a_name(tmp_path) -> None:
    """ "the Waymo Open Dataset": no paper writes that phrase, but "Waymo" is no ordinary
    word (no paper writes it in lower case), so papers that only use Waymo make a near miss;
    "Voice" of "Voice Mode" stays an ordinary word."""
    papers = [
        _paper("w", "Lidar Forecasting", "We evaluate on the Waymo and KITTI datasets."),
        _paper("v", "Voice: A Speech Model", "We propose Voice, a model of the human voice."),
        _paper("t", "Speech Baselines", "A voice model is compared with GPT-4o on speech."),
    ]
    names = _names_over(tmp_path, papers)
    waymo = analyze("How many lidar scans does the Waymo Open Dataset hold?")
    assert names.plan(waymo).mentioned_only == ["Waymo"] and names.near_miss(
        waymo, names.plan(waymo)
    )
    voice = analyze("Per the GPT-4o system card, was Voice Mode slower?")
    assert "Voice" not in names.plan(voice).mentioned_only


def test_a_name_with_plus_signs_is_not_its_base_name(tmp_path) -> None:
    """ "ZeRO++" is not ZeRO: a paper titled "ZeRO: ..." does not answer for it, and papers
    that only mention ZeRO++ make a near miss."""
    papers = [
        _paper("z", "ZeRO: Memory Optimizations", "We propose ZeRO, a memory optimizer."),
        _paper("m", "Training on Frontier", "We extend ZeRO++ and ZeRO-3 to AMD GPUs."),
    ]
    names = _names_over(tmp_path, papers)
    info = analyze("In ZeRO++, how are gradients quantized for communication?")
    plan = names.plan(info)
    assert plan.mentioned_only == ["ZeRO++"] and plan.mentioning == ["m"]
    assert "z" not in plan.about and names.near_miss(info, plan)


def test_a_name_joined_to_a_unit_is_not_a_version_of_it() -> None:
    """ "AMD-GPU" is an AMD GPU; "ConvMAE-Base" is a version of ConvMAE."""
    assert variant_base("AMD-GPU") == ""
    assert variant_base("ConvMAE-Base") == "ConvMAE"


def test_a_heading_with_a_versioned_name_is_a_near_miss(tmp_path) -> None:
    """ "dream 7b diffusion llm - which model was it initialized from?": the heading names
    Dream-7B, which papers only mention, so the later "which model" does not ask for papers."""
    names = _names_over(
        tmp_path,
        [
            _paper("l", "Decoding Early", "We test LLaDA-8B and Dream-7B on code."),
            _paper("m", "Other Work", "We propose FooNet, a model for code."),
        ],
    )
    info = analyze("Dream 7b diffusion llm - which model was it initialized from?")
    plan = names.plan(info)
    assert plan.mentioned_only == ["Dream 7b"] and plan.mentioning == ["l"]
    assert names.near_miss(info, plan)


def test_a_long_name_typed_with_a_typo_is_the_name_papers_write(tmp_path) -> None:
    """ "FastAtention" is FastAttention: its paper answers, and it is not an unknown name;
    "FastAttention3" is another version and "FastAttn" another name."""
    names = _names_over(
        tmp_path,
        [
            _paper("f", "FastAttention: Kernels for NPUs", "We propose FastAttention for NPUs."),
            _paper("o", "Other Kernels", "We propose SlowKernel, a baseline."),
        ],
    )
    plan = names.plan(analyze("What speedup does FastAtention give on NPUs?"))
    assert plan.about == ["f"]
    assert names.written_otherwise("FastAtention")
    assert not names.written_otherwise("FastAttention3")
    assert not names.written_otherwise("FastAttn"), "another name, not a typo"
    assert not names.written_otherwise("FastAttentions"), "a plural is not a typo"


def test_a_short_form_after_the_papers_verb_or_our_approach_is_introduced() -> None:
    """ "we leverage ... and propose Synthetic Experience Replay (SynthER)": the verb is far
    from "we"; "Our approach, Warm-start RL (WSRL), ...": an apposition. Neither holds for
    "our method improves the Peak Signal-to-Noise Ratio (PSNR)"."""
    far = (
        "In this work, we leverage the tremendous recent progress in generative modeling and "
        "propose Synthetic Experience Replay (SynthER), a diffusion-based approach."
    )
    assert introduces_name("SynthER", far)
    assert introduces_name("WSRL", "Our approach, Warm-start RL (WSRL), keeps no data.")
    assert not introduces_name("PSNR", "Our method improves the Peak Signal Ratio (PSNR) a lot.")


def test_a_name_two_papers_introduce_leads_with_the_one_retrieval_ranks_first(tmp_path) -> None:
    """ "ARPO" is an agent-RL method in one paper and a translation loss in another: the
    plan cannot tell which is meant, so the paper retrieval ranks higher leads."""
    papers = [
        _paper("a", "Agentic RL", "We propose Agentic Policy Optimization (ARPO) for agents."),
        _paper("t", "Translation at Scale", "We propose ARPO, a preference loss for translation."),
    ]
    names = _names_over(tmp_path, papers)
    plan = names.plan(analyze("how does ARPO branch rollouts for agents"))
    assert sorted([*plan.leads, *plan.rivals.get(plan.leads[0], [])]) == ["a", "t"]
    assert plan.settled(["t", "a"]).leads == ["t"]
    assert plan.settled(["a", "t"]).leads == ["a"]
    assert plan.settled(["a", "t"]).promoted[0] == "a"


def test_a_name_typed_with_a_typo_is_looked_up_as_the_abstracts_write_it(tmp_path) -> None:
    """ "ConsiStroy" for "ConsiStory": the paper introduces the name, so it is about it."""
    papers = [_paper("c", "Consistent Images", "Here, we present ConsiStory, a training-free.")]
    names = _names_over(tmp_path, papers)
    plan = names.plan(analyze("How does ConsiStroy keep subjects consistent?"))
    assert plan.leads == ["c"] and not plan.mentioned_only


def test_the_original_model_as_a_baseline_is_not_an_origin() -> None:
    """ "a speed-up over the original DiT" compares with it; "the original DiT" asks for it."""
    from rag.name_roles import origin_names

    assert origin_names(analyze("What speed-up over the original DiT does it give?")) == []
    assert origin_names(analyze("What FID did the original DiT report?")) == ["DiT"]


def test_the_original_paper_asked_without_its_name_points_at_the_subject() -> None:
    """ "... according to the benchmark's creators", "In Meta's X paper": the work the
    question's subject comes from; a setting ("on ImageNet") is not it, and a question that
    never asks for the original work has no origin."""
    from rag.name_roles import origin_names

    creators = "What tasks make up Long Range Arena, according to the benchmark's creators?"
    assert origin_names(analyze(creators)) == ["Long Range Arena"]
    original = "How fast is FooNet on ImageNet, as the original paper reports?"
    assert origin_names(analyze(original)) == ["FooNet"]
    owned = "In Meta's Self-Rewarding Language Models paper, how many iterations were run?"
    assert origin_names(analyze(owned)) == ["Self-Rewarding Language Models"]
    assert origin_names(analyze("How fast is FooNet on ImageNet?")) == []
    coined = "In the paper that introduced manifold-constrained gradients (MCG), how is it used?"
    assert origin_names(analyze(coined)) == ["MCG"]
    variant = "Which paper proposed a faster variant of Adam called AdamX?"
    assert "Adam" not in origin_names(analyze(variant))
