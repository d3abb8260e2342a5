"""`rag` command line: ingest, stats, ask, ui, eval. Heavy imports happen inside commands."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rag.errors import RagError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rag", description="Cited answers over research-paper abstracts."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="index abstract files (incremental; only new papers embed)")
    p.add_argument("paths", nargs="*", type=Path, help="files or folders (default: data/abstracts)")
    p.add_argument("--rebuild", action="store_true", help="drop the index and start over")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("stats", help="what is in the index")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("ask", help="ask one question")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print the full answer as JSON")
    p.add_argument("--backend", choices=["extractive", "openai", "local"])
    p.add_argument("--top-k", type=int)
    p.add_argument("--mode", choices=["hybrid", "dense", "bm25"], help="retrieval mode")

    p = sub.add_parser("ui", help="start the chat UI")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--share", action="store_true", help="public Gradio link (off by default)")

    p = sub.add_parser("eval", help="measure retrieval, citations and refusals on a question set")
    p.add_argument(
        "--questions", type=Path, help="JSONL question file (default: eval/questions.jsonl)"
    )
    p.add_argument("--backend", choices=["extractive", "openai", "local"])
    p.add_argument("--top-k", type=int)
    p.add_argument("--mode", choices=["hybrid", "dense", "bm25"])
    p.add_argument("--out", type=Path, help="write JSON, a Markdown report and plots here")
    p.add_argument("--json", action="store_true")
    p.add_argument("--compare", help="comma-separated retrieval modes, e.g. hybrid,bm25,dense")
    p.add_argument("--judge", action="store_true", help="LLM-as-judge faithfulness/correctness")
    p.add_argument("--limit", type=int, help="only the first N questions")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from rag.offline import configure_offline
    from rag.settings import get_settings

    configure_offline()
    settings = get_settings()
    try:
        if args.command == "ingest":
            return _ingest(args, settings)
        if args.command == "stats":
            return _stats(args, settings)
        if args.command == "ask":
            return _ask(args, settings)
        if args.command == "ui":
            from ui.app import launch

            launch(settings, host=args.host, port=args.port, share=args.share)
            return 0
        if args.command == "eval":
            from eval.harness import run_cli

            return run_cli(args, settings)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        if not type(exc).__module__.startswith("chromadb"):
            raise
        print(
            f"error: the index could not be read or written ({type(exc).__name__}: {exc}). "
            "If the disk is full, free some space and re-run; if the index is damaged, run "
            "`rag ingest --rebuild`.",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        print("interrupted; finished work is kept. Re-run to resume.", file=sys.stderr)
        return 130
    return 1


def _ingest(args: argparse.Namespace, settings) -> int:
    from rag.ingest import ingest

    summary = ingest(
        args.paths or [settings.corpus_path],
        settings,
        rebuild=args.rebuild,
        progress=not args.quiet,
    )
    s = summary
    print(
        f"{s.files} files, {s.records} records, {s.duplicates_merged} duplicates merged, "
        f"{s.papers} papers ({s.embedded_papers} embedded, {s.unchanged_papers} unchanged), "
        f"{s.chunks_embedded} chunks embedded; index holds {s.papers_in_index} papers / "
        f"{s.chunks_in_index} chunks; {s.seconds:.1f} s"
    )
    return 0


def _stats(args: argparse.Namespace, settings) -> int:
    from rag.ingest import open_store

    store = open_store(settings)
    store.open()
    papers, chunks = store.counts()
    data = {
        "papers": papers,
        "chunks": chunks,
        "embedding_model": store.embedding_model,
        "store": store.describe(),
        "collection": settings.collection,
        "chunk_tokens": settings.chunk_tokens,
        "backend": settings.resolved_backend(),
        "llm_model": settings.llm_model if settings.llm_configured else None,
    }
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        for key, value in data.items():
            print(f"{key:16} {value}")
    return 0


def _ask(args: argparse.Namespace, settings) -> int:
    from rag.coverage import gap
    from rag.engine import Engine

    engine = Engine(settings)
    if args.json:
        answer = engine.ask(args.question, top_k=args.top_k, backend=args.backend, mode=args.mode)
        print(json.dumps(answer.to_json(), indent=2, ensure_ascii=False))
        return 0
    answer = None
    for item in engine.stream(
        args.question, top_k=args.top_k, backend=args.backend, mode=args.mode
    ):
        if isinstance(item, str):
            print(item, end="", flush=True)
        else:
            answer = item
    print()
    assert answer is not None
    for notice in answer.notices:
        print(f"note: {notice}")
    for check in answer.unsupported:
        print(f"unsupported: {check.text}")
    if not answer.refused and gap(answer.coverage):
        print(f"may not answer the question: {gap(answer.coverage)}")
    print(f"\nSources ({answer.backend}):")
    for s in answer.sources:
        print(f"  [{s.n}] {s.label}  (score {s.score:.3f}; {', '.join(s.locations)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
