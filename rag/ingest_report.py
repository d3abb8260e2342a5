"""Per-file account of an ingest run: read, skipped, filtered out, merged, added, removed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rag.formats.base import Record
from rag.formats.collect import CorpusRead
from rag.ingest_plan import Removal, Step

SHOWN_TITLES = 3  # titles of removed papers named on a file's line (all: --json)


@dataclass
class FileReport:
    file: str
    read: int  # records taken from the file
    skipped: int  # records left out, each reported with its line and why
    filtered: int  # records outside --category / --since
    merged: int  # records that were another copy of a paper already counted
    added: int  # papers new to the index first found in this file (embedded in this run)
    error: str | None = None  # the whole file could not be read
    unchanged: bool = False  # the index holds what it has: not read again (counts: last read)
    removed: int = 0  # papers no longer in the file nor in any other: taken out of the index
    removed_titles: list[str] = field(default_factory=list)  # the first few of them
    kept_elsewhere: int = 0  # papers no longer in the file, kept for their other files
    gone: bool = False  # the file left the folder it was ingested from
    dry_run: bool = False  # nothing was written: what a run would remove

    def as_dict(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        name = Path(self.file).name
        if self.error:
            return f"{name}: not read: {self.error}"
        if self.unchanged:
            counts = f"{self.read} read, {self.skipped} skipped" + (
                f", {self.filtered} filtered out" if self.filtered else ""
            )
            return f"{name}: unchanged since the last ingest ({counts})"
        if self.gone:
            return f"{name}: no longer in its folder" + self._removals()
        parts = [f"{self.read} read", f"{self.skipped} skipped"]
        if self.filtered:
            parts.append(f"{self.filtered} filtered out")
        parts += [f"{self.merged} merged", f"{self.added} {'to add' if self.dry_run else 'added'}"]
        return f"{name}: {', '.join(parts)}" + self._removals()

    def _removals(self) -> str:
        """'; removed 1 paper no longer in a.bib: Title' (and those kept for other files)."""
        name, out = Path(self.file).name, ""
        if self.removed:
            verb = "would remove" if self.dry_run else "removed"
            titles = "; ".join(self.removed_titles[:SHOWN_TITLES])
            more = self.removed - min(len(self.removed_titles), SHOWN_TITLES)
            titles += f"; and {more} more (all: --json)" if more > 0 else ""
            out += f"; {verb} {_papers(self.removed)} no longer in {name}: {titles}"
        if self.kept_elsewhere:
            verb = "would be kept" if self.dry_run else "kept"
            out += f"; {_papers(self.kept_elsewhere)} no longer in {name} {verb} for other files"
        return out


def _papers(n: int) -> str:
    return f"{n} paper" if n == 1 else f"{n} papers"


@dataclass
class Tally:
    """Per-file counts gathered batch by batch, by file path (resolved, as in `sources`)."""

    too_long: Counter[str] = field(default_factory=Counter)
    merged: Counter[str] = field(default_factory=Counter)
    first: Counter[str] = field(default_factory=Counter)

    def add(self, too_long: list[Record], steps: list[Step], resolve: Callable[[str], str]) -> None:
        """`steps`: what became of each paper the batch's records gave (`rag.ingest_plan`);
        `resolve`: a record's path to its file's."""
        self.too_long.update(resolve(r.path) for r in too_long)
        for step in steps:
            files = [path for path, _ in step.read.sources or ()]
            self.merged.update(files[1:])  # each further record of the paper is a copy
            if step.joined:  # and so is the first, of a paper indexed from another file
                self.merged[files[0]] += 1
            elif step.new:  # embedded (in a dry run: would be)
                self.first[files[0]] += 1

    def reports(
        self, read: CorpusRead, resolve: Callable[[str], str], removal: Removal
    ) -> list[FileReport]:
        out = []
        for path, count in read.files.items():
            key = resolve(path)
            out.append(
                FileReport(
                    file=path,
                    read=count.read - self.too_long[key],
                    skipped=count.skipped + self.too_long[key],
                    filtered=count.filtered,
                    merged=self.merged[key],
                    added=self.first[key],
                    error=count.error,
                    **_removed(removal, key),
                )
            )
        return out


def _removed(removal: Removal, path: str) -> dict:
    labels = removal.removed.get(path, [])
    return {
        "removed": len(labels),
        "removed_titles": labels[:SHOWN_TITLES],
        "kept_elsewhere": removal.kept[path],
    }


def gone_reports(removal: Removal, gone: list[str]) -> list[FileReport]:
    """Files no longer in a folder ingested now: what left the index with them."""
    return [FileReport(path, 0, 0, 0, 0, 0, gone=True, **_removed(removal, path)) for path in gone]
