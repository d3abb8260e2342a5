"""Serve a kept `bench.scale --server --keep` store with several checkouts, in turn.

    python -m bench.scale_ab <kept store> "old,/path/to/checkout;new,.;new-lex0,.,RAG_X=0"

Each run is `bench.scale`'s own serving measurement (engine open, hybrid and filtered
retrieval p50/p95, answer p50, peak RSS) in a fresh process with that checkout's code, against
the same `chroma run` server on the same store: an A/B of code changes at a million papers
without building the store again. One JSON line per run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import load_questions
from bench.scale import MODULE, _start_server, store_env


def main() -> None:
    from paper_rag.eval.harness import default_questions_path

    kept, runs = Path(sys.argv[1]), [r.split(",") for r in sys.argv[2].split(";")]
    side = next((kept / "data" / "server-index").iterdir())  # <host>-<port>-<collection>
    port = int(side.name.split("-")[1])  # the catalog's folder names the server's port
    questions = json.dumps({"questions": load_questions(default_questions_path())})
    server = _start_server(kept / "chroma-server", port)
    try:
        for label, checkout, *overrides in runs:
            code = Path(checkout).resolve()
            env = store_env(kept, code) | {
                "RAG_CHROMA_HOST": "127.0.0.1",
                "RAG_CHROMA_PORT": str(port),
            }
            env.update(item.split("=", 1) for item in overrides)
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "serve.json"
                t0 = time.perf_counter()
                done = subprocess.run(  # that checkout's worker: `-m` imports from its cwd
                    [sys.executable, "-m", MODULE, "serve", questions, str(out)],
                    env=env,
                    cwd=code,
                    capture_output=True,
                    text=True,
                )
                wall = round(time.perf_counter() - t0, 1)
                got = (
                    json.loads(out.read_text())
                    if done.returncode == 0 and out.exists()
                    else {"error": done.stderr[-800:]}
                )
            print(json.dumps({"label": label, "wall_s": wall, **got}), flush=True)
    finally:
        server.kill()


if __name__ == "__main__":
    main()
