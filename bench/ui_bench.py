"""Memory of the `rag ui` process: idle once it serves, then after N questions sent through
gradio_client. Reports "skipped: UI not available" when the app does not start or has no
`/ask` endpoint (paper_rag/ui/app.py may still be in progress)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from typing import Any

from bench.common import (
    ROOT,
    Context,
    Row,
    check,
    fmt,
    free_port,
    log,
    pct,
    rag_command,
    tree_memory,
)

START_TIMEOUT_S = 600
LIMIT_MB = 1536  # 1.5 GiB; /proc reports KiB, all MB here are MiB
COMMAND = "python -m bench.run --only ui"


class Skip(Exception):
    pass


def run(ctx: Context) -> tuple[list[Row], dict[str, Any]]:
    index = ctx.clone_index("ui")
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log_path = ctx.tmp / "ui.log"
    cmd = [*rag_command(), "ui", "--port", str(port), "--host", "127.0.0.1"]
    log(f"ui: starting `rag ui --port {port}`")
    with open(log_path, "w") as log_file:
        started = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            env=ctx.env(index),
            cwd=ROOT,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped below by that id
        )
        try:
            return _measure(ctx, proc, url, started, log_path)
        except Skip as exc:
            reason = f"skipped: UI not available ({exc})"
            log(f"ui: {reason}")
            return [
                Row(
                    "ui",
                    "UI process peak RSS after questions",
                    reason,
                    "MB",
                    target=f"< {LIMIT_MB} MB (1.5 GB)",
                    command=COMMAND,
                )
            ], {"skipped": str(exc)}
        finally:
            _stop(proc)


def _measure(
    ctx: Context, proc: subprocess.Popen, url: str, started: float, log_path: Any
) -> tuple[list[Row], dict[str, Any]]:
    _wait_serving(proc, url, log_path)
    startup_s = time.perf_counter() - started
    time.sleep(2)
    idle = tree_memory(proc.pid)
    log(f"ui: serving after {startup_s:.1f} s, idle peak {idle['hwm_mb']} MB; asking")
    walls, errors = _ask_many(ctx, url)
    after = tree_memory(proc.pid)
    p50 = pct(walls, 50)
    rows = [
        Row(
            "ui",
            "UI start-up (`rag ui` until the page is served)",
            round(startup_s, 2),
            "s",
            command=COMMAND,
            note="process start, imports, engine open, Gradio launch",
        ),
        Row(
            "ui",
            "UI process peak RSS, idle (VmHWM)",
            idle["hwm_mb"],
            "MB",
            target=f"< {LIMIT_MB} MB (1.5 GB)",
            ok=check(idle["hwm_mb"], "<", LIMIT_MB),
            command=COMMAND,
            note=f"summed over {idle['pids']} process(es); RSS now {fmt(idle['rss_mb'], 'MB')}",
        ),
        Row(
            "ui",
            f"UI process peak RSS after {len(walls)} questions (VmHWM)",
            after["hwm_mb"],
            "MB",
            target=f"< {LIMIT_MB} MB (1.5 GB)",
            ok=check(after["hwm_mb"], "<", LIMIT_MB),
            command=COMMAND,
            note=f"summed over {after['pids']} process(es); RSS now "
            f"{fmt(after['rss_mb'], 'MB')}; {errors} error answers",
        ),
        Row(
            "ui",
            "UI answer via gradio_client `/ask` (extractive), wall",
            round(p50 * 1000, 1) if p50 is not None else None,
            "ms",
            display=f"p50 {fmt(p50 * 1000 if p50 else None, 'ms')} · p95 "
            f"{fmt((pct(walls, 95) or 0) * 1000, 'ms')}",
            command=COMMAND,
            note="sequential, one client; includes queue + streaming overhead",
        ),
    ]
    return rows, {
        "startup_s": startup_s,
        "idle": idle,
        "after": after,
        "walls_s": walls,
        "errors": errors,
    }


def _wait_serving(proc: subprocess.Popen, url: str, log_path: Any) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log_path.read_text(errors="replace").strip().splitlines()[-3:]
            raise Skip(f"`rag ui` exited {proc.returncode}: {' | '.join(tail)[-400:]}")
        with (
            contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError, OSError),
            urllib.request.urlopen(url, timeout=5) as resp,
        ):
            if resp.status == 200:
                return
        time.sleep(0.5)
    raise Skip(f"not serving after {START_TIMEOUT_S} s")


def _ask_many(ctx: Context, url: str) -> tuple[list[float], int]:
    try:
        from gradio_client import Client
    except ImportError as exc:
        raise Skip("gradio_client is not installed") from exc
    try:
        client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
        endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    except Exception as exc:  # noqa: BLE001 - any client failure means: UI not usable yet
        raise Skip(f"gradio_client could not connect: {exc}") from exc
    if "/ask" not in endpoints:
        raise Skip(f"no /ask endpoint (found {', '.join(endpoints) or 'none'})")
    walls, errors = [], 0
    for i in range(ctx.ui_questions):
        question = ctx.questions[i % len(ctx.questions)]
        t0 = time.perf_counter()
        try:
            result = client.predict(question, 5, "extractive", api_name="/ask")
        except Exception as exc:  # noqa: BLE001
            if i == 0:
                raise Skip(f"/ask failed: {exc}") from exc
            errors += 1
            continue
        walls.append(time.perf_counter() - t0)
        data = result[2] if isinstance(result, (list, tuple)) and len(result) > 2 else None
        errors += isinstance(data, dict) and "error" in data
    with contextlib.suppress(Exception):
        client.close()
    return walls, errors


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
