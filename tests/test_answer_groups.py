"""How the extractive answer groups quotes: which papers get a group, how many sentences each."""

from __future__ import annotations

import numpy as np

from rag.backends.extractive import choose, render_groups
from rag.question_type import analyze
from rag.sentence_scoring import (
    LexicalStats,
    Scored,
    lexical_share,
    score_sentences,
    stem_share,
    term_weights,
)
from rag.types import Source
from tests.support.scored_sentences import AXES, CORPUS, equal_vectors


def test_grouped_answer_shape() -> None:
    query, vectors = equal_vectors(4)
    papers = [
        (1, ["Alpha one.", "Alpha two."], vectors[:2]),
        (2, ["Beta one.", "Beta two."], vectors[2:]),
    ]
    scored = score_sentences(analyze("Tell me"), query, papers, LexicalStats.of_texts([]), [])
    groups = choose(scored, analyze("Which papers discuss alpha and beta?"), 4, [2])
    by_n = {
        n: Source(n=n, paper_id=f"p{n}", title=None, label=f"Paper {n}", abstract="", score=0.0)
        for n in (1, 2)
    }
    lines = render_groups(groups, by_n).splitlines()
    assert lines[0].startswith("Quoted verbatim from 2 abstracts")
    assert lines[1] == "[2] Paper 2", "the required (named) paper's group comes first"
    assert all(line.startswith("- Beta") for line in lines[2 : lines.index("[1] Paper 1")])
    assert lines[-1].startswith("- Alpha") and lines[-1].endswith("[1]"), "then the best other"


def _graded(cosines: list[float]) -> tuple[np.ndarray, list[tuple[int, list[str], np.ndarray]]]:
    """One sentence per paper, paper n+1 at cosine `cosines[n]` to the query, same words."""
    query = np.zeros(len(cosines) + 1, dtype=np.float32)
    query[0] = 1.0
    papers = []
    for i, c in enumerate(cosines):
        v = np.zeros((1, len(cosines) + 1), dtype=np.float32)
        v[0, 0], v[0, i + 1] = c, np.sqrt(1 - c * c)
        papers.append((i + 1, ["Methods compress language models."], v))
    return query, papers


def test_a_survey_question_lists_each_paper_that_addresses_it() -> None:
    """ "What methods ..." wants the papers: one group per close paper, one sentence each;
    a question about one method keeps to the closest papers."""
    query, papers = _graded([0.8, 0.8, 0.8, 0.8, 0.2])
    survey = analyze("What methods compress language models?")
    assert survey.wants_survey
    scored = score_sentences(survey, query, papers, LexicalStats.of_texts(CORPUS), [])
    groups = choose(scored, survey, 4, [])
    assert [n for n, _ in groups] == [1, 2, 3, 4], "the far paper (cosine 0.2) is left out"
    assert all(len(sentences) == 1 for _, sentences in groups)
    one = analyze("How does SparseX compress language models?")
    assert not one.wants_survey
    scored = score_sentences(one, query, papers, LexicalStats.of_texts(CORPUS), [])
    assert len(choose(scored, one, 4, [])) <= 2


def test_a_survey_keeps_the_papers_on_the_topic_not_the_first_sources() -> None:
    """A survey lists a lower-ranked paper whose abstract covers the question as the best one
    does, though the rank prior puts its sentence far below the first; it leaves out a paper
    with one close sentence whose abstract is about something else."""
    vector, other = AXES
    scored = [
        Scored(1, 1, "We propose ZO2 for zeroth-order fine-tuning.", vector, 1.2, 0.6),
        Scored(3, 0, "Zeroth-order methods reemerge in optimizer surveys.", other, 1.0, 0.65),
        Scored(2, 2, "We develop DeepZero, a zeroth-order training framework.", other, 0.8, 0.55),
        Scored(4, 0, "Learning rates matter.", other, 0.35, 0.2),
    ]
    info = analyze("What work is there on zeroth-order optimization for training deep models?")
    assert info.wants_survey
    coverage = {1: 0.7, 2: 0.6, 3: 0.2, 4: 0.5}
    assert [n for n, _ in choose(scored, info, 4, [], coverage=coverage)] == [1, 2]


def test_a_survey_counts_a_word_of_the_question_s_stem_as_covered() -> None:
    """ "translating" in the question is covered by an abstract on "machine translation": the
    survey lists the translation paper beside the one that writes "translating" (p32-044
    listed only a code-translation benchmark)."""
    vector, other = AXES
    abstracts = {
        1: "A benchmark for translating code between programming languages with LLMs.",
        2: "We improve machine translation between many languages with LLMs.",
    }
    info = analyze("What research is there on translating between human languages with LLMs?")
    weights = term_weights(info.terms, LexicalStats.of_texts([*CORPUS, *abstracts.values()]))
    exact = {n: lexical_share(text, weights) for n, text in abstracts.items()}
    assert exact[2] < 0.6 * exact[1], "by exact words alone paper 2 covers too little"
    scored = [
        Scored(1, 0, abstracts[1], vector, 1.0, 0.6),
        Scored(2, 0, abstracts[2], other, 0.95, 0.6),
    ]
    coverage = {n: stem_share(text, weights) for n, text in abstracts.items()}
    assert [n for n, _ in choose(scored, info, 4, [], coverage=coverage)] == [1, 2]


def test_a_short_survey_list_spends_the_budget_on_its_best_paper() -> None:
    """Three papers listed under a four-sentence budget: each gets its best sentence and the
    first paper a second one, rather than the budget left unspent."""
    vector, other = AXES
    scored = [
        Scored(1, 1, "We propose ZO2 for zeroth-order fine-tuning.", vector, 1.2, 0.6),
        Scored(1, 3, "ZO2 fine-tunes OPT-175B on one 18GB GPU.", other, 1.1, 0.55),
        Scored(2, 2, "We develop DeepZero, a zeroth-order training framework.", other, 1.0, 0.55),
        Scored(3, 0, "We present DistZO2, zeroth-order fine-tuning on many GPUs.", other, 0.9, 0.5),
    ]
    info = analyze("What work is there on zeroth-order optimization?")
    groups = choose(scored, info, 4, [], coverage={1: 0.7, 2: 0.7, 3: 0.7})
    assert [(n, len(chosen)) for n, chosen in groups] == [(1, 2), (2, 1), (3, 1)]


def test_two_or_three_papers_each_get_a_second_sentence() -> None:
    """Three papers answer under a four-sentence budget: each gets its second close sentence
    (what it proposes and what it reports), not only the first paper."""
    vector, other = AXES
    scored = [
        Scored(1, 1, "We propose ZO2 for zeroth-order fine-tuning.", vector, 1.2, 0.6),
        Scored(1, 3, "ZO2 fine-tunes OPT-175B on one 18GB GPU.", other, 1.1, 0.55),
        Scored(2, 2, "We develop DeepZero, a zeroth-order training framework.", vector, 1.0, 0.55),
        Scored(2, 4, "DeepZero trains ResNet-20 to full accuracy.", other, 0.9, 0.5),
        Scored(3, 0, "We present DistZO2, zeroth-order tuning on many GPUs.", vector, 0.9, 0.5),
        Scored(3, 2, "DistZO2 is 3x faster than ZO2.", other, 0.8, 0.45),
    ]
    info = analyze("What work is there on zeroth-order optimization?")
    groups = choose(scored, info, 4, [], coverage={1: 0.7, 2: 0.7, 3: 0.7})
    assert [(n, len(chosen)) for n, chosen in groups] == [(1, 2), (2, 2), (3, 2)]


def test_each_of_two_compared_things_gets_the_paper_that_covers_it() -> None:
    """ "What do the FooNet paper and the layout ablation study each recommend?": the second
    group is the paper that covers the second thing (`fill`), not the next best sentence, and
    no other paper joins them."""
    vector, other = AXES
    scored = [
        Scored(1, 0, "FooNet recommends interleaved schedules.", vector, 1.2, 0.6),
        Scored(2, 0, "We recommend tensor parallelism.", other, 0.7, 0.5),
        Scored(3, 0, "Our ablation of layouts favours small micro-batches.", other, 0.5, 0.4),
    ]
    info = analyze("What do the FooNet paper and the layout ablation study each recommend?")
    assert [n for n, _ in choose(scored, info, 4, [], fill=[1, 3])] == [1, 3]
    assert [n for n, _ in choose(scored, info, 4, [])] == [1, 2], "without it: the next best"
    # a compared thing no source covers gets no stand-in: the next best paper is not it
    assert [n for n, _ in choose(scored, info, 4, [], fill=[1])] == [1]


def test_a_question_that_counts_its_papers_gets_that_many_groups() -> None:
    """ "Three papers try to explain ...": the far second and third papers are listed too;
    "its two pruning methods" are one paper's."""
    vector, other = AXES
    scored = [
        Scored(1, 1, "Adam beats SGD on transformers because of heavy tails.", vector, 1.2, 0.6),
        Scored(2, 0, "Lion is a sign-based optimizer.", other, 0.7, 0.4),
        Scored(3, 0, "Muon orthogonalizes its updates.", other, 0.6, 0.35),
    ]
    three = analyze("Three papers try to explain why optimizers work. What does each offer?")
    assert three.papers_asked == 3
    assert [n for n, _ in choose(scored, three, 4, [])] == [1, 2, 3]
    its = analyze("What are its two pruning methods called?")
    assert its.papers_asked == 0
    assert [n for n, _ in choose(scored, its, 4, [])] == [1]


def test_a_definition_answer_includes_the_sentence_introducing_the_name() -> None:
    """ "what is carbs and what did it manage on procgen": the ProcGen sentence scores best,
    but the answer must also say what CARBS is, however far below it scores."""
    vector, other = AXES
    scored = [
        Scored(1, 4, "We solve the entire ProcGen benchmark by tuning PPO.", vector, 1.5, 0.5),
        Scored(1, 2, "We present CARBS, a Bayesian search for tuning at scale.", other, 0.6, 0.2),
        Scored(2, 0, "ProcGen is hard.", vector, 1.46, 0.3),
    ]
    info = analyze("what is CARBS and what did it manage on ProcGen")
    groups = choose(scored, info, 4, [1])
    assert [s.position for s in dict(groups)[1]] == [2, 4]
    general = choose(scored, analyze("What did CARBS manage on ProcGen?"), 4, [1])
    assert [s.position for s in dict(general)[1]] == [4], "not a definition: best only"


def test_a_paper_that_answers_alone_gives_a_second_sentence() -> None:
    """A first sentence that restates the question ("We consider a setting where ...") can
    lead the rest by far; the paper's next best sentence (its method) still follows it."""
    vector, other = AXES
    scored = [
        Scored(1, 4, "We consider a budget split across groups.", vector, 1.14, 0.6),
        Scored(1, 5, "We frame it as a constrained optimization problem.", other, 0.83, 0.5),
        Scored(1, 6, "We use groups.", other, 0.6, 0.4),
        Scored(2, 0, "Schedules matter under any budget.", vector, 0.64, 0.3),
    ]
    groups = choose(scored, analyze("How should a budget be split across groups?"), 4, [])
    assert [(n, [s.position for s in chosen]) for n, chosen in groups] == [(1, [4, 5])]


def test_a_paper_that_answers_alone_gives_a_third_sentence_from_after_its_best() -> None:
    """More of the answer, but never the motivation before it: a low sentence that precedes
    the best one in the abstract is passed over for one that follows it."""
    vector, other = AXES
    scored = [
        Scored(1, 2, "Fuyou fine-tunes a 175B model on one RTX 4090.", vector, 1.2, 0.6),
        Scored(1, 3, "Fuyou reaches 156 TFLOPS.", other, 0.85, 0.5),
        Scored(1, 0, "We focus on fine-tuning on a low-end GPU.", other * -1, 0.8, 0.4),
        Scored(1, 5, "Fuyou overlaps swapping with computation.", other * -1, 0.7, 0.4),
        Scored(2, 0, "Offloading helps.", vector, 1.0, 0.3),
    ]
    info = analyze("How far can Fuyou fine-tune on one GPU?")
    assert [s.position for s in dict(choose(scored, info, 4, []))[1]] == [2, 3, 5]
    both = choose(scored, info, 4, [1, 2])
    assert [s.position for s in dict(both)[1]] == [2], "two papers: none past the gap"


def test_two_papers_get_three_sentences_each() -> None:
    """Two papers: each says what it is, what it reports and the detail asked, whether the
    question asks one thing or three (three papers keep two each:
    test_two_or_three_papers_each_get_a_second_sentence)."""
    vector, other = AXES
    scored = [
        Scored(1, 0, "Alpha keeps states on the GPU.", vector, 1.0, 0.5),
        Scored(2, 0, "Beta offloads states to NVMe.", vector, 0.99, 0.5),
        Scored(1, 1, "Alpha partitions optimizer states.", other, 0.95, 0.5),
        Scored(2, 1, "Beta overlaps transfers.", other, 0.94, 0.5),
        Scored(1, 2, "Alpha reaches 40% utilization.", other * -1, 0.9, 0.4),
        Scored(2, 2, "Beta trains 175B models.", other * -1, 0.9, 0.4),
    ]
    three = analyze("How do Alpha and Beta differ, what does each keep, and how fast are they?")
    assert [len(q) for _, q in choose(scored, three, 4, [1, 2])] == [3, 3]
    one = analyze("How do Alpha and Beta differ?")
    assert [len(q) for _, q in choose(scored, one, 4, [1, 2])] == [3, 3]


def test_a_question_asking_three_things_gets_three_sentences_from_its_paper() -> None:
    """ "How does the learning rate scale, what does the batch size depend on, and how close
    is the tool?": the third part's sentence scores far below the first, yet is quoted."""
    vector, other = AXES
    scored = [
        Scored(1, 4, "The tool is 0.07% from the optimum.", vector, 1.2, 0.6),
        Scored(1, 2, "The learning rate follows a power law.", other, 0.95, 0.5),
        Scored(1, 3, "The batch size depends on the data size.", other * -1, 0.7, 0.4),
        Scored(2, 0, "Schedules matter.", vector, 0.5, 0.3),
    ]
    three = analyze(
        "A study fit rules. How does the learning rate scale, what does the batch size depend "
        "on, and how close to the optimum is their tool?"
    )
    assert three.asks == 3
    assert [s.position for s in dict(choose(scored, three, 4, []))[1]] == [2, 3, 4]
    # two parts: one sentence per part and one more, as a part's answer may span two
    two = analyze("How does the learning rate scale, and how close to the optimum is the tool?")
    assert [s.position for s in dict(choose(scored, two, 4, []))[1]] == [2, 3, 4]
    one = analyze("How close to the optimum is the tool?")
    assert [s.position for s in dict(choose(scored, one, 4, []))[1]] == [2, 4]


def test_each_compared_paper_states_its_number_when_one_is_asked() -> None:
    """ "How do X and Y differ, and how large can they train?": a compared paper whose best
    sentence has no quantity gives its best sentence that has one as its second."""
    vector, other = AXES
    scored = [
        Scored(1, 0, "Alpha keeps states on the GPU.", vector, 1.0, 0.5),
        Scored(1, 1, "Alpha partitions optimizer states.", other, 0.95, 0.5),
        Scored(1, 2, "Alpha trains models of 13B parameters.", other, 0.8, 0.4),
        Scored(2, 0, "Beta offloads states to NVMe.", vector, 0.9, 0.5),
    ]
    info = analyze("How do Alpha and Beta differ, and how large can they train?")
    assert info.kind == "comparison" and info.wants_number
    assert [s.position for s in dict(choose(scored, info, 4, [1, 2]))[1]] == [0, 2]
    plain = analyze("How do Alpha and Beta differ in where they keep states?")
    assert [s.position for s in dict(choose(scored, plain, 4, [1, 2]))[1]] == [0, 1]


def test_a_compared_name_is_answered_by_the_paper_titled_by_it() -> None:
    """ "Do GaLore and FRUGAL differ?": FRUGAL's abstract also names GaLore, so both hold the
    name; the paper whose title holds it answers for GaLore. A thing no source writes has no
    paper."""
    from rag.backends.extractive import _covering

    def source(n: int, title: str, abstract: str) -> Source:
        return Source(n=n, paper_id=f"p{n}", title=title, label=title, abstract=abstract, score=0)

    sources = [
        source(1, "FRUGAL: Memory-Efficient Optimization", "FRUGAL beats GaLore on memory."),
        source(2, "GaLore: Gradient Low-Rank Projection", "We propose GaLore for training."),
    ]
    stats = LexicalStats.of_texts(s.abstract for s in sources)
    assert _covering("GaLore", sources, stats) == 2
    assert _covering("FRUGAL", sources, stats) == 1
    assert _covering("Fast Forward", sources, stats) is None


def test_papers_described_one_by_one_each_get_their_group() -> None:
    """ "Two papers on privacy: one through differentially private fine-tuning, the other
    through a production federated system": each description gets the source that fits it,
    a different paper each, even in a survey-worded question; an unmatched description is
    still one more group, as "two papers" asks; the best sentence alone would have taken the
    decentralized paper (3) that fits neither."""
    from rag.backends.extractive import _described_papers

    def source(n: int, title: str, abstract: str) -> Source:
        return Source(n=n, paper_id=f"p{n}", title=title, label=title, abstract=abstract, score=0)

    sources = [
        source(
            1, "Private fine-tuning", "Differentially private fine-tuning of pretrained models."
        ),
        source(2, "Papaya", "A production federated learning system on a hundred million devices."),
        source(3, "Anarchic learning", "Workers choose when to join decentralized training."),
    ]
    stats = LexicalStats.of_texts(s.abstract for s in sources)
    question = (
        "which two papers deal with privacy when training at scale: one through differentially "
        "private fine-tuning of pretrained models, the other through a production federated "
        "learning system?"
    )
    info = analyze(question)
    descriptions = ("differentially private fine-tuning", "a production federated learning system")
    assert _described_papers(descriptions, sources, stats) == [1, 2]
    assert _described_papers(("the private fine-tuning", "private models"), sources, stats) == [1]
    assert _described_papers(("image generation", "speech"), sources, stats) == []
    # two abstracts hold all of a description's words: the better-ranked source fits it, not
    # the one whose title holds more of them ("Aligning Preference ..." on diffusion images)
    tied = [
        source(
            1,
            "A Survey of Direct Preference Optimization",
            "Direct preference optimization for aligning LLMs with human preferences, surveyed.",
        ),
        source(
            2,
            "Step-aware Preference Optimization: Aligning Preference with Denoising",
            "Direct preference optimization aligns diffusion models, as it aligns LLMs.",
        ),
    ]
    stats = LexicalStats.of_texts(s.abstract for s in tied)
    description = ("direct preference optimization for aligning LLMs", "a survey")
    assert _described_papers(description, tied, stats)[0] == 1

    vector, other = AXES
    scored = [
        Scored(1, 0, "Differentially private fine-tuning of pretrained models.", vector, 1.2, 0.6),
        Scored(3, 0, "Workers choose when to join decentralized training.", vector, 0.8, 0.5),
        Scored(2, 0, "A production federated learning system.", other, 0.5, 0.4),
    ]
    for survey in (True, False):
        groups = choose(scored, info, 4, [], survey, {1: 0.8, 2: 0.8, 3: 0.3}, [1, 2], 2)
        assert [n for n, _ in groups] == [1, 2], survey
    assert [n for n, _ in choose(scored, info, 4, [], False, None, [2], 2)] == [1, 2]
    assert [n for n, _ in choose(scored, info, 4, [], False, None, [], 0)] == [1, 3]
