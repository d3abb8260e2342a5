"""Per-file account of an ingest run: read, skipped, filtered out, merged, added."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
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
    unchanged: bool = False  # the index holds what it has: not read again (counts: last read)

    def as_dict(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        if self.error:
            return f"{Path(self.file).name}: not read: {self.error}"
        if self.unchanged:
            return f"{Path(self.file).name}: unchanged since the last ingest ({self.read} records)"
        parts = [f"{self.read} read", f"{self.skipped} skipped"]
        if self.filtered:
            parts.append(f"{self.filtered} filtered out")
        parts += [f"{self.merged} merged", f"{self.added} added"]
        return f"{Path(self.file).name}: {', '.join(parts)}"


@dataclass
class Tally:
    """Per-file counts gathered batch by batch (locations name files by their name)."""

    too_long: Counter[str] = field(default_factory=Counter)
    merged: Counter[str] = field(default_factory=Counter)
    first: Counter[str] = field(default_factory=Counter)

    def add(self, too_long: list[Record], papers: list[Paper], added: set[str]) -> None:
        self.too_long.update(r.path for r in too_long)
        for paper in papers:
            for location in paper.locations[1:]:
                self.merged[location.rsplit(":", 1)[0]] += 1
            if paper.paper_id in added:
                self.first[paper.locations[0].rsplit(":", 1)[0]] += 1

    def reports(self, read: CorpusRead) -> list[FileReport]:
        out = []
        for path, count in read.files.items():
            name = Path(path).name
            out.append(
                FileReport(
                    file=path,
                    read=count.read - self.too_long[path],
                    skipped=count.skipped + self.too_long[path],
                    filtered=count.filtered,
                    merged=self.merged[name],
                    added=self.first[name],
                    error=count.error,
                )
            )
        return out
