"""Field names that exporters use, mapped to ours (title, abstract and `META_KEYS`).

Compared case-insensitively after trimming spaces and a BOM. Within a key the first
non-empty column in this order wins (Web of Science's full names `AF` before `AU`).
Other names can be mapped with `RAG_COLUMN_MAP`, e.g. `{"abstract": "Summary Text"}`.
"""

from __future__ import annotations

import json
from typing import Any

ALIASES: dict[str, tuple[str, ...]] = {
    # ours: Scopus, IEEE Xplore, ACM, Web of Science (tags), Semantic Scholar, OpenAlex, generic
    "title": ("title", "document title", "article title", "ti", "display_name", "paper title"),
    "abstract": ("abstract", "ab", "abstract note", "abstracttext"),
    "authors": (
        "author full names", "af", "authors", "author", "au", "authorships.author.display_name",
        "author names", "creators",
    ),
    "year": ("year", "publication year", "publication_year", "py"),
    "date": ("date", "publication date", "publication_date", "publicationdate", "online date",
             "issued", "pd"),
    "venue": ("source title", "publication title", "journal", "venue", "so", "container-title",
              "primary_location.source.display_name", "journal-ref", "booktitle"),
    "categories": ("categories", "wc", "web of science categories", "fieldsofstudy",
                   "fields of study", "subject area"),
    "keywords": ("author keywords", "keywords", "de", "keyword", "keywords.display_name"),
    "doi": ("doi", "di"),
    "arxiv_id": ("arxiv_id", "arxiv id", "arxiv", "eprint"),
    "pmid": ("pubmed id", "pmid", "pm", "pubmed_id", "pubmed"),
    "url": ("url", "link", "pdf link", "urls", "landing_page_url"),
}  # fmt: skip


def key(name: str) -> str:
    return " ".join(name.replace("\ufeff", "").strip().lower().split())


def resolve(names: list[str], column_map: dict[str, str] | None = None) -> dict[str, list[str]]:
    """Our field -> the given names that feed it, best first (a user mapping comes first)."""
    present = {key(n): n for n in reversed(names)}
    out: dict[str, list[str]] = {}
    for ours, aliases in ALIASES.items():
        found = [present[a] for a in aliases if a in present]
        if found:
            out[ours] = found
    for ours, theirs in (column_map or {}).items():
        if key(theirs) in present:
            out[ours] = [present[key(theirs)], *out.get(ours, [])]
    return out


def map_fields(
    obj: dict[str, Any], fields: dict[str, list[str]]
) -> tuple[Any, Any, dict[str, Any]]:
    """(title, abstract, metadata) of one record: mapped fields by our names, the rest kept
    under their own (lower-case) names."""
    used: set[str] = set()
    mapped: dict[str, Any] = {}
    for ours, names in fields.items():
        used.update(names)
        value = next((obj[n] for n in names if obj.get(n) not in (None, "", [])), None)
        if value is not None:
            mapped[ours] = value
    _external_ids(obj, mapped)
    extra = {key(k): v for k, v in obj.items() if k not in used and key(k) != "externalids"}
    if isinstance(mapped.get("authors"), list):
        mapped["authors"] = [a.get("name") if isinstance(a, dict) else a for a in mapped["authors"]]
    if isinstance(mapped.get("authors"), str) and "|" in mapped["authors"]:
        mapped["authors"] = mapped["authors"].split("|")  # OpenAlex CSV
    extra |= {k: v for k, v in mapped.items() if k not in ("title", "abstract")}
    return mapped.get("title"), mapped.get("abstract"), extra


def _external_ids(obj: dict[str, Any], mapped: dict[str, Any]) -> None:
    """Semantic Scholar keeps DOI, arXiv and PubMed ids in `externalIds`."""
    ids = next((v for k, v in obj.items() if key(k) == "externalids"), None)
    if isinstance(ids, str) and ids.startswith("{"):
        try:
            ids = json.loads(ids)
        except ValueError:
            return
    if isinstance(ids, dict):
        for ours, theirs in (("doi", "DOI"), ("arxiv_id", "ArXiv"), ("pmid", "PubMed")):
            if ids.get(theirs) and ours not in mapped:
                mapped[ours] = ids[theirs]
