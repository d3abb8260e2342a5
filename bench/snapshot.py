"""Synthetic arXiv metadata snapshots in the exact layout of `arxiv-metadata-oai-snapshot.json`
(one JSON object per line, Kaggle field names and order), for tests and the read-rate bench."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

CATEGORIES = ["cs.CL", "cs.LG cs.AI", "cs.CV", "math.CO", "hep-th", "astro-ph.GA", "q-bio.NC",
              "stat.ML cs.LG", "cond-mat.str-el", "cs.IR cs.CL"]  # fmt: skip
WORDS = ["model", "data", "method", "learning", "network", "results", "show", "propose",
         "training", "performance", "task", "approach", "language", "graph", "quantum", "field",
         "theory", "galaxy", "neural", "sample", "error", "bound", "algorithm", "proof",
         "dataset", "benchmark", "attention", "energy", "spectrum", "protein"]  # fmt: skip
LAST = ["Smith", "García", "Müller", "Wang", "Okafor", "Nakamura", "Rossi", "Kowalski"]
FIRST = ["A.", "Bo", "Carla", "D. J.", "Eun-ji", "Femi", "Giulia", "Hiro"]
WITHDRAWN = "This paper has been withdrawn by the author due to a crucial error in Lemma 3."
SHORT = "We show that every planar graph with girth at least five is 3-choosable in time"
SHARED = (
    "We classify the placeholder substructures of finite lattices and show that each one is "
    "determined by its boundary, answering a question of the first author."
)


def record(i: int, rng: random.Random) -> dict:
    names = [(rng.choice(LAST), rng.choice(FIRST)) for _ in range(rng.randint(1, 4))]
    # Paper i is number i // 200 of month i % 200 (2007-04 .. 2023-11): ids stay unique and
    # valid (yymm.nnnnn) for up to 20 million lines.
    month, number = i % 200, i // 200
    created = datetime(2007 + (3 + month) // 12, (3 + month) % 12 + 1, 1 + number % 28, tzinfo=UTC)
    words = [rng.choice(WORDS) for _ in range(rng.randint(60, 180))]
    abstract = f"  We study {i} " + " ".join(words) + f" (case {i}).\n"
    versions = [
        {"version": f"v{v + 1}", "created": format_datetime(created + timedelta(days=30 * v))}
        for v in range(rng.randint(1, 3))
    ]
    return {
        "id": f"{created:%y%m}.{number:05d}",
        "submitter": f"{names[0][1]} {names[0][0]}",
        "authors": ", ".join(f"{f} {last}" for last, f in names),
        "title": f"On the {rng.choice(WORDS)} of {rng.choice(WORDS)} {i}",
        "comments": f"{rng.randint(5, 40)} pages",
        "journal-ref": None,
        "doi": None,
        "report-no": None,
        "categories": CATEGORIES[i % len(CATEGORIES)],
        "license": "http://arxiv.org/licenses/nonexclusive-distrib/1.0/",
        "abstract": abstract,
        "versions": versions,
        "update_date": (created + timedelta(days=60)).date().isoformat(),
        "authors_parsed": [[last, f, ""] for last, f in names],
    }


def sample_records(n: int = 200, seed: int = 0) -> list[dict]:
    """`n` records; #17 withdrawn, #40 and #41 two papers sharing one abstract, #60 a real
    79-character abstract."""
    rng = random.Random(seed)
    rows = [record(i, rng) for i in range(n)]
    if n > 60:
        rows[17] |= {"abstract": f"  {WITHDRAWN}\n", "comments": "This paper has been withdrawn"}
        rows[40] |= {"title": "Placeholder Substructures II", "abstract": SHARED}
        rows[41] |= {"title": "Placeholder Substructures III", "abstract": SHARED}
        rows[60] |= {"abstract": SHORT}
    return rows


def write_snapshot(path: Path, n: int, seed: int = 0) -> Path:
    """A snapshot of `n` lines, written as a stream (1M lines: about 1 GB, 2 minutes)."""
    with path.open("w", encoding="utf-8") as out:
        if n <= 10_000:
            out.writelines(
                json.dumps(r, ensure_ascii=False) + "\n" for r in sample_records(n, seed)
            )
            return path
        rng = random.Random(seed)
        for i in range(n):
            out.write(json.dumps(record(i, rng), ensure_ascii=False) + "\n")
    return path
