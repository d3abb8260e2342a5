"""Whether an abstract introduces a name as its own paper's: "we propose X", not "such as X"."""

from __future__ import annotations

import pytest

from rag.name_introductions import introduced, introduces_name
from rag.question_type import analyze
from tests.support.name_index import names_over, paper


def test_a_name_introduced_second_with_its_acronym_is_the_papers_own(tmp_path) -> None:
    """ "we introduce A Models (AM) and Path Matching (PM)": the paper is about Path Matching,
    so asking what it is is not a near miss; a paper citing it among others is not about it."""
    papers = [
        paper(
            "g",
            "Aligning Design Paths",
            "We introduce Shape Diffusion Models (SDM) and Path Matching (PM), a framework "
            "that aligns sampling paths with solver paths. It needs few samples.",
        ),
        paper(
            "h",
            "A Survey of Design Generation",
            "Recent methods such as Path Matching (PM) have been proposed for design.",
        ),
        paper("i", "Solver Paths", "Path Matching is a baseline in our comparison."),
    ]
    names = names_over(tmp_path, papers)
    info = analyze("What is Path Matching in design generation?")
    plan = names.plan(info)
    assert plan.about == ["g"] and not names.near_miss(info, plan)
    assert names.about_strength("h", "Path Matching") == 0, "cited, not introduced"
    assert names.about_strength("g", "Diffusion Models") == 0, "SDM is not its initials"


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
        (
            "Leon",
            "Our method discovers a simple and effective optimization algorithm, Leon (Evo"
            "\\textbf{Lved Sign Momentum}).",
        ),
        ("QuxNet", "Our search finds a family of compact vision models, QuxNet, for phones."),
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
        ("Leon", "We discover that a simple optimizer, Leon, is unstable at large batch sizes."),
        ("Leon", "Our method finds that optimizers such as Adam, Leon, and SGD differ in memory."),
    ],
)
def test_names_a_sentence_mentions_without_introducing(name: str, sentence: str) -> None:
    assert not introduced(name, sentence)


def test_a_title_containing_a_name_is_not_the_paper_that_introduced_it(tmp_path) -> None:
    """ "Which paper introduced QuxFlow?": the paper titled "Accelerate QuxFlow Sampling"
    builds on QuxFlow; it leads a question about QuxFlow, but not one about its origin."""
    papers = [
        paper("s", "Accelerate QuxFlow Sampling", "We speed up QuxFlow sampling 4x."),
        paper("t", "Other Flows", "Flows such as QuxFlow are slow to sample."),
    ]
    names = names_over(tmp_path, papers)
    origin = analyze("Which paper introduced QuxFlow, and what bits per dimension did it get?")
    plan = names.origins_missing(origin, names.plan(origin), ["s", "t"])
    assert plan.mentioned_only == ["QuxFlow"] and plan.leads == []
    assert names.near_miss(origin, plan)
    topical = analyze("How much faster can QuxFlow sample?")
    plan = names.origins_missing(topical, names.plan(topical), ["s", "t"])
    assert plan.leads == ["s"] and not names.near_miss(topical, plan)


def test_a_paper_that_introduces_a_name_its_title_contains_owns_it(tmp_path) -> None:
    """Ownership (the title's name part, or an abstract that introduces the name) is the one
    rule for promotion and for "the original X". "into meta-training VeLOx" reads as a setting,
    yet the paper that introduces VeLOx leads; a title that only contains it does not."""
    papers = [
        paper("v", "Scaling VeLOx Training", "We introduce VeLOx, a learned optimizer."),
        paper("w", "VeLOx Meets Adam", "We tune Adam against VeLOx on small tasks."),
    ]
    names = names_over(tmp_path, papers)
    assert names.owns("v", "VeLOx") and not names.owns("w", "VeLOx")
    info = analyze("How much compute went into meta-training VeLOx?")
    assert names.plan(info).promoted == ["v", "w"]


def test_the_paper_that_introduced_a_name_leads_a_question_about_its_origin(tmp_path) -> None:
    """ "the original Leon paper": the paper whose search discovered Leon leads, ahead of one
    whose title holds the name; before, Leon was taken for a name no paper here is about."""
    papers = [
        paper(
            "d",
            "Symbolic Discovery of Optimizers",
            "Our method discovers a simple and "
            "effective optimization algorithm, Leon. Leon saves 5x the compute on JFT.",
        ),
        paper(
            "e",
            "Leon Secretly Solves Constrained Problems",
            "Leon, an optimizer found by "
            "program search, trains large models well. We explain why it works.",
        ),
    ]
    names = names_over(tmp_path, papers)
    assert names.owns("d", "Leon") and not names.owns("e", "Leon")
    origin = analyze("How much compute does the original Leon paper save on JFT?")
    plan = names.origins_missing(origin, names.plan(origin), ["e", "d"])
    assert plan.leads == ["d"] and plan.mentioned_only == [] and not names.near_miss(origin, plan)
    topical = analyze("Why does Leon solve constrained problems?")
    assert names.plan(topical).leads == ["e"], "otherwise the title holding the name leads"


def test_the_original_paper_of_an_acronym_many_papers_define_is_the_one_it_titles(tmp_path):
    """ "the original ZPT paper", where a dozen papers write "Zeta Preference Tuning (ZPT)":
    the paper titled by the spelled-out name leads, not the papers that train with it (nor is
    ZPT dropped as a common term because one abstract writes it in lower case)."""
    origin = paper(
        "o",
        "Zeta Preference Tuning: Your Model Is a Judge",
        "The resulting algorithm, which we call Zeta Preference Tuning (ZPT), needs no reward "
        "model.",
    )
    users = [
        paper(
            f"u{i:02d}",
            f"Study {i} of Aligned Models",
            f"We present a recipe {i} that uses Zeta Preference Tuning (ZPT) for alignment.",
        )
        for i in range(11)
    ]
    lower = paper("l", "Audio Alignment", "We align audio with zeta preference tuning (ZPT).")
    names = names_over(tmp_path, [*users, origin, lower])
    info = analyze("What did the original ZPT paper say it removes compared with RLHF?")
    assert names.plan(info).leads == ["o"]
    assert names.plan(analyze("How does ZPT compare with RLHF?")).leads == [], "a common name"


def test_an_acronym_in_a_background_sentence_is_not_introduced(tmp_path) -> None:
    """ "the recently developed neural radiance fields (NeRF) have shown ..." cites NeRF;
    "we propose neural radiance fields (NeRF)" introduces it."""
    papers = [
        paper("x", "LiDAR Mapping", "The recently developed neural fields (NeRF) work well."),
        paper("y", "Scene Fields", "We propose neural scene fields (NeRF) for views."),
    ]
    names = names_over(tmp_path, papers)
    assert names.about_strength("x", "NeRF") == 0
    assert names.about_strength("y", "NeRF") == 1


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
        paper(
            "v",
            "MSPLoRA: Pyramid Adapters",
            "We propose MSPLoRA, which introduces Global Shared LoRA and Layer LoRA.",
        ),
        paper("w", "Direct3D-S2: Sparse 3D", "We introduce Direct3D S2, a 3D generator."),
    ]
    names = names_over(tmp_path, papers)
    assert not names.owns("v", "LoRA") and names.owns("v", "MSPLoRA")
    assert names.owns("w", "Direct3D")


def test_the_work_a_paper_builds_on_is_not_its_own(tmp_path) -> None:
    """ "Inspired by ... Latent Consistency Model (LCM), we propose AnimateLCM": LCM is the
    earlier work, so "the original Latent Consistency Model" from another named model (a
    paper about Stable Diffusion is here) is a near miss, not AnimateLCM's answer."""
    papers = [
        paper(
            "a",
            "AnimateLCM: Fast Animation",
            "Inspired by the Consistency Model (CM) and its extension Latent Consistency Model "
            "(LCM), we propose AnimateLCM, a video generator.",
        ),
        paper("s", None, "We propose Stable Diffusion (SD), a latent text-to-image model."),
        paper("t", None, "We propose the Tiny Consistency Model (TCM), a small sampler."),
    ]
    names = names_over(tmp_path, papers)
    assert not names.owns("a", "Latent Consistency Model") and names.owns("a", "AnimateLCM")
    assert names.owns("t", "Tiny Consistency Model")
    info = analyze(
        "What did distilling the original Latent Consistency Model from Stable Diffusion cost?"
    )
    plan = names.origins_missing(info, names.plan(info), ["a", "s"])
    assert plan.mentioned_only == ["Latent Consistency Model"] and names.near_miss(info, plan)


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
        paper("a", "Agentic RL", "We propose Agentic Policy Optimization (ARPO) for agents."),
        paper("t", "Translation at Scale", "We propose ARPO, a preference loss for translation."),
    ]
    names = names_over(tmp_path, papers)
    plan = names.plan(analyze("how does ARPO branch rollouts for agents"))
    assert sorted([*plan.leads, *plan.rivals.get(plan.leads[0], [])]) == ["a", "t"]
    assert plan.settled(["t", "a"]).leads == ["t"]
    assert plan.settled(["a", "t"]).leads == ["a"]
    assert plan.settled(["a", "t"]).promoted[0] == "a"
