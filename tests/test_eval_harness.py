"""The eval harness and `rag eval` on the real index of the default corpus (no mocks)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paper_rag.eval.harness import evaluate, run_cli, without_rows
from paper_rag.eval.metrics import METRIC_KEYS
from rag.cli import _parser, main
from rag.errors import ConfigError
from rag.settings import get_settings

NUPES = "NUPES : Non-Uniform Post-Training Quantization via Power Exponent Search"
PARAFOLD = "ParaFold: Paralleling AlphaFold for Large-Scale Predictions"
QUESTIONS = [
    {
        "id": "t-named",
        "question": "What does NUPES propose for non-uniform post-training quantization?",
        "type": "named",
        "gold_titles": [NUPES],
        "gold_abstract_prefix": ["Deep neural network (DNN) deployment has been confined to la"],
        "answer": "NUPES learns the power exponent of a non-uniform quantization operator.",
        "key_facts": ["power exponent", "non-uniform quantization"],
    },
    {
        "id": "t-lookup",
        "question": "Is there software that parallelizes AlphaFold by separating the CPU MSA "
        "stage from GPU inference?",
        "type": "lookup",
        "gold_titles": [PARAFOLD],
        "gold_abstract_prefix": ["AlphaFold predicts protein structures from the amino acid se"],
        "key_facts": ["ParaFold"],
    },
    {
        "id": "t-none",
        "question": "What economic and political factors led to the fragmentation of the "
        "Carolingian Empire in the ninth century?",
        "type": "unanswerable",
        "gold_titles": [],
        "gold_abstract_prefix": [],
    },
]


def _write(path: Path, questions: list[dict]) -> Path:
    path.write_text("".join(json.dumps(q) + "\n" for q in questions), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def questions_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write(tmp_path_factory.mktemp("questions") / "q.jsonl", QUESTIONS)


@pytest.fixture(scope="module")
def result(engine, questions_file) -> dict:
    return evaluate(engine, questions_file, progress=False)


def _check_metrics(metrics: dict) -> None:
    assert list(metrics) == list(METRIC_KEYS)
    for key, value in metrics.items():
        assert value is None or (isinstance(value, float) and value >= 0), key
        if value is not None and not key.startswith("latency"):
            assert value <= 1, key


def test_result_has_every_metric_by_type_and_config(result, questions_file, engine):
    _check_metrics(result["metrics"])
    assert set(result["by_type"]) == {"named", "lookup", "unanswerable"}
    for metrics in result["by_type"].values():
        _check_metrics(metrics)
    config = result["config"]
    assert config["questions_file"] == str(questions_file)
    assert config["n_questions"] == 3 and config["n_answerable"] == 2
    assert config["backend"] == "extractive" and config["top_k"] == engine.settings.top_k
    assert config["mode"] == engine.settings.retrieval_mode
    assert config["embedding_model"] == engine.store.embedding_model
    assert config["timestamp"]
    assert result["modes"] == [config["mode"]] and list(result["runs"]) == result["modes"]
    assert {"retrieve", "total"} <= set(result["latency_by_stage"])
    json.dumps(result)  # serializable as is


def test_values_are_sane(result):
    rows = {r["id"]: r for r in result["runs"][result["modes"][0]]["questions"]}
    named = rows["t-named"]
    assert named["hit@1"] == 1.0 and named["first_gold_rank"] == 1 and named["mrr"] == 1.0
    assert named["recall@10"] == 1.0 and not named["refused"]
    assert named["cited"] and named["citation_validity"] == 1.0
    assert named["citation_recall"] == 1.0  # the answer cites the NUPES abstract
    assert named["total_ms"] > 0 and len(named["retrieved"]) == 10

    none = rows["t-none"]
    assert none["refused"] and none["cited"] == []
    assert none["hit@1"] is None and none["recall@5"] is None and none["citation_recall"] is None

    metrics = result["metrics"]
    assert metrics["refusal_accuracy"] == 1.0
    assert metrics["hit@1"] == (named["hit@1"] + rows["t-lookup"]["hit@1"]) / 2  # answerable
    assert result["by_type"]["unanswerable"]["hit@1"] is None
    assert result["by_type"]["named"]["refusal_accuracy"] is None
    assert metrics["latency_ms_p50"] <= metrics["latency_ms_p95"]


def test_compare_runs_both_modes_on_one_engine(engine, questions_file, tmp_path, capsys):
    args = _parser().parse_args(
        ["eval", "--questions", str(questions_file), "--compare", "bm25,dense", "--limit", "2"]
        + ["--json", "--out", str(tmp_path)]
    )
    assert run_cli(args, engine.settings, engine=engine) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["modes"] == ["bm25", "dense"] and list(printed["runs"]) == ["bm25", "dense"]
    for mode in ("bm25", "dense"):
        run = printed["runs"][mode]
        assert run["config"]["mode"] == mode and run["config"]["n_questions"] == 2
        _check_metrics(run["metrics"])
        assert "questions" not in run  # per-question rows go to results.json only
    assert printed["metrics"] == printed["runs"]["bm25"]["metrics"]
    saved = json.loads((tmp_path / "results.json").read_text())
    assert [len(saved["runs"][m]["questions"]) for m in ("bm25", "dense")] == [2, 2]
    assert without_rows(saved)["runs"] == printed["runs"]
    report = (tmp_path / "report.md").read_text()
    assert "| metric | bm25 | dense |" in report and "## Questions: dense" in report


def test_readable_summary_without_json(engine, questions_file, capsys):
    args = _parser().parse_args(["eval", "--questions", str(questions_file), "--limit", "1"])
    assert run_cli(args, engine.settings, engine=engine) == 0
    out = capsys.readouterr().out
    assert "hit@1" in out and "latency_ms_p95" in out and "named" in out


def test_bad_compare_and_judge_without_llm_are_config_errors(engine, questions_file):
    args = _parser().parse_args(["eval", "--questions", str(questions_file), "--compare", "bm2"])
    with pytest.raises(ConfigError, match="bm2"):
        run_cli(args, engine.settings, engine=engine)
    assert not engine.settings.llm_configured
    args = _parser().parse_args(["eval", "--questions", str(questions_file), "--judge"])
    with pytest.raises(ConfigError, match="--judge needs an LLM"):
        run_cli(args, engine.settings, engine=engine)


@pytest.fixture
def cli_env(corpus_settings, monkeypatch):
    """`rag` reads its settings from the environment: point it at the fixture index."""
    monkeypatch.setenv("RAG_DATA_DIR", str(corpus_settings.data_dir))
    monkeypatch.setenv("RAG_CORPUS_DIR", str(corpus_settings.corpus_path))
    monkeypatch.setenv("RAG_INDEX_DIR", str(corpus_settings.index_path))
    monkeypatch.setenv("RAG_BACKEND", "extractive")
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(corpus_settings.data_dir)  # no developer .env
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_rag_eval_cli_writes_json_report_and_plots(cli_env, questions_file, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["eval", "--questions", str(questions_file), "--json", "--out", str(out)])
    assert code == 0
    printed = json.loads(capsys.readouterr().out)  # stdout is exactly one JSON object
    assert set(printed) >= {"metrics", "by_type", "config", "runs"}
    _check_metrics(printed["metrics"])
    assert printed["config"]["n_questions"] == 3
    saved = json.loads((out / "results.json").read_text())
    assert {r["id"] for r in saved["runs"][saved["modes"][0]]["questions"]} == {
        "t-named",
        "t-lookup",
        "t-none",
    }
    report = (out / "report.md").read_text()
    assert "## Summary" in report and "| t-named | named |" in report
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs and all((out / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)


def test_gold_title_in_no_paper_exits_2_naming_it(cli_env, tmp_path, capsys):
    bad = dict(QUESTIONS[0], gold_titles=["A Paper That Was Never Written"])
    path = _write(tmp_path / "bad.jsonl", [QUESTIONS[2], bad])
    assert main(["eval", "--questions", str(path), "--json"]) == 2
    captured = capsys.readouterr()
    assert "A Paper That Was Never Written" in captured.err and f"{path}:2" in captured.err
    assert captured.out == ""


def test_missing_question_file_exits_2(cli_env, tmp_path, capsys):
    assert main(["eval", "--questions", str(tmp_path / "nope.jsonl")]) == 2
    assert "nope.jsonl" in capsys.readouterr().err
