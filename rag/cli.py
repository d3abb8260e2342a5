"""`rag` command line: ingest, stats, ask, ui, eval. Heavy imports happen inside commands."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from types import ModuleType

from rag.choices import BACKENDS, RETRIEVAL_MODES
from rag.errors import RagError

COMMANDS_GROUP = "paper_rag.commands"


def client_commands() -> dict[str, ModuleType]:
    """Subcommands the clients register as entry points (the UI, the eval harness): the CLI
    dispatches to them without the library importing its clients."""
    from importlib.metadata import entry_points

    found = sorted(entry_points(group=COMMANDS_GROUP), key=lambda ep: ep.name)
    return {ep.name: ep.load() for ep in found}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rag", description="Cited answers over research-paper abstracts."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="index abstract files (incremental; only new papers embed)")
    p.add_argument("paths", nargs="*", type=Path, help="files or folders (default: data/abstracts)")
    p.add_argument("--rebuild", action="store_true", help="drop the index and start over")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--strict", action="store_true", help="a bad record or file stops the run (RAG_STRICT)"
    )
    p.add_argument(
        "--category",
        action="append",
        default=[],
        help="only papers in this category (e.g. cs.CL, or cs for all cs.*); repeatable",
    )
    p.add_argument("--since", type=int, help="only papers from this year on")
    p.add_argument("--dry-run", action="store_true", help="read, filter and merge; write nothing")
    p.add_argument("--json", action="store_true", help="the full summary (every skip and merge)")

    p = sub.add_parser("check", help="find papers with missing chunks or vectors, and orphans")
    p.add_argument("--repair", action="store_true", help="re-embed what is missing, drop orphans")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("stats", help="what is in the index")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("ask", help="ask one question")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print the full answer as JSON")
    p.add_argument(
        "--format",
        choices=["text", "json", "md", "bib"],
        help="text (streamed, default), json, md (answer + references) or bib (cited papers)",
    )
    p.add_argument("--backend", choices=BACKENDS)
    p.add_argument("--top-k", type=int)
    p.add_argument("--mode", choices=RETRIEVAL_MODES, help="retrieval mode")
    p.add_argument("--since", type=int, metavar="YEAR", help="only papers from this year on")
    p.add_argument("--until", type=int, metavar="YEAR", help="only papers up to this year")
    for flag, what in (
        ("author", "an author's name, or part of it"),
        ("venue", "a venue or journal, or part of it"),
        ("category", "a category or keyword (cs matches cs.CL)"),
        ("paper-id", "a paper id (a reading list)"),
    ):
        p.add_argument(f"--{flag}", action="append", help=f"only papers with {what}; repeatable")

    for name, command in client_commands().items():  # `rag ui`, `rag eval`
        command.add_arguments(sub.add_parser(name, help=command.HELP))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from rag.offline import configure_offline
    from rag.settings import get_settings

    configure_offline()
    try:
        settings = get_settings()
        if args.command == "ingest":
            return _ingest(args, settings)
        if args.command == "check":
            return _check(args, settings)
        if args.command == "stats":
            return _stats(args, settings)
        if args.command == "ask":
            return _ask(args, settings)
        return client_commands()[args.command].run(args, settings)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `rag ask ... | head`: the reader has stopped, nothing went wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
        return 0
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
    from rag.formats import RecordFilter
    from rag.ingest import ingest
    from rag.ingest_report import FileReport

    if args.strict:
        settings = settings.model_copy(update={"strict": True})
    summary = ingest(
        args.paths or [settings.corpus_path],
        settings,
        rebuild=args.rebuild,
        progress=not (args.quiet or args.json),
        on_wait=_say,
        keep=RecordFilter(tuple(args.category), args.since),
        dry_run=args.dry_run,
    )
    if args.json:
        print(json.dumps(summary.as_dict(), indent=2, ensure_ascii=False))
        return 0
    s = summary
    _print_some("skipped", s.skipped, per_file=True)
    _print_some("note", s.notices, per_file=True)
    _print_some("merged", s.merged)
    for report in s.per_file:
        print(f"  {FileReport(**report).line()}")
    print(
        ("dry run (nothing written): " if s.dry_run else "")
        + f"{s.files} files"
        + (f" ({s.unchanged_files} unchanged, not read again)" if s.unchanged_files else "")
        + f", {s.records} records, {s.duplicates_merged} duplicates merged, "
        f"{s.papers} papers ({s.embedded_papers} embedded, {s.unchanged_papers} unchanged), "
        f"{s.chunks_embedded} chunks embedded; index holds {s.papers_in_index} papers / "
        f"{s.chunks_in_index} chunks; {s.seconds:.1f} s"
        + (f"; {len(s.skipped)} records skipped" if s.skipped else "")
        + (f"; {s.filtered} records filtered out" if s.filtered else "")
        + (f"; {s.repaired_papers} incomplete papers repaired" if s.repaired_papers else "")
        + (
            f"; {_papers(s.removed_papers)} no longer in the files removed"
            if s.removed_papers
            else ""
        )
    )
    return 0


def _papers(n: int) -> str:
    return f"{n} paper" + ("" if n == 1 else "s")


SHOWN = 5  # lines of each kind (per file for skips) before "... and N more"


def _print_some(kind: str, lines: list[str], per_file: bool = False) -> None:
    """The first few report lines of a kind; the rest are counted (all of them: --json)."""
    groups: dict[str, list[str]] = {}
    for line in lines:
        groups.setdefault(line.split(":", 1)[0] if per_file else "", []).append(line)
    for name, group in groups.items():
        for line in group[:SHOWN]:
            print(f"{kind}: {line}", file=sys.stderr)
        if len(group) > SHOWN:
            where = f" in {name}" if name else ""
            print(
                f"{kind}: ... and {len(group) - SHOWN} more{where} (all: --json)", file=sys.stderr
            )


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _check(args: argparse.Namespace, settings) -> int:
    from rag.ingest import check_index

    report = check_index(settings, repair_it=args.repair, on_wait=_say)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print(
            f"{report.papers} papers, {report.chunks} chunks, {report.sentences} sentence vectors; "
            f"incomplete papers: {len(report.incomplete)}, not found by search: "
            f"{len(report.unsearchable)}, orphan chunks: {report.orphan_chunks}, "
            f"records without text: {len(report.empty_records)}"
        )
        if args.repair:
            print(f"repaired {report.repaired} papers, removed {report.orphans_removed} orphans")
        print("ok" if report.ok else "problems found: run `rag check --repair`")
    return 0 if report.ok else 1


def _stats(args: argparse.Namespace, settings) -> int:
    from rag.index_access import open_store

    store = open_store(settings)
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
    from rag.metadata import PaperMeta
    from rag.types import Retract

    engine = Engine(settings)
    options = {
        "top_k": args.top_k,
        "backend": args.backend,
        "mode": args.mode,
        "filters": {
            "since": args.since,
            "until": args.until,
            "authors": args.author,
            "venues": args.venue,
            "categories": args.category,
            "paper_ids": args.paper_id,
        },
    }
    form = "json" if args.json else args.format or "text"
    if form != "text":
        answer = engine.ask(args.question, **options)
        if form == "json":
            print(json.dumps(answer.to_json(), indent=2, ensure_ascii=False))
        else:
            print(answer.to_markdown() if form == "md" else answer.to_bibtex(), end="")
        return 0
    answer = None
    for item in engine.stream(args.question, **options):
        if isinstance(item, Retract):
            print(f"\n\n--- withdrawn, not the answer: {item.reason}\n", flush=True)
        elif isinstance(item, str):
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
        byline = PaperMeta(authors=s.authors, year=s.year).byline()
        print(f"  [{s.n}] {s.label}" + (f" — {byline}" if byline else ""))
        print(
            f"      score {s.score:.3f}; {', '.join(s.locations)}" + (f"; {s.url}" if s.url else "")
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
