"""Shared plumbing: the run context, worker subprocesses, /proc memory, percentiles, rows."""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from paper_rag.eval.metrics import percentile

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT / "data" / "abstracts"
REAL_INDEX = ROOT / "data" / "index"


class WorkerError(RuntimeError):
    pass


# -- result rows -------------------------------------------------------------------------------
@dataclass
class Row:
    """One line of the results table."""

    group: str  # the --only name that produces it
    name: str
    value: Any  # number, text, or None when the measurement failed / was skipped
    unit: str = ""
    display: str = ""  # how the value is shown; computed from value/unit when empty
    target: str = ""
    ok: bool | None = None  # None: no target (or not measured)
    command: str = ""
    note: str = ""
    run_at: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check(value: float | None, op: str, limit: float) -> bool | None:
    if value is None:
        return None
    return {"<": value < limit, "<=": value <= limit, ">=": value >= limit, ">": value > limit}[op]


def fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if unit == "x":
        return f"{value:.2f}×"
    if unit == "MB":
        return f"{value:,.0f} MB"
    if unit == "ms":
        return f"{value:.1f} ms" if value < 100 else f"{value:,.0f} ms"
    if unit == "s":
        return f"{value:.2f} s" if value < 10 else f"{value:,.1f} s"
    if abs(value) >= 100:
        return f"{value:,.0f} {unit}".strip()
    return f"{value:.3g} {unit}".strip()


def pct(values: list[float], q: float) -> float | None:
    """Percentile with linear interpolation (q in 0..100); None for no data."""
    return percentile(values, q)


def summary_ms(values_s: list[float]) -> dict[str, Any]:
    """p50/p95/mean/max in milliseconds of durations given in seconds."""
    ms = [v * 1000 for v in values_s]
    return {
        "n": len(ms),
        "p50_ms": _r(pct(ms, 50)),
        "p95_ms": _r(pct(ms, 95)),
        "mean_ms": _r(statistics.fmean(ms)) if ms else None,
        "max_ms": _r(max(ms)) if ms else None,
    }


def _r(x: float | None, nd: int = 2) -> float | None:
    return None if x is None else round(x, nd)


# -- run context -------------------------------------------------------------------------------
@dataclass
class Context:
    quick: bool
    out: Path
    corpus: Path
    questions: list[str]
    repeat: int
    ui_questions: int
    cli_questions: int
    keep_tmp: bool = False
    tmp: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="paper-rag-bench-")))
    base_index: Path | None = None  # built once by the ingest step, cloned for the others
    started: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S%z"))

    def fresh_dir(self, name: str) -> Path:
        path = self.tmp / f"{name}-{uuid.uuid4().hex[:8]}"
        path.mkdir(parents=True)
        return path

    def clone_index(self, name: str) -> Path:
        """A private copy of the base index, so no measurement sees another's writes."""
        if self.base_index is None:
            raise WorkerError("no base index was built")
        dst = self.tmp / f"{name}-{uuid.uuid4().hex[:8]}"
        shutil.copytree(self.base_index, dst)
        return dst

    def env(self, index_dir: Path | None = None, **extra: str) -> dict[str, str]:
        """The environment of every child: offline, extractive, pointed at a bench index."""
        env = dict(os.environ)
        env.pop("RAG_CHROMA_HOST", None)  # never write to a Chroma server from the bench
        env.update(
            {
                "PYTHONPATH": os.pathsep.join(
                    [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
                ),
                "PYTHONUNBUFFERED": "1",
                "GRADIO_ANALYTICS_ENABLED": "False",
                "ANONYMIZED_TELEMETRY": "False",
                "HF_HUB_OFFLINE": "1",
                "TRANSFORMERS_OFFLINE": "1",
                "TOKENIZERS_PARALLELISM": "false",
                "RAG_BACKEND": "extractive",
                "RAG_CORPUS_DIR": str(self.corpus),
                # a path that does not exist unless a step sets one: data/index is never used
                "RAG_INDEX_DIR": str(index_dir or self.tmp / "no-index-here"),
            }
        )
        env.update(extra)
        if Path(env["RAG_INDEX_DIR"]).resolve() == REAL_INDEX.resolve():
            raise WorkerError("refusing to point the bench at data/index")
        return env

    def cleanup(self) -> None:
        if not self.keep_tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- processes ---------------------------------------------------------------------------------
def rag_command() -> list[str]:
    exe = Path(sys.executable).parent / "rag"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "rag.cli"]


def run_worker(
    ctx: Context, module: str, task: str, args: dict[str, Any], env: dict[str, str], timeout: float
) -> dict[str, Any]:
    """Run `python -m module task ARGS OUT` and return the JSON it wrote (plus its wall time)."""
    tag = f"{task}-{uuid.uuid4().hex[:6]}"
    out = ctx.tmp / f"{tag}.json"
    log_path = ctx.tmp / f"{tag}.log"
    cmd = [sys.executable, "-m", module, task, json.dumps(args), str(out)]
    started = time.perf_counter()
    with open(log_path, "w") as log_file:
        try:
            proc = subprocess.run(
                cmd, env=env, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT, timeout=timeout
            )
        except subprocess.TimeoutExpired as exc:
            raise WorkerError(f"{module} {task} timed out after {timeout:.0f} s") from exc
    wall = time.perf_counter() - started
    if proc.returncode != 0 or not out.exists():
        tail = log_path.read_text(errors="replace")[-1500:]
        raise WorkerError(f"{module} {task} exited {proc.returncode}: {tail}")
    data = json.loads(out.read_text())
    data["process_wall_s"] = round(wall, 3)
    return data


def worker_main(tasks: dict[str, Callable[[dict[str, Any]], dict[str, Any]]]) -> None:
    """Entry of a worker module: `python -m bench.X TASK ARGS_JSON OUT_PATH`."""
    task, args, out = sys.argv[1], json.loads(sys.argv[2]), Path(sys.argv[3])
    result = tasks[task](args)
    result["memory"] = proc_memory("self")
    out.write_text(json.dumps(result, indent=1))


def timed_process(cmd: list[str], env: dict[str, str], timeout: float = 300) -> tuple[float, Any]:
    started = time.perf_counter()
    proc = subprocess.run(
        cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise WorkerError(f"{' '.join(cmd[:3])}… exited {proc.returncode}: {proc.stderr[-1200:]}")
    return wall, proc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- memory from /proc -------------------------------------------------------------------------
def proc_memory(pid: int | str) -> dict[str, float | None]:
    """Peak (VmHWM) and current (VmRSS) resident memory of one process, in MB, and how much
    of the current is the process's own (RssAnon) or file pages mapped in (RssFile: the
    memory-mapped keyword shards, which the kernel takes back under pressure)."""
    keys = {"VmHWM": "hwm_mb", "VmRSS": "rss_mb", "RssAnon": "anon_mb", "RssFile": "file_mb"}
    out: dict[str, float | None] = dict.fromkeys(keys.values())
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return out
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in keys:
            out[keys[key]] = round(int(rest.split()[0]) / 1024, 1)
    return out


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def tree_memory(pid: int) -> dict[str, Any]:
    """VmHWM and VmRSS summed over a process and its descendants (a sum of peaks: an upper
    bound on the tree's simultaneous peak)."""
    pids = [pid, *descendants(pid)]
    mems = [proc_memory(p) for p in pids]
    return {
        "pids": len(pids),
        "hwm_mb": round(sum(m["hwm_mb"] or 0 for m in mems), 1),
        "rss_mb": round(sum(m["rss_mb"] or 0 for m in mems), 1),
    }


def load_questions(path: Path) -> list[str]:
    """The question texts of an eval question file (validated by the eval's own loader)."""
    from paper_rag.eval.questions import load_questions as load

    return [q.question for q in load(path)]
