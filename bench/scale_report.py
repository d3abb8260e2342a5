"""The scale benchmark's tables: one row per size, written as JSON and Markdown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_report(rows: list[dict[str, Any]], out: Path, mode: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{mode}.json").write_text(json.dumps(rows, indent=1))
    lines = [
        f"| papers ({mode}) | KB/paper | open view / engine | hybrid p50/p95 | filtered p50/p95 "
        "| answer p50 | serving peak RSS | re-ingest, all files read (peak RSS) "
        "| no-op re-ingest (peak RSS) "
        "| write rate, last 5k papers (vs first 1k); Chroma / catalog alone |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    at_1k = rows[0]["build"]["rate_first_papers_per_s"]  # the first build starts empty
    for r in rows:
        s, b = r["serve"], r["build"]
        at_size, *split = b["rate_by_size"][-1][1:]
        parts = f"; {split[0]:.0f} / {split[1]:.0f}" if split else ""
        chroma_mb = r.get("chroma_server_peak_rss_mb")
        server_rss = f" + server {chroma_mb:,.0f} MB" if chroma_mb else ""
        first = f" (first search {s['first_retrieve_s']} s)" if "first_retrieve_s" in s else ""
        lines.append(
            f"| {r['papers']:,} | {r['kb_per_paper']} | {s['open_view_s']} s / "
            f"{s['open_engine_s']} s{first} "
            f"| {s['retrieve']['p50_ms']} / {s['retrieve']['p95_ms']} ms "
            f"| {s['retrieve_filtered']['p50_ms']} / {s['retrieve_filtered']['p95_ms']} ms "
            f"| {s['answer']['p50_ms']} ms | {r['serve_peak_rss_mb']:,.0f} MB{server_rss} "
            f"| {r['reread_ingest']['s']} s ({r['reread_ingest']['peak_rss_mb']:,} MB) "
            f"| {r['noop_ingest']['s']} s ({r['noop_ingest']['peak_rss_mb']:,} MB) "
            f"| {at_size:.0f} papers/s ({at_size / at_1k:.0%}){parts} |"
        )
    last = rows[-1].get("add_papers")
    if last:
        lines.append(
            f"\nAdding {last['papers']:,} papers to the {rows[-1]['papers']:,}-paper index took "
            f"{last['process_wall_s']:.0f} s in all (writes {last['write_s']} s, keyword shards "
            f"and publish {last['publish_s']} s)."
        )
    (out / f"{mode}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines), flush=True)
