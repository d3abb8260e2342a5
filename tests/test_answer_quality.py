"""Answers that answer the question, on the real index of the default corpus (issue 11):
named papers first, mention notices for names no paper is about, metadata answers, grouped
quotes, the coverage badge, determinism and sentence splitting of the stored sentences."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from rag.chat import Chat
from rag.chunking import ABBREVIATIONS
from rag.types import Answer
from tests.support.index_fixtures import make_settings, process_env

HEADING = re.compile(r"^\[(?P<n>\d+)\] (?P<label>.+)$")
QUOTE = re.compile(r"^- (?P<text>.+) \[(?P<n>\d+)\]$")


def _groups(answer: Answer) -> list[tuple[int, list[str]]]:
    """(source number, quotes) per group; checks every line is a heading or a quote."""
    groups: list[tuple[int, list[str]]] = []
    for line in answer.text.splitlines()[1:]:
        heading, quote = HEADING.match(line), QUOTE.match(line)
        assert heading or quote, line
        if heading:
            n = int(heading["n"])
            assert heading["label"] == answer.sources[n - 1].label
            groups.append((n, []))
        else:
            assert groups and int(quote["n"]) == groups[-1][0]
            groups[-1][1].append(quote["text"])
    return groups


def _engine_over(tmp_path, rows: list[dict]):
    """A real engine over a small corpus of these records, ingested as a user would."""
    from rag.engine import Engine
    from rag.ingest import ingest

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "papers.jsonl").write_text("\n".join(json.dumps(r) for r in rows), "utf-8")
    settings = make_settings(tmp_path, corpus_dir=corpus)
    ingest([corpus], settings, progress=False)
    return Engine(settings)


@pytest.mark.parametrize(
    ("question", "title_start"),
    [
        ("What does CO-Bench measure?", "CO-Bench"),
        ("What is NUPES?", "NUPES"),
        ("How does SWARM parallelism handle unreliable devices?", "SWARM Parallelism"),
        ("What is Fuyou and what GPU does it fine-tune a 175B model on?", "Adding NVMe SSDs"),
    ],
)
def test_named_paper_is_first_and_is_the_one_quoted(engine, question, title_start):
    answer = engine.ask(question)
    assert not answer.refused
    assert answer.sources[0].title.startswith(title_start)
    groups = _groups(answer)
    assert groups[0][0] == 1, "the answer opens with the named paper's group"
    for quote in groups[0][1]:
        assert quote in answer.sources[0].abstract


def test_definition_question_leads_with_the_sentence_naming_the_method(engine):
    answer = engine.ask("What is Fuyou and what GPU does it fine-tune a 175B model on?")
    first_quote = _groups(answer)[0][1][0]
    assert "Fuyou" in first_quote
    assert "RTX 4090" in answer.text, "the GPU is stated"


def test_name_only_mentioned_gives_a_notice_and_a_refusal(engine):
    answer = engine.ask("What perplexity does GPTQ report when quantizing OPT-175B to 3 bits?")
    assert answer.refused, "scored as a refusal"
    lead = answer.text.splitlines()[0]
    assert lead.startswith("No paper in this collection is about GPTQ")
    groups = _groups(answer)
    assert groups
    for n, quotes in groups:
        assert f"[{n}]" in lead
        for quote in quotes:
            assert quote in answer.sources[n - 1].abstract and "GPTQ" in quote


def test_topical_question_naming_a_method_is_still_answered(engine):
    answer = engine.ask("Which papers use CLIP features for image generation?")
    assert not answer.refused


def test_metadata_question_without_metadata_says_so(engine):
    chat = Chat(engine)
    first = chat.ask("What does NUPES propose for quantization?")
    answer = chat.ask("Who wrote [1]?")
    assert answer.refused and answer.citations == []
    assert answer.text == (
        f"The collection has no author information for [1] {first.sources[0].label}."
    )


def test_metadata_question_is_answered_from_the_record(tmp_path):
    rows = [
        {
            "title": "Gradient Checkpointing Revisited",
            "abstract": "We revisit gradient checkpointing for transformer training. "
            "Recomputing selected activations cuts activation memory by 4x at a 20% time cost, "
            "which lets a single GPU train models twice as deep as before.",
            "authors": "Ada Lovelace, Alan Turing",
            "update_date": "2021-05-04",
        },
        {
            "title": "Sparse Mixtures for Speech",
            "abstract": "We train sparse mixture-of-experts models for speech recognition. "
            "Routing each audio frame to two of sixteen experts halves the compute per frame "
            "while keeping the word error rate of a dense model of the same quality.",
        },
    ]
    engine = _engine_over(tmp_path, rows)
    chat = Chat(engine)
    chat.ask("How does gradient checkpointing cut activation memory?")
    answer = chat.ask("Who wrote [1]?")
    assert not answer.refused and answer.backend == "metadata"
    assert "Ada Lovelace, Alan Turing [1]" in answer.text
    assert answer.sentences == [] and answer.coverage is None, "no abstract check of a record"
    assert [c.n for c in answer.citations] == [1]
    when = chat.ask("When was [1] published?")
    assert "2021-05-04" in when.text


def test_metadata_of_a_paper_named_by_a_plain_word(tmp_path):
    """ "Echo" is also an ordinary word: the paper titled by it is the one asked about once
    retrieval agrees, however the question asks for the record (year, venue, "come out")."""
    rows = [
        {
            "title": "Echo: Decoupling Rollouts from Training for Reinforcement Learning",
            "abstract": "We present Echo, a system that runs reinforcement learning rollouts "
            "on inference machines and policy updates on training machines. Echo matches a "
            "co-located baseline in final reward while moving rollouts to cheaper hardware.",
            "authors": "Grace Hopper",
            "journal": "Journal of Systems Research",
            "update_date": "2025-10-01",
        },
        {
            "title": "Acoustic Echo Cancellation with Small Networks",
            "abstract": "Small recurrent networks remove acoustic echo from speech on phones. "
            "A 40k-parameter model cancels echo as well as a classical adaptive filter.",
        },
    ]
    engine = _engine_over(tmp_path, rows)
    for question, wanted in [
        ("When was Echo published?", "- date: 2025-10-01 [1]"),
        ("When did Echo come out?", "- date: 2025-10-01 [1]"),
        ("What year is Echo from?", "- date: 2025-10-01 [1]"),
        ("Who are the authors of Echo?", "- authors: Grace Hopper [1]"),
        ("In which journal did Echo appear?", "- venue: Journal of Systems Research [1]"),
    ]:
        answer = engine.ask(question)
        assert answer.backend == "metadata" and not answer.refused, question
        assert answer.sources[0].title.startswith("Echo:")
        assert wanted in answer.text.splitlines(), (question, answer.text)
    missing = engine.ask("Where was the acoustic echo cancellation paper published?")
    assert missing.backend != "metadata", "no paper is named: retrieval answers or refuses"


def test_a_measure_the_named_paper_does_not_report_is_refused(tmp_path):
    rows = [
        {
            "title": "Zorblax: Adaptive Momentum for Fast Image Classifier Training",
            "abstract": "We propose Zorblax, an adaptive momentum optimizer for training image "
            "classifiers. Zorblax reaches 81.2% top-1 accuracy on ImageNet with ResNet-50 in "
            "60 epochs, matching AdamW trained for 100 epochs.",
        },
        {
            "title": "Budgeting Large Training Runs",
            "abstract": "We estimate the dollar cost of training image classifiers in the "
            "cloud. A ResNet-50 run on ImageNet costs about 300 dollars on rented GPUs.",
        },
    ]
    engine = _engine_over(tmp_path, rows)
    answer = engine.ask("What was the total dollar cost of training Zorblax on ImageNet?")
    assert answer.refused, "scored as a refusal"
    assert answer.text.startswith("The abstract of [1] Zorblax: Adaptive Momentum")
    assert "does not state the cost asked about" in answer.text
    reported = engine.ask("What top-1 accuracy does Zorblax reach on ImageNet?")
    assert not reported.refused and "81.2%" in reported.text


def test_comparison_gets_a_group_per_compared_paper(engine):
    answer = engine.ask("How do GaLore and APOLLO differ in reducing optimizer memory?")
    titles = {answer.sources[n - 1].title.split(":")[0] for n, _ in _groups(answer)}
    assert {"GaLore", "APOLLO"} <= titles
    assert answer.text.splitlines()[0].startswith("Quoted verbatim from")


def test_every_group_quotes_only_its_own_source(engine):
    answer = engine.ask("Which methods reduce the memory needed to train large models?")
    groups = _groups(answer)
    assert groups and len({n for n, _ in groups}) == len(groups), "one group per paper"
    for n, quotes in groups:
        assert 1 <= len(quotes) <= 3
        assert all(q in answer.sources[n - 1].abstract for q in quotes)
    assert all(check.supported for check in answer.sentences)
    assert len(answer.sentences) == sum(len(q) for _, q in groups), "headings are not checked"


def test_coverage_badge_is_earned(engine):
    from paper_rag.ui.render import sources_html

    covered = engine.ask("How does GaLore reduce memory when training LLMs?")
    assert covered.coverage and covered.coverage.covered
    assert "✓" in sources_html([(1, covered)])
    assert covered.to_json()["coverage"]["covered"] is True

    missed = engine.ask("How does NUPES handle zebrafish quantization?")
    assert not missed.refused and missed.coverage and not missed.coverage.covered
    assert "zebrafish" in missed.coverage.terms_missing
    panel = sources_html([(1, missed)])
    assert "✓" not in panel and "may not answer the question" in panel
    assert missed.to_json()["coverage"]["covered"] is False


def test_cli_says_when_the_answer_may_not_answer(corpus_settings):
    env = process_env(corpus_settings)
    out = subprocess.run(
        [sys.executable, "-m", "rag.cli", "ask", "How does NUPES handle zebrafish quantization?"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "may not answer the question: it does not mention" in out.stdout
    assert "'zebrafish'" in out.stdout


def test_number_question_without_a_number_is_not_covered(engine):
    answer = engine.ask("How many zebrafish did NUPES quantize?")
    assert not answer.refused and answer.coverage is not None
    assert answer.coverage.wants_number and not answer.coverage.has_number
    assert not answer.coverage.covered


def test_same_question_same_answer_in_a_fresh_engine(engine, corpus_settings):
    from rag.engine import Engine

    questions = [
        "Which methods reduce the memory needed to train large models?",
        "What papers study preference optimization for diffusion models?",
        "How can 3D Gaussian splatting scale to large scenes?",
    ]
    first = [engine.ask(q, top_k=10) for q in questions]
    again = [engine.ask(q, top_k=10) for q in questions]
    fresh = Engine(corpus_settings)
    other = [fresh.ask(q, top_k=10) for q in questions]
    for a, b, c in zip(first, again, other, strict=True):
        ids = [s.paper_id for s in a.sources]
        assert ids == [s.paper_id for s in b.sources] == [s.paper_id for s in c.sources]
        assert [s.score for s in a.sources] == [s.score for s in c.sources]
        assert a.text == b.text == c.text


def test_same_sources_and_text_in_two_processes(corpus_settings):
    """The approximate index once returned other near-equal chunks after a restart."""
    code = (
        "import json, sys; from rag import ask\n"
        "qs = json.loads(sys.argv[1])\n"
        "print(json.dumps([[ask(q, top_k=10).text, [s.paper_id for s in ask(q, top_k=10).sources]]"
        " for q in qs]))\n"
    )
    questions = [
        "Which methods reduce the memory needed to train large models?",
        "What engagement gains do production recommendation systems report?",
        "How do learned optimizers compare with hand-designed ones?",
        "Which papers speed up diffusion model sampling?",
        "What work studies federated learning with slow clients?",
        "How can 3D Gaussian splatting scale to large scenes?",
    ]
    env = process_env(corpus_settings)
    runs = []
    for _ in range(2):
        out = subprocess.run(
            [sys.executable, "-c", code, json.dumps(questions)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert out.returncode == 0, out.stderr[-2000:]
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    assert runs[0] == runs[1]


def test_stored_sentences_are_not_cut_at_abbreviations_or_inside_brackets(engine):
    ends = re.compile(r"(?:^|\s|\()(?:" + "|".join(ABBREVIATIONS) + r")$")
    found = engine.evidence.many([(p.paper_id, p.abstract) for p in engine.papers.values()])
    checked = 0
    for pid, (sentences, _) in found.items():
        abstract = engine.papers[pid].abstract
        for sentence in sentences:
            assert not ends.search(sentence), sentence
            if abstract.count("(") == abstract.count(")"):
                assert sentence.count("(") == sentence.count(")"), sentence
            checked += 1
    assert checked > 5000


def test_the_named_paper_is_quoted_even_when_another_paper_states_the_fact(tmp_path):
    """A paper that only cites the named one may state the asked-for number more closely;
    the answer still quotes the named paper itself, first."""
    rows = [
        {
            "title": "Quillon: Training Versatile Learned Optimizers by Scaling Up",
            "abstract": "Learned optimizers could replace hand-designed update rules. We train "
            "Quillon, a learned optimizer meta-trained on thousands of tasks with a large "
            "compute budget. Quillon requires no hyperparameter tuning and adapts to the "
            "problem it is applied to.",
        },
        {
            "title": "Cheap Learned Optimizers",
            "abstract": "We meta-train small learned optimizers on a budget. Our best one, "
            "meta-trained for 103 GPU-hours of compute, matches Quillon, which was meta-trained "
            "with 4000 TPU-months of compute.",
        },
    ]
    engine = _engine_over(tmp_path, rows)
    answer = engine.ask("How much compute went into meta-training Quillon?")
    assert not answer.refused
    assert answer.sources[0].title.startswith("Quillon")
    groups = _groups(answer)
    assert groups[0][0] == 1, "the named paper's own sentences come first"
    assert all(quote in answer.sources[0].abstract for quote in groups[0][1])


def test_a_question_typed_in_lower_case_finds_its_names(tmp_path):
    """People type "who wrote granet": the names are found as if typed "GraNet", so the
    record answers, and a method the collection only mentions is still a near miss."""
    rows = [
        {
            "title": "GraNet: Graph Networks for Packet Routing",
            "abstract": "We propose GraNet, a graph network that routes packets in data "
            "centers. GraNet cuts tail latency by 31% against shortest-path routing.",
            "authors": "Edsger Dijkstra",
        },
        {
            "title": "Tuning Small Routers",
            "abstract": "We fine-tune small language models as packet routers and compare "
            "against QLoRA baselines. Full fine-tuning beats QLoRA by 2 points of accuracy.",
        },
    ]
    engine = _engine_over(tmp_path, rows)
    who = engine.ask("who wrote granet")
    assert who.backend == "metadata" and "- authors: Edsger Dijkstra [1]" in who.text
    what = engine.ask("what is granet")
    assert what.sources[0].title.startswith("GraNet") and not what.refused
    near = engine.ask("what accuracy does qlora reach when routing packets")
    assert near.refused and near.text.startswith("No paper in this collection is about QLoRA")


def test_the_paper_named_by_its_title_leads_even_when_retrieval_missed_it(tmp_path):
    """Two papers are about "ZenTor" (its own, and a variant titled after it); when retrieval
    returns only the variant, the paper whose title is the name is still put first."""
    rows = [
        {
            "title": "ZenTor: Low-Rank Gradient Projection for Memory-Efficient Training",
            "abstract": "We propose ZenTor, which projects gradients onto a low-rank subspace "
            "so that optimizer states take less memory during pre-training.",
        },
        {
            "title": "Natural ZenTor: Faster Convergence with Fisher Information",
            "abstract": "This work introduces Natural ZenTor, which applies the inverse "
            "empirical Fisher matrix to low-rank gradients and converges faster than ZenTor "
            "when fine-tuning language models for function calling.",
        },
    ]
    engine = _engine_over(tmp_path, rows)
    question = "Summarize ZenTor for fine-tuning language models for function calling."
    vector = engine.embed_model.get_query_embedding(question)
    (hit,), _ = engine.retriever.retrieve(question, vector, 1, "hybrid", None, None)
    assert engine.papers[hit.paper_id].title.startswith("Natural ZenTor"), "retrieval's pick"
    answer = engine.ask(question, top_k=1)
    assert [s.title.split(":")[0] for s in answer.sources] == ["ZenTor", "Natural ZenTor"]


def test_each_paper_the_question_names_gets_a_group(tmp_path):
    """ "Does QuilNet outperform ZenTor?" names two papers of the collection: the answer quotes
    both, each its own, even when one abstract matches the question far better."""
    rows = [
        {
            "title": "QuilNet: Sparse Updates for Cheap Training",
            "abstract": "We propose QuilNet, which updates a sparse subset of weights. QuilNet "
            "outperforms ZenTor and dense training by 3 points at the same memory budget.",
        },
        {
            "title": "ZenTor: Low-Rank Gradient Projection",
            "abstract": "We propose ZenTor, which projects gradients onto a low-rank subspace. "
            "Optimizer states then take a quarter of the memory during pre-training.",
        },
    ]
    engine = _engine_over(tmp_path, rows)
    answer = engine.ask("Does QuilNet outperform ZenTor?")
    assert not answer.refused
    titles = {n: answer.sources[n - 1].title.split(":")[0] for n, _ in _groups(answer)}
    assert sorted(titles.values()) == ["QuilNet", "ZenTor"], answer.text
