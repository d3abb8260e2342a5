"""Question-file loading: a valid file loads, every bad line is reported by line and value."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from paper_rag.eval.questions import Question, QuestionFileError, gold_index, load_questions

ATTENTION = "Attention Is All You Need"
ATTENTION_ABSTRACT = (
    "The dominant sequence transduction models are based on complex recurrent or "
    "convolutional neural networks."
)
UNTITLED_ABSTRACT = "We study   retrieval-augmented generation for   scientific question answering."


@dataclass
class Paper:
    title: str | None
    abstract: str


PAPERS = [Paper(ATTENTION, ATTENTION_ABSTRACT), Paper(None, UNTITLED_ABSTRACT)]


def _q(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "q1",
        "question": "Which architecture relies only on attention?",
        "type": "named",
        "gold_titles": [ATTENTION],
        "gold_abstract_prefix": [ATTENTION_ABSTRACT[:60]],
    }
    base.update(overrides)
    return base


def _write(tmp_path: Path, *lines: dict[str, Any] | str) -> Path:
    path = tmp_path / "questions.jsonl"
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def test_valid_file_loads(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        _q(answer="The Transformer [1].", key_facts=["attention only"]),
        "",  # blank lines are skipped
        _q(
            id="q2",
            type="lookup",
            gold_titles=[""],
            gold_abstract_prefix=[" ".join(UNTITLED_ABSTRACT.split())[:60]],
        ),
        _q(id="q3", type="unanswerable", gold_titles=[], gold_abstract_prefix=[]),
    )
    questions = load_questions(path, PAPERS)
    assert [q.id for q in questions] == ["q1", "q2", "q3"]
    first = questions[0]
    assert first.answer == "The Transformer [1]."
    assert first.key_facts == ["attention only"]
    assert questions[1].answer is None and questions[1].key_facts == []
    assert [q.answerable for q in questions] == [True, True, False]


_no_question = _q(id="q2")
del _no_question["question"]


@pytest.mark.parametrize(
    ("line", "problem", "offending"),
    [
        ('{"id": "q2", "question": ', "invalid JSON", '"question": '),
        ("[1, 2]", "JSON object", "[1, 2]"),
        (_no_question, "missing key", "'question'"),
        (_q(id="q2", gold_titles=ATTENTION), "list of strings", repr(ATTENTION)),
        (_q(id="q2", key_facts="attention only"), "list of strings", "'attention only'"),
        (_q(id="q2", answer=42), "string or null", "42"),
        (_q(id=7), "non-empty string", "'id' is 7"),
        (_q(id="q2", type="lookupp"), "unknown type", "'lookupp'"),
        (_q(id="q2", gold_abstract_prefix=[]), "one prefix per title", "has 1 entries"),
        (
            _q(id="q2", type="unanswerable", gold_abstract_prefix=["The dominant"]),
            "empty both gold lists",
            ATTENTION,
        ),
        (_q(id="q2", gold_titles=[], gold_abstract_prefix=[]), "no gold paper", "'q2'"),
        (
            _q(id="q2", gold_titles=[""], gold_abstract_prefix=["  "]),
            "neither a title nor an abstract prefix",
            "'q2'",
        ),
        (
            _q(
                id="q2",
                gold_titles=[ATTENTION, "attention is all you need!"],
                gold_abstract_prefix=["a", "b"],
            ),
            "listed twice",
            "attention is all you need!",
        ),
        (_q(), "duplicate id", "'q1'"),
    ],
)
def test_bad_line_names_line_and_value(
    tmp_path: Path, line: dict[str, Any] | str, problem: str, offending: str
) -> None:
    path = _write(tmp_path, _q(), line)
    with pytest.raises(QuestionFileError) as err:
        load_questions(path)
    message = str(err.value)
    assert f"{path}:2:" in message
    assert problem in message
    assert offending in message


def test_duplicate_id_points_to_first_use(tmp_path: Path) -> None:
    with pytest.raises(QuestionFileError, match="first used on line 1"):
        load_questions(_write(tmp_path, _q(), _q()))


@pytest.mark.parametrize("text", ["", "\n  \n"])
def test_empty_file_is_an_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(QuestionFileError, match="no questions") as err:
        load_questions(path)
    assert f"{path}:1:" in str(err.value)


def test_gold_title_in_no_paper_is_named(tmp_path: Path) -> None:
    typo = "Attention Is All You Needs"
    path = _write(tmp_path, _q(), _q(id="q2", gold_titles=[typo]))
    load_questions(path)  # without papers the typo cannot be seen
    with pytest.raises(QuestionFileError) as err:
        load_questions(path, PAPERS)
    assert f"{path}:2:" in str(err.value)
    assert repr(typo) in str(err.value)


def test_untitled_gold_prefix_in_no_paper_is_named(tmp_path: Path) -> None:
    prefix = "We study something else entirely"
    path = _write(tmp_path, _q(gold_titles=[""], gold_abstract_prefix=[prefix]))
    with pytest.raises(QuestionFileError, match=prefix) as err:
        load_questions(path, PAPERS)
    assert f"{path}:1:" in str(err.value)


def test_gold_check_ignores_case_and_punctuation(tmp_path: Path) -> None:
    path = _write(tmp_path, _q(gold_titles=["attention is all you need."]))
    assert load_questions(path, PAPERS)[0].id == "q1"


def _question(titles: list[str], prefixes: list[str]) -> Question:
    return Question("q", "?", "multi", titles, prefixes)


def test_gold_index_matches_normalized_title() -> None:
    q = _question(["BERT", ATTENTION], ["", ""])
    assert gold_index("attention is all you need!", "Unrelated abstract.", q) == 1
    assert gold_index("GPT-2", "Unrelated abstract.", q) is None


def test_gold_index_matches_prefix_despite_whitespace() -> None:
    q = _question([""], [" ".join(UNTITLED_ABSTRACT.split())[:60]])
    assert gold_index(None, UNTITLED_ABSTRACT, q) == 0
    assert gold_index(None, "We study retrieval for code search.", q) is None


def test_a_titled_gold_is_matched_by_its_title_not_its_prefix() -> None:
    """Two abstracts can open with the same 60 characters; only the titled paper is gold."""
    q = _question([ATTENTION], [ATTENTION_ABSTRACT[:60]])
    assert gold_index(ATTENTION, ATTENTION_ABSTRACT, q) == 0
    assert gold_index("Another Paper", ATTENTION_ABSTRACT, q) is None
    assert gold_index(None, ATTENTION_ABSTRACT, q) is None


def test_empty_prefix_or_title_matches_nothing() -> None:
    q = _question(["BERT"], [""])
    assert gold_index(None, ATTENTION_ABSTRACT, q) is None
    assert gold_index("", ATTENTION_ABSTRACT, _question([""], ["The dominant"])) == 0


def test_the_default_question_set_is_the_dev_file_itself() -> None:
    """The package's default set links to eval/questions.jsonl: one copy to tune and edit."""
    from paper_rag.eval.harness import (
        DEFAULT_QUESTIONS,
        default_questions_path,
        resolve_questions_path,
    )
    from rag.settings import PROJECT_ROOT

    dev = PROJECT_ROOT / "eval" / "questions.jsonl"
    assert (PROJECT_ROOT / "paper_rag" / "eval" / DEFAULT_QUESTIONS).is_symlink()
    assert default_questions_path() == resolve_questions_path(None) == dev
