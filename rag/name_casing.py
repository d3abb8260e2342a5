"""Names typed in lower case, written back the way the collection writes them.

Names are found by their form (NUPES, LoRA, GaLore), but people type "what is nupes" or
"what rank does lora use". A lower-case word of the question is restored to the collection's
spelling when every paper that contains the word writes it as an acronym, in mixed case, or
capitalized on its own inside a sentence ("(e.g., Flamingo)"). Only abstracts count: a title
capitalizes every word, so it counts only for a word the abstract lacks. A word that any of
them writes as a plain word ("swarm" next to "SWARM"), or capitalized only where a sentence
starts ("Echo runs ...") or inside a capitalized phrase ("Zero Redundancy Optimizer"), is left
as typed, so an ordinary word never becomes a name.
"""

from __future__ import annotations

import re
from collections import Counter

from rag.bounded_cache import BoundedCache
from rag.catalog import Catalog
from rag.question_type import STOPWORDS, VERSION, WORD

CACHE_WORDS = 4096  # words whose spelling is kept (questions repeat words)
COMPOUNDS = 5  # hyphenated words starting with a word, looked at to tell a plain word
_VERSIONED = re.compile(rf"(?<![\w-])([a-z][a-z]{{2,}})\s+({VERSION})(?![\w.-])")
_NAME_FORM = re.compile(r"[A-Z].*[A-Z]|[a-z][A-Z]")  # two capitals, or a capital inside


def _after_lower(word: str) -> re.Pattern[str]:
    """The word capitalized on its own after a lower-case word or a comma: "(e.g., Flamingo)",
    not inside a capitalized phrase ("a solution, Zero Redundancy Optimizer") nor last in a
    list of names ("areas V4, IT and Behaviour")."""
    cap = re.escape(word[:1].upper() + word[1:])
    return re.compile(rf"(?:(?<![\w-])(?!(?:and|or)\s)[a-z][\w-]*|,)\s+{cap}(?![\w-])(?!\s+[A-Z])")


class NameCasing:
    """Shared by every answer of a view (its cache is thread-safe)."""

    def __init__(self, catalog: Catalog, common: int) -> None:
        self._catalog = catalog
        self._common = common  # more papers than this: a topic word, never restored
        self._cache: BoundedCache[str, str | None] = BoundedCache(CACHE_WORDS)

    def cased(self, question: str) -> str:
        """The question with its lower-case names in the collection's spelling; a name typed
        with its version or size apart takes the case of the joined spelling ("tacotron 2" is
        "Tacotron 2" where the abstracts write "Tacotron2", "dream 7b" is "Dream 7b" where
        they write "Dream-7B")."""
        question = _VERSIONED.sub(self._versioned, question)
        return WORD.sub(lambda m: self.spelling(m.group(0)) or m.group(0), question)

    def _versioned(self, match: re.Match[str]) -> str:
        word, version = match.group(1), match.group(2)
        joined = None
        if not self.spelling(word):  # "aya 101" where abstracts write "Aya-101"
            joined = self.spelling(word + version) or self.spelling(f"{word}-{version}")
        return f"{joined[: len(word)]} {version}" if joined else match.group(0)

    def spelling(self, word: str) -> str | None:
        """How the collection writes `word` ("nupes" -> "NUPES"), or None to keep it."""
        if not word.islower() or len(word) < 3 or word in STOPWORDS:
            return None
        return self._cache.get_or_compute(word, lambda: self._look_up(word))

    def _in_compounds(self, word: str, alone: int) -> int:
        """Papers writing the word hyphenated to a more common word ("feed-forward"), over
        the first few such words: an ordinary word, not a name ("LLaDA-8B" is a version)."""
        found = 0
        for compound in self._catalog.words_from(word + "-", COMPOUNDS):
            rest = compound[len(word) + 1 :]
            if rest.isalpha() and self._catalog.word_df(rest) > alone:
                found += self._catalog.word_df(compound)
        return found

    def _look_up(self, word: str) -> str | None:
        papers = self._catalog.word_df(word)
        if not papers or papers > self._common:  # read at most `common` records, once
            return None
        named = self._catalog.naming([word], limit=papers + 1)
        if len(named) < papers:  # some paper has it only as a plain word
            return None
        if self._in_compounds(word, papers) > papers:  # "feed-forward" outnumbers "Feed"
            return None
        forms: Counter[str] = Counter()
        pattern = re.compile(rf"(?<![\w-]){re.escape(word)}(?![\w-])", re.IGNORECASE)
        proper = 0  # capitalized after a lower-case word or a comma: "(e.g., Flamingo)"
        alone = _after_lower(word)
        for record in self._catalog.records(sorted(named)):
            # a title capitalizes every word ("Skill-it!"), so it only counts when the
            # abstract does not write the word
            forms.update(pattern.findall(record.abstract) or pattern.findall(record.title or ""))
            proper += len(alone.findall(record.abstract))
        capitalized = sum(n for form, n in forms.items() if not _NAME_FORM.search(form))
        if not forms or not all(_NAME_FORM.search(form) or form[0].isupper() for form in forms):
            return None
        if capitalized > proper:  # "Echo runs ...": some capital only starts a sentence
            return None
        return max(sorted(forms), key=lambda form: forms[form])
