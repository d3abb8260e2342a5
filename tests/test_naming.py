"""Which papers a question's names point to: introductions, titles, near misses, settings."""

from __future__ import annotations

import pytest

from rag.naming import PaperNames
from rag.question_type import analyze
from rag.sentence_scoring import LexicalStats
from tests.support.name_index import names_over, paper

PAPERS = [
    paper("a", "FooNet: Fast Object Detection", "We propose FooNet, a detector. It is fast."),
    paper("j", None, "We propose a style transfer method without tuning, termed as PaintOmni."),
    paper("k", None, "A sampler, referred to as SkipStep, halves the steps of diffusion."),
    paper("b", "Detectors Compared", "We compare FooNet and BarNet on COCO. BarNet wins."),
    paper("c", None, "In this work, we introduce BazOpt, an optimizer for sparse models."),
    paper("d", "Another Study", "We train models with BazOpt and QuxQuant as baselines."),
    paper("e", "A Third Study", "QuxQuant is a strong baseline for quantization."),
    paper("f", "Sparse Experts", "Our mixture of experts gives 3x FLOPs savings over dense."),
]


@pytest.fixture
def names(tmp_path) -> PaperNames:
    """Name postings as an index keeps them: a real catalog holding PAPERS."""
    return names_over(tmp_path, PAPERS)


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


def test_a_name_in_a_parenthetical_remark_does_not_point_to_its_paper(names) -> None:
    """ "(to cut down on runs, partly for FooNet reasons)" says why the question is asked: the
    paper titled FooNet is not the one asked about, and is neither promoted nor quoted first."""
    aside = "In the work on sparse models (to save runs, partly for FooNet reasons), what is used?"
    plan = names.plan(analyze(aside))
    assert plan.about == plan.promoted == plan.focus == []
    assert names.plan(analyze("In the work on FooNet (a detector), what is used?")).about == ["a"]
    assert names.plan(analyze("What speed-up does the detector (FooNet) reach?")).about == ["a"]
    follow_up = "and who wrote it? (follow-up to: how fast is it?; thread: What is FooNet?)"
    assert names.plan(analyze(follow_up)).about == ["a"], "a thread's question, not a remark"


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
        paper("u1", "Deeper Zormer Layers", "We study Zormer layers at depth 96 in vision."),
        paper("u2", "Efficient Zormer Training", "Training a Zormer takes 3x less memory."),
        paper("u3", "Zormer Pruning at Scale", "We prune Zormer heads with no loss."),
    ]
    names = names_over(tmp_path, users)
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
    origin = paper("o", "Zormer: Attention for Everything", "We propose the Zormer.")
    names = names_over(tmp_path / "with_origin", [*users, origin])
    info = analyze("How many layers does the original Zormer use?")
    assert names.origins_missing(info, names.plan(info), ["u1", "o"]).mentioned_only == []


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


def test_the_words_of_a_written_phrase_are_not_names_of_their_own(tmp_path) -> None:
    """ "Qwen2 Audio" is a paper's name: "Qwen2" alone, which other papers mention, is not a
    near miss; "Experience" in "Hindsight Experience Replay" does not lead with a paper
    titled "Synthetic Experience Replay"."""
    papers = [
        paper("q", "Qwen2-Audio Technical Report", "We introduce Qwen2-Audio, a voice model."),
        paper("r", "Reasoning With RL", "We train Qwen2 with rewards on math."),
        paper("s", "Synthetic Experience Replay", "We propose SynthER, an upsampler."),
        paper("t", "Goal Learning", "Methods like Hindsight Experience Replay (HER) help."),
    ]
    names = names_over(tmp_path, papers)
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
    # past the name's own expansion in parentheses
    expanded = "In the Walnut (Web of Latent Nut Thoughts) paper, how is the state fed back?"
    assert may_be_subject("Walnut", expanded)
    assert not may_be_subject("Walnut", "Is the Walnut (Web of Latent Nut Thoughts) color pink?")


def test_names_used_as_a_benchmark_example_or_container(names) -> None:
    """ "an average GLUE score", "a generator like MAR" use a name; "what's in X" asks about X."""
    from rag.name_roles import may_be_subject

    assert not may_be_subject("GLUE", "What average GLUE score does a large encoder reach?")
    assert not may_be_subject("CPU", "How much CPU time did it take?")
    assert not may_be_subject("MAR", "How much faster is a generator like MAR made?")
    assert not may_be_subject("MAR", "How fast are generators such as MAR?")
    assert may_be_subject("ForgeHLS", "what's in ForgeHLS and how big is it?")
    assert may_be_subject("StyleGAN", "What FID did StyleGAN report?")
    # what a method is asked to act on: "stop Post-Norm Transformers from ...", not the subject
    stop = "How can you stop Post-Norm transformers from having exploding gradients?"
    assert not may_be_subject("Post-Norm", stop)
    assert not may_be_subject("Adam", "How do we prevent Adam from diverging at large batch?")
    assert not may_be_subject("GaLore", "How can we stabilize GaLore training?")
    assert may_be_subject("Post-Norm", "Does Post-Norm stop training from diverging?")


def test_a_capitalized_opening_phrase_counts_only_when_a_paper_owns_it(tmp_path) -> None:
    """ "Immiscible Diffusion vs AutoDiffusion": the first words are a name (a paper is titled
    by it), so its paper leads; "Vanilla FooNet ..." is FooNet, not a near miss."""
    papers = [
        paper("i", "Immiscible Diffusion: Noise Assignment", "We propose Immiscible Diffusion."),
        paper("u", "AutoDiffusion: Step Search", "We propose AutoDiffusion, a step search."),
        paper("a", "FooNet: Fast Object Detection", "We propose FooNet, a detector."),
        paper("b", "Baselines", "We compare with vanilla FooNet on COCO."),
    ]
    names = names_over(tmp_path, papers)
    plan = names.plan(analyze("Immiscible Diffusion vs AutoDiffusion: which trains faster?"))
    assert plan.leads == ["i"] and sorted(plan.about) == ["i", "u"]
    vanilla = names.plan(analyze("Vanilla FooNet or BarNet: which is faster?"))
    assert vanilla.about == ["a"] and vanilla.mentioned_only == []


def test_a_part_of_the_named_paper_is_not_a_near_miss(tmp_path) -> None:
    """ "the Expansion & Squeeze Strategy in DynamicCity": a phrase only the named paper
    writes is a part of it, so the question is answered, not refused as a near miss; a
    name other papers mention as well still is one."""
    papers = [
        paper(
            "d",
            "DynamicCity: LiDAR Generation",
            "We propose DynamicCity with a Projection Module and an Expansion & Squeeze "
            "Strategy, giving a 2.06x training speedup over OccSora.",
        ),
        paper("o", "Scene Survey", "We review OccSora and other scene generators."),
    ]
    names = names_over(tmp_path, papers)
    part = names.plan(analyze("How much does the Expansion & Squeeze Strategy in DynamicCity buy?"))
    assert part.about == ["d"] and part.mentioned_only == [] and part.mentioning == []
    other = names.plan(analyze("How fast does OccSora train in DynamicCity?"))
    assert other.about == ["d"] and other.mentioned_only == ["OccSora"]
    assert other.mentioning == ["o"]


def test_a_name_that_starts_with_a_digit_can_be_the_subject(tmp_path) -> None:
    """ "3D-FRONT" is a dataset's name; "1B-parameter" is a size."""
    papers = [paper("s", "Room Layouts", "We train on 3D-FRONT scenes with 1B-parameter models.")]
    names = names_over(tmp_path, papers)
    assert names.plan(analyze("How many rooms does 3D-FRONT hold?")).mentioned_only == ["3D-FRONT"]
    assert names.plan(analyze("How fast are 1B-parameter models?")).mentioned_only == []


def test_a_plain_word_of_a_phrase_no_paper_writes_is_not_a_name_of_its_own(tmp_path) -> None:
    """ "GPT-4o's Voice Mode": no paper writes "Voice Mode", so the paper titled "Voice" is
    not what is asked, and GPT-4o, which papers only mention, is still a near miss."""
    papers = [
        paper("v", "Voice: A Speech Model", "We propose Voice, a speech model."),
        paper("g", "Speech Baselines", "We compare with GPT-4o on speech and voice."),
    ]
    names = names_over(tmp_path, papers)
    info = analyze("Per the GPT-4o system card, how fast is it, and was Voice Mode slower?")
    plan = names.plan(info)
    assert plan.leads == [] and plan.mentioned_only == ["GPT-4o"] and names.near_miss(info, plan)
    assert names.plan(analyze("How fast is Voice?")).leads == ["v"]


def test_a_phrase_also_written_inside_a_sentence_is_a_name(tmp_path) -> None:
    """ "Deformable DETR is our baseline. In the original Deformable DETR paper, ...": the
    phrase opens one sentence, but the question also writes it capitalized inside another,
    so it is a name (written "Deformable-DETR" by the paper that mentions it), not "Deformable"."""
    papers = [
        paper("t", "Deformable ConvNets v4", "We propose deformable convolutions, DCNv4."),
        paper("m", "Hybrid Assignments", "We test on DAB-DETR, Deformable-DETR, and DINO."),
    ]
    names = names_over(tmp_path, papers)
    info = analyze(
        "Deformable DETR is our baseline. How long did the original Deformable DETR paper train?"
    )
    plan = names.plan(info)
    assert plan.mentioned_only == ["Deformable DETR"] and plan.leads == []
    assert names.near_miss(info, plan)
    opening = names.plan(analyze("Deformable DETR is our baseline. How many epochs does it need?"))
    assert "Deformable DETR" not in opening.mentioned_only  # only its opening capital


def test_a_modifier_made_from_a_name_is_not_its_subject(tmp_path) -> None:
    """ "the Transformer-based TTS model" asks about a kind of model, though papers write
    "Transformer-based" as a word of its own."""
    names = names_over(
        tmp_path,
        [
            paper("x", None, "Our QuxQuant-based detector is small."),
            paper("y", None, "We propose SpeechNet, a fast speech model."),
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
        paper("w", "Lidar Forecasting", "We evaluate on the Waymo and KITTI datasets."),
        paper("v", "Voice: A Speech Model", "We propose Voice, a model of the human voice."),
        paper("t", "Speech Baselines", "A voice model is compared with GPT-4o on speech."),
    ]
    names = names_over(tmp_path, papers)
    waymo = analyze("How many lidar scans does the Waymo Open Dataset hold?")
    assert names.plan(waymo).mentioned_only == ["Waymo"] and names.near_miss(
        waymo, names.plan(waymo)
    )
    voice = analyze("Per the GPT-4o system card, was Voice Mode slower?")
    assert "Voice" not in names.plan(voice).mentioned_only


def test_a_heading_with_a_versioned_name_is_a_near_miss(tmp_path) -> None:
    """ "dream 7b diffusion llm - which model was it initialized from?": the heading names
    Dream-7B, which papers only mention, so the later "which model" does not ask for papers."""
    names = names_over(
        tmp_path,
        [
            paper("l", "Decoding Early", "We test LLaDA-8B and Dream-7B on code."),
            paper("m", "Other Work", "We propose FooNet, a model for code."),
        ],
    )
    info = analyze("Dream 7b diffusion llm - which model was it initialized from?")
    plan = names.plan(info)
    assert plan.mentioned_only == ["Dream 7b"] and plan.mentioning == ["l"]
    assert names.near_miss(info, plan)


def test_works_cited_by_their_authors_are_read_in_the_questions_words() -> None:
    from rag.name_roles import cited_works

    assert cited_works(
        "How does sign SGD with majority vote (Bernstein et al., 2018) aggregate gradients?"
    ) == ["sign SGD with majority vote"]
    assert cited_works("In Shen et al.'s minimum risk training paper, which loss is used?") == [
        "minimum risk training"
    ]
    assert cited_works("Textual inversion (Gal et al.): how many images does it need?") == [
        "Textual inversion"
    ]
    for background in (
        "RAG (Lewis et al., 2020) pipelines have many knobs. Which study tunes them?",
        "In Reddi et al.'s paper that introduced AMSGrad, what changes?",
        "According to its creators (Dubois et al.), how is length bias removed?",
        "How did Pennington et al. argue that isometry matters?",
    ):
        assert cited_works(background) == [], background


def test_the_original_model_as_a_baseline_is_not_an_origin() -> None:
    """ "a speed-up over the original DiT" compares with it; "the original DiT" asks for it."""
    from rag.name_roles import origin_names

    assert origin_names(analyze("What speed-up over the original DiT does it give?")) == []
    baseline = "How far does the count drop compared with the original PEFT method?"
    assert origin_names(analyze(baseline)) == [], "p33-007"
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


def test_a_version_of_a_name_is_that_name_but_a_style_is_not(names) -> None:
    """ "QuxQuant-Large" is QuxQuant, which papers only mention; "FooNet-style" says like
    FooNet, so FooNet's own paper does not lead."""
    large = names.plan(analyze("What bit width does QuxQuant-Large pick?"))
    assert large.mentioned_only == ["QuxQuant"]
    assert names.plan(analyze("How fast are FooNet-style detectors?")).leads == []


def test_a_name_after_a_preposition_and_other_names_is_the_setting() -> None:
    """ "achieved on WMT 2014 English-to-German": the language pair is where the score was
    reached, as "on CARLA" is, though a benchmark's name and year stand between."""
    from rag.name_roles import may_be_subject

    question = "What BLEU score is achieved on WMT 2014 English-to-German?"
    assert not may_be_subject("English-to-German", question)
    assert not may_be_subject("English-to-German", "What is the BLEU on the WMT English-to-German?")
    assert may_be_subject("FooNet", "On which data was FooNet trained?")


def test_the_origin_of_a_name_in_another_papers_title_answers_its_number(tmp_path) -> None:
    """ "What BLEU does the Transformer reach?": "Efficient Transformer Inference" leads (its
    title holds the name), but the paper that introduced "the Transformer" states the BLEU, so
    the question is not refused as unreported; a lead that owns its name is still alone."""
    from rag.special_answers import unreported_papers
    from rag.types import Source

    papers = [
        paper(
            "s",
            "Sparse Routing for Efficient Transformer Inference",
            "We propose BalancedRoute, a router. It cuts latency by 31%.",
        ),
        paper(
            "t",
            "Attention Is All You Need",
            "We propose a new simple network architecture, the Transformer, based on attention. "
            "Our model achieves 28.4 BLEU on the WMT 2014 English-to-German task.",
        ),
        paper("g", "Unrelated", "Grasses grow in spring."),
    ]
    names = names_over(tmp_path, papers)
    sources = [
        Source(
            n=i,
            paper_id=p.paper_id,
            title=p.title,
            label=p.title or "",
            abstract=p.abstract,
            score=0.5,
        )
        for i, p in enumerate(papers[:2], 1)
    ]
    info = analyze("What BLEU score does the Transformer achieve?")
    plan = names.plan(info)
    assert plan.leads == ["s"] and plan.origins == ["t"]
    assert unreported_papers(info, plan, sources) == []
    owned = analyze("What BLEU score does BalancedRoute achieve?")
    owned_plan = names.plan(owned)
    assert owned_plan.origins == []
    assert [s.paper_id for s in unreported_papers(owned, owned_plan, sources)] == ["s"]
