"""Input validation: top_k the same way everywhere, one-line settings errors, odd questions."""

from __future__ import annotations

import pytest

from paper_rag.ui.app import MAX_SHOWN_CHARS, shorten
from rag.errors import QuestionError
from tests.support.processes import rag


@pytest.mark.parametrize("bad", [0, -1, 2.5, "3", True, 51])
def test_a_bad_top_k_is_a_clear_error_not_a_silent_default(engine, bad) -> None:
    with pytest.raises(QuestionError, match="top_k must be a whole number from 1 to 50"):
        engine.ask("What does NUPES propose?", top_k=bad)


def test_a_whole_float_top_k_is_accepted(engine) -> None:
    assert len(engine.ask("What does NUPES propose?", top_k=3.0).sources) == 3


def test_cli_top_k_zero_exits_2_with_one_line(corpus_settings) -> None:
    done = rag(corpus_settings, "ask", "--top-k", "0", "What does NUPES propose?")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: top_k must be a whole number from 1 to 50, not 0."
    ]


def test_a_bad_setting_is_one_line_naming_the_variable(corpus_settings) -> None:
    done = rag(corpus_settings, "stats", RAG_TOP_K="0", RAG_BACKEND="nope")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "RAG_TOP_K='0'" in lines[0] and "RAG_BACKEND='nope'" in lines[0]
    assert "'auto', 'extractive', 'openai' or 'local'" in lines[0]


def test_a_secret_setting_is_never_echoed_in_its_error(corpus_settings) -> None:
    done = rag(corpus_settings, "stats", RAG_UI_AUTH="x" * 3, RAG_TOP_K="zero")
    assert done.returncode == 2 and "RAG_TOP_K='zero'" in done.stderr


def test_a_lone_surrogate_in_a_question_is_dropped(engine) -> None:
    answer = engine.ask("What does NUPES propose?\ud800")
    assert answer.question == "What does NUPES propose?"
    assert answer.sources


def test_the_chat_shows_a_long_question_shortened() -> None:
    long = "why " * 250_000
    shown = shorten(long)
    assert len(shown) < MAX_SHOWN_CHARS + 60
    assert shown.endswith("(999,999 characters; shortened here)")
    assert shorten("  short  ") == "short"


@pytest.mark.parametrize(
    ("bad", "message"),
    [(123, "must be text, not int"), ("?!?...;;", "has no words"), ("  \t ", "is empty")],
)
def test_a_question_that_is_not_text_with_words_is_a_clear_error(engine, bad, message) -> None:
    with pytest.raises(QuestionError, match=message):
        engine.ask(bad)


def test_a_long_question_keeps_what_is_asked_after_the_pasted_context(engine) -> None:
    """Pasted context first, the question last: both ends of the question are searched."""
    pasted = "Background from my notes about training runs and clusters. " * 300
    answer = engine.ask(pasted + "What does NUPES propose for post-training quantization?")
    assert answer.question.startswith("Background from my notes")
    assert answer.question.endswith("What does NUPES propose for post-training quantization?")
    assert any("last" in notice and "were kept" in notice for notice in answer.notices)
    assert "NUPES" in answer.sources[0].label
