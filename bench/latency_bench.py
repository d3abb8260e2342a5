"""In-process latency over the dev questions: `engine.retrieve(q)` and the extractive
`engine.ask(q, backend="extractive")`, in a subprocess with a cloned index.

`retrieve_p50` is also what the scale step reports, with a bigger store.
"""

from __future__ import annotations

import time
from typing import Any

from bench.common import Context, Row, check, fmt, log, run_worker, summary_ms

MODULE = "bench.latency_bench"
COMMAND = "python -m bench.run --only latency"
WARMUP = 3


# -- worker side ---------------------------------------------------------------------------------
def open_engine() -> tuple[Any, dict[str, float]]:
    t0 = time.perf_counter()
    from rag.offline import configure_offline

    configure_offline()
    from rag.engine import Engine
    from rag.settings import Settings

    import_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    engine = Engine(Settings())
    return engine, {"import_s": import_s, "open_s": time.perf_counter() - t0}


def time_retrieve(engine: Any, questions: list[str]) -> tuple[list[float], dict[str, Any]]:
    for q in questions[:WARMUP]:  # first queries load the HNSW segment, thread pools, caches
        engine.retrieve(q)
    walls = []
    for q in questions:
        t0 = time.perf_counter()
        engine.retrieve(q)
        walls.append(time.perf_counter() - t0)
    return walls, breakdown(engine, questions)


def breakdown(engine: Any, questions: list[str]) -> dict[str, Any]:
    """Where retrieval time goes: query embedding, dense search (Chroma via LlamaIndex), BM25."""
    embed, dense, bm25 = [], [], []
    for q in questions:
        t0 = time.perf_counter()
        vector = engine.embed_model.get_query_embedding(q)
        t1 = time.perf_counter()
        engine.retriever.dense(vector)
        t2 = time.perf_counter()
        engine.retriever._bm25.search(q, engine.settings.candidates)
        t3 = time.perf_counter()
        embed.append(t1 - t0)
        dense.append(t2 - t1)
        bm25.append(t3 - t2)
    return {"embed": summary_ms(embed), "dense": summary_ms(dense), "bm25": summary_ms(bm25)}


def task_latency(args: dict[str, Any]) -> dict[str, Any]:
    from bench.common import proc_memory

    engine, opened = open_engine()
    after_open = proc_memory("self")
    questions = args["questions"]
    walls, parts = time_retrieve(engine, questions)
    asks, stages, refused = [], {}, 0
    for q in questions[:WARMUP]:
        engine.ask(q, backend="extractive")
    for q in questions:
        t0 = time.perf_counter()
        answer = engine.ask(q, backend="extractive")
        asks.append(time.perf_counter() - t0)
        refused += answer.refused
        for stage, ms in answer.timings_ms.items():
            stages.setdefault(stage, []).append(ms / 1000)
    papers, chunks = engine.store.counts()
    return {
        **opened,
        "papers": papers,
        "chunks": chunks,
        "memory_after_open": after_open,
        "retrieve": summary_ms(walls),
        "retrieve_breakdown": parts,
        "ask_wall": summary_ms(asks),
        "ask_timings": {stage: summary_ms(v) for stage, v in stages.items()},
        "refused": refused,
    }


# -- orchestrator side ---------------------------------------------------------------------------
def p50_p95(summary: dict[str, Any]) -> str:
    return f"p50 {fmt(summary['p50_ms'], 'ms')} · p95 {fmt(summary['p95_ms'], 'ms')}"


def run(ctx: Context) -> tuple[list[Row], dict[str, Any]]:
    index = ctx.clone_index("latency")
    log(f"latency: {len(ctx.questions)} questions, in-process (subprocess)")
    data = run_worker(
        ctx, MODULE, "latency", {"questions": ctx.questions}, ctx.env(index), timeout=1800
    )
    r, a, t = data["retrieve"], data["ask_wall"], data["ask_timings"]
    b = data["retrieve_breakdown"]
    size = f"{data['papers']} papers / {data['chunks']} chunks"
    rows = [
        Row(
            "latency",
            "Engine open (index, embedder, BM25), in-process",
            round(data["open_s"], 3),
            "s",
            command=COMMAND,
            note=f"{size}; imports {fmt(data['import_s'], 's')} more",
        ),
        Row(
            "latency",
            "Retrieval `engine.retrieve(q)`",
            r["p50_ms"],
            "ms",
            display=p50_p95(r),
            target="p50 ≤ 30 ms",
            ok=check(r["p50_ms"], "<=", 30),
            command=COMMAND,
            note=f"{r['n']} dev questions, {WARMUP} warm-up queries not counted; {size}",
        ),
        Row(
            "latency",
            "Retrieval breakdown (p50): query embed · dense · BM25",
            None,
            "ms",
            display=" · ".join(fmt(b[k]["p50_ms"], "ms") for k in ("embed", "dense", "bm25")),
            command=COMMAND,
            note="dense = LlamaIndex retriever over Chroma, top-"
            "`candidates`; BM25 = bm25s over papers",
        ),
        Row(
            "latency",
            'Extractive answer `engine.ask(q, backend="extractive")`, wall',
            a["p50_ms"],
            "ms",
            display=p50_p95(a),
            target="p50 ≤ 100 ms",
            ok=check(a["p50_ms"], "<=", 100),
            command=COMMAND,
            note=f"{data['refused']} of {a['n']} refused (no answer/check step)",
        ),
        Row(
            "latency",
            "Extractive answer `timings_ms` p50: retrieve · answer · check · total",
            None,
            "ms",
            command=COMMAND,
            display=" · ".join(
                fmt(t[k]["p50_ms"], "ms") if k in t else "—"
                for k in ("retrieve", "answer", "check", "total")
            ),
            note="the engine's own per-stage timings",
        ),
        Row(
            "latency",
            "Engine process peak RSS (after the questions)",
            data["memory"]["hwm_mb"],
            "MB",
            command=COMMAND,
            note=f"after open: {fmt(data['memory_after_open']['rss_mb'], 'MB')} RSS",
        ),
    ]
    return rows, data


if __name__ == "__main__":
    from bench.common import worker_main

    worker_main({"latency": task_latency})
