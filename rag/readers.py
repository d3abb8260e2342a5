"""Read abstract files (three scraped txt layouts, JSON/JSONL, CSV) into raw records.

Every problem is a `CorpusError` naming the file and line, raised before anything is
written to the index, so a bad file never costs what is already indexed.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.errors import CorpusError

SUFFIXES = {".txt", ".json", ".jsonl", ".csv"}
MIN_ABSTRACT_CHARS = 80
MAX_TITLE_CHARS = 400

_WS = re.compile(r"\s+")
_HEADER_LINE = re.compile(
    r"^(new|subscribe|get trending papers in your email inbox.*|by\s*ak and the research community"
    r"|(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(,\s*\d{4})?)$",
    re.IGNORECASE,
)
_ABSTRACT_PREFIX = re.compile(r"^\s*abstract\s*:\s*", re.IGNORECASE)


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


def clean(text: str) -> str:
    return _WS.sub(" ", text).strip()


def corpus_files(paths: Iterable[Path]) -> list[Path]:
    """Expand folders to their readable files; a named file of unknown type is an error."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES))
        elif not path.exists():
            raise CorpusError(str(path), None, "no such file or folder.")
        elif path.suffix.lower() not in SUFFIXES:
            raise CorpusError(
                str(path),
                None,
                f"unsupported file type '{path.suffix}'.",
                "Use .txt, .json, .jsonl or .csv.",
            )
        else:
            files.append(path)
    return files


def read_file(path: Path) -> list[Record]:
    text = _decode(path)
    suffix = path.suffix.lower()
    if suffix == ".txt":
        records = list(_read_txt(str(path), text))
    elif suffix == ".jsonl":
        records = list(_read_jsonl(str(path), text))
    elif suffix == ".json":
        records = list(_read_json(str(path), text))
    elif suffix == ".csv":
        records = list(_read_csv(str(path), text))
    else:
        raise CorpusError(str(path), None, f"unsupported file type '{suffix}'.")
    if not records:
        raise CorpusError(str(path), None, "no abstracts found.", "Is this an abstracts file?")
    return records


def _decode(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CorpusError(str(path), None, f"cannot read: {exc.strerror}.") from exc
    if b"\x00" in data[:8192]:
        raise CorpusError(str(path), None, "looks like a binary file, not text.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CorpusError(
            str(path), line, f"not valid UTF-8 (byte {exc.start}).", "Save the file as UTF-8."
        ) from exc


def _read_txt(path: str, text: str) -> Iterator[Record]:
    lines = text.splitlines()
    numbered = [(i + 1, line.strip()) for i, line in enumerate(lines)]
    body = [(n, line) for n, line in numbered if line]
    if not body:
        return
    if any(_ABSTRACT_PREFIX.match(line) for _, line in body):
        yield from _abstract_lines(path, body)
        return
    body = _strip_header(body)
    if _has_blank_separators(numbered, body):
        # Blank-line layout: join each paragraph, then pair title / abstract.
        items = _paragraphs(numbered, first_line=body[0][0] if body else 0)
    else:
        items = body
    yield from _pairs(path, items)


def _abstract_lines(path: str, body: list[tuple[int, str]]) -> Iterator[Record]:
    for n, line in body:
        if not _ABSTRACT_PREFIX.match(line):
            raise CorpusError(
                path,
                n,
                "expected a line starting with 'Abstract:'.",
                "Fix or remove this line; this file holds untitled abstracts.",
            )
        abstract = clean(_ABSTRACT_PREFIX.sub("", line))
        if len(abstract) < MIN_ABSTRACT_CHARS:
            raise CorpusError(path, n, "abstract is empty or too short.")
        yield Record(None, abstract, path, n)


def _strip_header(body: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Drop the listing page's header; its first title may be glued to 'Subscribe'."""
    i = 0
    while i < len(body) and _HEADER_LINE.match(body[i][1]):
        i += 1
    rest = body[i:]
    if rest and rest[0][1].lower().startswith("subscribe") and len(rest[0][1]) > len("subscribe"):
        n, line = rest[0]
        rest = [(n, line[len("subscribe") :].strip()), *rest[1:]]
    return rest


def _has_blank_separators(numbered: list[tuple[int, str]], body: list[tuple[int, str]]) -> bool:
    if len(body) < 2:
        return False
    start, end = body[0][0], body[-1][0]
    return any(not line for n, line in numbered if start < n < end)


def _paragraphs(numbered: list[tuple[int, str]], first_line: int) -> list[tuple[int, str]]:
    items: list[tuple[int, str]] = []
    current: list[str] = []
    start = 0
    for n, line in numbered:
        if n < first_line:
            continue
        if line:
            if not current:
                start = n
            current.append(line)
        elif current:
            items.append((start, " ".join(current)))
            current = []
    if current:
        items.append((start, " ".join(current)))
    return items


def _pairs(path: str, items: list[tuple[int, str]]) -> Iterator[Record]:
    for i in range(0, len(items), 2):
        n, title = items[i]
        if len(title) > MAX_TITLE_CHARS:
            raise CorpusError(
                path,
                n,
                "expected a title here but found a long paragraph.",
                "Each abstract must follow its title; check for a missing title.",
            )
        if i + 1 >= len(items):
            raise CorpusError(
                path,
                n,
                f"title '{title[:80]}' has no abstract after it.",
                "Add the abstract or remove the title.",
            )
        an, abstract = items[i + 1]
        if len(abstract) < MIN_ABSTRACT_CHARS:
            raise CorpusError(
                path,
                an,
                f"title '{title[:80]}' is followed by '{abstract[:60]}', "
                "which is too short to be an abstract.",
                "Each title must be followed by its abstract.",
            )
        yield Record(clean(title), clean(abstract), path, n)


def _record_from_mapping(path: str, line: int, obj: Any) -> Record:
    if not isinstance(obj, dict):
        raise CorpusError(path, line, "expected a JSON object with 'title' and 'abstract'.")
    abstract = obj.get("abstract")
    if not isinstance(abstract, str) or len(clean(abstract)) < MIN_ABSTRACT_CHARS:
        raise CorpusError(
            path,
            line,
            "record has no abstract (or it is too short).",
            "Every record needs an 'abstract' text.",
        )
    title = obj.get("title")
    if title is not None and not isinstance(title, str):
        raise CorpusError(path, line, "'title' must be text.")
    extra = {
        k: _scalar(v) for k, v in obj.items() if k not in {"title", "abstract"} and v is not None
    }
    return Record(clean(title) or None if title else None, clean(abstract), path, line, extra)


def _scalar(value: Any) -> str | int | float | bool:
    """Chroma metadata holds scalars only; lists and objects are kept as text."""
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(value)
    return json.dumps(value, ensure_ascii=False)


def _read_jsonl(path: str, text: str) -> Iterator[Record]:
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusError(path, n, f"invalid JSON ({exc.msg}).") from exc
        yield _record_from_mapping(path, n, obj)


def _read_json(path: str, text: str) -> Iterator[Record]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CorpusError(path, exc.lineno, f"invalid JSON ({exc.msg}).") from exc
    if isinstance(data, dict):
        data = next(
            (data[k] for k in ("papers", "records", "data") if isinstance(data.get(k), list)),
            [data],
        )
    if not isinstance(data, list):
        raise CorpusError(path, 1, "expected a list of paper objects.")
    for i, obj in enumerate(data, start=1):
        yield _record_from_mapping(path, i, obj)  # "line" is the item's 1-based position here


def _read_csv(path: str, text: str) -> Iterator[Record]:
    reader = csv.DictReader(io.StringIO(text))
    fields = [f.strip().lower() for f in reader.fieldnames or []]
    missing = {"title", "abstract"} - set(fields)
    if missing:
        raise CorpusError(
            path,
            1,
            f"CSV header lacks column(s): {', '.join(sorted(missing))}.",
            "The first row must name 'title' and 'abstract' columns.",
        )
    try:
        for row in reader:
            obj = {(k or "").strip().lower(): v for k, v in row.items()}
            obj = {k: v for k, v in obj.items() if v not in (None, "")}
            obj.setdefault("title", None)
            yield _record_from_mapping(path, reader.line_num, obj)
    except csv.Error as exc:
        raise CorpusError(path, reader.line_num, f"malformed CSV ({exc}).") from exc
