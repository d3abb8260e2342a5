"""What the XML readers share: each record element with the line it starts on, and its text."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

from rag.errors import CorpusError


def elements(
    path: str, text: str, start: re.Pattern[str], tag: str
) -> Iterator[tuple[int, ET.Element]]:
    """(line, element) for each `tag` element in document order; `start` finds their start
    tags in the text, since ElementTree keeps no line numbers."""
    lines = [text.count("\n", 0, m.start()) + 1 for m in start.finditer(text)]
    try:
        root = ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as exc:
        raise CorpusError(path, exc.position[0], f"invalid XML ({exc}).") from exc
    for index, element in enumerate(root.iter(tag)):
        yield (lines[index] if index < len(lines) else 1), element


def node_text(node: ET.Element | None) -> str | None:
    """The element's text with its children's, whitespace collapsed; None without a node."""
    return " ".join("".join(node.itertext()).split()) if node is not None else None
