"""Serve a kept `bench.scale --server --keep` store with several checkouts, in turn.

    python -m bench.scale_ab <kept store> "old,/path/to/checkout;new,.;new-lex0,.,RAG_X=0"

Each run is `bench.scale`'s own serving measurement (engine open, hybrid and filtered
retrieval p50/p95, answer p50, peak RSS) in a fresh process with that checkout's code, against
the same `chroma run` server on the same store: an A/B of code changes at a million papers
without building the store again. One JSON line per run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.scale import _start_server

SERVE = (
    "import json; from bench.common import load_questions, proc_memory; "
    "from paper_rag.eval.harness import default_questions_path; import bench.scale as bs; "
    "out = bs.task_serve({'questions': load_questions(default_questions_path())}); "
    "out['memory'] = proc_memory('self'); print(json.dumps(out))"
)


def main() -> None:
    kept, runs = Path(sys.argv[1]), [r.split(",") for r in sys.argv[2].split(";")]
    side = next((kept / "data" / "server-index").iterdir())  # <host>-<port>-<collection>
    port = int(side.name.split("-")[1])  # the catalog's folder names the server's port
    from rag.settings import Settings

    models = str(Settings().model_cache_dir)  # one exported encoder for every checkout
    server = _start_server(kept / "chroma-server", port)
    try:
        for label, checkout, *overrides in runs:
            env = {
                **os.environ,
                "RAG_INDEX_DIR": str(kept / "index"),
                "RAG_DATA_DIR": str(kept / "data"),
                "RAG_CORPUS_DIR": str(kept / "corpus"),
                "RAG_BACKEND": "extractive",
                "RAG_CHROMA_HOST": "127.0.0.1",
                "RAG_CHROMA_PORT": str(port),
                "HF_HUB_OFFLINE": "1",
                "ANONYMIZED_TELEMETRY": "False",
                "TOKENIZERS_PARALLELISM": "false",
                "RAG_MODEL_CACHE_DIR": models,
                "PYTHONPATH": str(Path(checkout).resolve()),
            }
            env.update(item.split("=", 1) for item in overrides)
            t0 = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", SERVE], env=env, cwd=checkout, capture_output=True, text=True
            )
            got = (
                json.loads(done.stdout.strip().splitlines()[-1])
                if done.returncode == 0
                else {"error": done.stderr[-800:]}
            )
            row = {"label": label, "wall_s": round(time.perf_counter() - t0, 1), **got}
            print(json.dumps(row), flush=True)
    finally:
        server.kill()


if __name__ == "__main__":
    main()
