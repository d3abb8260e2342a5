"""Scan the index for name handling: `python -m bench.name_scan [--show]`.

Questions are built from the collection itself, so they cover every paper, not a hand-written
sample:
- introduced: "What is X?" for each name written like one (two capitals, or a capital inside)
  that an introducing sentence of an abstract contains ("we propose ...") and at most two papers
  mention. Counted: answers refused, or led by another paper.
- titles: "What does <title's name part> propose?" and "what is <it in lower case>" for each
  "Name: subtitle" title whose name part has at most four words. Counted the same way.
- near misses: "What does X propose?" for each name that only follows "such as", "than",
  "outperforms", ... in at most two papers and is not in that paper's title. Counted: answered
  (a near miss should get the "No paper in this collection is about X" notice).
Some counted cases are right (a name the abstract only uses, or one that two papers share);
the counts are for comparing versions, not targets.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter

from rag.chunking import split_sentences
from rag.engine import Engine
from rag.name_titles import title_head
from rag.sentence_scoring import introduces
from rag.settings import load_settings

NAME = re.compile(
    r"(?<![\w-])([A-Z][A-Za-z0-9]*[A-Z0-9][A-Za-z0-9-]*|[A-Z][a-z]+[A-Z][A-Za-z0-9-]*)(?![\w-])"
)
CITING = re.compile(
    r"\b(such as|like|than|over|compared (to|with)|outperform\w*|baselines?|e\.g\.|including)\b",
    re.IGNORECASE,
)
MAX_PAPERS = 2  # names in more papers are topics, not one paper's name
MAX_HEAD_WORDS = 4


def scan(engine: Engine) -> tuple[dict[str, int], dict[str, list[tuple[str, str]]]]:
    """Each scan's number of questions, and its counted (question, what happened)."""
    catalog = engine._view.catalog
    df: Counter[str] = Counter()
    for p in catalog.iter_records():  # paged: two passes, no list of every record
        df.update(set(NAME.findall(f"{p.title or ''} {p.abstract}")))

    def rare(name: str) -> bool:
        return df[name] <= MAX_PAPERS and len(name) >= 3

    introduced: dict[str, str] = {}
    mentioned: dict[str, str] = {}
    titled: dict[str, str] = {}
    for p in catalog.iter_records():
        head = title_head(p.title)
        if p.title and head != p.title and len(head.split()) <= MAX_HEAD_WORDS:
            titled[head] = p.paper_id
        for sentence in split_sentences(p.abstract):
            for name in NAME.findall(sentence) if introduces(sentence) else []:
                if rare(name):
                    introduced.setdefault(name, p.paper_id)
            cue = CITING.search(sentence)
            if cue:
                for name in NAME.findall(sentence[cue.end() : cue.end() + 60]):
                    if rare(name) and len(name) >= 4 and name not in (p.title or ""):
                        mentioned.setdefault(name, p.paper_id)

    def led_elsewhere(question: str, pid: str) -> str | None:
        answer = engine.ask(question)
        if answer.refused:
            return "refused: " + answer.text.splitlines()[0][:80]
        if answer.sources[0].paper_id != pid:
            return "led by: " + (answer.sources[0].title or answer.sources[0].label)[:60]
        return None

    found: dict[str, list[tuple[str, str]]] = {"introduced": [], "titles": [], "near misses": []}
    for name, pid in sorted(introduced.items()):
        why = led_elsewhere(f"What is {name}?", pid)
        found["introduced"] += [(name, why)] if why else []
    for head, pid in sorted(titled.items()):
        for question in (f"What does {head} propose?", f"what is {head.lower()}"):
            why = led_elsewhere(question, pid)
            found["titles"] += [(question, why)] if why else []
    for name in sorted(mentioned):
        answer = engine.ask(f"What does {name} propose?")
        if not answer.refused:
            found["near misses"].append((name, "answered: " + answer.text.splitlines()[0][:60]))
    sizes = {"introduced": len(introduced), "titles": 2 * len(titled)}
    sizes["near misses"] = len(mentioned)
    return sizes, found


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.name_scan", description=__doc__)
    parser.add_argument("--show", action="store_true", help="list every counted question")
    args = parser.parse_args()
    sizes, found = scan(Engine(load_settings()))
    print("| scan | questions | counted |\n|---|---|---|")
    for kind, rows in found.items():
        print(f"| {kind} | {sizes[kind]} | {len(rows)} |")
    if args.show:
        for kind, rows in found.items():
            print(f"\n## {kind}")
            for question, why in rows:
                print(f"- {question}: {why}")


if __name__ == "__main__":
    main()
