"""Read abstract files (three scraped txt layouts, JSON/JSONL, CSV) into raw records.

Every problem is a `CorpusError` naming the file and line, raised before anything is
written to the index, so a bad file never costs what is already indexed.
"""

from __future__ import annotations

import csv
import io
import json
import re
import stat
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
# Lines end at \n, \r\n or \r only: str.splitlines() also splits at U+2028, \x0c, ... which are
# legal inside a JSON string and would shift every reported line number.
_NEWLINE = re.compile(r"\r\n|\r|\n")
_JSON_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


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
            found = sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
            )
            if not found:
                raise CorpusError(
                    str(path), None, "no .txt, .json, .jsonl or .csv files in this folder."
                )
            files.extend(found)
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


def read_file(path: Path, max_bytes: int = 512 * 2**20) -> list[Record]:
    text = _decode(path, max_bytes)
    suffix = path.suffix.lower()
    readers = {".txt": _read_txt, ".jsonl": _read_jsonl, ".json": _read_json, ".csv": _read_csv}
    if suffix not in readers:
        raise CorpusError(str(path), None, f"unsupported file type '{suffix}'.")
    try:
        records = list(readers[suffix](str(path), text))
    except RecursionError as exc:  # JSON nested deeper than Python can follow
        raise CorpusError(str(path), None, "data nested too deeply to read.") from exc
    if not records:
        raise CorpusError(str(path), None, "no abstracts found.", "Is this an abstracts file?")
    return records


def _decode(path: Path, max_bytes: int) -> str:
    """The file's text: regular files only, at most `max_bytes` (FIFOs and devices never end)."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise CorpusError(
                str(path),
                None,
                "not a regular file (a pipe, device or socket).",
                "Pass a saved abstracts file.",
            )
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise CorpusError(str(path), None, f"cannot read: {exc.strerror}.") from exc
    if len(data) > max_bytes:
        raise CorpusError(
            str(path),
            None,
            f"larger than the {max_bytes // 2**20} MB limit.",
            "Split the file, or raise RAG_MAX_FILE_MB.",
        )
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data[:nul].count(b"\n") + 1
        raise CorpusError(str(path), line, "looks like a binary file, not text (NUL byte).")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CorpusError(
            str(path), line, f"not valid UTF-8 (byte {exc.start}).", "Save the file as UTF-8."
        ) from exc


def _read_txt(path: str, text: str) -> Iterator[Record]:
    lines = _NEWLINE.split(text)
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
    if title and len(clean(title)) > MAX_TITLE_CHARS:
        raise CorpusError(
            path, line, f"'title' is over {MAX_TITLE_CHARS} characters (is it the abstract?)."
        )
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


def _loads(path: str, text: str, line: int | None = None) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = line if line is not None else exc.lineno
        raise CorpusError(path, where, f"invalid JSON ({exc.msg}).") from exc
    except (ValueError, RecursionError) as exc:  # huge integers, absurd nesting
        where = line if line is not None else 1
        raise CorpusError(path, where, f"unreadable JSON ({type(exc).__name__}).") from exc


def _read_jsonl(path: str, text: str) -> Iterator[Record]:
    for n, line in enumerate(_NEWLINE.split(text), start=1):
        if not line.strip():
            continue
        yield _record_from_mapping(path, n, _loads(path, line, n))


def _read_json(path: str, text: str) -> Iterator[Record]:
    data = _loads(path, text)
    start = _JSON_WS.match(text).end()  # offset of the list of papers in `text`
    if isinstance(data, dict):
        lists = ("papers", "records", "data")
        key = next((k for k in lists if isinstance(data.get(k), list)), None)
        if key is None:
            data = [data]  # a single paper object
        else:
            data, start = data[key], _value_offset(text, start, key)
    if not isinstance(data, list):
        raise CorpusError(path, 1, "expected a list of paper objects.")
    lines = _item_lines(text, start) if text[start] == "[" else [text.count("\n", 0, start) + 1]
    for n, obj in zip(lines, data, strict=True):
        yield _record_from_mapping(path, n, obj)


def _value_offset(text: str, i: int, wanted: str) -> int:
    """Offset of the (last, as json.loads keeps) value of key `wanted` in the object at text[i]."""
    found, i = -1, _JSON_WS.match(text, i + 1).end()
    while text[i] != "}":
        key, i = _DECODER.raw_decode(text, i)
        i = _JSON_WS.match(text, _JSON_WS.match(text, i).end() + 1).end()  # skip ':'
        if key == wanted:
            found = i
        _, i = _DECODER.raw_decode(text, i)
        i = _JSON_WS.match(text, i).end()
        if text[i] == ",":
            i = _JSON_WS.match(text, i + 1).end()
    return found


def _item_lines(text: str, i: int) -> list[int]:
    """1-based line of each element of the (valid) JSON array at text[i]."""
    lines: list[int] = []
    line, counted = 1, 0
    i = _JSON_WS.match(text, i + 1).end()
    while text[i] != "]":
        line += text.count("\n", counted, i)
        counted = i
        lines.append(line)
        _, i = _DECODER.raw_decode(text, i)
        i = _JSON_WS.match(text, i).end()
        if text[i] == ",":
            i = _JSON_WS.match(text, i + 1).end()
    return lines


def _read_csv(path: str, text: str) -> Iterator[Record]:
    reader = csv.reader(io.StringIO(text))
    header: list[str] | None = None
    end = 0
    while True:
        start = end + 1  # a quoted field may span lines: report where the row starts
        try:
            row = next(reader, None)
        except csv.Error as exc:
            raise CorpusError(path, start, f"malformed CSV ({exc}).") from exc
        end = reader.line_num
        if row is None:
            break
        if not row:
            continue
        if header is None:
            header = [f.strip().lower() for f in row]
            _check_header(path, start, header)
            continue
        if len(row) > len(header):
            raise CorpusError(
                path,
                start,
                f"row has {len(row)} fields but the header names {len(header)}.",
                "Quote fields that contain commas.",
            )
        obj: dict[str, Any] = {k: v for k, v in zip(header, row, strict=False) if v != ""}
        obj.setdefault("title", None)
        yield _record_from_mapping(path, start, obj)
    if header is None:
        _check_header(path, 1, [])


def _check_header(path: str, line: int, fields: list[str]) -> None:
    missing = {"title", "abstract"} - set(fields)
    if missing:
        raise CorpusError(
            path,
            line,
            f"CSV header lacks column(s): {', '.join(sorted(missing))}.",
            "The first row must name 'title' and 'abstract' columns.",
        )
