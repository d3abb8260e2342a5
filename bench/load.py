"""Load test of the chat UI: N concurrent chat sessions through gradio_client for S seconds.

    python -m bench.load [--sessions 20] [--seconds 60] [--url URL] [--data-dir DIR] [--json]

Without --url it starts `rag ui` on a free 127.0.0.1 port (extractive backend, no OPENAI_*
variables) over RAG_DATA_DIR / --data-dir / the project's data dir, and stops it at the end.
Each session has its own `Client` (its own Gradio session) and loops: a question from
eval/questions.jsonl, sometimes a follow-up ("What did [1] measure?"), now and then /new_chat.
Every exception, timeout or error payload from /ask counts as an error; exit code 1 if any.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import load_questions
from paper_rag.eval.metrics import percentile

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "eval" / "questions.jsonl"
FOLLOW_UP = "What did [1] measure?"
REQUEST_TIMEOUT_S = 120.0  # one request slower than this is an error, not a hang
MAX_REQUESTS_PER_SESSION = 10_000
MAX_TURNS_BEFORE_NEW_CHAT = 8  # keeps the per-session history (and payloads) bounded


@dataclass
class SessionResult:
    requests: int = 0
    cited: int = 0  # answers with at least one citation
    refused: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class Report:
    sessions: list[SessionResult]
    seconds: float

    @property
    def latencies(self) -> list[float]:
        return sorted(x for s in self.sessions for x in s.latencies)

    @property
    def errors(self) -> list[str]:
        return [e for s in self.sessions for e in s.errors]

    def summary(self) -> dict[str, Any]:
        lat = self.latencies
        requests = sum(s.requests for s in self.sessions)
        return {
            "sessions": len(self.sessions),
            "seconds": round(self.seconds, 1),
            "requests": requests,
            "errors": len(self.errors),
            "cited_answers": sum(s.cited for s in self.sessions),
            "refusals": sum(s.refused for s in self.sessions),
            "throughput_rps": round(requests / self.seconds, 2) if self.seconds else 0.0,
            "p50_s": round(percentile(lat, 50) or 0.0, 3),
            "p95_s": round(percentile(lat, 95) or 0.0, 3),
            "max_s": round(lat[-1], 3) if lat else 0.0,
            "sessions_without_cited_answer": sum(1 for s in self.sessions if not s.cited),
            "first_errors": self.errors[:10],
        }


def load_question_texts(path: Path = QUESTIONS) -> list[str]:
    return load_questions(path)


def _ask_error(out: Any) -> str | None:
    """What is wrong with an /ask result, or None for a proper answer (or refusal)."""
    if not isinstance(out, (list, tuple)) or len(out) != 4:
        return f"unexpected /ask output: {str(out)[:200]}"
    chat, _sources, data, _box = out
    if not isinstance(data, dict):
        return f"/ask returned no answer data: {str(data)[:200]}"
    if "error" in data:
        return f"/ask error payload: {data.get('kind')}: {data['error']}"
    if not chat or chat[-1].get("role") != "assistant":
        return "/ask returned a chat without an assistant reply"
    return None


def run_session(
    url: str, index: int, questions: list[str], deadline: float, stop: threading.Event | None = None
) -> SessionResult:
    """One chat session until `deadline` or `stop` (at least one question; bounded in count)."""
    from gradio_client import Client

    result = SessionResult()
    rng = random.Random(index)
    try:
        client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
    except Exception as exc:  # noqa: BLE001 - every failure is counted, none stops the run
        result.errors.append(f"session {index}: connect: {type(exc).__name__}: {exc}")
        return result
    cursor, turns, last_cited = index, 0, False
    try:
        while result.requests < MAX_REQUESTS_PER_SESSION:
            if turns >= MAX_TURNS_BEFORE_NEW_CHAT or (turns and rng.random() < 0.08):
                endpoint, args = "/new_chat", ()
            elif last_cited and rng.random() < 0.3:
                endpoint, args = "/ask", (FOLLOW_UP, 5, "extractive")
            else:
                question = questions[cursor % len(questions)]
                cursor += len(questions) // 7 + 1  # sessions walk the list in different orders
                endpoint, args = "/ask", (question, 5, "extractive")
            start, job = time.perf_counter(), None
            try:
                job = client.submit(*args, api_name=endpoint)
                out = job.result(timeout=REQUEST_TIMEOUT_S)
                error = _ask_error(out) if endpoint == "/ask" else None
            except Exception as exc:  # noqa: BLE001
                error = f"{type(exc).__name__}: {exc}"
                with contextlib.suppress(Exception):
                    job and job.cancel()
            result.latencies.append(time.perf_counter() - start)
            result.requests += 1
            if error:
                result.errors.append(f"session {index} {endpoint} {args[:1]}: {error}"[:500])
                last_cited = False
            elif endpoint == "/new_chat":
                turns, last_cited = 0, False
            else:
                data = out[2]
                turns += 1
                last_cited = bool(data.get("citations"))
                result.cited += last_cited
                result.refused += bool(data.get("refused"))
            if time.monotonic() >= deadline or (stop and stop.is_set()):
                break
    finally:
        client.close()
    return result


def run_load(
    url: str, sessions: int = 20, seconds: float = 60.0, questions: list[str] | None = None
) -> Report:
    """Drive `sessions` concurrent chat sessions against the app at `url` for `seconds`."""
    questions = questions or load_question_texts()
    results: list[SessionResult | None] = [None] * sessions
    deadline, start, stop = time.monotonic() + seconds, time.perf_counter(), threading.Event()

    def worker(i: int) -> None:
        results[i] = run_session(url, i, questions, deadline, stop)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(sessions)]
    for t in threads:
        t.start()
    try:  # each thread ends by the deadline plus at most one request's timeout
        for t in threads:
            t.join(max(0.0, deadline + 2 * REQUEST_TIMEOUT_S - time.monotonic()))
    except KeyboardInterrupt:  # let requests in flight finish before the server goes away
        stop.set()
        grace = time.monotonic() + 15
        for t in threads:
            t.join(max(0.0, grace - time.monotonic()))
        raise
    elapsed = time.perf_counter() - start
    done = [
        r or SessionResult(errors=[f"session {i}: did not finish"]) for i, r in enumerate(results)
    ]
    return Report(done, elapsed)


# -- the server ------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env.update(
        RAG_DATA_DIR=str(data_dir), RAG_BACKEND="extractive", GRADIO_ANALYTICS_ENABLED="False"
    )
    return env


def ensure_index(data_dir: Path) -> None:
    index = Path(os.environ.get("RAG_INDEX_DIR") or data_dir / "index")
    if index.is_dir() and any(index.iterdir()):
        return
    print(f"no index in {index}; running `rag ingest` first", file=sys.stderr)
    cmd = [sys.executable, "-m", "rag.cli", "ingest", "--quiet"]
    subprocess.run(cmd, env=server_env(data_dir), cwd=ROOT, check=True, timeout=3600)


def start_server(data_dir: Path, log_path: Path, startup_s: float = 300.0):
    """`rag ui` on a free local port; returns (process, url) once it answers HTTP."""
    import httpx

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with open(log_path, "wb") as log:  # the child keeps its own handle
        proc = subprocess.Popen(
            [sys.executable, "-m", "rag.cli", "ui", "--host", "127.0.0.1", "--port", str(port)],
            env=server_env(data_dir),
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches us only; we stop the server ourselves
        )
    deadline = time.monotonic() + startup_s
    try:  # on any failure here, including Ctrl-C, the server is stopped before raising
        while proc.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "config", timeout=2).status_code == 200:
                    return proc, url
            time.sleep(0.5)
        tail = log_path.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"`rag ui` did not start (exit code {proc.poll()}); log:\n{tail}")
    except BaseException:
        stop_server(proc)
        raise


def stop_server(proc: subprocess.Popen) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        if proc.poll() is not None:
            return
        proc.send_signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n")[0])
    p.add_argument("--sessions", type=int, default=20)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--url", help="an already running app (default: start `rag ui` locally)")
    p.add_argument("--data-dir", type=Path, help="index to serve (default: RAG_DATA_DIR or data/)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args(argv)
    if args.sessions < 1 or args.seconds <= 0:
        p.error("--sessions and --seconds must be positive")

    proc = None
    try:
        url = args.url
        if not url:
            data_dir = args.data_dir or Path(os.environ.get("RAG_DATA_DIR") or ROOT / "data")
            ensure_index(data_dir)
            log_path = Path(tempfile.gettempdir()) / f"rag-ui-load-{os.getpid()}.log"
            proc, url = start_server(data_dir.resolve(), log_path)
        report = run_load(url, args.sessions, args.seconds)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (RuntimeError, subprocess.SubprocessError) as exc:  # the server did not start
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        if proc is not None:
            stop_server(proc)
    summary = report.summary()
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"{summary['sessions']} sessions, {summary['seconds']} s against {url}")
        print(
            f"requests   {summary['requests']}  ({summary['cited_answers']} cited answers, "
            f"{summary['refusals']} refusals)"
        )
        print(f"errors     {summary['errors']}")
        print(f"throughput {summary['throughput_rps']} req/s")
        print(
            f"latency    p50 {summary['p50_s']:.3f} s  p95 {summary['p95_s']:.3f} s  "
            f"max {summary['max_s']:.3f} s"
        )
        for line in summary["first_errors"]:
            print(f"  error: {line}")
    return 1 if summary["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
