"""Run the benchmark: `python -m bench.run [--quick] [--only NAME,...] [--out bench/]`.

Steps (names for --only): help, ingest, noop, latency, ask_cli, ui. Index sizes up to a
million papers have their own benchmark: `python -m bench.scale`.
Writes OUT/results.json and OUT/results.md after every step, so a long run leaves partial
results behind. With --only, the other steps' rows are kept from the previous results.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import cli_bench, ingest_bench, latency_bench, report, ui_bench
from bench.common import DEFAULT_CORPUS, ROOT, Context, Row, load_questions, log

STEPS = ["help", "ingest", "noop", "latency", "ask_cli", "ui"]
NEEDS_INDEX = {"ingest", "noop", "latency", "ask_cli", "ui"}
QUICK_PAPERS = 150


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    p.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke test: {QUICK_PAPERS}-paper corpus subset, 1 ingest round, "
        "10 UI questions, 2 `rag ask` processes (sizes: python -m bench.scale)",
    )
    p.add_argument("--only", help=f"comma-separated steps: {','.join(STEPS)}")
    p.add_argument("--out", type=Path, default=ROOT / "bench", help="folder for results.*")
    p.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    p.add_argument(
        "--corpus-papers",
        type=int,
        help=f"use an evenly spread subset of N papers (default: all; {QUICK_PAPERS} "
        "with --quick; 0 = all)",
    )
    p.add_argument("--questions", type=Path, default=ROOT / "eval" / "questions.jsonl")
    p.add_argument("--repeat", type=int, help="cold-ingest rounds, median reported (3; 1 quick)")
    p.add_argument("--ui-questions", type=int, help="questions sent to the UI (50; 10 quick)")
    p.add_argument("--cli-questions", type=int, help="`rag ask` processes (5; 2 quick)")
    p.add_argument("--keep-tmp", action="store_true", help="keep the temporary index folders")
    return p


def subset_corpus(source: Path, n: int, dst: Path) -> Path:
    """N merged papers spread over the corpus, written as one JSONL file."""
    from rag.papers import merge
    from rag.readers import corpus_files, read_file

    papers = merge(r for path in corpus_files([source]) for r in read_file(path)).papers
    picked = papers if n >= len(papers) else [papers[i * len(papers) // n] for i in range(n)]
    dst.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"title": p.title, "abstract": p.abstract}) for p in picked]
    (dst / "subset.jsonl").write_text("\n".join(lines) + "\n")
    return dst


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    quick = args.quick
    selected = set(args.only.split(",")) if args.only else set(STEPS)
    unknown = selected - set(STEPS)
    if unknown:
        print(
            f"unknown step(s): {', '.join(sorted(unknown))}; use {','.join(STEPS)}", file=sys.stderr
        )
        return 2
    ctx = Context(
        quick=quick,
        out=args.out.resolve(),
        corpus=args.corpus.resolve(),
        questions=load_questions(args.questions),
        repeat=args.repeat or (1 if quick else 3),
        ui_questions=args.ui_questions if args.ui_questions is not None else (10 if quick else 50),
        cli_questions=args.cli_questions or (2 if quick else 5),
        keep_tmp=args.keep_tmp,
    )
    n_papers = (
        args.corpus_papers if args.corpus_papers is not None else (QUICK_PAPERS if quick else 0)
    )
    notes = []
    if n_papers:
        ctx.corpus = subset_corpus(ctx.corpus, n_papers, ctx.tmp / "corpus")
        notes.append(
            f"Corpus: an evenly spread subset of {n_papers} papers of "
            f"{args.corpus} (one JSONL file); targets are stated for the full corpus."
        )
    if quick:
        notes.append("--quick smoke run: small sizes, one round; numbers are indicative only.")
    meta: dict[str, Any] = {
        **report.machine_meta(),
        "started": ctx.started,
        "quick": quick,
        "corpus": str(args.corpus if not n_papers else f"{args.corpus} ({n_papers}-paper subset)"),
        "questions": f"{args.questions} ({len(ctx.questions)})",
        "repeat": ctx.repeat,
        "temp_dir": str(ctx.tmp),
        "notes": notes,
    }
    rows: list[Row] = []
    details: dict[str, Any] = {}
    errors: dict[str, str] = {}
    began = time.perf_counter()

    def save() -> None:
        meta["duration_s"] = round(time.perf_counter() - began, 1)
        meta["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
        report.write(ctx.out, rows, details, meta, errors, selected, merge=bool(args.only))

    def step(name: str, fn: Callable[[], tuple[list[Row], dict[str, Any]]], key: str) -> None:
        t0 = time.perf_counter()
        try:
            got, info = fn()
        except Exception as exc:  # noqa: BLE001 - one failed step must not lose the others
            traceback.print_exc()
            errors[name] = f"{type(exc).__name__}: {exc}"
            rows.append(Row(name, f"{name}: failed", "error (see Errors)", command=_cmd(name)))
        else:
            rows.extend(got)
            details[key] = info
        log(f"{name}: done in {time.perf_counter() - t0:.0f} s")
        save()

    log(f"temp folder {ctx.tmp}; steps {', '.join(s for s in STEPS if s in selected)}")
    try:
        if "help" in selected:
            step("help", lambda: cli_bench.run_help(ctx), "help")
        if selected & NEEDS_INDEX:
            base = "noop" if "noop" in selected and "ingest" not in selected else "ingest"
            step(base, lambda: ingest_bench.run(ctx, selected), "ingest")
        if "noop" in selected:
            step("noop", lambda: cli_bench.run_noop_process(ctx), "noop_process")
        if "latency" in selected:
            step("latency", lambda: latency_bench.run(ctx), "latency")
        if "ask_cli" in selected:
            step("ask_cli", lambda: cli_bench.run_ask(ctx), "ask_cli")
        if "ui" in selected:
            step("ui", lambda: ui_bench.run(ctx), "ui")
    finally:
        ctx.cleanup()
    print(report.table(json.loads((ctx.out / "results.json").read_text())["rows"]))
    log(f"wrote {ctx.out / 'results.json'} and {ctx.out / 'results.md'}")
    return 1 if errors else 0


def _cmd(name: str) -> str:
    return f"python -m bench.run --only {name}"


if __name__ == "__main__":
    sys.exit(main())
