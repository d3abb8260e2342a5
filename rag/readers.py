"""Corpus files in, records out: which files a path means, and one file read whole.

The formats themselves live in `rag.formats` (one module per format). `read_file` is the
strict, all-or-nothing read of one file that callers outside ingestion use.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rag.errors import CorpusError
from rag.formats import SUFFIXES, ReadOptions, iter_file
from rag.formats.base import MAX_TITLE_CHARS, MIN_ABSTRACT_CHARS, Record, Skip

__all__ = [
    "MAX_TITLE_CHARS",
    "MIN_ABSTRACT_CHARS",
    "SUFFIXES",
    "Record",
    "corpus_files",
    "read_file",
]


def corpus_files(paths: Iterable[Path], refused: list[CorpusError] | None = None) -> list[Path]:
    """Expand folders to their readable files. A named file of unknown type is an error, or,
    when `refused` is given, is added to it (lenient ingestion reads the other files)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
            )
            if not found:
                raise CorpusError(
                    str(path), None, f"no {', '.join(SUFFIXES)} files in this folder."
                )
            files.extend(found)
        elif not path.exists():
            raise CorpusError(str(path), None, "no such file or folder.")
        elif path.suffix.lower() not in SUFFIXES:
            error = CorpusError(
                str(path),
                None,
                f"unsupported file type '{path.suffix}'.",
                f"Use one of {', '.join(SUFFIXES)}.",
            )
            if refused is None:
                raise error
            refused.append(error)
        else:
            files.append(path)
    return files


def read_file(path: Path, max_bytes: int = 512 * 2**20, strict: bool = True) -> list[Record]:
    """All records of one file. Strict: the first bad record is a CorpusError naming its line;
    otherwise bad records are left out (see `rag.formats.collect` for the report)."""
    records: list[Record] = []
    for item in iter_file(path, ReadOptions(strict=strict, max_bytes=max_bytes)):
        if isinstance(item, Skip):
            if strict:
                raise item.error()
        elif isinstance(item, Record):
            records.append(item)
    if not records:
        raise CorpusError(str(path), None, "no abstracts found.", "Is this an abstracts file?")
    return records
