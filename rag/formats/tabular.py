"""CSV and TSV exports (Scopus, IEEE Xplore, ACM, Web of Science tab-delimited, Semantic
Scholar, OpenAlex), streamed row by row. Column names are matched by `columns.ALIASES`."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from rag.errors import CorpusError
from rag.formats.base import Record, Skip, make_record
from rag.formats.columns import ALIASES, map_fields, resolve
from rag.formats.meta import normalize
from rag.formats.source import encoding_of, open_regular


def delimiter_of(head: str) -> str:
    """The header's separator: tab (Web of Science, TSV), ';' (spreadsheets in locales with a
    decimal comma) or ','."""
    first = head.lstrip("\ufeff").split("\n", 1)[0]
    return max(("\t", ";", ","), key=lambda d: (first.count(d), d == ","))


def read_table(
    path: Path, delimiter: str, column_map: dict[str, str] | None = None
) -> Iterator[Record | Skip]:
    """Rows as records; tab-separated files have no quoting (Web of Science writes bare quotes)."""
    name = str(path)
    with open_regular(path) as raw:
        encoding = encoding_of(raw.read(2))
        raw.seek(0)
        text = io.TextIOWrapper(raw, encoding=encoding, newline="")
        quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
        # strict: a quote left open is an error where it shows, not rows quietly swallowed
        reader = csv.reader(text, delimiter=delimiter, quoting=quoting, strict=True)
        header: list[str] | None = None
        fields: dict[str, list[str]] = {}
        end = 0
        while True:
            start = end + 1  # a quoted field may span lines: report where the row starts
            try:
                row = next(reader, None)
            except csv.Error as exc:
                end = reader.line_num
                if header is None:
                    raise CorpusError(name, start, f"malformed CSV header ({exc}).") from exc
                yield _malformed(name, start, end, exc)
                continue
            except UnicodeDecodeError as exc:
                raise CorpusError(
                    name, reader.line_num + 1, "not valid UTF-8.", "Save the file as UTF-8."
                ) from exc
            end = reader.line_num
            if row is None:
                break
            if not row or not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [cell.strip().lstrip("\ufeff") for cell in row]
                fields = _check_header(name, start, header, column_map)
                continue
            if len(row) > len(header) and any(cell.strip() for cell in row[len(header) :]):
                yield Skip(
                    name,
                    start,
                    f"row has {len(row)} fields but the header names {len(header)}.",
                    "Quote fields that contain commas.",
                )
                continue
            obj = {k: v.strip() for k, v in zip(header, row, strict=False) if v.strip()}
            title, abstract, extra = map_fields(obj, fields)
            yield make_record(name, start, title, abstract, normalize(extra))
    if header is None:
        raise CorpusError(
            name, None, "the file is empty (no header row, no rows).", "Export the table again."
        )


def _malformed(path: str, start: int, end: int, error: csv.Error) -> Skip:
    """The row that starts at `start` and broke at `end`: the lines between were taken into an
    unclosed quoted field, so they are named, not silently lost."""
    fix = 'Close the quote, and double any quote inside a quoted field ("").'
    if end <= start:
        return Skip(path, start, f"malformed CSV ({error}).", fix)
    lost = f"line {end} was" if end == start + 1 else f"lines {start + 1}-{end} were"
    reason = f"unclosed quote runs to line {end} ({error}); {lost} not read."
    return Skip(path, start, reason, fix)


def _check_header(
    path: str, line: int, header: list[str], column_map: dict[str, str] | None
) -> dict[str, list[str]]:
    fields = resolve(header, column_map)
    if "abstract" not in fields:
        known = ", ".join(f"'{a}'" for a in ALIASES["abstract"])
        raise CorpusError(
            path,
            line,
            "CSV header lacks column(s): abstract"
            + (", title" if "title" not in fields else "")
            + f" (looked for {known}).",
            'Name the columns, or map yours with RAG_COLUMN_MAP=\'{"abstract": "Your Column"}\'.',
        )
    return fields
