"""Per-file account of an ingest run: read, skipped, filtered out, merged, added."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from rag.formats.base import Record
from rag.formats.collect import CorpusRead
from rag.papers import Paper


@dataclass
class FileReport:
    file: str
    read: int  # records taken from the file
    skipped: int  # records left out, each reported with its line and why
    filtered: int  # records outside --category / --since
    merged: int  # records that were another copy of a paper already counted
    added: int  # papers first found in this file and embedded in this run
    error: str | None = None  # the whole file could not be read

    def as_dict(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        if self.error:
            return f"{Path(self.file).name}: not read: {self.error}"
        parts = [f"{self.read} read", f"{self.skipped} skipped"]
        if self.filtered:
            parts.append(f"{self.filtered} filtered out")
        parts += [f"{self.merged} merged", f"{self.added} added"]
        return f"{Path(self.file).name}: {', '.join(parts)}"


def per_file(
    read: CorpusRead, kept: list[Record], papers: list[Paper], added: set[str]
) -> list[FileReport]:
    """One report per file; locations name files by their name, as the index stores them."""
    too_long = Counter(r.path for r in read.records) - Counter(r.path for r in kept)
    merged: Counter[str] = Counter()
    first: Counter[str] = Counter()
    for paper in papers:
        for location in paper.locations[1:]:
            merged[location.rsplit(":", 1)[0]] += 1
        if paper.paper_id in added:
            first[paper.locations[0].rsplit(":", 1)[0]] += 1
    out = []
    for path, count in read.files.items():
        name = Path(path).name
        out.append(
            FileReport(
                file=path,
                read=count.read - too_long[path],
                skipped=count.skipped + too_long[path],
                filtered=count.filtered,
                merged=merged[name],
                added=first[name],
                error=count.error,
            )
        )
    return out
