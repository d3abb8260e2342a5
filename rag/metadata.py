"""A paper's bibliographic metadata as typed fields, whatever shape its source file gave it.

Readers keep every field they find in `extra` (lists may arrive as lists, as JSON text or as
"A, B and C"); this module is the one place that turns those into authors, year, venue,
categories and identifiers, and into the links a reader can click.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_ARXIV_NEW = re.compile(r"^\d{4}\.\d{4,5}(v\d+)?$")
_ARXIV_OLD = re.compile(r"^[a-z\-]+(\.[A-Z]{2})?/\d{7}(v\d+)?$")
_DOI = re.compile(r"10\.\d{4,9}/\S+")

# Field names each exporter uses, first match wins (lower-cased keys).
AUTHOR_KEYS = ("authors", "author", "au", "creators")
YEAR_KEYS = ("year", "py", "publication_year")
DATE_KEYS = ("date", "published", "publication_date", "update_date", "created")
VENUE_KEYS = ("venue", "journal", "journal-ref", "booktitle", "source", "publication", "so")
CATEGORY_KEYS = ("categories", "category", "keywords", "subjects", "concepts")
ID_KEYS = {"doi": ("doi",), "arxiv_id": ("arxiv_id", "eprint", "arxiv"), "pmid": ("pmid",)}
URL_KEYS = ("url", "link")


@dataclass
class PaperMeta:
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    date: str | None = None
    venue: str | None = None
    categories: list[str] = field(default_factory=list)
    doi: str | None = None
    arxiv_id: str | None = None
    pmid: str | None = None
    url: str | None = None

    @property
    def link(self) -> str | None:
        """Where a reader can open the paper: doi.org, arxiv.org or PubMed, else its URL."""
        if self.doi:
            return f"https://doi.org/{self.doi}"
        if self.arxiv_id:
            return f"https://arxiv.org/abs/{self.arxiv_id}"
        if self.pmid:
            return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/"
        return self.url

    def byline(self) -> str:
        """'Smith, Lee et al. (2023)' — empty when nothing is known."""
        names = [a.split(",")[0].strip() if "," in a else a.split()[-1] for a in self.authors]
        who = ", ".join(names[:2]) + (" et al." if len(names) > 2 else "")
        when = f"({self.year})" if self.year else ""
        return " ".join(x for x in (who, when) if x)


def from_extra(extra: dict[str, Any]) -> PaperMeta:
    """Typed metadata from a record's extra fields (unknown shapes are left out, not guessed)."""
    low = {str(k).lower(): v for k, v in extra.items() if v not in (None, "", [])}
    date = _first(low, DATE_KEYS)
    year = _year(_first(low, YEAR_KEYS)) or _year(date)
    arxiv = _arxiv(_first(low, ID_KEYS["arxiv_id"]) or low.get("id"))
    doi = _first(low, ID_KEYS["doi"])
    doi_match = _DOI.search(str(doi)) if doi else None
    return PaperMeta(
        authors=_names(_first(low, AUTHOR_KEYS)),
        year=year,
        date=str(date) if date else None,
        venue=_text(_first(low, VENUE_KEYS)),
        categories=list(
            dict.fromkeys(c for k in CATEGORY_KEYS for c in _list(low.get(k), split_spaces=True))
        ),
        doi=doi_match.group(0).rstrip(".") if doi_match else None,
        arxiv_id=arxiv,
        pmid=_text(_first(low, ID_KEYS["pmid"])),
        url=_text(_first(low, URL_KEYS)),
    )


def _first(low: dict[str, Any], keys: tuple[str, ...]) -> Any:
    return next((low[k] for k in keys if k in low), None)


def _text(value: Any) -> str | None:
    return " ".join(str(value).split()) or None if value is not None else None


def _year(value: Any) -> int | None:
    if isinstance(value, int) and 1800 <= value <= 2100:
        return value
    match = _YEAR.search(str(value)) if value is not None else None
    return int(match.group(1)) if match else None


def _arxiv(value: Any) -> str | None:
    text = str(value or "").strip().removeprefix("arXiv:").removeprefix("arxiv:")
    return text if _ARXIV_NEW.match(text) or _ARXIV_OLD.match(text) else None


def _decoded(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _list(value: Any, split_spaces: bool = False) -> list[str]:
    value = _decoded(value)
    if value is None:
        return []
    if isinstance(value, list):
        return [" ".join(str(v).split()) for v in value if str(v).strip()]
    parts = re.split(r"[;,]" if not split_spaces or ";" in str(value) else r"[;,\s]+", str(value))
    return [p.strip() for p in parts if p.strip()]


def _names(value: Any) -> list[str]:
    """'A. Smith, B. Lee and C. Wu', ['Smith, A', ...] or [['Smith', 'A', '']] (authors_parsed)."""
    value = _decoded(value)
    if isinstance(value, list):
        return [
            ", ".join(x for x in v[:2] if x) if isinstance(v, list) else " ".join(str(v).split())
            for v in value
            if v
        ]
    if not value:
        return []
    text = " ".join(str(value).split())
    if ";" in text:
        return [n.strip() for n in text.split(";") if n.strip()]
    parts = text.split(" and ")
    if len(parts) > 1 and all("," in p for p in parts):  # BibTeX: "Last, First and Last, First"
        return [p.strip() for p in parts]
    return [n.strip() for n in re.split(r",\s*|\s+and\s+", text) if n.strip()]
