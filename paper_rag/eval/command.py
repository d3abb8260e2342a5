"""`rag eval`: the evaluation as a `rag` subcommand (an entry point: the library's CLI never
imports the harness). Its options are declared here, next to the code that reads them."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from rag.choices import BACKENDS, RETRIEVAL_MODES

if TYPE_CHECKING:
    from rag.settings import Settings

HELP = "measure retrieval, citations and refusals on a question set"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--questions",
        type=Path,
        help="JSONL question file (default: the shipped development set, eval/questions.jsonl)",
    )
    parser.add_argument("--backend", choices=BACKENDS)
    parser.add_argument("--top-k", type=int)
    parser.add_argument("--mode", choices=RETRIEVAL_MODES)
    parser.add_argument("--out", type=Path, help="write JSON, a Markdown report and plots here")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--compare", help="comma-separated retrieval modes, e.g. hybrid,bm25,dense")
    parser.add_argument(
        "--judge", action="store_true", help="LLM-as-judge faithfulness/correctness"
    )
    parser.add_argument("--limit", type=int, help="only the first N questions")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from paper_rag.eval.harness import run_cli

    return run_cli(args, settings)
