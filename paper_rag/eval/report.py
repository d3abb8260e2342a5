"""Write an eval result to a folder: results.json, report.md and PNG plots (matplotlib, Agg)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from paper_rag.eval.metrics import ANSWER_KEYS, RETRIEVAL_KEYS


def write_outputs(result: dict[str, Any], out: Path) -> list[Path]:
    """results.json (with per-question rows), report.md and the plots; returns the paths."""
    out.mkdir(parents=True, exist_ok=True)
    results = out / "results.json"
    results.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    plots = write_plots(result, out)
    report = out / "report.md"
    report.write_text(markdown(result, [p.name for p in plots]), encoding="utf-8")
    return [results, report, *plots]


# -- Markdown ------------------------------------------------------------------------------------
def _cell(value: Any, key: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return (
            f"{value:.0f}" if key.startswith("latency") or key.endswith("_ms") else f"{value:.3f}"
        )
    if isinstance(value, list):
        return " ".join(f"[{v}]" for v in value) or "-"
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def markdown(result: dict[str, Any], plots: Sequence[str] = ()) -> str:
    runs = result["runs"]
    config = result["config"]
    lines = [
        "# paper-rag evaluation",
        "",
        f"- questions: `{config['questions_file']}` ({config['n_questions']} questions, "
        f"{config['n_answerable']} answerable)",
        f"- backend: {config['backend']}, answer top_k: {config['top_k']}, "
        f"retrieval metrics over the top {config['retrieval_k']}",
        f"- modes: {', '.join(runs)}",
        f"- embedding model: {config['embedding_model']} ({config['papers_in_index']} papers)",
        f"- judge: {config['judge'] or 'off'}",
        f"- run at: {config['timestamp']}",
        "",
        "Retrieval metrics and citation precision/recall are over answerable questions; "
        "refusal accuracy over unanswerable ones; latency is the answer's total time in ms.",
        "",
        "## Summary",
        "",
    ]
    keys = list(result["metrics"])
    lines += _table(
        ["metric", *runs],
        [[k, *(_cell(r["metrics"].get(k), k) for r in runs.values())] for k in keys],
    )
    lines += ["", "## Latency by stage (ms, p50 / p95)", ""]
    stages = list(next(iter(runs.values()))["latency_by_stage"])
    lines += _table(
        ["stage", *runs],
        [
            [
                stage,
                *(
                    f"{_cell(s.get('p50'), 'latency')} / {_cell(s.get('p95'), 'latency')}"
                    if (s := r["latency_by_stage"].get(stage))
                    else "-"
                    for r in runs.values()
                ),
            ]
            for stage in stages
        ],
    )
    for p in plots:
        lines += ["", f"![{Path(p).stem}]({p})"]
    for mode, run in runs.items():
        types = list(run["by_type"])
        lines += ["", f"## By question type: {mode}", ""]
        lines += _table(
            ["metric", *types],
            [[k, *(_cell(run["by_type"][t].get(k), k) for t in types)] for k in keys],
        )
    for mode, run in runs.items():
        lines += ["", f"## Questions: {mode}", ""]
        header = [
            "id",
            "type",
            "question",
            "hit@1",
            "recall@5",
            "refused",
            "first gold rank",
            "cited",
            "key-fact recall",
            "total ms",
        ]
        rows = [
            [
                _cell(r["id"]),
                _cell(r["type"]),
                _cell(r["question"]),
                _cell(r["hit@1"]),
                _cell(r["recall@5"]),
                _cell(r["refused"]),
                _cell(r["first_gold_rank"]),
                _cell(r["cited"]),
                _cell(r["key_fact_recall"]),
                _cell(r["total_ms"], "total_ms"),
            ]
            for r in run.get("questions", [])
        ]
        lines += _table(header, rows)
    return "\n".join(lines) + "\n"


# -- plots ---------------------------------------------------------------------------------------
def _grouped_bars(ax: Any, groups: Sequence[str], series: dict[str, list[float | None]]) -> None:
    n = max(len(series), 1)
    width = 0.8 / n
    for i, (name, values) in enumerate(series.items()):
        xs = [g + (i - (n - 1) / 2) * width for g in range(len(groups))]
        heights = [v if v is not None else 0.0 for v in values]
        bars = ax.bar(xs, heights, width, label=name)
        for bar, v in zip(bars, values, strict=True):
            text = "n/a" if v is None else f"{v:.2f}"
            ax.annotate(
                text,
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                ha="center",
                va="bottom",
                fontsize=7,
            )
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(groups)
    ax.set_ylim(0, 1.1)
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)


def write_plots(result: dict[str, Any], out: Path) -> list[Path]:
    """retrieval.png and answers.png (grouped bars: per mode, or per question type when there is
    one mode) and latency.png (histogram of total answer time per mode)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = result["runs"]
    paths = []
    for name, keys, title in (
        ("retrieval.png", RETRIEVAL_KEYS, "Retrieval"),
        ("answers.png", ANSWER_KEYS, "Citations, key facts and refusals"),
    ):
        if len(runs) > 1:
            series = {m: [r["metrics"].get(k) for k in keys] for m, r in runs.items()}
            subtitle = "by retrieval mode"
        else:
            ((mode, run),) = runs.items()
            series = {
                t: [run["by_type"][t].get(k) for k in keys]
                for t in run["by_type"]
                if any(run["by_type"][t].get(k) is not None for k in keys)
            }
            series = {"all": [run["metrics"].get(k) for k in keys], **series}
            subtitle = f"by question type ({mode})"
        fig, ax = plt.subplots(figsize=(max(7, 1.6 * len(keys) + 0.4 * len(series)), 4.5))
        _grouped_bars(ax, list(keys), series)
        ax.set_title(f"{title} {subtitle}")
        fig.tight_layout()
        path = out / name
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for mode, run in runs.items():
        totals = [r["total_ms"] for r in run.get("questions", []) if r.get("total_ms") is not None]
        if totals:
            ax.hist(totals, bins=20, histtype="step", linewidth=1.5, label=mode)
    ax.set_xlabel("total answer time (ms)")
    ax.set_ylabel("questions")
    ax.set_title("Answer latency")
    if runs:
        ax.legend(fontsize=8)
    fig.tight_layout()
    path = out / "latency.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    paths.append(path)
    return paths
