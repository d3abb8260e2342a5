"""Filters by author, venue and category, and cited authors, at a million papers.

    python -m bench.metadata_filters --papers 10000,100000,1000000 [--out bench/scale]

Builds a catalog alone (no vectors: filters never touch them) through `Catalog.write`,
growing from size to size. Each paper is a real abstract of the corpus with a synthetic
byline: 2-6 authors whose surnames follow a Zipf law over 30,000 names (so the commonest name
is on about a tenth of the papers and most names on a few), each with one of 2,000 given
names (12 initials), one of 150 venues, one to three of 40
arXiv-style categories, a year. At each size it times, warm, over several names:
- `select` for an author (common, less common, an initial and surname), a venue, a narrow and a
  broad category, and an author with a year range;
- `has_author` for a surname the collection has and one it lacks (a question citing
  "X et al." asks this for each cited name);
- the statement an author filter ran before the metadata words were indexed (an `instr`
  over every paper's authors), as the reference for what a scan costs at that size.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, log

SOURCE = ROOT / "data" / "index"
BATCH = 2_000
SURNAMES, GIVEN, VENUES = 30_000, 2_000, 150
CATEGORIES = [f"{a}.{b}" for a in ("cs", "stat", "math", "eess") for b in "ABCDEFGHIJ"]
REPEATS = 5
SCAN_SQL = "SELECT paper_id, doc, extra FROM papers WHERE instr(authors, ?) > 0"


def _name(i: int, prefix: str) -> str:
    """A pronounceable made-up name, one per number (no two numbers share one)."""
    syllables = ["ka", "lo", "mi", "ten", "ru", "sa", "vo", "ne", "di", "an", "el", "or"]
    out = []
    while True:
        i, r = divmod(i, len(syllables))
        out.append(syllables[r])
        if i == 0:
            break
    return (prefix + "".join(out)).capitalize()


def _byline(rng: Any, number: int, share: Any) -> dict[str, Any]:
    surnames = rng.choice(SURNAMES, size=int(rng.integers(2, 7)), p=share)
    return {
        "authors": [
            f"{_name(int(s), 'b')}, {_name(int(rng.integers(GIVEN)), '')}" for s in surnames
        ],
        "venue": f"Proceedings of {_name(int(rng.zipf(1.5)) % VENUES, 'v')} {2000 + number % 25}",
        "categories": list(
            dict.fromkeys(CATEGORIES[int(c) % len(CATEGORIES)] for c in rng.zipf(1.4, 3))
        )[: int(rng.integers(1, 4))],
        "year": 2000 + number % 25,
    }


def _grow(catalog: Any, start: int, stop: int, abstracts: list[str], rng: Any) -> float:
    import numpy as np

    from rag.papers import Paper

    began = time.perf_counter()
    empty = np.zeros((0, 384), dtype=np.float32)
    share = 1 / (np.arange(SURNAMES) + 5.0) ** 1.05  # the commonest name: ~10% of papers
    share /= share.sum()
    for first in range(start, stop, BATCH):
        papers = [
            Paper(f"m{n}", f"Paper {n}", abstracts[n % len(abstracts)], [], _byline(rng, n, share))
            for n in range(first, min(first + BATCH, stop))
        ]
        catalog.write([(p, 1, [], empty) for p in papers])
    return time.perf_counter() - began


def _timed(call: Any, *args: Any) -> tuple[float, Any]:
    call(*args)  # warm: the pages it reads are cached, as in a serving process
    times, result = [], None
    for _ in range(REPEATS):
        began = time.perf_counter()
        result = call(*args)
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000, result


def measure(catalog: Any) -> dict[str, Any]:
    from rag.filters import Filters

    common, rare = _name(0, "b"), _name(1_000, "b")
    cases = {
        "author, common surname": {"authors": [common]},
        "author, less common surname": {"authors": [rare]},
        "author, initial and surname": {"authors": [f"L. {common}"]},
        "author and years 2020-2024": {"authors": [common], "since": 2020},
        "venue": {"venues": [_name(3, "v")]},
        "category, narrow (cs.C)": {"categories": ["cs.C"]},
        "category, broad (cs)": {"categories": ["cs"]},
    }
    out: dict[str, Any] = {}
    for label, wanted in cases.items():
        ms, selected = _timed(catalog.select, Filters.of(wanted))
        out[label] = {"ms": round(ms, 2), "papers": len(selected)}
    for label, surname in (("has_author, present", common), ("has_author, absent", "Zzyzx")):
        ms, found = _timed(catalog.has_author, surname)
        out[label] = {"ms": round(ms, 2), "found": found}

    def scan(word: str) -> list:
        return catalog._all(SCAN_SQL, (word.lower(),))

    ms, rows = _timed(scan, common)
    out["reference: a scan of every paper's authors"] = {"ms": round(ms, 2), "papers": len(rows)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", default="10000,100000,1000000")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "scale")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.papers.split(","))

    import numpy as np

    from rag.catalog import Catalog
    from rag.index_access import open_store
    from rag.settings import Settings

    store = open_store(Settings(index_dir=SOURCE, chroma_host=None))
    abstracts = [r.abstract for r in store.catalog.iter_records()]
    rng = np.random.default_rng(0)
    results = []
    with tempfile.TemporaryDirectory(prefix="metadata-filters-") as tmp:
        catalog = Catalog(Path(tmp) / "catalog.sqlite3", create=True)  # selects afresh
        have = 0
        for size in sizes:
            seconds = _grow(catalog, have, size, abstracts, rng)
            have = size
            disk = (Path(tmp) / "catalog.sqlite3").stat().st_size
            log(f"{size:,} papers written in {seconds:.0f} s")
            results.append(
                {"papers": size, "write_s": round(seconds, 1), "catalog_mb": round(disk / 1e6)}
            )
            results[-1]["timings"] = measure(catalog)
            log(json.dumps(results[-1]))
        catalog.close()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "metadata-filters.json").write_text(json.dumps(results, indent=1) + "\n")
    (args.out / "metadata-filters.md").write_text(_table(results))
    print(_table(results))


def _table(results: list[dict[str, Any]]) -> str:
    labels = list(results[0]["timings"])
    head = "| ms (median of 5, warm) | " + " | ".join(f"{r['papers']:,}" for r in results)
    lines = [head + " |", "|---" * (len(results) + 1) + "|"]
    for label in labels:
        cells = []
        for r in results:
            t = r["timings"][label]
            extra = t.get("papers", t.get("found"))
            cells.append(f"{t['ms']} ({extra})")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("| catalog MB | " + " | ".join(str(r["catalog_mb"]) for r in results) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
