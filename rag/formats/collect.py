"""Read many files into one list of records and a report of everything left out.

Lenient (default): a bad record is skipped and reported with its file:line, a bad file is
reported and the other files are still read. Strict: the first problem is a `CorpusError`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from rag.errors import CorpusError
from rag.formats import ReadOptions, RecordFilter, iter_file
from rag.formats.base import Filtered, Notice, Record, Skip


@dataclass
class FileCount:
    """What one file gave: records kept, records skipped (with why), records filtered out."""

    read: int = 0
    skipped: int = 0  # records; a Notice (nothing lost) is in CorpusRead.skipped only
    filtered: int = 0
    error: str | None = None  # the whole file could not be read


@dataclass
class CorpusRead:
    records: list[Record] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    failed: list[CorpusError] = field(default_factory=list)  # whole files
    files: dict[str, FileCount] = field(default_factory=dict)

    def problems(self) -> list[str]:
        """One line per record or file left out: "file:line: why", "file: why"."""
        lines = [f"{s.location}: {s.reason}" for s in self.skipped if not isinstance(s, Notice)]
        return lines + [str(e) for e in self.failed]

    def notices(self) -> list[str]:
        """One line per problem that cost no record ("file:line: why")."""
        return [f"{s.location}: {s.reason}" for s in self.skipped if isinstance(s, Notice)]


def read_corpus(
    files: Sequence[Path],
    options: ReadOptions,
    keep: RecordFilter | None = None,
    refused: Sequence[CorpusError] = (),
) -> CorpusRead:
    """`refused`: files already known to be unreadable (e.g. of an unsupported type)."""
    out = CorpusRead()
    out.records = list(iter_corpus(files, options, keep, refused, out))
    return out


def iter_corpus(
    files: Sequence[Path],
    options: ReadOptions,
    keep: RecordFilter | None,
    refused: Sequence[CorpusError],
    out: CorpusRead,
    others_read: bool = False,
) -> Iterator[Record]:
    """The records, one at a time; `out` gathers the per-file counts, skips and failures
    (but not the records), so a caller can hold only what it is working on.
    `others_read`: the corpus has files besides these (already indexed, not read again)."""
    out.failed.extend(refused)
    for error in refused:
        out.files[error.path] = FileCount(error=str(error))
    for path in files:
        count = out.files.setdefault(str(path), FileCount())
        try:
            for item in iter_file(path, replace(options, keep=keep)):
                if isinstance(item, Filtered):
                    count.filtered += 1
                elif isinstance(item, Skip):
                    if options.strict:
                        raise item.error()
                    out.skipped.append(item)
                    if not isinstance(item, Notice):  # it lost nothing
                        count.skipped += 1
                elif keep and not keep.keeps(item):
                    count.filtered += 1
                else:
                    count.read += 1
                    yield item
        except CorpusError as exc:
            if options.strict:
                raise
            out.failed.append(exc)
            count.error = str(exc)
    if (
        out.failed
        and not others_read
        and not any(c.read or c.skipped or c.filtered for c in out.files.values())
    ):
        # Nothing at all could be read: that is an error, not a report.
        raise (
            out.failed[0]
            if len(out.failed) == 1
            else CorpusError(
                ", ".join(out.files),
                None,
                "no file could be read: " + "; ".join(str(e) for e in out.failed),
            )
        )
