"""Metadata in one shape whatever the exporter wrote: see `META_KEYS` for the keys.

Each reader maps its own field names to these keys (`normalize` does the values), so a
BibTeX `journal`, a RIS `T2` and a Scopus `Source title` all end up as `venue`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rag.formats.base import clean

_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})(?:[-/](\d{1,2})(?:[-/](\d{1,2}))?)?")
_DOI = re.compile(r"10\.\d+(?:\.\d+)*/\S+")
_ARXIV = re.compile(
    r"(?:arxiv:)?\s*(\d{4}\.\d{4,5}|[a-z][a-z.-]*(?:\.[a-z]{2})?/\d{7})(?:v\d+)?", re.I
)


def year_of(value: Any) -> int | None:
    if isinstance(value, int) and 1500 <= value <= 2100:
        return value
    match = _YEAR.search(str(value)) if value else None
    return int(match.group(1)) if match else None


def iso_date(value: Any) -> str | None:
    """'2023-04-05', '2023/4/5', '2023 Apr 5' -> ISO text as precise as the input."""
    if not value:
        return None
    text = str(value).strip()
    match = _ISO_DATE.search(text)
    if not match or not year_of(match.group(1)):
        return None
    year, month, day = match.groups()
    if month is None:
        month = _month_from_name(text)
        return f"{year}-{month:02d}" if month else year
    if not 1 <= int(month) <= 12:
        return year
    return f"{year}-{int(month):02d}" + (f"-{int(day):02d}" if day and 1 <= int(day) <= 31 else "")


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _month_from_name(text: str) -> int | None:
    low = text.lower()
    return next((i + 1 for i, m in enumerate(_MONTHS) if re.search(rf"\b{m}", low)), None)


# A token of initials: "J.", "T.L.", "K.-H." (dotted), or "JA" (MEDLINE, WoS: at most three).
_INITIALS = re.compile(r"(?:[A-Z]\.-?)+|[A-Z]{1,3}")


def is_initials(word: str) -> bool:
    return bool(_INITIALS.fullmatch(word))


def person(name: str) -> str:
    """'First Last', 'Last, First' or 'Last Initials' -> 'Last, First'.

    Initials after the surname are Scopus, MEDLINE and WoS style: "Nguyen T.L.", "Lee K.-H.",
    "Van der Berg J." and "Smith JA" keep their order; any other 'A B' is 'First Last'.
    """
    name = re.sub(r"\s*\(\d+\)$", "", clean(name)).strip(" ;,")  # Scopus: "Wang, Li (5719...)"
    if not name or "," in name:
        return name
    parts = name.split(" ")
    if len(parts) == 1:
        return name
    initials = len(parts)
    while initials > 1 and is_initials(parts[initials - 1]):
        initials -= 1
    if initials < len(parts):
        return f"{' '.join(parts[:initials])}, {' '.join(parts[initials:])}"
    return f"{parts[-1]}, {' '.join(parts[:-1])}"


def split_list(value: Any, separators: str = ";") -> list[str]:
    """A list field that exporters write as one delimited string (or already as a list)."""
    if value is None:
        return []
    if isinstance(value, list):
        return [clean(str(v)) for v in value if v and clean(str(v))]
    return [clean(p) for p in re.split(f"[{re.escape(separators)}]", str(value)) if clean(p)]


def doi_of(value: Any) -> str | None:
    match = _DOI.search(str(value)) if value else None
    return match.group(0).rstrip(".,;") if match else None


def arxiv_id_of(value: Any) -> str | None:
    """'arXiv:2401.00001v2', 'https://arxiv.org/abs/hep-th/9901001' -> the id without version."""
    if not value:
        return None
    match = _ARXIV.search(str(value))
    return match.group(1) if match else None


def pmid_of(value: Any) -> str | None:
    match = re.search(r"\d{1,9}", str(value)) if value else None
    return match.group(0) if match else None


_LIST_KEYS = ("categories", "keywords")


def normalize(fields: dict[str, Any]) -> dict[str, Any]:
    """Metadata under `META_KEYS` with normalized values; other keys kept as text or numbers."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if value is None or value == "" or value == []:
            continue
        if key == "authors":
            value = [person(a) for a in split_authors(value)]
        elif key == "year":
            value = year_of(value)
        elif key == "date":
            value = iso_date(value)
        elif key in _LIST_KEYS:
            if isinstance(value, list):  # items may still hold "a; b"
                value = [v for item in value for v in split_list(str(item), ";")]
            else:
                value = split_list(value, _separator(value, key))
        elif key == "doi":
            value = doi_of(value)
        elif key == "arxiv_id":
            value = arxiv_id_of(value)
        elif key == "pmid":
            value = pmid_of(value)
        else:
            value = scalar(value)
        if value not in (None, "", []):
            out[key] = value
    if "year" not in out and "date" in out:
        out["year"] = year_of(out["date"])
    if "arxiv_id" not in out:  # Zotero keeps arXiv papers as DOI 10.48550/arXiv.<id> or a URL
        source = next((str(v) for v in (out.get("doi"), out.get("url")) if v), "")
        if "arxiv" in source.lower():
            out["arxiv_id"] = arxiv_id_of(source.lower().rsplit("arxiv", 1)[1].lstrip(".:/"))
    if "doi" in out and "url" not in out:
        out["url"] = f"https://doi.org/{out['doi']}"
    return out


def _separator(value: Any, key: str) -> str:
    """'a; b' (Scopus, WoS), 'a, b' (BibTeX keywords), 'cs.CL cs.IR' (arXiv categories)."""
    text = str(value)
    if ";" in text:
        return ";"
    if "," in text or key == "keywords":
        return ","
    return " "


def split_authors(value: Any) -> list[str]:
    """Authors as a list: 'A and B' (BibTeX), 'A; B' (Scopus, WoS), 'A, B, C' (arXiv)."""
    if isinstance(value, list):
        return [clean(str(v)) for v in value if v and clean(str(v))]
    text = clean(str(value))
    if ";" in text:
        return split_list(text, ";")
    by_and = [p for p in re.split(r"\s+and\s+", text) if p]
    if "," not in text or (len(by_and) > 1 and all("," in p for p in by_and)):
        return by_and  # 'Smith, John and Lee, Kim' (BibTeX) or 'Ana Lopes and Rui Costa'
    parts = [clean(p) for p in re.split(r",|\s+and\s+", text) if clean(p)]
    if len(parts) == 2 and " " not in parts[0]:
        return [text]  # one "Last, First"
    return parts


def scalar(value: Any) -> Any:
    """Text, numbers and lists of text as they are; anything nested as JSON text."""
    if isinstance(value, bool | int | float | str):
        return value.strip() if isinstance(value, str) else value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v for v in value if v]
    return json.dumps(value, ensure_ascii=False)
