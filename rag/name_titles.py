"""A paper named by its title: "Pinco" is the name part of "Pinco: Position-induced ...".

A question that contains a retrieved paper's title name, typed as written or with a typo,
named that paper, though its words may be plain ("natural galore").
"""

from __future__ import annotations

import re
from difflib import get_close_matches

from rag.sentence_scoring import TYPO_CUTOFF
from rag.text import plain
from rag.types import Source

TYPO_MIN_LENGTH = 7  # shorter names differ by a letter on purpose (GPT-4o, SD3)


def title_head(title: str | None) -> str:
    """A title's name part: "Pinco" in "Pinco: Position-induced ..." (the whole title when
    it has no colon)."""
    return (title or "").split(":")[0].strip()


def names_title(question: str, title: str | None, shortest: int = 4) -> bool:
    """The question contains the name part of the title ("Pinco: Position-induced ..."), as
    whole words, in any case, or a long one typed with a typo ("swarm paralelism" for "SWARM
    Parallelism"); a shorter name part does not count."""
    head = title_head(title)
    if len(head) < shortest or head == title:
        return False
    head, question = plain(head), plain(question)  # "TÜLU 3" is "Tulu 3"
    if re.search(rf"(?<![\w-]){re.escape(head)}(?![\w-])", question, re.IGNORECASE):
        return True
    return len(head) >= TYPO_MIN_LENGTH and _typed_close(head.lower(), question.lower())


def _typed_close(head: str, question: str) -> bool:
    """Some run of the question's words, as many as the head has, is a typo of it."""
    words, width = re.findall(r"[\w-]+", question), len(head.split())
    runs = [" ".join(words[i : i + width]) for i in range(len(words) - width + 1)]
    return bool(get_close_matches(head, runs, n=1, cutoff=TYPO_CUTOFF))


def titled_by(question: str, sources: list[Source]) -> list[str]:
    """Retrieved papers whose title's name part, two words or more, the question contains
    in any case ("what is natural galore", "Negative Preference Optimization"), longest
    first: the user named that paper, though its words are plain."""
    named = [s for s in sources if " " in title_head(s.title) and names_title(question, s.title)]
    return [s.paper_id for s in sorted(named, key=lambda s: -len(title_head(s.title)))]
