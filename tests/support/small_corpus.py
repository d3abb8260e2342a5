"""Helpers for answer tests: a real engine over a few records, and an answer's quote groups."""

from __future__ import annotations

import json
import re

from rag.types import Answer
from tests.support.index_fixtures import make_settings

HEADING = re.compile(r"^\[(?P<n>\d+)\] (?P<label>.+)$")
QUOTE = re.compile(r"^- (?P<text>.+) \[(?P<n>\d+)\]$")


def quote_groups(answer: Answer) -> list[tuple[int, list[str]]]:
    """(source number, quotes) per group; checks every line is a heading or a quote."""
    groups: list[tuple[int, list[str]]] = []
    for line in answer.text.splitlines()[1:]:
        heading, quote = HEADING.match(line), QUOTE.match(line)
        assert heading or quote, line
        if heading:
            n = int(heading["n"])
            assert heading["label"] == answer.sources[n - 1].label
            groups.append((n, []))
        else:
            assert groups and int(quote["n"]) == groups[-1][0]
            groups[-1][1].append(quote["text"])
    return groups


def engine_over(tmp_path, rows: list[dict]):
    """A real engine over a small corpus of these records, ingested as a user would."""
    from rag.engine import Engine
    from rag.ingest import ingest

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "papers.jsonl").write_text("\n".join(json.dumps(r) for r in rows), "utf-8")
    settings = make_settings(tmp_path, corpus_dir=corpus)
    ingest([corpus], settings, progress=False)
    return Engine(settings)
