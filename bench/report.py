"""results.json / results.md, and the levers log.

Re-render the Markdown from results.json (e.g. after editing levers.json):
    python -m bench.report [--out bench/]
Record a lever (appended to bench/levers.json, merged into results.json/md):
    python -m bench.report --add-lever "batch 128" --before "41 s" --after "36 s" --note "…"
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, Row, fmt

LEVERS = "levers.json"
PASS = {True: "✅ pass", False: "❌ FAIL", None: "—"}


def machine_meta() -> dict[str, Any]:
    def git(*args: str) -> str:
        try:
            out = subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10
            )
            return out.stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    return {
        "git_commit": git("rev-parse", "--short", "HEAD"),
        "git_dirty_files": len([x for x in git("status", "--porcelain").splitlines() if x]),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
    }


def load_levers(out: Path) -> list[dict[str, Any]]:
    path = out / LEVERS
    if not path.exists():
        return []
    data = json.loads(path.read_text() or "[]")
    return data if isinstance(data, list) else data.get("levers", [])


def write(
    out: Path,
    rows: list[Row],
    details: dict[str, Any],
    meta: dict[str, Any],
    errors: dict[str, str],
    groups: set[str],
    merge: bool,
) -> None:
    """Write both files. With `merge` (an --only run), rows of other groups are kept from the
    previous results.json, so one step can be re-measured without the rest."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "results.json"
    data: dict[str, Any] = {"meta": dict(meta), "rows": [], "details": {}, "errors": {}}
    if merge and path.exists():  # keep the first run's meta; log this one as a partial run
        data = json.loads(path.read_text())
        data["rows"] = [r for r in data.get("rows", []) if r["group"] not in groups]
        data["errors"] = {g: e for g, e in data.get("errors", {}).items() if g not in groups}
        runs = data["meta"].setdefault("partial_runs", [])
        if runs and runs[-1].get("started") == meta.get("started"):
            runs.pop()
        keys = ("started", "quick", "corpus", "git_commit", "loadavg", "duration_s")
        runs.append({"groups": sorted(groups), **{k: meta.get(k) for k in keys}})
    new_rows = [{**r.as_dict(), "run_at": r.run_at or meta.get("started", "")} for r in rows]
    data["rows"] = _ordered([*data["rows"], *new_rows])
    data.setdefault("details", {}).update(details)
    data["errors"] = {**data.get("errors", {}), **errors}
    data["levers"] = load_levers(out)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False, default=str))
    (out / "results.md").write_text(render(data))


ORDER = ["ingest", "noop", "latency", "ask_cli", "ui", "help"]


def _ordered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: ORDER.index(r["group"]) if r["group"] in ORDER else 99)


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| Measurement | Value | Target | Pass | Command | Notes |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        value = r.get("display") or fmt(r.get("value"), r.get("unit", ""))
        command = f"`{r['command']}`" if r.get("command") else ""
        lines.append(
            f"| {_cell(r['name'])} | {_cell(value)} | {_cell(r.get('target') or '—')} | "
            f"{PASS[r.get('ok')]} | {_cell(command)} | {_cell(r.get('note', ''))} |"
        )
    return "\n".join(lines)


def render(data: dict[str, Any]) -> str:
    meta = data.get("meta", {})
    rows = data.get("rows", [])
    passed = sum(r.get("ok") is True for r in rows)
    failed = sum(r.get("ok") is False for r in rows)
    parts = [
        "# paper-rag benchmark",
        "",
        f"Run {meta.get('started', '?')} · {meta.get('duration_s', '?')} s · git "
        f"{meta.get('git_commit', '?')} ({meta.get('git_dirty_files', '?')} changed files) · "
        f"{meta.get('cpus', '?')} CPUs, load average {' '.join(meta.get('loadavg', []))} at "
        f"start, {' '.join(meta.get('loadavg_end', []))} at end · Python {meta.get('python')} · "
        f"{'**--quick**' if meta.get('quick') else 'full'} · corpus {meta.get('corpus', '?')}",
        "",
        f"**{passed} pass, {failed} fail** of the measurements that have a target.",
        "",
        table(rows),
        "",
        "Every measurement runs in its own subprocess on a fresh temporary index folder "
        "(a copy of the one cold ingest built; data/index is never touched). Ingestion times "
        "exclude imports and model load (timed separately, with one warm-up encode, the same "
        "way for all three systems). MB = MiB read from /proc (VmHWM = peak RSS).",
    ]
    if meta.get("notes"):
        parts += ["", *(f"- {note}" for note in meta["notes"])]
    if meta.get("partial_runs"):
        runs = "; ".join(
            f"{', '.join(p['groups'])} at {p['started']} (git {p.get('git_commit')}, "
            f"load {' '.join(p.get('loadavg') or [])}{', quick' if p.get('quick') else ''})"
            for p in meta["partial_runs"]
        )
        parts += ["", f"Rows re-measured by later `--only` runs: {runs}."]
    if data.get("errors"):
        parts += ["", "## Errors", ""]
        parts += [f"- **{g}**: {_cell(e)[:600]}" for g, e in data["errors"].items()]
    parts += ["", "## Levers", ""]
    levers = data.get("levers", [])
    if levers:
        parts += ["| Lever | Before | After | Note |", "|---|---|---|---|"]
        parts += [
            f"| {_cell(x.get('lever', ''))} | {_cell(x.get('before', ''))} | "
            f"{_cell(x.get('after', ''))} | {_cell(x.get('note', ''))} |"
            for x in levers
        ]
    else:
        parts.append("(none yet)")
    parts += [
        "",
        'Add one: `python -m bench.report --add-lever "what changed" --before "…" '
        '--after "…" --note "…"` (stored in bench/levers.json; merged here and into '
        "results.json on every run).",
        "",
    ]
    return "\n".join(parts)


def add_lever(out: Path, lever: str, before: str, after: str, note: str) -> None:
    levers = load_levers(out)
    levers.append(
        {
            "lever": lever,
            "before": before,
            "after": after,
            "note": note,
            "added": time.strftime("%Y-%m-%d"),
        }
    )
    (out / LEVERS).write_text(json.dumps(levers, indent=1, ensure_ascii=False) + "\n")


def rerender(out: Path) -> None:
    path = out / "results.json"
    data = json.loads(path.read_text()) if path.exists() else {"meta": {}, "rows": []}
    data["levers"] = load_levers(out)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False, default=str))
    (out / "results.md").write_text(render(data))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.report", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench")
    parser.add_argument("--add-lever", metavar="LEVER")
    parser.add_argument("--before", default="")
    parser.add_argument("--after", default="")
    parser.add_argument("--note", default="")
    args = parser.parse_args(argv)
    if args.add_lever:
        add_lever(args.out, args.add_lever, args.before, args.after, args.note)
    rerender(args.out)
    print((args.out / "results.md").read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
