"""`rag eval`: score the engine on a question file (retrieval, citations, refusals, latency).

One engine is opened and reused for every retrieval mode of a `--compare` run.

Per question, retrieval is measured on its own ranked list of RETRIEVAL_K papers
(`engine.retrieve(q, top_k=10, mode=...)`), so recall@10 does not depend on the answer's
top_k; then `engine.ask(...)` gives the answer whose citations, key facts, refusal and
stage timings are scored.

Result shape (`--json` prints it; `--out DIR` writes it to results.json with per-question rows
added under each run's "questions")::

    {
      "metrics": {...},            # the first run's: keys of paper_rag.eval.metrics.METRIC_KEYS
                                   # (+ judge_faithfulness, judge_correctness with --judge)
      "by_type": {type: {...}},    # the first run's: the same keys per question type
      "latency_by_stage": {stage: {"p50": ms, "p95": ms}},  # the first run's
      "config": {...},             # the first run's: backend, top_k, mode, questions_file, ...
      "modes": ["hybrid", ...],    # the runs, in order
      "runs": {mode: {"metrics", "by_type", "latency_by_stage", "config"}}
    }

Without --compare there is one run (the --mode, default the configured mode); with it, one
run per listed mode and the top-level keys repeat the first.

Definitions: retrieval metrics and citation precision/recall are over answerable questions;
citation validity over every answer with a [n] marker; refusal_accuracy is the share of
unanswerable questions refused and false_refusal_rate the share of answerable ones refused;
latency is the `total` of `Answer.timings_ms`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from paper_rag.eval.metrics import (
    METRIC_KEYS,
    aggregate,
    citation_scores,
    hit_at_k,
    key_fact_recall,
    ndcg_at_k,
    percentile,
    recall_at_k,
    reciprocal_rank,
    refusal_rates,
)
from paper_rag.eval.questions import (
    QUESTION_TYPES,
    Question,
    QuestionFileError,
    gold_index,
    load_questions,
)
from rag.choices import RETRIEVAL_MODES
from rag.errors import ConfigError
from rag.settings import PROJECT_ROOT, Settings

if TYPE_CHECKING:
    from paper_rag.eval.judge import Judge
    from rag.engine import Engine

RETRIEVAL_K = 10
# The development set, shipped in this package: in the repository a link to
# eval/questions.jsonl (one copy), in a wheel the file itself.
DEFAULT_QUESTIONS = "questions.jsonl"
STAGES = ("rewrite", "retrieve", "answer", "check", "total")
JUDGE_KEYS = ("judge_faithfulness", "judge_correctness")
_MEAN_KEYS = METRIC_KEYS[: METRIC_KEYS.index("key_fact_recall") + 1]  # per-question means


# -- one question ------------------------------------------------------------------------------
def score_question(
    engine: Engine,
    q: Question,
    *,
    backend: str,
    top_k: int,
    mode: str,
    judge: Judge | None = None,
) -> dict[str, Any]:
    """The per-question row: retrieval ranks, answer scores, refusal and timings."""
    ranked, _, _ = engine.retrieve(q.question, top_k=RETRIEVAL_K, mode=mode)
    ranks = [gold_index(s.title, s.abstract, q) for s in ranked]
    n_gold = len(q.gold_titles)
    first_gold = next((i + 1 for i, g in enumerate(ranks) if g is not None), None)

    answer = engine.ask(q.question, top_k=top_k, backend=backend, mode=mode)
    cited = [c.n for c in answer.citations]
    source_gold = {s.n: gold_index(s.title, s.abstract, q) for s in answer.sources}
    cites = citation_scores(cited, len(answer.invalid_citations), source_gold, n_gold)

    answerable = q.answerable
    row: dict[str, Any] = {
        "id": q.id,
        "type": q.type,
        "question": q.question,
        "answerable": answerable,
        "n_gold": n_gold,
        "retrieved": [s.paper_id for s in ranked],
        "gold_ranks": ranks,
        "first_gold_rank": first_gold,
        "hit@1": hit_at_k(ranks, 1) if answerable else None,
        "recall@5": recall_at_k(ranks, n_gold, 5),
        "recall@10": recall_at_k(ranks, n_gold, RETRIEVAL_K),
        "mrr": reciprocal_rank(ranks) if answerable else None,
        "ndcg@10": ndcg_at_k(ranks, n_gold, RETRIEVAL_K),
        "refused": answer.refused,
        "backend": answer.backend,
        "cited": cited,
        "invalid_citations": list(answer.invalid_citations),
        "citation_validity": cites.validity,
        "citation_precision": cites.precision if answerable else None,
        "citation_recall": cites.recall if answerable else None,
        "key_fact_recall": key_fact_recall(answer.text, q.key_facts),
        "timings_ms": dict(answer.timings_ms),
        "total_ms": answer.timings_ms.get("total"),
        "answer": answer.text,
    }
    if judge is not None:
        row.update(judge.score(q, answer))
    return row


# -- aggregation ---------------------------------------------------------------------------------
def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def summarize(rows: Sequence[dict[str, Any]], judged: bool = False) -> dict[str, float | None]:
    """Every METRIC_KEYS value (plus JUDGE_KEYS when judged) over these rows."""
    means = aggregate(rows, _MEAN_KEYS)
    refusal_accuracy, false_refusal = refusal_rates((r["answerable"], r["refused"]) for r in rows)
    totals = [r["total_ms"] for r in rows if r.get("total_ms") is not None]
    values: dict[str, float | None] = {
        **means,
        "refusal_accuracy": refusal_accuracy,
        "false_refusal_rate": false_refusal,
        "latency_ms_p50": percentile(totals, 50),
        "latency_ms_p95": percentile(totals, 95),
    }
    metrics = {key: _rounded(values[key]) for key in METRIC_KEYS}
    if judged:
        metrics.update({k: _rounded(v) for k, v in aggregate(rows, JUDGE_KEYS).items()})
    return metrics


def latency_by_stage(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    """p50/p95 per answer stage, over the questions that went through that stage."""
    out = {}
    for stage in STAGES:
        values = [r["timings_ms"][stage] for r in rows if stage in r["timings_ms"]]
        if values:
            out[stage] = {
                "p50": _rounded(percentile(values, 50)),
                "p95": _rounded(percentile(values, 95)),
            }
    return out


def by_type(rows: Sequence[dict[str, Any]], judged: bool = False) -> dict[str, dict]:
    types = [t for t in QUESTION_TYPES if any(r["type"] == t for r in rows)]
    return {t: summarize([r for r in rows if r["type"] == t], judged) for t in types}


# -- runs ----------------------------------------------------------------------------------------
def run_mode(
    engine: Engine,
    questions: Sequence[Question],
    *,
    mode: str,
    backend: str,
    top_k: int,
    questions_file: str,
    judge: Judge | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """One retrieval configuration over all questions: metrics, by_type, config and rows."""
    from tqdm import tqdm

    rows = []
    bar = tqdm(questions, desc=f"eval {mode}", unit="q", file=sys.stderr, disable=not progress)
    for q in bar:
        rows.append(score_question(engine, q, backend=backend, top_k=top_k, mode=mode, judge=judge))
    judged = judge is not None
    config = {
        "backend": backend,
        "top_k": top_k,
        "mode": mode,
        "retrieval_k": RETRIEVAL_K,
        "questions_file": questions_file,
        "n_questions": len(rows),
        "n_answerable": sum(r["answerable"] for r in rows),
        "embedding_model": engine.store.embedding_model,
        "papers_in_index": len(engine.papers),
        "judge": judge.describe() if judge is not None else None,
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return {
        "metrics": summarize(rows, judged),
        "by_type": by_type(rows, judged),
        "latency_by_stage": latency_by_stage(rows),
        "config": config,
        "questions": rows,
    }


def evaluate(
    engine: Engine,
    questions_path: str | Path | None = None,
    *,
    modes: Sequence[str] | None = None,
    backend: str | None = None,
    top_k: int | None = None,
    limit: int | None = None,
    judge: Judge | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Run every mode on the question file and return the full result (with per-question rows).

    Raises QuestionFileError for a bad question file (including gold titles in no paper).
    """
    path = resolve_questions_path(questions_path)
    try:
        questions = load_questions(path, papers=list(engine.papers.values()))
    except FileNotFoundError as exc:
        raise QuestionFileError(f"{path}: no such question file; pass --questions FILE") from exc
    if limit is not None:
        questions = questions[:limit]
    settings = engine.settings
    modes = list(modes or [settings.retrieval_mode])
    backend = backend or settings.resolved_backend()
    top_k = top_k or settings.top_k
    runs = {
        mode: run_mode(
            engine,
            questions,
            mode=mode,
            backend=backend,
            top_k=top_k,
            questions_file=str(path),
            judge=judge,
            progress=progress,
        )
        for mode in modes
    }
    first = runs[modes[0]]
    return {
        "metrics": first["metrics"],
        "by_type": first["by_type"],
        "latency_by_stage": first["latency_by_stage"],
        "config": first["config"],
        "modes": modes,
        "runs": runs,
    }


def without_rows(result: dict[str, Any]) -> dict[str, Any]:
    """The result without per-question rows (what `--json` prints)."""
    runs = {
        m: {k: v for k, v in run.items() if k != "questions"} for m, run in result["runs"].items()
    }
    return {**result, "runs": runs}


def default_questions_path() -> Path:
    """The shipped development set (in a checkout, eval/questions.jsonl itself)."""
    return Path(str(files(__package__).joinpath(DEFAULT_QUESTIONS))).resolve()


def resolve_questions_path(path: str | Path | None) -> Path:
    """The question file; by default the shipped development set. A relative path that does
    not exist here is taken from the checkout's root, as `make eval` names it."""
    if path is None:
        return default_questions_path()
    path = Path(path)
    if not path.is_absolute() and not path.exists() and (PROJECT_ROOT / path).exists():
        return PROJECT_ROOT / path
    return path


def parse_modes(compare: str | None, mode: str | None) -> list[str] | None:
    """The modes of a `--compare a,b,c` (validated), or [mode], or None for the default."""
    if not compare:
        return [mode] if mode else None
    if mode:
        raise ConfigError("Use either --mode or --compare, not both.")
    modes = [m.strip() for m in compare.split(",") if m.strip()]
    bad = [m for m in modes if m not in RETRIEVAL_MODES]
    if bad or not modes:
        raise ConfigError(
            f"--compare {compare!r}: unknown mode(s) {', '.join(bad) or '(none)'}; "
            f"list some of {', '.join(RETRIEVAL_MODES)}, e.g. --compare hybrid,bm25,dense"
        )
    if len(set(modes)) != len(modes):
        raise ConfigError(f"--compare {compare!r} lists a mode twice; list each mode once.")
    return modes


# -- console output ------------------------------------------------------------------------------
def _fmt(value: float | None, key: str = "") -> str:
    if value is None:
        return "-"
    if key.startswith("latency"):
        return f"{value:.0f}"
    return f"{value:.3f}"


def print_summary(result: dict[str, Any], file: Any = None) -> None:
    """Metric rows x mode columns, then the first run's by-type table (rich)."""
    from rich.console import Console
    from rich.table import Table

    console = Console(file=file or sys.stdout)
    runs = result["runs"]
    config = result["config"]
    console.print(
        f"[bold]rag eval[/bold]  {config['questions_file']}  "
        f"{config['n_questions']} questions  backend={config['backend']}  "
        f"top_k={config['top_k']}  embedding={config['embedding_model']}"
    )
    table = Table(title="Metrics by retrieval mode")
    table.add_column("metric")
    for mode in runs:
        table.add_column(mode, justify="right")
    for key in result["metrics"]:
        table.add_row(key, *(_fmt(run["metrics"].get(key), key) for run in runs.values()))
    console.print(table)

    first_mode = result["modes"][0]
    types = list(result["by_type"])
    table = Table(title=f"By question type ({first_mode})")
    table.add_column("metric")
    for t in types:
        table.add_column(t, justify="right")
    for key in result["metrics"]:
        table.add_row(key, *(_fmt(result["by_type"][t].get(key), key) for t in types))
    console.print(table)


# -- CLI -----------------------------------------------------------------------------------------
def run_cli(args: argparse.Namespace, settings: Settings, engine: Engine | None = None) -> int:
    """`rag eval`. Uses the settings it is given; `engine` lets callers reuse an open one."""
    if args.top_k is not None and args.top_k < 1:
        raise ConfigError(f"--top-k must be at least 1, got {args.top_k}.")
    if args.limit is not None and args.limit < 1:
        raise ConfigError(f"--limit must be at least 1, got {args.limit}.")
    modes = parse_modes(args.compare, args.mode)
    judge = None
    if args.judge:
        from paper_rag.eval.judge import Judge

        judge = Judge(settings)  # ConfigError without an LLM configured

    path = resolve_questions_path(args.questions)
    if not path.is_file():  # before the slow engine start
        print(f"error: {path}: no such question file; pass --questions FILE", file=sys.stderr)
        return 2
    if engine is None:
        from rag.engine import Engine

        engine = Engine(settings)
    try:
        result = evaluate(
            engine,
            path,
            modes=modes,
            backend=args.backend,
            top_k=args.top_k,
            limit=args.limit,
            judge=judge,
            progress=True,
        )
    except QuestionFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    if judge is not None and judge.errors:
        print(f"warning: {judge.errors} judge call(s) failed; see judge_error", file=sys.stderr)
    written = []
    if args.out:
        from paper_rag.eval.report import write_outputs

        written = write_outputs(result, Path(args.out))
    if args.json:
        print(json.dumps(without_rows(result), indent=2, ensure_ascii=False))
    else:
        print_summary(result)
        if written:
            print(f"wrote {', '.join(str(p) for p in written)}")
    return 0
