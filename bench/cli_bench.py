"""Whole-process timings of the `rag` command: `--help`, a no-op `ingest`, `ask --json`."""

from __future__ import annotations

import json
import re
import statistics
from typing import Any

from bench.common import Context, Row, check, fmt, log, pct, rag_command, timed_process

HELP_RUNS = 5


def run_help(ctx: Context) -> tuple[list[Row], dict[str, Any]]:
    cmd = [*rag_command(), "--help"]
    log(f"cli: `rag --help` x{HELP_RUNS}")
    walls = [timed_process(cmd, ctx.env())[0] for _ in range(HELP_RUNS)]
    median = statistics.median(walls)
    row = Row(
        "help",
        "`rag --help` wall time (process)",
        round(median, 3),
        "s",
        target="< 1 s",
        ok=check(median, "<", 1),
        command="rag --help",
        note=f"median of {HELP_RUNS}; min {fmt(min(walls), 's')}, max {fmt(max(walls), 's')}",
    )
    return [row], {"walls_s": walls}


def run_noop_process(ctx: Context) -> tuple[list[Row], dict[str, Any]]:
    index = ctx.clone_index("noop-process")
    cmd = [*rag_command(), "ingest", "--quiet"]
    log("cli: no-op `rag ingest --quiet` on a cloned index")
    wall, proc = timed_process(cmd, ctx.env(index), timeout=900)
    found = re.search(r"([\d.]+) s\s*$", proc.stdout.strip())
    inner = float(found.group(1)) if found else None
    embedded = re.search(r"\((\d+) embedded", proc.stdout)
    row = Row(
        "noop",
        "No-op re-ingest, `rag ingest` process wall (start-up included)",
        round(wall, 3),
        "s",
        target="< 2 s",
        ok=check(wall, "<", 2),
        command="RAG_INDEX_DIR=<copy of the bench index> rag ingest --quiet",
        note=f"ingest() itself in that cold process: {fmt(inner, 's')}; "
        f"{embedded.group(1) if embedded else '?'} papers embedded",
    )
    return [row], {"wall_s": wall, "ingest_s": inner, "stdout": proc.stdout.strip()[-500:]}


def run_ask(ctx: Context) -> tuple[list[Row], dict[str, Any]]:
    index = ctx.clone_index("ask-process")
    questions = _spread(ctx.questions, ctx.cli_questions)
    walls, totals = [], []
    log(f"cli: `rag ask --json` x{len(questions)}")
    for q in questions:
        cmd = [*rag_command(), "ask", q, "--json", "--backend", "extractive"]
        wall, proc = timed_process(cmd, ctx.env(index), timeout=600)
        walls.append(wall)
        totals.append(json.loads(proc.stdout)["timings_ms"].get("total"))
    p50 = pct(walls, 50)
    row = Row(
        "ask_cli",
        '`rag ask "…" --json --backend extractive` wall (process)',
        round(p50, 3),
        "s",
        display=f"p50 {fmt(p50, 's')} · max {fmt(max(walls), 's')}",
        command='rag ask "<question>" --json --backend extractive',
        note=f"{len(walls)} questions; start-up + engine open included; the answer itself "
        f"(timings_ms.total) p50 {fmt(pct([t for t in totals if t], 50), 'ms')}",
    )
    return [row], {"walls_s": walls, "timings_total_ms": totals, "questions": questions}


def _spread(items: list[str], n: int) -> list[str]:
    if n >= len(items):
        return list(items)
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]
