"""What every format reader produces, and the shared rules for a usable record.

A reader yields `Record`s and `Skip`s lazily: a record that cannot be used is a `Skip` naming
its line and why, so one bad record never hides the others (`strict` turns the first one into
an error). Metadata goes into `Record.extra` under the keys of `META_KEYS`, the same in every
format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.errors import CorpusError

MIN_ABSTRACT_CHARS = 40  # shorter text is a fragment or a placeholder; 79-character abstracts exist
MAX_TITLE_CHARS = 400
# The metadata keys every reader uses (values: authors/categories/keywords are lists of text,
# year an int, date an ISO "YYYY[-MM[-DD]]" string, the rest text).
META_KEYS = (
    "authors",  # ["Last, First", ...]
    "year",
    "date",
    "venue",  # journal, conference or book
    "categories",  # arXiv categories or subject areas
    "keywords",
    "doi",
    "arxiv_id",  # without version
    "pmid",
    "url",
)
# What exporters write where an abstract is missing (compared normalized, lower case).
PLACEHOLDERS = frozenset(
    {
        "no abstract available",
        "abstract not available",
        "no abstract",
        "not available",
        "n a",
        "na",
        "none",
    }
)

# A publisher's notice closing the abstract (Scopus, Web of Science, PubMed): "© 2024 IEEE.",
# "© 2021 Elsevier Ltd. All rights reserved.", "Copyright © 2022 Wiley", "© The Author(s) 2021".
_COPYRIGHT = re.compile(
    r"(?:^|(?<=[.!?]))\s*(?:copyright\s*)?(?:©|\(c\))\s*(?:(?:19|20)\d\d|(?:the\s+)?authors?\b)"
    r"[^©]{0,300}$|(?:^|(?<=[.!?]))\s*copyright\s+(?:19|20)\d\d\b[^©]{0,300}$",
    re.I,
)
_COPYRIGHT_MARKS = ("©", "opyright", "OPYRIGHT", "(c)", "(C)")


@dataclass
class Record:
    """One abstract as found in one file; several records may be the same paper."""

    title: str | None
    abstract: str
    path: str
    line: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def location(self) -> str:
        return f"{Path(self.path).name}:{self.line}"


@dataclass
class Skip:
    """A record left out, and why (kept for the report; fatal only in strict mode)."""

    path: str
    line: int | None
    reason: str
    fix: str = ""

    @property
    def location(self) -> str:
        name = Path(self.path).name
        return f"{name}:{self.line}" if self.line else name

    def error(self) -> CorpusError:
        return CorpusError(self.path, self.line, self.reason, self.fix)


class Notice(Skip):
    """A problem that cost no record (a last record read although the file was cut short):
    reported with the skips, fatal in strict mode, but not counted as a record skipped."""


@dataclass(frozen=True)
class RecordFilter:
    """A subset taken at read time: `--category cs.CL --since 2023`."""

    categories: tuple[str, ...] = ()
    since: int | None = None

    def __bool__(self) -> bool:
        return bool(self.categories or self.since)

    def keeps(self, record: Record) -> bool:
        return self.keeps_values(record.extra.get("categories") or [], record.extra.get("year"))

    def keeps_values(self, categories: list[str], year: object) -> bool:
        if self.since is not None and (not isinstance(year, int) or year < self.since):
            return False
        if self.categories:
            have = [c.lower() for c in categories]
            wanted = [c.lower() for c in self.categories]
            return any(h == w or h.startswith(w + ".") for h in have for w in wanted)
        return True


class Filtered:
    """A record outside the run's RecordFilter, dropped by its reader before being built."""


FILTERED = Filtered()


def clean(text: str) -> str:
    """Runs of whitespace to one space (str.split: several times faster than a regex)."""
    return " ".join(text.split())


def is_placeholder(abstract: str) -> bool:
    if len(abstract) > 40:  # every placeholder is short
        return False
    return re.sub(r"[^a-z]+", " ", abstract.lower()).strip() in PLACEHOLDERS


def _without_copyright(abstract: str) -> str:
    if not any(mark in abstract for mark in _COPYRIGHT_MARKS):  # most abstracts: skip the regex
        return abstract
    return _COPYRIGHT.sub("", abstract).strip()


def make_record(
    path: str, line: int, title: Any, abstract: Any, extra: dict[str, Any] | None = None
) -> Record | Skip:
    """A record, or the reason it cannot be one (no abstract, a placeholder, a bad title)."""
    if not isinstance(abstract, str) or not clean(abstract):
        return Skip(path, line, "record has no abstract.", "Every record needs an abstract text.")
    abstract = _without_copyright(clean(abstract))
    if not abstract:
        return Skip(path, line, "record has only a copyright notice, no abstract.")
    if is_placeholder(abstract):
        return Skip(path, line, f"no abstract (the export says '{abstract[:60]}').")
    if len(abstract) < MIN_ABSTRACT_CHARS:
        return Skip(
            path,
            line,
            f"abstract '{abstract[:60]}' is too short to be one "
            f"(under {MIN_ABSTRACT_CHARS} characters).",
        )
    if title is not None and not isinstance(title, str):
        return Skip(path, line, "'title' must be text.")
    title = clean(title) if title else None
    if title and len(title) > MAX_TITLE_CHARS:
        return Skip(
            path, line, f"title is over {MAX_TITLE_CHARS} characters (is it the abstract?)."
        )
    meta = {k: v for k, v in (extra or {}).items() if v not in (None, "", [])}
    return Record(title or None, abstract, path, line, meta)
