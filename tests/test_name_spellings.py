"""A name typed otherwise than the papers write it: versions, joins, typos, acronyms spelled out."""

from __future__ import annotations

from rag.name_roles import variant_base
from rag.question_type import analyze
from rag.sentence_scoring import LexicalStats
from tests.support.name_index import names_over, paper


def test_an_acronym_spelled_out_in_lower_case_is_a_term_not_a_name(tmp_path) -> None:
    """ "deep neural network (DNN)": a title containing DNN is not the paper about DNN, and a
    question about DNNs is neither promoted nor a near miss; "Gradient Projection (GraPro)"
    is a named method, and the paper titled by it stays about it."""
    papers = [
        paper("s", "Efficient Sparse DNN Training", "We train sparse DNNs faster on chips."),
        paper("t", "Bell Curves", "Each deep neural network (DNN) has bell-shaped weights."),
        paper("g", "GraPro: Cheap Training", "We propose Gradient Projection (GraPro)."),
        paper("h", "Baselines", "We compare with gradient projection (GraPro) and Adam."),
    ]
    names = names_over(tmp_path, papers)
    plan = names.plan(analyze("How are DNN accelerators designed?"))
    assert plan.about == [] and plan.mentioned_only == [] and plan.focus == []
    assert names.plan(analyze("What does GraPro project?")).about == ["g"], "titled by the name"


def test_a_versioned_name_typed_in_lower_case_with_hyphens_is_found(tmp_path) -> None:
    """ "phi-3-mini" as typed, "Phi-3 Mini" as written: the same name, only mentioned here,
    so the question is a near miss; "1B-parameter" is a size, not a name."""
    papers = [paper("o", "Octo Planner", "A planner based on Phi-3 Mini, tuned on our data.")]
    names = names_over(tmp_path, papers)
    info = analyze("How many tokens was phi-3-mini pretrained on?")
    plan = names.plan(info)
    assert plan.mentioned_only == ["phi-3-mini"] and plan.mentioning == ["o"]
    assert names.near_miss(info, plan)
    assert names.plan(analyze("What makes a strong 1B-parameter model?")).mentioned_only == []


def test_a_name_typed_joined_or_split_is_the_name_the_paper_writes(tmp_path) -> None:
    """ "MovieGen" is written "Movie Gen", "Light-Gen" is written "LightGen"; "GPU-days" is a
    unit, not a name a paper could be about."""
    papers = [
        paper("m", "Movie Gen: Media Models", "We present Movie Gen, a family of video models."),
        paper("l", "LightGen: Cheap Generation", "We propose LightGen, a distilled generator."),
        paper("g", "Budgets", "Training took 88 GPU-days on our cluster."),
    ]
    names = names_over(tmp_path, papers)
    assert names.plan(analyze("How big is the largest MovieGen model?")).about == ["m"]
    assert names.written_otherwise("MovieGen") and not names.written_otherwise("MovieNet")
    light = names.plan(analyze("How many GPU-days does Light-Gen need?"))
    assert light.about == ["l"] and light.mentioned_only == []


def test_an_acronym_written_out_in_words_is_a_mention(tmp_path) -> None:
    """ "neural ODEs" in the question, "Neural Ordinary Differential Equations" in the paper
    that answers: the paper mentions the name, so the question is not a near miss there."""
    from rag.name_introductions import spells_out

    assert spells_out("models such as Neural Ordinary Differential Equations, have", "ODEs")
    assert spells_out("on graphics processing units", "GPU")
    assert not spells_out("a set of data examples", "ODE"), "'of' is not a word of a name"
    assert not spells_out("Ordinary Differential Equations", "Ode"), "not an acronym"
    papers = [
        paper(
            "s",
            "Parallel Sequential Models",
            "Training Neural Ordinary Differential "
            "Equations is slow; our parallel algorithm trains them 10 times faster on GPUs.",
        ),
        paper("t", "Point Processes", "We use neural ODEs to steer point processes."),
    ]
    names = names_over(tmp_path, papers)
    stats = LexicalStats.of_texts(p.abstract for p in papers)
    info = analyze("How much faster can neural ODEs be trained with a parallel algorithm?")
    plan = names.plan(info)
    assert plan.mentioned_only == ["ODEs"] and plan.mentioning == ["t"]
    assert names.answered_by_mention(info, plan, ["s"], stats)
    assert not names.answered_by_mention(info, plan, [], stats)


def test_a_name_typed_with_its_version_apart_is_the_name_written_joined(tmp_path) -> None:
    """ "AudioLDM 2" as typed, "AudioLDM2" as written: a name papers mention, not unknown."""
    papers = [paper("x", "Tango Two", "We beat Tango and AudioLDM2 on audio quality.")]
    names = names_over(tmp_path, papers)
    question = "In AudioLDM 2, what is the language of audio?"
    assert names.plan(analyze(question)).mentioned_only == ["AudioLDM2"]
    assert names.written_otherwise("AudioLDM", question)
    assert not names.written_otherwise("AudioLDM", "What is AudioLDM?")


def test_an_acronym_spelled_out_with_a_small_word_in_lower_case_is_a_term(tmp_path) -> None:
    """ "chain-of-thought (CoT)", "mixture of experts (MoE)": the "of" has no capital in the
    acronym, yet the term is common, so a paper's "termed CoT Cube" does not make it the
    paper a question's "its CoT evaluation" is about (MathVerse is the subject)."""
    papers = [
        paper("x", "Finance Data", "We propose FinSet; a study, termed CoT Cube, shows gains."),
        paper("y", None, "Prompting with chain-of-thought (CoT) helps on MathVerse."),
        paper("z", None, "We propose a sparse mixture of experts (MoE) router."),
    ]
    names = names_over(tmp_path, papers)
    plan = names.plan(analyze("MathVerse: how does its CoT evaluation score steps?"))
    assert plan.about == [] and plan.mentioned_only == ["MathVerse"]
    assert names.plan(analyze("How is the MoE routed?")).about == []


def test_an_acronym_the_question_spells_out_is_that_papers(tmp_path) -> None:
    """ "Task Preference Optimization (TPO)": of two papers that introduce a TPO, the one
    that writes the words the question spells it out with is the one asked about."""
    papers = [
        paper("g", "Graph Clustering", "We propose TPO, a clustering method for graphs."),
        paper(
            "t",
            "Task Preference Optimization: Vision Tasks",
            "We propose Task Preference Optimization (TPO) for multimodal models.",
        ),
    ]
    names = names_over(tmp_path, papers)
    assert sorted(names.plan(analyze("How fast is TPO?")).about) == ["g", "t"]
    spelled = analyze("Task Preference Optimization (TPO): how big was the improvement?")
    assert names.plan(spelled).about == ["t"]


def test_a_lower_case_name_typed_with_a_version_is_its_base_name(tmp_path) -> None:
    """ "redpajama-v2" where papers write "RedPajama": a near miss about RedPajama; a
    quantity such as "carbon-13" is not a version of "carbon"."""
    papers = [
        paper("r", "Data Mixtures", "We train on RedPajama and C4."),
        paper("c", "Carbon Capture", "We propose CarbNet for carbon capture."),
    ]
    names = names_over(tmp_path, papers)
    plan = names.plan(analyze("redpajama-v2: how many tokens does it contain?"))
    assert plan.mentioned_only == ["redpajama"] and plan.mentioning == ["r"]
    assert names.plan(analyze("how do carbon-13 spectra work?")).mentioned_only == []


def test_a_name_with_plus_signs_is_not_its_base_name(tmp_path) -> None:
    """ "ZeRO++" is not ZeRO: a paper titled "ZeRO: ..." does not answer for it, and papers
    that only mention ZeRO++ make a near miss."""
    papers = [
        paper("z", "ZeRO: Memory Optimizations", "We propose ZeRO, a memory optimizer."),
        paper("m", "Training on Frontier", "We extend ZeRO++ and ZeRO-3 to AMD GPUs."),
    ]
    names = names_over(tmp_path, papers)
    info = analyze("In ZeRO++, how are gradients quantized for communication?")
    plan = names.plan(info)
    assert plan.mentioned_only == ["ZeRO++"] and plan.mentioning == ["m"]
    assert "z" not in plan.about and names.near_miss(info, plan)


def test_a_name_joined_to_a_unit_is_not_a_version_of_it() -> None:
    """ "AMD-GPU" is an AMD GPU; "ConvMAE-Base" is a version of ConvMAE."""
    assert variant_base("AMD-GPU") == ""
    assert variant_base("ConvMAE-Base") == "ConvMAE"


def test_a_long_name_typed_with_a_typo_is_the_name_papers_write(tmp_path) -> None:
    """ "FastAtention" is FastAttention: its paper answers, and it is not an unknown name;
    "FastAttention3" is another version and "FastAttn" another name."""
    names = names_over(
        tmp_path,
        [
            paper("f", "FastAttention: Kernels for NPUs", "We propose FastAttention for NPUs."),
            paper("o", "Other Kernels", "We propose SlowKernel, a baseline."),
        ],
    )
    plan = names.plan(analyze("What speedup does FastAtention give on NPUs?"))
    assert plan.about == ["f"]
    assert names.written_otherwise("FastAtention")
    assert not names.written_otherwise("FastAttention3")
    assert not names.written_otherwise("FastAttn"), "another name, not a typo"
    assert not names.written_otherwise("FastAttentions"), "a plural is not a typo"


def test_a_name_typed_with_a_typo_is_looked_up_as_the_abstracts_write_it(tmp_path) -> None:
    """ "ConsiStroy" for "ConsiStory": the paper introduces the name, so it is about it."""
    papers = [paper("c", "Consistent Images", "Here, we present ConsiStory, a training-free.")]
    names = names_over(tmp_path, papers)
    plan = names.plan(analyze("How does ConsiStroy keep subjects consistent?"))
    assert plan.leads == ["c"] and not plan.mentioned_only
