"""Metadata answers, mention notices and the coverage signal, on plain data."""

from __future__ import annotations

from rag.coverage import coverage, gap
from rag.metadata import from_extra
from rag.name_plan import NamePlan
from rag.papers import Paper
from rag.question_type import analyze
from rag.sentence_scoring import LexicalStats
from rag.special_answers import (
    asked_fields,
    mention_notice,
    metadata_answer,
    unreported_notice,
    unreported_papers,
)
from rag.types import Source


def _source(n: int, label: str, abstract: str = "") -> Source:
    return Source(n=n, paper_id=f"p{n}", title=label, label=label, abstract=abstract, score=1.0)


def _paper(pid: str, title: str | None, abstract: str) -> Paper:
    return Paper(pid, title, abstract, [])


def test_asked_fields() -> None:
    assert asked_fields("Who wrote [2]?") == ["authors"]
    assert asked_fields("When was [1] published?") == ["date"]
    assert asked_fields("What category is [3] in?") == ["categories"]
    assert asked_fields("Where was [2] published?") == ["venue"]
    assert asked_fields("In which journal and year did [2] appear?") == ["date", "venue"]


def test_metadata_answer_uses_the_record_fields() -> None:
    meta = from_extra({"authors": ["Lovelace, Ada", "Turing, A."], "update_date": "2021-05-04"})
    text, answered = metadata_answer("Who wrote [1]?", _source(1, "Paper One"), meta)
    assert answered and text == "[1] Paper One\n- authors: Ada Lovelace, A. Turing [1]"
    text, _ = metadata_answer("When was [1] published?", _source(1, "Paper One"), meta)
    assert text.endswith("- date: 2021-05-04 [1]")
    venue = from_extra({"journal-ref": "NeurIPS 2023"})
    text, answered = metadata_answer("Where was [1] published?", _source(1, "Paper One"), venue)
    assert answered and text.endswith("- venue: NeurIPS 2023 [1]")


def test_metadata_answer_says_when_the_collection_has_none() -> None:
    text, answered = metadata_answer(
        "When was [2] published?", _source(2, "Paper Two"), from_extra({})
    )
    assert not answered
    assert text == "The collection has no date information for [2] Paper Two."


def test_mention_notice_shape() -> None:
    one, two = _source(2, "Paper Two"), _source(4, "Paper Four")
    text = mention_notice(["GPTQ"], [(one, ["GPTQ is a baseline."]), (two, ["Beats GPTQ."])])
    assert text.splitlines() == [
        "No paper in this collection is about GPTQ; it is mentioned in [2] and [4]:",
        "[2] Paper Two",
        "- GPTQ is a baseline. [2]",
        "[4] Paper Four",
        "- Beats GPTQ. [4]",
    ]
    assert mention_notice(["NeRF"], []) == "No paper in this collection is about NeRF."


def test_coverage_needs_key_terms_names_and_a_number() -> None:
    stats = LexicalStats.of_texts(
        ["We propose FooNet, a detector. It is fast.", "We compare FooNet and BarNet on COCO."]
    )
    info = analyze("How much faster is FooNet on COCO?")
    good = coverage(info, "FooNet is 2.5x faster on COCO. [1]", stats, ["FooNet"])
    assert good.covered and good.has_number
    no_number = coverage(info, "FooNet is faster on COCO. [1]", stats, ["FooNet"])
    assert not no_number.covered and not no_number.has_number
    no_name = coverage(info, "It is 2.5x faster on COCO. [1]", stats, ["FooNet"])
    assert not no_name.covered and "FooNet" in no_name.terms_missing
    assert gap(good) == ""
    assert gap(no_number) == "the question asks for a number and the answer states none."


def test_a_measure_the_named_paper_never_states_is_unreported() -> None:
    named = _source(
        1, "Zorblax: A Fast Optimizer", "We propose Zorblax. It reaches 81.2% accuracy."
    )
    other = _source(2, "Other", "The training cost was 2 million dollars.")
    plan = NamePlan(about=["p1"], leads=["p1"])
    cost = analyze("What was the total dollar cost of training Zorblax?")
    assert unreported_papers(cost, plan, [named, other]) == [named], "other papers don't count"
    assert unreported_notice(cost.measure, [named]).startswith(
        "The abstract of [1] Zorblax: A Fast Optimizer does not state the cost asked about"
    )
    accuracy = analyze("What accuracy does Zorblax reach?")
    assert unreported_papers(accuracy, plan, [named, other]) == []
    assert unreported_papers(cost, NamePlan(), [named, other]) == [], "no named paper: no rule"
    which = analyze("Which papers report the cost of training Zorblax?")
    assert unreported_papers(which, plan, [named, other]) == [], "asks for papers, not a value"
    two_part = analyze("How is Zorblax trained, and what cost does it report?")
    assert unreported_papers(two_part, plan, [named, other]) == [], "the how part is answered"
    gpus = analyze("What GPU type and how many GPUs did the Zorblax paper train on?")
    assert unreported_papers(gpus, plan, [named, other]) == [named], "both parts ask for GPUs"
    setting = NamePlan(about=["p1"])  # promoted, but the name is not what is asked about
    assert unreported_papers(cost, setting, [named, other]) == [], "a Zorblax planner's cost"


def test_a_bare_rate_or_size_is_named_by_the_word_before_it() -> None:
    """ "the growing size of weights" does not state a batch size."""
    named = _source(1, "Zorblax", "The growing size of weights strains memory. We use 8 GPUs.")
    plan = NamePlan(about=["p1"], leads=["p1"])
    batch = analyze("What batch size does Zorblax use for pre-training?")
    assert batch.measure == "batch size"
    assert unreported_papers(batch, plan, [named]) == [named]
    assert unreported_notice(batch.measure, [named]).startswith(
        "The abstract of [1] Zorblax does not state the batch size asked about"
    )
    assert analyze("What learning rate does Zorblax use?").measure == "learning rate"
    assert analyze("What accuracy does Zorblax reach?").measure == "accuracy", "named alone"
    stated = _source(1, "Zorblax", "We train with a batch size of 4M tokens.")
    assert unreported_papers(batch, plan, [stated]) == []


def test_how_much_or_how_many_names_its_measure() -> None:
    """ "How much memory does QLoRA need ...?" asks for memory: a paper that only uses
    QLoRA and never mentions memory does not state it."""
    memory = analyze("How much memory does Zorblax need to fine-tune a 65B model on one GPU?")
    assert (memory.kind, memory.measure) == ("number", "memory")
    assert analyze("How many training tokens did Zorblax see?").measure == "tokens"
    assert analyze("How much faster is Zorblax than AdamW?").measure == "", "not a measure"
    named = _source(1, "Tuning with Zorblax", "Employing Zorblax, we fine-tune a 4B model.")
    plan = NamePlan(about=["p1"], leads=["p1"])
    assert unreported_papers(memory, plan, [named]) == [named]
    stated = _source(1, "Zorblax", "Zorblax fits a 65B model in 48 GB of GPU memory.")
    assert unreported_papers(memory, plan, [stated]) == []


def test_a_measure_qualifying_a_relation_is_what_is_stated() -> None:
    """ "What throughput gain ...": an abstract stating the throughput answers it."""
    info = analyze("What inference throughput gain does Zorblax report?")
    assert info.measure == "throughput"
    plan = NamePlan(about=["p1"], leads=["p1"])
    named = _source(1, "Zorblax", "Zorblax improves inference throughput by 1.6x.")
    assert unreported_papers(info, plan, [named]) == []
