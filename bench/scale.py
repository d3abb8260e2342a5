"""A million papers on one machine: what the index costs and how fast it serves, by size.

    python -m bench.scale --papers 10000,100000,1000000 [--server] [--out bench/scale]

The store is built from the real corpus's vectors, not by encoding: copy c of real paper i
gets the title "<title> (copy c)", the same abstract, a year, and the real paper's chunk
and sentence vectors with Gaussian noise (renormalised). The copies are written as JSONL
files, read back with the ingest's own reader and merger (so paper ids and locations are
exactly what `rag ingest` computes), and written through `Store.write_papers` in one
`IndexWriter` session, as ingestion does. Sizes grow one session at a time: the 100k store
is the 10k store plus 90k papers. At each size, in fresh processes:
- disk bytes per paper (the published generation, or the server's data plus the catalog);
- engine open (the index view alone, and the whole `Engine()` with its encoder);
- hybrid retrieval p50/p95 over the dev questions, without and with a year filter;
- the extractive answer (`engine.ask`) p50, and the serving process's peak RSS;
- `rag ingest` over all the files: first with every file read and matched, then the no-op;
- the write rate of the last file of 5k papers against the first thousand papers of the
  series, and that file's rate split into Chroma's writes and the catalog's.
With `--server` the vectors live in a `chroma run` server started here on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, log, pct, proc_memory, run_worker
from bench.scale_report import write_report

MODULE = "bench.scale"
FILE_RECORDS = 5_000  # records per JSONL file; sizes are multiples of it
BATCH_PAPERS = 256
NOISE_SIGMA = 0.01  # per dimension: cosine to the original ~0.98
FIRST_YEAR, YEARS = 2000, 25
FILTER_SINCE = 2020  # the filtered runs keep a fifth of the papers
WARMUP = 3
SOURCE = ROOT / "data" / "index"


# -- worker side ---------------------------------------------------------------------------------
def _source(source: Path) -> list[tuple[Any, Any, Any]]:
    """(record, chunk vectors in position order, sentence vectors) of every real paper."""
    import numpy as np

    from rag.index_access import open_store
    from rag.settings import Settings
    from rag.store import get_all

    settings = Settings(index_dir=source, chroma_host=None)
    store = open_store(settings)
    got = get_all(store.chunks, ["metadatas", "embeddings"])
    chunks: dict[str, dict[int, Any]] = {}
    for meta, vec in zip(got["metadatas"], got["embeddings"], strict=True):
        chunks.setdefault(meta["paper_id"], {})[int(meta["position"])] = vec
    records = list(store.catalog.iter_records())
    sentences = store.catalog.sentences([r.paper_id for r in records], settings.chunk_tokens)
    return [
        (
            r,
            np.asarray([v for _, v in sorted(chunks[r.paper_id].items())], dtype=np.float32),
            sentences[r.paper_id][1],
        )
        for r in records
        if r.paper_id in chunks and r.paper_id in sentences
    ]


def _write_file(path: Path, first: int, n: int, source: list) -> None:
    with path.open("w", encoding="utf-8") as out:
        for number in range(first, first + n):
            record = source[number % len(source)][0]
            copy = number // len(source)
            row = {
                "title": f"{record.label} (copy {copy})",
                "abstract": record.abstract,
                "year": FIRST_YEAR + number % YEARS,
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def task_build(args: dict[str, Any]) -> dict[str, Any]:
    """Grow the index from `start` to `target` papers (files written under `corpus`)."""
    from rag.offline import configure_offline

    configure_offline()
    import numpy as np

    from rag.chunking import Chunk
    from rag.encoding import unit_vector
    from rag.index_access import IndexWriter
    from rag.papers import merge
    from rag.readers import read_file
    from rag.settings import Settings

    source = _source(Path(args["source"]))
    by_abstract = {}
    for record, chunk_vecs, sent_vecs in source:
        by_abstract.setdefault(record.abstract, (chunk_vecs, sent_vecs))
    rng = np.random.default_rng(int(args["start"]))
    corpus = Path(args["corpus"])
    batch_times: list[tuple[int, float]] = []  # (papers in batch, seconds)

    def noisy(vectors: np.ndarray) -> np.ndarray:
        return unit_vector(vectors + rng.normal(0, NOISE_SIGMA, vectors.shape).astype(np.float32))

    def rate(batches: list[tuple[int, float]]) -> float:
        return round(sum(n for n, _ in batches) / max(sum(s for _, s in batches), 1e-9), 1)

    # (papers in the index, write rate of that file, and of its Chroma and catalog parts)
    by_size: list[tuple[int, float, float, float]] = []
    started = time.perf_counter()
    read_s = 0.0
    with IndexWriter(Settings()) as writer:
        store = writer.writable()
        catalog_s = [0.0]  # the catalog's share of the writes; the rest is Chroma's
        write = store.catalog.write

        def timed_write(rows: list) -> None:
            t = time.perf_counter()
            write(rows)
            catalog_s[0] += time.perf_counter() - t

        store.catalog.write = timed_write
        for first in range(int(args["start"]), int(args["target"]), FILE_RECORDS):
            path = corpus / f"{first // FILE_RECORDS:05d}.jsonl"
            t0 = time.perf_counter()
            _write_file(path, first, FILE_RECORDS, source)
            papers = merge(read_file(path)).papers
            read_s += time.perf_counter() - t0
            file_times: list[tuple[int, float]] = []
            catalog_s[0] = 0.0
            for at in range(0, len(papers), BATCH_PAPERS):
                t0 = time.perf_counter()
                items, sentences = [], {}
                for paper in papers[at : at + BATCH_PAPERS]:
                    chunk_vecs, sent_vecs = by_abstract[paper.abstract]
                    chunks = [Chunk(paper.paper_id, i, "", 0) for i in range(len(chunk_vecs))]
                    items.append((paper, chunks, noisy(chunk_vecs).tolist()))
                    sentences[paper.paper_id] = [("", v) for v in noisy(sent_vecs)]
                store.write_papers(items, sentences)
                file_times.append((len(items), time.perf_counter() - t0))
            batch_times += file_times
            total_s = sum(s for _, s in file_times)
            parts = [(len(papers), total_s - catalog_s[0]), (len(papers), catalog_s[0])]
            by_size.append((first + len(papers), rate(file_times), *(rate([p]) for p in parts)))
        written_s = time.perf_counter() - started
        n_papers, n_chunks = store.counts()
    publish_s = time.perf_counter() - started - written_s  # keyword shards rebuilt, published

    window = max(1, 1000 // BATCH_PAPERS)  # about a thousand papers
    return {
        "papers": n_papers,
        "chunks": n_chunks,
        "write_s": round(written_s - read_s, 2),
        "read_files_s": round(read_s, 2),
        "publish_s": round(publish_s, 2),
        "rate_first_papers_per_s": rate(batch_times[:window]),
        "rate_last_papers_per_s": rate(batch_times[-window:]),
        "rate_by_size": by_size,  # each file of FILE_RECORDS papers: steadier than 1k
    }


def task_serve(args: dict[str, Any]) -> dict[str, Any]:
    """Open an engine in this fresh process, then time retrieval and answers."""
    t0 = time.perf_counter()
    from rag.offline import configure_offline

    configure_offline()
    from rag.engine import Engine
    from rag.filters import Filters
    from rag.index_views import IndexViews
    from rag.settings import Settings

    engine = Engine(Settings())
    engine_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    IndexViews(engine.settings, engine.embed_model).current.snapshot.close()
    view_s = time.perf_counter() - t0
    questions = args["questions"]
    t0 = time.perf_counter()
    engine.retrieve(questions[0])  # the first search loads the vector index into memory
    first_s = time.perf_counter() - t0

    def timed(call) -> dict[str, Any]:
        for q in questions[:WARMUP]:
            call(q)
        walls = []
        for q in questions:
            t = time.perf_counter()
            call(q)
            walls.append((time.perf_counter() - t) * 1000)
        return {"p50_ms": round(pct(walls, 50), 1), "p95_ms": round(pct(walls, 95), 1)}

    since = Filters(since=FILTER_SINCE)
    return {
        "open_view_s": round(view_s, 2),
        "open_engine_s": round(engine_s, 2),
        "first_retrieve_s": round(first_s, 2),
        "retrieve": timed(lambda q: engine.retrieve(q)),
        "retrieve_filtered": timed(lambda q: engine.retrieve(q, filters=since)),
        "answer": timed(lambda q: engine.ask(q, backend="extractive")),
        "papers": len(engine.papers),
    }


# -- orchestrator side ---------------------------------------------------------------------------
class _Ctx:
    """What `bench.common.run_worker` needs: a folder for its files."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp


def _ingest(env: dict[str, str], tmp: Path) -> dict[str, Any]:
    """`rag ingest` over every corpus file: seconds, peak RSS and what it embedded."""
    peak = tmp / "ingest-peak-kb"
    t0 = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", "-o", str(peak)]
        + [str(Path(sys.executable).parent / "rag"), "ingest", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    seconds = time.perf_counter() - t0
    summary = json.loads(done.stdout) if done.returncode == 0 else {}
    return {
        "s": round(seconds, 1),
        "peak_rss_mb": round(int(peak.read_text().split()[-1]) / 1024),
        "records_read": summary.get("records"),
        "unchanged_files": summary.get("unchanged_files"),
        "embedded": summary.get("embedded_papers"),
        "error": None if done.returncode == 0 else done.stderr[-500:],
    }


def _du(paths: list[Path]) -> int:
    total = 0
    for path in paths:
        for root, _, files in os.walk(path):
            for name in files:
                with_path = Path(root) / name
                if not with_path.is_symlink():
                    total += with_path.stat().st_blocks * 512
    return total


def _index_paths(env: dict[str, str], server_data: Path | None) -> list[Path]:
    index = Path(env["RAG_INDEX_DIR"])
    if server_data is None:
        return [index / (index / "CURRENT").read_text().strip()]
    return [server_data, Path(env["RAG_DATA_DIR"]) / "server-index"]


def _start_server(data: Path, port: int) -> subprocess.Popen:
    import httpx

    chroma = Path(sys.executable).parent / "chroma"
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).is_success:
                return proc
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("chroma run did not start within 60 s")


def store_env(tmp: Path, code: Path = ROOT) -> dict[str, str]:
    """The environment of a worker on the store under `tmp` (index, data, corpus), running the
    checkout `code`; embedded until a server's host and port are added."""
    from rag.settings import Settings

    env = {
        **os.environ,
        # the exported encoder of this checkout: an export is not part of opening an engine
        "RAG_MODEL_CACHE_DIR": str(Settings().model_cache_dir),
        "PYTHONPATH": str(code),
        "RAG_BACKEND": "extractive",
        "RAG_INDEX_DIR": str(tmp / "index"),
        "RAG_DATA_DIR": str(tmp / "data"),
        "RAG_CORPUS_DIR": str(tmp / "corpus"),
        "HF_HUB_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "TOKENIZERS_PARALLELISM": "false",
    }
    env.pop("RAG_CHROMA_HOST", None)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", default="10000,100000", help="sizes, ascending")
    parser.add_argument("--server", action="store_true", help="vectors in a `chroma run` server")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "scale")
    parser.add_argument("--source", type=Path, default=SOURCE, help="index of the real corpus")
    parser.add_argument("--keep", action="store_true", help="keep the built stores")
    args = parser.parse_args()
    sizes = sorted(int(x) for x in args.papers.split(","))
    if any(n % FILE_RECORDS for n in sizes):
        parser.error(f"sizes must be multiples of {FILE_RECORDS}")
    from bench.common import free_port, load_questions
    from paper_rag.eval.harness import default_questions_path

    questions = load_questions(default_questions_path())
    tmp = Path(tempfile.mkdtemp(prefix="paper-rag-scale-"))
    ctx = _Ctx(tmp)
    corpus = tmp / "corpus"
    corpus.mkdir()
    env = store_env(tmp)
    server, server_data = None, None
    if args.server:
        server_data = tmp / "chroma-server"
        port = free_port()
        server = _start_server(server_data, port)
        env |= {"RAG_CHROMA_HOST": "127.0.0.1", "RAG_CHROMA_PORT": str(port)}
    mode = "server" if args.server else "embedded"
    rows: list[dict[str, Any]] = []
    try:
        done = 0
        for size in sizes:
            log(f"{mode} {size:,}: building from {done:,} papers")
            build = run_worker(
                ctx,
                MODULE,
                "build",
                {"source": str(args.source), "corpus": str(corpus), "start": done, "target": size},
                env,
                6 * 3600,
            )
            done = size
            disk = _du(_index_paths(env, server_data))
            log(f"{mode} {size:,}: {disk / size / 1024:.1f} KB/paper; serving")
            serve = run_worker(ctx, MODULE, "serve", {"questions": questions}, env, 3600)
            log(f"{mode} {size:,}: re-ingest, every file read and matched; then a no-op")
            reread = _ingest(env, tmp)
            noop = _ingest(env, tmp)
            rows.append(
                {
                    "mode": mode,
                    "papers": size,
                    "chunks": build["chunks"],
                    "kb_per_paper": round(disk / size / 1024, 2),
                    "build": build,
                    "serve": serve,
                    "serve_peak_rss_mb": serve["memory"]["hwm_mb"],
                    "chroma_server_peak_rss_mb": (
                        proc_memory(server.pid)["hwm_mb"] if server else None
                    ),
                    "reread_ingest": reread,
                    "noop_ingest": noop,
                }
            )
            write_report(rows, args.out, mode)
        log(f"{mode} {done:,}: adding {FILE_RECORDS:,} papers (copy, write, shards, publish)")
        grow = {"source": str(args.source), "corpus": str(corpus), "start": done}
        added = run_worker(ctx, MODULE, "build", grow | {"target": done + FILE_RECORDS}, env, 7200)
        rows[-1]["add_papers"] = {**added, "papers": FILE_RECORDS}
        write_report(rows, args.out, mode)
    finally:
        if server:
            server.kill()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            log(f"stores kept in {tmp}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("build", "serve"):
        from bench.common import worker_main

        worker_main({"build": task_build, "serve": task_serve})
    else:
        main()
