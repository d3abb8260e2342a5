"""Papers named in a question: the paper *about* a name, or only papers that mention it.

"What is NUPES?" should show the NUPES paper first. "What rank does GPTQ use?" names a
method that papers here only mention in passing: answering from them would pass off their
sentences as GPTQ's own results, so the engine says the collection has no paper about it.

A paper is about a name when its title contains it, or its abstract introduces it ("we
propose X", "we present a framework, X", "X for short"). Names are found by form (acronyms, digits,
capitals), never from a list. Only a name the question is about counts: not one in a setting
("on CARLA", "a generator like MAR", "an average GLUE score"). "The original X" asks for the paper
that introduced X, however many papers use X; and a paper that mentions X but holds the rest of
the question answers it ("a speech recognizer like Canary-1B ...").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from difflib import get_close_matches

from rag.bounded_cache import BoundedCache
from rag.catalog import Catalog, PaperRecord
from rag.chunking import split_sentences
from rag.name_casing import CACHE_WORDS, NameCasing
from rag.name_introductions import capitals, defined_in, initials, introduces_name, spells_out
from rag.name_plan import NamePlan
from rag.name_roles import (
    built_on,
    heading,
    is_unit,
    may_be_subject,
    only_aside,
    origin_names,
    part_of,
    plain_word,
    spellings,
)
from rag.name_titles import TYPO_MIN_LENGTH, title_head
from rag.question_type import (
    STOPWORDS,
    VERSION,
    QuestionInfo,
    analyze,
    is_measure,
    terms_of,
    without_suffix,
)
from rag.sentence_scoring import (
    TYPO_CUTOFF,
    LexicalStats,
    lexical_share,
    mentions,
    term_weights,
)
from rag.text import plain

COMMON_SHARE = 0.05  # a word in more than 5% of papers (GPU, LLMs) is a topic, not a name
MENTION_MAX_DF = 30  # a name only this many papers mention can still be one paper's subject
COMMON_CAP = 200  # ... and more than this many is a topic in any collection (each is read)
TYPO_PREFIX = 3  # a typo keeps the first letters: candidates share them
TYPO_CANDIDATES = 5000  # indexed words read per lookup, at most
PROMOTE_MAX_DF = 10  # promote the paper about a name only when few papers mention the name
PROMOTE_MAX_ABOUT = 2  # ... and one or two papers are about it (not a topic like "Gaussian")
TITLE_HEAD = 3  # about-strength of a paper whose title's name part is the name
ORIGIN = 4  # ... of the paper introducing a name the question asks for the paper of
MENTION_COVERS = 0.5  # a mentioning paper with this share of the question's other terms answers


class PaperNames:
    """An index of which papers mention each word, to find papers about a question's names."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog  # its name postings are kept by `rag.paper_terms.name_keys`
        share = int(COMMON_SHARE * catalog.count())
        self._common = min(max(MENTION_MAX_DF, share), COMMON_CAP)
        self.casing = NameCasing(catalog, self._common)
        self._typos: BoundedCache[str, str | None] = BoundedCache(CACHE_WORDS)

    def _candidates(self, name: str) -> list[str]:
        """Papers that mention `name`; none when too many papers share its first word."""
        words = [without_suffix(w) for w in name.lower().split()]  # "ZeRO++" as "zero"
        ids = self._catalog.naming(words, limit=self._common + 1)
        if not ids and "-" in name:  # "phi-3-mini" as typed, "Phi-3 Mini" as written
            words = [part for part in re.split(r"[\s-]+", name.lower()) if part]
            ids = self._catalog.naming(words, limit=self._common + 1)
        elif not ids and " " in name:  # "Dream 7b" as typed, "Dream-7B" as written
            ids = self._catalog.naming(["-".join(words)], limit=self._common + 1)
        if len(ids) > self._common and len(words) == 1:
            return []
        return sorted(pid for pid in ids if mentions(self._text(pid), name))

    def _proper(self, word: str) -> bool:
        """No paper writes the word in lower case only: "Waymo" is a proper noun, where
        "Voice" is also an ordinary word ("voice")."""
        low = word.lower()
        df = self._catalog.word_df(low)
        return 0 < df <= self._common and len(self._catalog.naming([low], limit=df + 1)) == df

    def written_by_few(self, name: str, most: int) -> bool:
        """At most `most` papers write `name` as a name (counted by its words)."""
        return len(self._catalog.naming(name.lower().split(), limit=most + 1)) <= most

    def unwritten(self, name: str) -> bool:
        """No paper writes `name` as a name: a capitalized word of a question that is not."""
        return self.written_by_few(name, 0)

    def written_otherwise(self, name: str, question: str = "") -> bool:
        """Papers write the name another way ("MovieGen" as "Movie Gen", "FastAtention" as
        "FastAttention"): not unknown."""
        spelled = self._other_spellings(name, plain(question))
        return any(self._candidates(other) for other in spelled)

    def _other_spellings(self, name: str, question: str) -> Iterator[str]:
        """`spellings`, then the typo's word: looked up (and kept) only when none matched."""
        yield from spellings(name, question)
        if typo := self._typos.get_or_compute(name.lower(), lambda: self._misspelled(name)):
            yield typo

    def _misspelled(self, name: str) -> str | None:
        """The one indexed word a long name is a typo of ("FastAtention": "FastAttention"),
        with the same digits, as the abstracts write it; None when there is no such word or
        more than one."""
        low = name.lower()
        if len(low) < TYPO_MIN_LENGTH or " " in low or self._catalog.word_df(low):
            return None
        digits = re.sub(r"\D", "", low)
        words = [
            w
            for w in self._catalog.words_from(low[:TYPO_PREFIX], TYPO_CANDIDATES)
            if re.sub(r"\D", "", w) == digits
        ]
        close = get_close_matches(low, words, n=2, cutoff=TYPO_CUTOFF)
        plural = close and low == close[0] + "s"  # "Q-ensembles": a plural, not a typo
        if len(close) != 1 or plural:
            return None
        return self.casing.spelling(close[0]) or close[0]  # "ConsiStroy": "ConsiStory"

    def _paper(self, pid: str) -> PaperRecord:
        return self._catalog.records([pid])[0]

    def _text(self, pid: str) -> str:
        p = self._paper(pid)
        return plain(f"{p.title or ''}\n{p.abstract}")

    def _title(self, pid: str) -> str:
        return plain(self._paper(pid).title or "")

    def _common_term(self, name: str, ids: list[str]) -> bool:
        """Some abstract spells the acronym out in lower case ("deep neural network (DNN)",
        "low-rank adaptation (LoRA)", "chain-of-thought (CoT)", whose "of" has no capital): a
        common term, where a named method is spelled out with capitals ("Gradient Low-Rank
        Projection (GaLore)")."""
        letters = capitals(name)
        if len(letters) < 2 or not name.isalpha():
            return False
        spelled = re.compile(rf"((?:\b[a-z][a-z-]*\s+){{1,6}})\(\s*{re.escape(name)}s?\s*\)")
        for pid in ids:
            for match in spelled.finditer(self._text(pid)):
                words = re.split(r"[\s-]+", match.group(1).strip())
                if any(
                    initials(words, skip).endswith(letters) for skip in (frozenset(), STOPWORDS)
                ):
                    return True
        return False

    def about_strength(self, pid: str, name: str) -> int:
        """3: the title's name part is `name`; 2: the title contains it; 1: the abstract
        introduces it; 0: the paper only mentions it."""
        title = self._title(pid)
        head = title_head(title)
        if head and head.lower() == name.lower():
            return TITLE_HEAD
        if mentions(title, name):
            return 2
        return int(self._introduces(pid, name))

    def _first_owners(
        self, ids: list[str], name: str, strengths: dict[str, int]
    ) -> tuple[list[str], bool]:
        """The papers that introduce `name` most strongly: the one titled by the name or by
        the words it abbreviates ("Direct Preference Optimization: ..." for DPO) before the
        papers that also define it ("training with Direct Preference Optimization (DPO)");
        and whether their title is headed so."""
        rank = {}
        for pid in ids:
            if strengths[pid] and self.owns(pid, name):
                spelled = defined_in(plain(self._paper(pid).abstract), name)
                rank[pid] = max(strengths[pid], self.about_strength(pid, spelled) if spelled else 0)
        top = max(rank.values(), default=0)
        return [pid for pid in ids if pid in rank and rank[pid] == top], top >= TITLE_HEAD

    def owns(self, pid: str, name: str) -> bool:
        """The paper is the origin of `name`: its title's name part is the name, or its
        abstract introduces it. A title that merely contains the name does not count."""
        head = title_head(self._title(pid))
        return head.lower() == name.lower() or self._introduces(pid, name)

    def _introduces(self, pid: str, name: str) -> bool:
        head = title_head(self._title(pid)).lower()
        if " " not in head and head.find(name.lower()) > 0:
            return False  # "MSPLoRA: ...": its "Global Shared LoRA" is a variant, not LoRA
        abstract = plain(self._paper(pid).abstract)
        return any(introduces_name(name, s) for s in split_sentences(abstract))

    def origins_missing(self, info: QuestionInfo, plan: NamePlan, pids: list[str]) -> NamePlan:
        """ "the original Transformer", "which paper introduced TarFlow": the question asks
        about the paper that introduced a name. When none of these papers (retrieved, or
        about the name) is titled by it or introduces it, the name is a near miss even if
        hundreds of papers use it (too many for the plan), and a paper whose title only
        contains it ("Accelerate TarFlow Sampling ...") no longer leads."""
        candidates = [*pids, *plan.about]
        names = [
            n
            for n in origin_names(info)
            if n not in plan.mentioned_only and not any(self.owns(p, n) for p in candidates)
        ]
        if not names:
            return plan
        mentioning = [p for p in pids if any(mentions(self._text(p), n) for n in names)]
        return replace(
            plan,
            mentioned_only=[*plan.mentioned_only, *names],
            mentioning=sorted({*plan.mentioning, *mentioning}),
            leads=[p for p in plan.leads if not any(self.about_strength(p, n) for n in names)],
        )

    def plan(self, info: QuestionInfo) -> NamePlan:
        """Which papers the question's names point to, and which names no paper is about."""
        plan = NamePlan()
        ranked: list[tuple[int, int, str]] = []  # (how many papers mention, -strength, pid)
        weak: list[tuple[int, int, str]] = []
        promoted: list[tuple[int, int, str]] = []
        mentioned: dict[str, list[str]] = {}  # names no paper is about: who mentions them
        written: list[str] = []  # phrases some paper writes ("Qwen2 Audio"): their words
        unowned: list[str] = []  # are not names of their own, nor about other papers
        # nor are the plain words of a phrase no paper writes ("Voice" of "Voice Mode")
        unwritten = [
            p for p in info.phrases if not _opens_sentence(p, info.text) and not self._candidates(p)
        ]
        origins_asked = origin_names(info)  # "the original Lion paper": its origin leads
        for name in dict.fromkeys([*info.phrases, *info.names]):
            if is_measure(name) or is_unit(name) or part_of(name, unowned):
                continue
            if built_on(name, info.text) or only_aside(name, info.text):  # "the extension of
                continue  # DiLoCo", "(partly for CO2 reasons)": not the paper asked about
            if plain_word(name) and part_of(name, unwritten) and not self._proper(name):
                continue
            typed, ids = name, self._candidates(name)  # where it stands: as typed
            for other in [] if ids else self._other_spellings(name, info.text):  # ConvMAE-Base
                if ids := self._candidates(other):
                    name = other
                    break
            if not ids or len(ids) > self._common:
                continue
            if spelled := defined_in(info.text, name):  # "Task Preference Optimization (TPO)"
                ids = [pid for pid in ids if mentions(self._text(pid), spelled)] or ids
            if " " in name:
                written.append(name)
            strengths = {pid: self.about_strength(pid, name) for pid in ids}
            origin = None
            if name in origins_asked:
                firsts, titled = self._first_owners(ids, name, strengths)
                strengths |= {pid: ORIGIN for pid in firsts}
                origin = firsts[0] if len(firsts) == 1 and titled else None
            if not origin and TITLE_HEAD not in strengths.values() and self._common_term(name, ids):
                continue  # "deep neural network (DNN)": a term, whatever titles contain it
            about = [origin] if origin else [pid for pid in ids if strengths[pid]]
            if " " in name and not about:
                if _opens_sentence(typed, info.text) and not _VERSION_END.search(typed):
                    continue  # "Vanilla DPO ...": only its first word's capital makes it one
                unowned.append(name)  # "Hindsight Experience Replay": not "Experience"
            if about:
                plan.focus.append(name)
                if origin or len(about) <= PROMOTE_MAX_ABOUT and len(ids) <= PROMOTE_MAX_DF:
                    plan.specific.append(name)
                    if may_be_subject(typed, info.text) and not part_of(name, plan.specific):
                        lead = min(about, key=lambda pid: (-strengths[pid], pid))
                        plan.leads.append(lead)
                        tied = [p for p in about if p != lead and strengths[p] == strengths[lead]]
                        if tied:
                            plan.rivals[lead] = tied
                        if not self.owns(lead, name):
                            plan.origins += [p for p in about if self.owns(p, name)]
                    into = weak if plain_word(name) else ranked
                    into.extend((len(ids), -strengths[pid], pid) for pid in about)
                    owned = any(self.owns(pid, name) for pid in about)
                    if into is ranked and (owned or may_be_subject(typed, info.text)):
                        promoted.extend((len(ids), -strengths[pid], pid) for pid in about)
            elif (
                len(ids) <= MENTION_MAX_DF
                and may_be_subject(typed, info.text)
                and not part_of(name, written)
            ):
                mentioned[name] = ids
        plan.about = _unique(ranked)
        plan.promoted = _unique(promoted)
        plan.about_if_retrieved = [p for p in _unique(weak) if p not in plan.about]
        for name, ids in mentioned.items():  # not a part of a paper the question names
            if others := set(ids) - set(plan.about):  # ("the X strategy in DynamicCity")
                plan.mentioned_only.append(name)
                plan.mentioning.extend(others)
        plan.mentioning = sorted(set(plan.mentioning))
        return plan

    def near_miss(self, info: QuestionInfo, plan: NamePlan) -> bool:
        """The question asks about a named thing that papers here only mention; also when it
        asks for a method, if the thing is "the original X" ("... and what method does the
        original Alpa paper use?"), in the question's heading ("X: ... which model judges?"), or
        in a question of its own that asks for no papers ("How was X trained? Which ...?")."""
        if not plan.mentioned_only or plan.leads:
            return False
        if not info.asks_for_papers:
            return True
        title = heading(info.text)
        origins = {_joined(n) for n in origin_names(info)}  # "B-Adam" as typed, "BAdam" found
        asked = [s for s in split_sentences(info.text) if s.rstrip().endswith("?")]
        alone = [s for s in asked if not analyze(s).asks_for_papers] if len(asked) > 1 else []
        return any(
            _joined(n) in origins or mentions(title, n) or any(mentions(s, n) for s in alone)
            for n in plan.mentioned_only
        )

    def answered_by_mention(
        self, info: QuestionInfo, plan: NamePlan, pids: list[str], stats: LexicalStats
    ) -> bool:
        """A retrieved paper that mentions the name and holds most of what the question asks
        besides it ("How many fewer GPUs train a speech recognizer like Canary-1B once ...")
        is where the answer is, not a passing mention of someone else's work. Not when the
        question asks for the name's own paper ("according to the FlashAttention paper")."""
        if set(plan.mentioned_only) & set(origin_names(info)):
            return False
        named = {t for name in plan.mentioned_only for t in terms_of(name)}
        weights = term_weights([t for t in info.terms if t not in named], stats)
        for pid in pids:
            text = self._text(pid)
            mentioned = pid in plan.mentioning or any(
                spells_out(text, name) for name in plan.mentioned_only
            )
            if mentioned and lexical_share(text, weights) >= MENTION_COVERS:
                return True
        return False

    @staticmethod
    def unknown_subjects(info: QuestionInfo, unknown: list[str]) -> list[str]:
        """Identifiers no abstract contains (AlphaFold2, CASP14, MMDiT) that the question is
        about; all-capital words (CCTV) may be everyday abbreviations."""
        return [
            w
            for w in unknown
            if (re.search(r"\d", w) or (re.search(r"[A-Z].*[A-Z]", w) and re.search("[a-z]", w)))
            and may_be_subject(w, info.text)
        ]

    def mention_sentences(self, pid: str, names: list[str]) -> list[str]:
        return [
            s
            for s in split_sentences(self._paper(pid).abstract)
            if any(mentions(s, n) for n in names)
        ]


_VERSION_END = re.compile(rf"\s{VERSION}$")  # "Dream 7b", "Argoverse 2"


def _joined(name: str) -> str:
    return re.sub(r"[\s-]+", "", name).lower()


def _opens_sentence(phrase: str, question: str) -> bool:
    """Each time the question writes the phrase, it opens a sentence: its first word may be
    capitalized only for that ("Vanilla DPO ..."; not "Deformable DETR is ... the original
    Deformable DETR paper")."""
    text, name = question.strip(), rf"{re.escape(phrase)}(?![\w-])"
    opening, anywhere = re.findall(rf"(?:^|[.?!:]\s+){name}", text), re.findall(name, text)
    return bool(opening) and len(opening) == len(anywhere)


def _unique(ranked: list[tuple[int, int, str]]) -> list[str]:
    return list(dict.fromkeys(pid for _, _, pid in sorted(ranked)))
