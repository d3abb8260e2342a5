"""Names with accents match however they are written: "Tülu" typed, "T\\"ULU" as an arXiv
abstract writes it in LaTeX, "Tulu" typed without the accent. The words are indexed and
matched without accents; the quotes stay as the abstract writes them."""

from __future__ import annotations

import json

import pytest

from rag.ingest import ingest
from rag.text import as_asked, fold, plain
from tests.support.index_fixtures import make_settings
from tests.support.small_corpus import engine_over, quote_groups

TULU = {
    "title": "TÜLU 3: Pushing Frontiers in Open Post-Training",
    "abstract": 'We introduce T\\"ULU 3, a family of fully-open post-trained models with their '
    'data and recipes. T\\"ULU 3 builds on Llama 3.1 base models and adds reinforcement '
    "learning with verifiable rewards after supervised finetuning and preference tuning.",
}
OLMO = {
    "title": "OLMo 2: Fully Open Language Models",
    "abstract": "We release OLMo 2, dense language models trained on a new data mixture. "
    'We incorporate best practices from T\\"ulu 3 to develop OLMo 2-Instruct. '
    "OLMo 2 sits at the Pareto frontier of performance against training compute.",
}
OFF_TOPIC = {
    "title": "Heat Pumps in Winter",
    "abstract": "We measure heat pump efficiency in cold climates across 40 homes.",
}


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ('T\\"ULU 3', "TULU 3"),  # arXiv's LaTeX
        ("Tülu 3", "Tulu 3"),  # Unicode, case kept
        ("{\\'e}cole Poincar\\'e", "ecole Poincare"),
        ("\\c{c}a va, \\v{s}koda", "ca va, skoda"),
        ("Fréchet Inception Distance", "Frechet Inception Distance"),
        ("μLO and Σ", "μLO and Σ"),  # letters of other scripts are kept
        ("\\cite{x} and a\\\\b", "\\cite{x} and a\\\\b"),  # other LaTeX is left alone
    ],
)
def test_plain_drops_accents_written_either_way(written, expected):
    assert plain(written) == expected
    assert fold(written) == expected.lower()


def test_a_name_is_said_back_as_the_question_spells_it():
    question = "What did the original Wächter & Biegler paper report on Poincaré's maps?"
    assert as_asked("Wachter", question) == "Wächter"
    assert as_asked("Poincare", question) == "Poincaré"
    assert as_asked("Biegler", question) == "Biegler"


def test_a_name_with_an_accent_is_found_however_it_is_written(tmp_path):
    engine = engine_over(tmp_path, [OLMO, TULU, OFF_TOPIC])
    for typed in ("Tülu 3", "Tulu 3", "TÜLU 3", 'T\\"ulu 3'):
        sources, _, _ = engine.retrieve(f"{typed} recipe", mode="keyword")
        assert sources[0].title == TULU["title"], typed
        answer = engine.ask(f"What is {typed}?")
        assert not answer.refused, typed
        groups = quote_groups(answer)
        assert answer.sources[groups[0][0] - 1].title == TULU["title"], (typed, answer.text)
        assert 'We introduce T\\"ULU 3' in groups[0][1][0], "quoted as the abstract writes it"
    # a comparison quotes both papers: the accented name is not split into "T" and "lu"
    answer = engine.ask("How does Tülu 3 compare with OLMo 2?")
    titles = sorted(answer.sources[n - 1].title for n, _ in quote_groups(answer))
    assert titles == sorted([TULU["title"], OLMO["title"]]), answer.text


def test_an_unknown_name_is_said_back_with_its_accent(tmp_path):
    engine = engine_over(tmp_path, [OLMO, TULU, OFF_TOPIC])
    answer = engine.ask("Which inertia correction does the Wächter paper on line search use?")
    assert answer.refused
    assert "mentions 'Wächter'" in answer.text, answer.text


def test_copies_of_a_paper_with_the_accent_written_two_ways_are_one_paper(tmp_path):
    """An arXiv export writes the title in LaTeX, a BibTeX one decoded: one paper."""
    latex = {**TULU, "title": 'T\\"ULU 3: Pushing Frontiers in Open Post-Training'}
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    rows = [TULU, latex, OFF_TOPIC]
    (corpus / "papers.jsonl").write_text("\n".join(json.dumps(r) for r in rows), "utf-8")
    summary = ingest([corpus], make_settings(tmp_path, corpus_dir=corpus), progress=False)
    assert (summary.records, summary.papers, summary.duplicates_merged) == (3, 2, 1)
