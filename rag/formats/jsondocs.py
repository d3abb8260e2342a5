"""JSON documents and JSON lines: arXiv snapshot, OpenAlex, Semantic Scholar or plain objects.

JSON lines are streamed (one object in memory at a time); a JSON document is read whole
and every object is reported at the line where it starts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rag.errors import CorpusError
from rag.formats.arxiv import from_snapshot, is_arxiv_snapshot
from rag.formats.base import Filtered, Record, RecordFilter, Skip, make_record
from rag.formats.columns import map_fields, resolve
from rag.formats.meta import normalize
from rag.formats.openalex import from_work, is_openalex
from rag.formats.source import stream_lines

_JSON_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
LIST_KEYS = ("papers", "records", "data", "results", "works")


def looks_like_json_lines(head: str) -> bool:
    """A first line that is a whole JSON object, with more after it: JSON lines."""
    first, _, rest = head.lstrip().partition("\n")
    if not first.startswith("{") or not rest.strip():
        return False
    try:
        return isinstance(json.loads(first), dict)
    except ValueError:
        return False


def from_object(
    path: str,
    line: int,
    obj: Any,
    column_map: dict[str, str] | None = None,
    keep: RecordFilter | None = None,
) -> Record | Skip | Filtered:
    if not isinstance(obj, dict):
        return Skip(path, line, "expected a JSON object with 'title' and 'abstract'.")
    if is_arxiv_snapshot(obj):
        return from_snapshot(path, line, obj, keep)
    if is_openalex(obj):
        return from_work(path, line, obj)
    title, abstract, extra = map_fields(obj, resolve(list(obj), column_map))
    return make_record(path, line, title, abstract, normalize(extra))


def read_json_lines(
    path: Path,
    column_map: dict[str, str] | None = None,
    progress: bool = False,
    keep: RecordFilter | None = None,
) -> Iterator[Record | Skip | Filtered]:
    name = str(path)
    for number, line in stream_lines(path, progress):
        if isinstance(line, CorpusError):
            yield Skip(name, number, str(line).split(": ", 1)[-1])
            continue
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Skip(name, number, f"invalid JSON ({exc.msg}: column {exc.colno}).", _fix(exc))
            continue
        except (ValueError, RecursionError) as exc:  # huge integers, absurd nesting
            yield Skip(name, number, f"unreadable JSON ({type(exc).__name__}).")
            continue
        yield from_object(name, number, obj, column_map, keep)


def read_json_document(
    path: str, text: str, column_map: dict[str, str] | None = None
) -> Iterator[Record | Skip]:
    data = _loads(path, text)
    start = _JSON_WS.match(text).end()  # offset of the list of papers in `text`
    if isinstance(data, dict):
        key = next((k for k in LIST_KEYS if isinstance(data.get(k), list)), None)
        if key is None:
            data = [data]  # a single paper object
        else:
            data, start = data[key], _value_offset(text, start, key)
    if not isinstance(data, list):
        raise CorpusError(path, 1, "expected a list of paper objects.")
    lines = _item_lines(text, start) if text[start] == "[" else [text.count("\n", 0, start) + 1]
    for n, obj in zip(lines, data, strict=True):
        yield from_object(path, n, obj, column_map)


def _loads(path: str, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        hint = (
            "It looks like JSON lines (one object per line): it is read as such when its first "
            "line is a whole object."
            if exc.msg == "Extra data"
            else _fix(exc)
        )
        reason = f"invalid JSON ({exc.msg}: line {exc.lineno} column {exc.colno})."
        raise CorpusError(path, exc.lineno, reason, hint) from exc
    except (ValueError, RecursionError) as exc:  # huge integers, absurd nesting
        raise CorpusError(path, 1, f"unreadable JSON ({type(exc).__name__}).") from exc


def _fix(error: json.JSONDecodeError) -> str:
    """What to do about the error json reports most tersely ("Invalid control character at")."""
    if error.msg.startswith("Invalid control character"):
        return "A tab or line break inside a string must be written as \\t or \\n."
    return ""


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
