"""One ingest run's bookkeeping: what it read, planned, wrote and removed, and its summary."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from rag.components import make_embed_model
from rag.file_cache import FileState, file_key
from rag.formats.collect import CorpusRead
from rag.index_access import IndexWriter
from rag.ingest_plan import Plan, Removal, plan
from rag.ingest_report import FileReport, Tally, gone_reports
from rag.ingest_writes import embed_and_write, too_long_notice, within_limits
from rag.integrity import IntegrityReport
from rag.papers import MergeReport, merge
from rag.readers import Record
from rag.settings import Settings


@dataclass
class IngestSummary:
    files: int
    records: int  # records read in this run (files not read again are not counted)
    duplicates_merged: int
    papers: int  # distinct papers in the records read
    embedded_papers: int
    unchanged_papers: int
    chunks_embedded: int
    papers_in_index: int
    chunks_in_index: int
    orphans_removed: int
    seconds: float
    repaired_papers: int = 0  # found incomplete by the closing check and re-embedded
    unchanged_files: int = 0  # already in the index as they are: not read again
    skipped: list[str] = field(default_factory=list)  # records left out, with file:line and why
    notices: list[str] = field(default_factory=list)  # problems that cost no record
    merged: list[str] = field(default_factory=list)  # every paper found more than once, and why
    filtered: int = 0  # records outside --category / --since
    per_file: list[dict] = field(default_factory=list)  # see rag.ingest_report.FileReport
    dry_run: bool = False  # read and merged only; the index was not touched
    removed_papers: int = 0  # no longer in the files they were read from: out of the index
    removed: list[str] = field(default_factory=list)  # every paper that left a file, and what
    # became of it (taken out of the index, or still at its other locations)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class IngestRun:
    """What one ingest run has done so far, batch by batch."""

    started: float
    files: int
    read: CorpusRead = field(default_factory=CorpusRead)
    tally: Tally = field(default_factory=Tally)
    written: set[str] = field(default_factory=set)  # papers this run embedded
    planned: set[str] = field(default_factory=set)  # every paper this run planned (as indexed)
    to_embed: set[str] = field(default_factory=set)  # those planned to embed (a dry run too)
    replaced: set[str] = field(default_factory=set)  # indexed ids replaced by another id
    unchanged_files: list[FileState] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)  # indexed files no longer in their folder
    removal: Removal = field(default_factory=Removal)
    resolved: dict[str, str] = field(default_factory=dict)  # a record's path -> its file's
    records: int = 0
    papers: int = 0  # distinct papers among the records read
    read_papers: int = 0  # papers each batch's records merged into
    chunks: int = 0
    merges: list[str] = field(default_factory=list)
    joined: int = 0  # papers read that were copies of papers indexed from other files
    too_long: list[str] = field(default_factory=list)
    embed_model: Any = None  # loaded on the first paper to embed, then kept for the run

    def resolve(self, path: str) -> str:
        """A file as the index knows it (`file_key`), worked out once per file."""
        found = self.resolved.get(path)
        if found is None:
            found = self.resolved[path] = file_key(Path(path))
        return found

    def merge(self, records: list[Record]) -> MergeReport:
        report = merge(records)
        for paper in report.papers:
            paper.sources = [(self.resolve(path), line) for path, line in paper.sources or ()]
        return report

    def add(
        self,
        group: list[Record],
        writer: IndexWriter,
        settings: Settings,
        read: set[str],
        progress: bool,
        on_batch: Callable[[int], None] | None,
    ) -> None:
        kept, too_long = within_limits(group, settings.max_abstract_chars)
        report = self.merge(kept)
        todo = plan(report.papers, writer.store.catalog, read, self.planned)
        if todo.writes:
            store = writer.writable()
            store.update_locations(todo.moved)
            store.delete_papers(todo.stale)  # before writing: a crash in between leaves them
            if todo.todo and self.embed_model is None:
                self.embed_model = make_embed_model(settings)
            self.chunks += embed_and_write(
                store, todo.todo, settings, progress, on_batch, self.embed_model
            )
            self.written.update(p.paper_id for p in todo.todo)
        self.count(report, too_long, settings.max_abstract_chars, todo)

    def count(
        self, report: MergeReport, too_long: list[Record], max_chars: int, todo: Plan
    ) -> None:
        """A batch's records in the run's totals."""
        self.records += report.records
        self.merges += report.merges + todo.joined
        self.read_papers += len(todo.steps)
        for step in todo.steps:
            self.papers += not step.again  # a copy in a later batch is not another paper
            self.joined += step.joined
            self.planned.add(step.whole.paper_id)
            if step.embed:
                self.to_embed.add(step.whole.paper_id)
        self.replaced.update(todo.stale)
        self.too_long += [too_long_notice(r, max_chars) for r in too_long]
        self.tally.add(too_long, todo.steps, self.resolve)

    def swept(self) -> set[str]:
        """Files whose papers are all known now: read whole, or gone. Not a file that could
        not be read, or gave no record at all (garbled, or caught half-written: delete a file
        to take its papers out), nor one with records filtered out (a record outside
        --category/--since cannot be told from a deleted one)."""
        whole = {
            self.resolve(path)
            for path, count in self.read.files.items()
            if count.read and not count.error and not count.filtered
        }
        return whole | set(self.gone)

    def summary(
        self,
        n_papers: int = 0,
        n_chunks: int = 0,
        health: IntegrityReport | None = None,
        dry_run: bool = False,
    ) -> IngestSummary:
        health = health or IntegrityReport()
        embedded = len(self.to_embed - self.replaced)  # a paper embedded twice is one
        return IngestSummary(
            files=self.files,
            records=self.records,
            duplicates_merged=self.records - self.read_papers + self.joined,
            papers=self.papers,
            embedded_papers=0 if dry_run else embedded,
            unchanged_papers=max(0, self.papers - embedded),
            chunks_embedded=self.chunks,
            papers_in_index=n_papers,
            chunks_in_index=n_chunks,
            orphans_removed=health.orphans_removed,
            seconds=round(time.perf_counter() - self.started, 2),
            repaired_papers=health.repaired,
            unchanged_files=len(self.unchanged_files),
            skipped=self.read.problems() + self.too_long,
            notices=self.read.notices(),
            merged=self.merges,
            filtered=sum(c.filtered for c in self.read.files.values()),
            per_file=[replace(r, dry_run=dry_run).as_dict() for r in self.reports()],
            dry_run=dry_run,
            removed_papers=len(self.removal.deleted),
            removed=self.removal.lines,
        )

    def reports(self) -> list[FileReport]:
        """Per file: the files read in this run, those gone, then those not read again."""
        return (
            self.tally.reports(self.read, self.resolve, self.removal)
            + gone_reports(self.removal, self.gone)
            + [
                FileReport(s.path, s.read, s.skipped, s.filtered, 0, 0, unchanged=True)
                for s in self.unchanged_files
            ]
        )
