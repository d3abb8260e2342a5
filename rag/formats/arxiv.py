"""arXiv metadata snapshot objects (Kaggle `arxiv-metadata-oai-snapshot.json`, one per line).

`authors_parsed` gives "Last, First" names, `versions[0].created` the first submission date
(what `--since` compares), `categories` the subject classes (what `--category` matches).
Withdrawn papers carry a notice instead of an abstract; they are skipped and reported.
"""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime
from typing import Any

from rag.formats.base import FILTERED, Filtered, Record, RecordFilter, Skip, make_record
from rag.formats.meta import normalize, year_of

# arXiv's withdrawal notices replace the abstract or fill the comment: "This paper has been
# withdrawn by the author(s)", "Withdrawn.", "withdrawn due to an error". The word alone is not
# one ("patients withdrawn from ventilation", "an earlier version was withdrawn from a venue").
_SUBJECT = r"(?:paper|article|submission|manuscript|work|preprint|note)"
_NOTICE_START = re.compile(
    rf"^\W*(?:(?:this|the|our)\s+{_SUBJECT}\s+(?:has\s+been|is|was)\s+|paper\s+)?withdrawn\b", re.I
)
_NOTICE_ANYWHERE = re.compile(rf"\bthis\s+{_SUBJECT}\s+(?:has\s+been|is)\s+withdrawn\b", re.I)
_TAKEN = {"id", "title", "abstract", "authors", "authors_parsed", "categories", "doi",
          "journal-ref", "versions"}  # fmt: skip


def is_arxiv_snapshot(obj: dict[str, Any]) -> bool:
    return "authors_parsed" in obj or ("versions" in obj and "submitter" in obj)


def is_withdrawal_notice(text: Any) -> bool:
    """Whether an abstract or comment is arXiv's notice that the paper was withdrawn."""
    if not isinstance(text, str):
        return False
    return bool(_NOTICE_START.match(text) or _NOTICE_ANYWHERE.search(text[:300]))


def from_snapshot(
    path: str, line: int, obj: dict[str, Any], keep: RecordFilter | None = None
) -> Record | Skip | Filtered:
    """The record; with `keep`, papers outside it are dropped before anything else is built
    (taking cs.CL out of the 2.7M-line snapshot is then mostly JSON parsing)."""
    date = _first_version_date(obj.get("versions"))
    if keep and not keep.keeps_values(
        str(obj.get("categories") or "").split(), year_of(date or obj.get("update_date"))
    ):
        return FILTERED
    abstract, comments = obj.get("abstract"), obj.get("comments")
    if is_withdrawal_notice(comments) or is_withdrawal_notice(abstract):
        return Skip(path, line, f"withdrawn paper (arXiv {obj.get('id', '?')}); no abstract.")
    arxiv_id = obj.get("id")
    fields: dict[str, Any] = {
        "authors": _authors(obj),
        "date": date,
        "venue": obj.get("journal-ref"),
        "categories": obj.get("categories"),
        "doi": obj.get("doi"),
        "arxiv_id": arxiv_id,
        "url": f"https://arxiv.org/abs/{arxiv_id}" if isinstance(arxiv_id, str) else None,
        "versions": _versions(obj.get("versions")),
    }
    fields |= {k.replace("-", "_"): v for k, v in obj.items() if k not in _TAKEN}
    return make_record(path, line, obj.get("title"), abstract, normalize(fields))


def _authors(obj: dict[str, Any]) -> Any:
    parsed = obj.get("authors_parsed")
    if isinstance(parsed, list) and all(isinstance(p, list) and p for p in parsed):
        names = []
        for parts in parsed:
            last, first = str(parts[0]).strip(), str(parts[1]).strip() if len(parts) > 1 else ""
            suffix = str(parts[2]).strip() if len(parts) > 2 else ""
            names.append(", ".join(p for p in (last, first, suffix) if p))
        return names
    return obj.get("authors")


def _first_version_date(versions: Any) -> str | None:
    if not isinstance(versions, list) or not versions or not isinstance(versions[0], dict):
        return None
    try:
        return parsedate_to_datetime(str(versions[0].get("created"))).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return None


def _versions(versions: Any) -> list[str] | None:
    if isinstance(versions, list):
        return [str(v.get("version")) for v in versions if isinstance(v, dict)] or None
    return None
