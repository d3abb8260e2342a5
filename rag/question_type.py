"""What a question asks for: its kind, its content terms and the names it mentions.

The extractive answer picks different sentences for "how much ..." (the one stating the
quantity) than for "what is X" (the one introducing X); the honesty checks need the
question's key terms. All rules here are about English question forms, never about papers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from rag.chunking import split_sentences
from rag.question_scope import (
    WH,
    WHICH,
    asks_for_field,
    asks_for_papers,
    only_as_example,
    papers_asked,
    wants_papers,
    wants_survey,
)
from rag.text import plain

Kind = Literal["metadata", "comparison", "number", "definition", "which", "general"]

WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]*")
# A name may end in "+", "++" or "#": ZeRO++ is not ZeRO, QuIP# not QuIP.
_NAME_END = r"(?:\+\+|\+|#)"
_NAME_WORD = re.compile(rf"[A-Za-z0-9][A-Za-z0-9\-]*(?:{_NAME_END}(?![\w+#]))?")
_SUFFIX = re.compile(rf"(?<=[A-Za-z0-9]){_NAME_END}$")
_TERM = re.compile(r"[A-Za-z0-9]+")
_ACRONYM_PLURAL = re.compile(r"[A-Z][A-Z0-9-]*[A-Z0-9]s|[a-z]+\d+s")  # GPUs, LLMs, A100s, v100s

_POSSESSIVE = ("'s", "’s")
_PIXELS = re.compile(r"(\d+)px")
# the words a size's letter stands for: "1T parameters" is written "a trillion parameters"
_MAGNITUDES = {"k": "thousand", "m": "million", "b": "billion", "t": "trillion"}
# A version or size typed after a name: "Argoverse 2", "Phi 3.5", "Dream 7b", "Octopus v2".
VERSION = r"v?\d+(?:\.\d+)?[bBmMkK]?"
_VERSION_AFTER = re.compile(rf"\s+{VERSION}(?![\w.-])")
_STOP_TEXT = """
    a an the and or of in on at to for from by with without into onto over under about as is
    are was were be been being do does did doing done has have had having can could should
    would will shall may might must it its it's this that these those there here their them
    they we our you your i me my he she his her what which who whom whose when where why how
    much many any some all each both either neither not no nor than then so such very more most
    less least also just only own same other another paper papers work works study studies
    method methods approach approaches model models according report reports reported say says
    said show shows shown propose proposes proposed use uses used using get gets give gives
    given make makes made help helps need needs one two new way ways compared compare versus vs
    between tell explain describe let
"""
STOPWORDS = frozenset(_STOP_TEXT.split())
# Spelled-out Greek letters: "PixArt-Sigma" is how one types "PixArt-Σ".
_GREEK_TEXT = """alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron
    pi rho sigma tau upsilon phi chi psi omega"""
GREEK_LETTERS = frozenset(_GREEK_TEXT.split())

_PUBLISHED = r"(published|released|written|submitted|posted|updated|presented|accepted)"
_METADATA = re.compile(
    r"^(who (wrote|authored|are the authors|is the author|were the authors)|"
    r"(what|which) (is|are|was|were) the (authors?|publication date|publication year|"
    r"(arxiv )?categor(y|ies)|arxiv id|doi|venue)\b|list the authors|"
    rf"when (was|were)\b.*\b{_PUBLISHED}\W*$|"
    r"when did\b.*\b(come out|appear|get published)\W*$|"
    rf"(in |from )?(what|which) year\b.*\b({_PUBLISHED}|from|appear)\W*$|"
    rf"(in |at )?(what|which) (venue|journal|conference)\b.*\b({_PUBLISHED}|appear)\W*$|"
    rf"where (was|were)\b.*\b{_PUBLISHED}\W*$)",
    re.IGNORECASE,
)
_COMPARISON = re.compile(
    r"\b(compare|comparison|contrast|versus|vs\.?|differ|differs|difference between|"
    r"differences between)\b",
    re.IGNORECASE,
)
# What a number question can ask the value of. Written like names (FLOPs, GPUs, BLEU, MFU),
# these are units and metrics, never a paper's subject.
MEASURE_WORDS = (
    r"accuracy|speed-?ups?|score|scores|perplexity|fid|bleu|error|rate|latency|throughput|size|"
    r"cost|budget|memory|savings?|gains?|improvements?|mfu|compression|reduction|flops|"
    r"parameters|tokens|hours|days|gpus|elo|f1|auc|ratio"
)
_QUALIFIED = frozenset({"rate", "size"})  # measures named by the word before them
_MEASURE = re.compile(rf"(?:{MEASURE_WORDS})", re.IGNORECASE)
# "What ImageNet top-1 accuracy ...", "What was the total dollar cost ...": the words before
# the measure may carry hyphens and digits; the measure itself is kept (`QuestionInfo.measure`).
_NUMBER = re.compile(
    rf"\b(how (much|many) ([\w\-]+ ){{0,2}}?(?P<amount>{MEASURE_WORDS})|"
    r"how (much|many|fast|long|large|big|small|quickly|often|far|high|low|well)|"
    r"by how|what (fraction|percentage|share|proportion|ratio|number)|"
    rf"(what|which) ((?P<qualifier>[\w\-]+) ){{0,4}}(?P<measure>{MEASURE_WORDS}))\b",
    re.IGNORECASE,
)
# where a question asks a second thing: "..., and what gains ...", "...? Why ..."
_ASKED_PARTS = re.compile(
    rf"\?|;|,?\s+(?:and|but)\s+(?={WH}|(?:is|are|does|do|did|can)\b)",
    re.IGNORECASE,
)
# where a question starts asking something: "What F1 ..., how much deeper ..., and which task ...?"
_ASK_START = re.compile(
    r"(?:^|[,;:?.]\s*|\b(?:and|but|also|or)\s+)(?:(?:in|on|for|by|to|at|with|from|against|of|"
    rf"under|into)\s+)?{WH}",
    re.IGNORECASE,
)
_DEFINITION = re.compile(
    r"^(what (is|are|'s|was)\b|what does \S+( \S+){0,3} (propose|do|introduce|measure|"
    r"offer|present|mean)\b|how (does|do|did) \S+( \S+){0,3} work\b|explain\b|describe\b|"
    r"define\b|what is meant by\b)",
    re.IGNORECASE,
)
_HOW = re.compile(r"\bhow (does|do|did|can|could|is|are|was|were)\b", re.IGNORECASE)
# "how" asking for a way, not an amount: "how does it split the work", not "how much"
_HOW_DONE = re.compile(r"\bhow\b(?! (much|many|large|big|fast|long|far|well|often))", re.I)


@dataclass(frozen=True)
class QuestionInfo:
    text: str
    kind: Kind
    terms: tuple[str, ...]  # content terms (normalized), in question order, no repeats
    names: tuple[str, ...]  # words that look like names or acronyms: NUPES, CO-Bench, GPT-3
    phrases: tuple[str, ...] = field(default=())  # runs of 2+ name words: "Platonic Representation"
    measure: str = ""  # what a number question asks the value of ("accuracy", "cost"), if said

    @property
    def wants_number(self) -> bool:
        """A quantity is asked for, also as one part of a comparison ("how do X and Y differ,
        and how large can they train?")."""
        return self.kind == "number" or bool(
            self.kind in ("comparison", "general") and _NUMBER.search(self.text)
        )

    @property
    def only_number(self) -> bool:
        """Every part asked is a quantity: "How does each build it, and what gains do they
        report?" also asks how, so an abstract without the gains still answers a part."""
        parts = [p for p in _ASKED_PARTS.split(self.text) if p.strip()]
        return self.kind == "number" and all(self._asks_quantity(part) for part in parts)

    def _asks_quantity(self, part: str) -> bool:
        """A number, or the measure asked about: "What GPU type and how many GPUs ...?" asks
        only about the GPUs."""
        if _NUMBER.search(part):
            return True
        if not self.measure:
            return False
        forms = {f for w in re.findall(r"\w+", part) for f in (normalize_term(w), *word_forms(w))}
        return bool(forms & {normalize_term(self.measure), *word_forms(self.measure)})

    @property
    def asks_mechanism(self) -> bool:
        """Some part asks how something is done: the sentence saying "through X" answers it."""
        return bool(_HOW_DONE.search(self.text))

    @property
    def asks(self) -> int:
        """How many things are asked: a three-part question wants three sentences."""
        return len(_ASK_START.findall(self.text))

    @property
    def asks_how(self) -> bool:
        """ "What is X?", "How does X keep Y from Z?": the method is wanted, not the problem
        it addresses (which the question's own words tend to restate)."""
        return self.kind == "definition" or bool(self.kind == "general" and _HOW.search(self.text))

    # Which papers are asked for: the rules are in rag.question_scope.
    @property
    def asks_for_papers(self) -> bool:
        return asks_for_papers(self.text)

    def only_as_example(self, name: str) -> bool:
        return only_as_example(self.text, name)

    @property
    def papers_asked(self) -> int:
        return papers_asked(self.text)

    @property
    def wants_survey(self) -> bool:
        return self.kind != "metadata" and wants_survey(self.text)

    @property
    def wants_papers(self) -> bool:
        return self.kind != "metadata" and wants_papers(self.text)

    @property
    def asks_for_field(self) -> bool:
        return self.kind != "metadata" and asks_for_field(self.text)


def normalize_term(word: str) -> str:
    """Lower-case with one plural "s" cut (not from "ss"/"us"/"is"), as the eval compares words."""
    w = word.lower()
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def terms_of(text: str) -> list[str]:
    """Normalized content terms of any text (question or sentence), in order."""
    return [t for t in map(_term, _TERM.findall(plain(text))) if t]


@lru_cache(maxsize=200_000)
def _term(word: str) -> str:
    """The normalized term of one word, "" for a stopword (cached: words repeat a lot)."""
    raw = word.lower()
    if raw in STOPWORDS or (len(raw) < 2 and not raw.isdigit()):
        return ""
    return raw[:-1] if _ACRONYM_PLURAL.fullmatch(word) else normalize_term(raw)


def is_measure(word: str) -> bool:
    """A unit or metric a number question asks about (FLOPs, GPUs, BLEU), not a name."""
    return bool(_MEASURE.fullmatch(word))


def word_forms(word: str) -> list[str]:
    """The lower-cased word and, for an acronym plural (IDs, LLMs), its singular too: an
    abstract that only writes "ID" still contains the question's "IDs"; a name with a "++"
    or "#" also as the word the index keeps."""
    low = word.lower()
    if pixels := _PIXELS.fullmatch(low):  # "1024px": abstracts write "1024 x 1024"
        return [low, pixels.group(1)]
    if magnitude := one_of(low):  # "1T": abstracts write "a trillion"
        return [low, magnitude]
    if _SUFFIX.search(low):  # "zero++" is indexed under "zero"
        return [low, without_suffix(low)]
    return [low, low[:-1]] if _ACRONYM_PLURAL.fullmatch(word) else [low]


_INFLECTIONS = ("ly", "ing", "ed", "es", "d")  # plurals are cut already (normalize_term)


def inflected_from(term: str) -> list[str]:
    """Terms this one may be an inflection of: "adversarially" of "adversarial", "looking"
    of "look", "scaled" of "scale". Inflections only: "referable" is not "refer"."""
    stems = [term[: -len(end)] for end in _INFLECTIONS if term.endswith(end)]
    return [f for stem in stems if len(stem) >= 3 for f in (stem, stem + "e")]


def one_of(word: str) -> str:
    """The word a one-unit size stands for: "trillion" for "1T" (any case), else empty."""
    low = word.lower()
    return _MAGNITUDES.get(low[1:], "") if len(low) == 2 and low[0] == "1" else ""


def without_suffix(word: str) -> str:
    """The word as the index keeps it: "zero++" as "zero", "quip#" as "quip"."""
    return _SUFFIX.sub("", word)


def _measure(number: re.Match[str]) -> str:
    """The measure a number question names; a bare "rate" or "size" keeps the word before it
    ("learning rate", "batch size"): an abstract that only says "the size of weights" does not
    state a batch size."""
    measure = number.group("measure") or number.group("amount") or ""  # as typed: "GPUs"
    qualifier = number.group("qualifier") or ""
    if measure.lower() in _QUALIFIED and qualifier and qualifier.lower() not in STOPWORDS:
        return f"{qualifier} {measure}"
    if is_measure(qualifier):  # "what throughput gain": a throughput is what is stated
        return qualifier
    return measure


def _looks_like_name(word: str, first: bool) -> bool:
    """Acronyms, digits with letters, capitalized words (not first), a capital after a
    lower-case start ("nuScenes"); never one letter ("I"), nor a description joined by
    hyphens ("the self-training-with-DPO paper")."""
    parts = word.split("-")
    if word[:1].islower() and len(parts) > 2 and STOPWORDS & set(parts):
        return False
    return len(word) > 1 and bool(
        (any(c.isdigit() for c in word) and any(c.isalpha() for c in word))
        or re.search(r"[A-Z].*[A-Z]|^[a-z]+[A-Z]", word)
        or (not first and word[0].isupper())
    )


def _words(question: str) -> list[tuple[str, bool]]:
    """The question's words, each with whether it starts a sentence: "Which" in "Can deep
    nets learn fast? Which initializations work?" is capitalized because it comes first.
    A first word in the possessive or before a version is a name wherever it stands
    ("Silkie's gains ...", "Argoverse 2 has ...")."""
    out = []
    for sentence in split_sentences(plain(question)):
        for i, match in enumerate(_NAME_WORD.finditer(sentence)):
            word = match.group()
            rest = sentence[match.end() :]
            named = rest[:2] in _POSSESSIVE or _VERSION_AFTER.match(rest)
            out.append((word, i == 0 and not (named and word.lower() not in STOPWORDS)))
    return out


def names_in(question: str) -> list[str]:
    """Words that look like names or acronyms: CASP14, MMDiT, Mamba (not a sentence's first
    word)."""
    return [w for w, first in _words(question) if _looks_like_name(w, first)]


def _may_open_phrase(word: str) -> bool:
    """A sentence's capitalized first word that may begin a name ("Immiscible Diffusion"),
    not a question or function word ("Does FRUGAL ...")."""
    return word[:1].isupper() and word.isalpha() and word.lower() not in STOPWORDS


def _phrases(question: str) -> list[str]:
    """Runs of two or more consecutive name-like words ("Platonic Representation Hypothesis")."""
    out, run = [], []
    words = _words(question)
    for i, (word, first) in enumerate(words):
        if _looks_like_name(word, first) and not (first and run):
            run.append(word)
            continue
        if first and _may_open_phrase(word) and i + 1 < len(words):
            follower, follower_first = words[i + 1]  # "Immiscible Diffusion vs ...": a name
            if not follower_first and _looks_like_name(follower, False):
                if len(run) >= 2:
                    out.append(" ".join(run))
                run = [word]
                continue
        if len(run) >= 2:
            out.append(" ".join(run))
        run = [word] if _looks_like_name(word, first) else []
    if len(run) >= 2:
        out.append(" ".join(run))
    return out


def asks_metadata(question: str) -> bool:
    """ "Who wrote [2]?", "when was it published?": the record is asked for, not the abstract."""
    return bool(_METADATA.search(question.strip()))


@lru_cache(maxsize=512)
def analyze(question: str) -> QuestionInfo:
    """Classify a question; the first matching kind wins (metadata is the most specific).
    Its text is `plain`: the papers' words are matched without accents."""
    question = plain(question)
    number = _NUMBER.search(question)
    if asks_metadata(question):
        kind: Kind = "metadata"
    elif _COMPARISON.search(question):
        kind = "comparison"
    elif number:
        kind = "number"
    elif _DEFINITION.search(question.strip()):
        kind = "definition"
    elif WHICH.search(question):
        kind = "which"
    else:
        kind = "general"
    terms = tuple(dict.fromkeys(terms_of(question)))
    measure = _measure(number) if number and kind == "number" else ""
    return QuestionInfo(
        question, kind, terms, tuple(names_in(question)), tuple(_phrases(question)), measure
    )
