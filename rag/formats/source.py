"""Getting text out of a corpus file: whole (small formats) or streamed line by line (big ones).

Only regular files are opened (a FIFO or device never ends). Whole-file reads stop at
`max_bytes`; streamed reads hold one line at a time, so a 4.5 GB arXiv snapshot fits in
memory, and show a byte progress bar with an ETA when asked.
"""

from __future__ import annotations

import codecs
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from rag.errors import CorpusError

SNIFF_BYTES = 64 * 1024
MAX_LINE_BYTES = 16 * 2**20  # one streamed record; longer is skipped, not buffered
PROGRESS_MIN_BYTES = 16 * 2**20  # smaller files read too fast for a progress bar to help


@contextmanager
def open_regular(path: Path) -> Iterator[BinaryIO]:
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise CorpusError(
                str(path),
                None,
                "not a regular file (a pipe, device or socket).",
                "Pass a saved abstracts file.",
            )
        handle = path.open("rb")
    except OSError as exc:
        raise CorpusError(str(path), None, f"cannot read: {exc.strerror}.") from exc
    with handle:
        yield handle


def encoding_of(start: bytes) -> str:
    """UTF-16 when the file starts with its byte-order mark (Web of Science "Tab-delimited
    (Win)" and some EndNote exports), else UTF-8 with an optional BOM."""
    return "utf-16" if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig"


def head(path: Path) -> str:
    """The start of the file as text, for sniffing its format (binary -> CorpusError)."""
    with open_regular(path) as handle:
        data = handle.read(SNIFF_BYTES)
    encoding = encoding_of(data)
    if encoding == "utf-8-sig":
        _check_binary(path, data)
    return data.decode(encoding, errors="ignore")


def whole_text(path: Path, max_bytes: int) -> str:
    """The file's text: at most `max_bytes`, UTF-8, no NUL bytes."""
    with open_regular(path) as handle:
        try:
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
    encoding = encoding_of(data)
    if encoding == "utf-8-sig":
        _check_binary(path, data)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CorpusError(
            str(path), line, f"not valid UTF-8 (byte {exc.start}).", "Save the file as UTF-8."
        ) from exc


def _check_binary(path: Path, data: bytes) -> None:
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data[:nul].count(b"\n") + 1
        raise CorpusError(str(path), line, "looks like a binary file, not text (NUL byte).")


def stream_lines(path: Path, progress: bool = False) -> Iterator[tuple[int, str | CorpusError]]:
    """(line number, text) for each line; a line that is not UTF-8 text, or absurdly long,
    comes as a CorpusError in place of its text so the caller can skip it and go on."""
    with open_regular(path) as handle:
        size = path.stat().st_size
        bar = _bar(path, size) if progress and size >= PROGRESS_MIN_BYTES else None
        try:
            number = 0
            while True:
                raw = handle.readline(MAX_LINE_BYTES)
                if not raw:
                    break
                number += 1
                if bar is not None:
                    bar.update(len(raw))
                yield number, _line_text(path, number, raw, handle, bar)
        finally:
            if bar is not None:
                bar.close()


def _line_text(path: Path, number: int, raw: bytes, handle: BinaryIO, bar) -> str | CorpusError:
    if len(raw) == MAX_LINE_BYTES and not raw.endswith(b"\n"):
        while (more := handle.readline(MAX_LINE_BYTES)) and not more.endswith(b"\n"):
            if bar is not None:
                bar.update(len(more))
        return CorpusError(str(path), number, f"line longer than {MAX_LINE_BYTES // 2**20} MB.")
    if b"\x00" in raw:
        return CorpusError(str(path), number, "binary data on this line (NUL byte).")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return CorpusError(
            str(path), number, f"not valid UTF-8 (byte {exc.start} of the line).", "Save as UTF-8."
        )
    return text.removeprefix("\ufeff") if number == 1 else text


def _bar(path: Path, size: int):
    from tqdm import tqdm

    return tqdm(
        total=size, unit="B", unit_scale=True, unit_divisor=1024, desc=f"Reading {path.name}"
    )
