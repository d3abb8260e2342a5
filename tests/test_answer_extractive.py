"""The offline extractive answer, refusals, question hygiene and follow-ups on the real index."""

from __future__ import annotations

import re

import pytest

from rag.chat import Chat
from rag.errors import QuestionError
from rag.types import Answer

LINE = re.compile(r"^- (?P<sentence>.+) \[(?P<n>\d+)\]$")
HEADING = re.compile(r"^\[(?P<n>\d+)\] (?P<label>.+)$")


def _bullets(answer: Answer) -> list[tuple[str, int]]:
    """Quotes of a grouped answer; each belongs to the group of the source it cites."""
    out, group = [], None
    for line in answer.text.splitlines()[1:]:
        heading, quote = HEADING.match(line), LINE.match(line)
        assert heading or quote, f"a line is a '[n] label' heading or a '- quote [n]': {line}"
        if heading:
            group = int(heading["n"])
            assert heading["label"] == answer.sources[group - 1].label
        else:
            assert int(quote["n"]) == group, "a quote sits under its own paper's heading"
            out.append((quote["sentence"], int(quote["n"])))
    return out


def test_extractive_answer_quotes_cited_abstracts_verbatim(engine):
    answer = engine.ask("How can large language models be compressed to very low bit widths?")
    assert answer.backend == "extractive" and not answer.refused
    bullets = _bullets(answer)
    assert 1 <= len(bullets) <= engine.settings.extractive_sentences
    for sentence, n in bullets:
        assert 1 <= n <= len(answer.sources), f"[{n}] points at a retrieved source"
        assert sentence in answer.sources[n - 1].abstract, "sentence is verbatim from [n]"
    assert answer.citations and {c.n for c in answer.citations} == {n for _, n in bullets}
    assert all(check.supported for check in answer.sentences)


def test_extractive_answer_is_deterministic(engine):
    question = "Which methods reduce the memory needed to train large models?"
    first, second = engine.ask(question), engine.ask(question)
    assert first.text == second.text
    assert [s.paper_id for s in first.sources] == [s.paper_id for s in second.sources]


def test_sources_are_distinct_papers_with_scores_in_rank_order(engine):
    answer = engine.ask("speech recognition models training efficiency", top_k=7)
    ids = [s.paper_id for s in answer.sources]
    assert len(ids) == 7 == len(set(ids)), "a paper appears once"
    scores = [s.score for s in answer.sources]
    assert scores == sorted(scores, reverse=True)
    assert [s.n for s in answer.sources] == list(range(1, 8))


def test_named_paper_is_the_first_source(engine):
    answer = engine.ask("What does NUPES propose for post-training quantization?")
    assert answer.sources[0].title.startswith("NUPES")
    assert "[1]" in answer.text


def test_untitled_abstract_is_found_and_labelled(engine):
    answer = engine.ask("a production system that builds timelines of news events for web search")
    untitled = [s for s in answer.sources if s.title is None]
    assert untitled, "the untitled QDET abstract is retrieved"
    assert untitled[0].label.startswith("Untitled: ") and "None" not in untitled[0].label


@pytest.mark.parametrize(
    "question",
    [
        "What were the main causes of the Hundred Years' War between England and France?",
        "How much weight loss did semaglutide produce compared with placebo?",
    ],
)
def test_refuses_when_the_corpus_has_no_evidence(engine, question):
    answer = engine.ask(question)
    assert answer.refused
    assert "don't answer this question" in answer.text
    assert answer.citations == [] and answer.sentences == []
    assert answer.sources, "the closest papers are still listed"


def test_refusal_names_terms_no_abstract_mentions(engine):
    answer = engine.ask("Which paper introduced the Mamba selective state space model?")
    assert answer.refused
    assert "'Mamba'" in answer.text


@pytest.mark.parametrize("question", ["", "   \n\t ", "\x00\x07"])
def test_empty_question_is_a_clear_error(engine, question):
    with pytest.raises(QuestionError, match="empty"):
        engine.ask(question)


def test_huge_question_is_cut_to_budget_with_notice(engine):
    answer = engine.ask("quantization of language models " * 20_000)
    assert any("was cut" in notice for notice in answer.notices)
    assert len(answer.question) < 5_000


def test_control_characters_are_removed(engine):
    answer = engine.ask("quantization\x00 of\x1b large\x07 language models")
    assert answer.question == "quantization of large language models"


def test_follow_up_with_source_number_targets_that_paper(engine):
    chat = Chat(engine)
    first = chat.ask("Which papers study quantization of large language models?")
    follow = chat.ask("What did [2] measure?")
    assert follow.sources[0].paper_id == first.sources[1].paper_id
    assert first.sources[1].label in (follow.standalone_question or "")
    assert not follow.refused


def test_pronoun_follow_up_carries_the_previous_topic(engine):
    chat = Chat(engine)
    chat.ask("Which papers speed up training of speech recognition models?")
    follow = chat.ask("How much faster is it?")
    assert "speech recognition" in (follow.standalone_question or "")
    chat.reset()
    assert chat.history == []


def test_a_long_thread_keeps_its_first_question_without_nesting(engine):
    chat = Chat(engine)
    chat.ask("What is GaLore?")
    chat.ask("how much memory does it save?")
    third = chat.ask("and who wrote it?")
    assert third.standalone_question == (
        "and who wrote it? (follow-up to: how much memory does it save?; thread: What is GaLore?)"
    )
    assert third.sources[0].title.startswith("GaLore")


def test_asking_for_other_papers_leaves_out_those_already_cited(engine):
    """ "Which other papers ...?" after an answer about GaLore: the papers that answer cited
    are left out (and the notice says so); "any others?" leaves out every one shown since."""
    chat = Chat(engine)
    first = chat.ask("What is GaLore?")
    shown = {c.paper_id for c in first.citations}
    assert shown and not first.refused
    other = chat.ask("Which other papers reduce optimizer memory?")
    assert not other.refused and other.citations
    assert shown.isdisjoint(s.paper_id for s in other.sources)
    assert [s.n for s in other.sources] == list(range(1, len(other.sources) + 1))
    left_out = "Left out, as other papers were asked for: GaLore"
    assert any(notice.startswith(left_out) for notice in other.notices)
    shown |= {c.paper_id for c in other.citations}
    more = chat.ask("any others?")
    assert shown.isdisjoint(s.paper_id for s in more.sources)


def test_answer_json_shape(engine):
    data = engine.ask("diffusion models for image generation").to_json()
    for key in ("answer", "citations", "sources", "refused", "backend", "timings_ms"):
        assert key in data
    assert {"n", "paper_id", "title", "score"} <= set(data["sources"][0])


def test_a_new_subject_after_an_answer_stands_alone(engine):
    """ "What is super-convergence?" after a quantization answer names its own subject: it is
    searched alone, and the answer's coverage is judged on what was asked, not on the previous
    question's words; "what about 3 bits?" still leans on the previous turn."""
    chat = Chat(engine)
    chat.ask("How can language models be quantized to 2 bits?")
    new = chat.ask("What is super-convergence?")
    assert "follow-up" not in (new.standalone_question or "")
    assert "Super-Convergence" in new.sources[0].label
    assert new.coverage and not {"follow", "up", "quantized"} & set(new.coverage.terms_missing)
    leaning = chat.ask("what about 3 bits?")
    assert "(follow-up to: What is super-convergence?" in (leaning.standalone_question or "")


def test_the_check_is_withheld_when_a_compared_name_is_missing(engine):
    """ "Does VPTQ outperform GPTQ ...?": quotes about VPTQ alone do not cover GPTQ."""
    answer = engine.ask("Does VPTQ outperform GPTQ on LLaMA-3 at 4 bits?")
    assert answer.coverage and not answer.coverage.covered
    assert "GPTQ" in answer.coverage.terms_missing
    assert "LLaMA-3" not in answer.coverage.terms_missing, "a setting, not what is asked"
