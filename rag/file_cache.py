"""Which corpus files the index already reflects, so a re-ingest does not read them again.

A file is skipped when its size and modification time (to the nanosecond, as rsync and make
decide) and the reading options are what they were when an ingest last took it in, into
this index or a copy of it (the catalog's lineage: a rebuild starts a new one). Touch a file,
or run `rag ingest --rebuild`, to have it read again. Only the one writer uses this file.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

FILE = "files.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
  path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, options TEXT, lineage TEXT,
  read INTEGER, skipped INTEGER, filtered INTEGER) WITHOUT ROWID;
"""


@dataclass
class FileState:
    path: str
    size: int
    mtime_ns: int
    read: int = 0  # records taken the last time it was read
    skipped: int = 0
    filtered: int = 0


def file_key(path: Path) -> str:
    """A file as the index tells files apart (here and in the catalog's sources): its folder
    resolved, its own name as it is cited (a link keeps its name: citations say
    `refs.bib:3`, not the name of the file it points to)."""
    return str(path.parent.resolve() / path.name)


def state_of(path: Path) -> FileState:
    stat = path.stat()
    return FileState(file_key(path), stat.st_size, stat.st_mtime_ns)


class FileCache:
    def __init__(self, path: Path, options: dict, lineage: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path)
        self._db.executescript(_SCHEMA)
        self._options = json.dumps(options, sort_keys=True, default=str)
        self._lineage = lineage

    def close(self) -> None:
        self._db.close()

    def unchanged(self, now: FileState) -> FileState | None:
        """The file's last counts when the index already holds what it has now, else None."""
        row = self._db.execute(
            "SELECT size, mtime_ns, options, lineage, read, skipped, filtered FROM files "
            "WHERE path = ?",
            (now.path,),
        ).fetchone()
        if row is None or tuple(row[:4]) != (
            now.size,
            now.mtime_ns,
            self._options,
            self._lineage,
        ):
            return None
        now.read, now.skipped, now.filtered = row[4:]
        return now

    def remember(self, states: list[FileState]) -> None:
        """Files whose every record is now in the published index."""
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO files VALUES (?,?,?,?,?,?,?,?)",
                [
                    (s.path, s.size, s.mtime_ns, self._options, self._lineage, s.read)
                    + (s.skipped, s.filtered)
                    for s in states
                ],
            )

    def forget(self, paths: list[str]) -> None:
        """Files no longer in the corpus: one put back later is read again."""
        with self._db:
            self._db.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in paths])
