"""Read rate of a big arXiv snapshot: lines/s and peak memory while streaming it.

    python -m bench.read_rate [--lines 1000000] [--path FILE] [--category cs.CL] [--since 2023]

Generates a synthetic snapshot in the real layout (bench/snapshot.py) unless FILE exists,
then reads it through the same reader `rag ingest` uses, keeping only counts, and prints
lines/s and the peak RSS of this process (the target: under 500 MB for a million lines).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from bench.snapshot import write_snapshot
from rag.formats import ReadOptions, Record, RecordFilter, Skip, iter_file


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--path", type=Path)
    parser.add_argument("--category", action="append", default=[])
    parser.add_argument("--since", type=int)
    parser.add_argument("--progress", action="store_true")
    args = parser.parse_args(argv)
    path = args.path or Path(tempfile.gettempdir()) / f"arxiv-snapshot-{args.lines}.json"
    if not path.exists():
        started = time.perf_counter()
        write_snapshot(path, args.lines)
        print(f"generated {path} in {time.perf_counter() - started:.0f} s")
    size = path.stat().st_size
    keep = RecordFilter(tuple(args.category), args.since)
    counts = {"kept": 0, "skipped": 0, "filtered": 0}
    before = peak_rss_mb()
    started = time.perf_counter()
    for item in iter_file(path, ReadOptions(progress=args.progress, keep=keep or None)):
        if isinstance(item, Skip):
            counts["skipped"] += 1
        elif isinstance(item, Record) and keep.keeps(item):
            counts["kept"] += 1
        else:
            counts["filtered"] += 1
    seconds = time.perf_counter() - started
    lines = sum(counts.values())
    print(
        f"{path.name}: {size / 2**20:,.0f} MB, {lines:,} records in {seconds:.1f} s: "
        f"{lines / seconds:,.0f} lines/s, {size / 2**20 / seconds:.1f} MB/s; "
        f"kept {counts['kept']:,}, filtered {counts['filtered']:,}, skipped {counts['skipped']:,}; "
        f"peak RSS {peak_rss_mb():.0f} MB (before reading {before:.0f} MB)"
    )


if __name__ == "__main__":
    main()
