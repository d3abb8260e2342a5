"""OpenAlex works (API `results` or snapshot lines): the abstract is an inverted index."""

from __future__ import annotations

from typing import Any

from rag.formats.base import Record, Skip, make_record
from rag.formats.meta import normalize


def is_openalex(obj: dict[str, Any]) -> bool:
    return "abstract_inverted_index" in obj or str(obj.get("id", "")).startswith(
        "https://openalex.org/"
    )


def from_work(path: str, line: int, obj: dict[str, Any]) -> Record | Skip:
    ids = obj.get("ids") if isinstance(obj.get("ids"), dict) else {}
    location = obj.get("primary_location") or {}
    source = location.get("source") or {} if isinstance(location, dict) else {}
    fields = {
        "authors": [
            a["author"]["display_name"]
            for a in obj.get("authorships") or []
            if isinstance(a, dict)
            and isinstance(a.get("author"), dict)
            and a["author"].get("display_name")
        ],
        "year": obj.get("publication_year"),
        "date": obj.get("publication_date"),
        "venue": source.get("display_name") if isinstance(source, dict) else None,
        "keywords": _names(obj.get("keywords")) or _names(obj.get("concepts")),
        "doi": obj.get("doi"),
        "pmid": ids.get("pmid"),
        "url": obj.get("doi") or obj.get("id"),
        "openalex_id": obj.get("id"),
        "type": obj.get("type"),
    }
    title = obj.get("title") or obj.get("display_name")
    abstract = obj.get("abstract") or rebuild_abstract(obj.get("abstract_inverted_index"))
    return make_record(path, line, title, abstract, normalize(fields))


def rebuild_abstract(index: Any) -> str | None:
    """{"word": [positions]} back to text, words in position order."""
    if not isinstance(index, dict):
        return None
    placed = [
        (pos, word)
        for word, positions in index.items()
        if isinstance(positions, list)
        for pos in positions
        if isinstance(pos, int)
    ]
    return " ".join(word for _, word in sorted(placed)) or None


def _names(items: Any) -> list[str]:
    if not isinstance(items, list):
        return []
    return [i["display_name"] for i in items if isinstance(i, dict) and i.get("display_name")]
