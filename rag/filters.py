"""Which papers a question may draw on: years, authors, venues, categories, a reading list.

Filters select paper ids from the papers' typed metadata; dense retrieval then asks Chroma
for those ids only (`where paper_id $in …`) and BM25 masks every other paper, so the three
retrieval modes apply the same filter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from rag.errors import QuestionError


@dataclass(frozen=True)
class Filters:
    since: int | None = None  # publication year, inclusive
    until: int | None = None
    authors: tuple[str, ...] = ()  # any of these names, by whole words (rag.metadata_words)
    venues: tuple[str, ...] = ()  # any of these venues or journals, by whole words
    categories: tuple[str, ...] = ()  # any of these; "cs" also matches "cs.CL"
    paper_ids: tuple[str, ...] = ()  # only these papers (a reading list)

    @classmethod
    def of(cls, value: Filters | Mapping[str, Any] | None) -> Filters:
        """Filters from keyword-like input (`{"since": 2023, "authors": ["Smith"]}`), checked."""
        if value is None:
            return cls()
        if isinstance(value, Filters):
            value.check()
            return value
        known = {f.name for f in fields(cls)}
        unknown = set(value) - known
        if unknown:
            raise QuestionError(
                f"Unknown filter(s): {', '.join(sorted(unknown))}. Use: {', '.join(sorted(known))}."
            )
        args: dict[str, Any] = {}
        for name, raw in value.items():
            if raw is None or raw == "" or raw == []:
                continue
            if name in ("since", "until"):
                args[name] = _year(name, raw)
            else:
                items = [raw] if isinstance(raw, str) else list(raw)
                args[name] = tuple(str(x).strip() for x in items if str(x).strip())
        made = cls(**args)
        made.check()
        return made

    def check(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise QuestionError(
                f"The year range is empty: since {self.since} > until {self.until}."
            )

    @property
    def active(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def describe(self) -> str:
        parts = []
        if self.since or self.until:
            parts.append(f"years {self.since or '…'}-{self.until or '…'}")
        for label, values in (
            ("author", self.authors),
            ("venue", self.venues),
            ("category", self.categories),
        ):
            if values:
                parts.append(f"{label} {' or '.join(values)}")
        if self.paper_ids:
            parts.append(f"{len(self.paper_ids)} listed papers")
        return ", ".join(parts)


def _year(name: str, raw: Any) -> int:
    try:
        year = int(str(raw).strip())
    except ValueError:
        raise QuestionError(f"Filter '{name}' must be a year such as 2023, not {raw!r}.") from None
    if not 1800 <= year <= 2100:
        raise QuestionError(f"Filter '{name}' must be a year such as 2023, not {raw!r}.")
    return year
