"""Score the retrieved abstracts' sentences for what the question asks.

Cosine similarity alone picks sentences that sound like the question ("The average score
across a wide range of benchmarks...") over the one that answers it. Each sentence gets:
- dense: cosine between the question and the sentence vector stored at ingestion;
- lexical: IDF-weighted share of the question's content terms the sentence contains
  (document frequencies counted once over the collection when the engine opens);
- type: a number question wants a sentence that states a quantity, a "what is X" question
  the sentence that introduces X ("we propose X", "X is a ...");
- focus: the sentence (or its paper) names what the question names; within the paper
  about that name, the name's own terms no longer count as lexical evidence;
- boilerplate: "code is available at https://..." answers nothing.
Weights were tuned on the development set (eval/questions.jsonl) only.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from difflib import get_close_matches
from functools import lru_cache

import numpy as np

from rag.question_type import QuestionInfo, normalize_term, terms_of
from rag.text import numbers_in, plain, stemmer

W_DENSE = 1.0
W_LEXICAL = 0.55
W_NUMBER = 0.15
W_INTRO = 0.12
W_FOCUS = 0.2
W_RANK = 0.25  # retrieval rank prior: 1st source +W_RANK, falling as 1/rank
W_BOILERPLATE = 0.4
W_BACKGROUND = 0.2  # "However, existing methods ...": the problem, not the answer
W_MECHANISM = 0.08  # "... through a chunk-based strategy": how it is done, for a "how" question
W_RESULT = 0.05  # "we show / achieves / outperforms": what the paper found
W_PREAMBLE = 0.15  # "how" question: a sentence before the paper says what it proposes (probes +)
SENTENCE_TERMS_CACHE = 20_000  # sentences (about 2,000 abstracts) whose terms are kept
TYPO_CUTOFF = 0.9  # difflib ratio: "accurracy" is "accuracy" (0.94), "accurate" is not (0.88)

# Verbs that introduce a paper's own contribution ("we propose X", "we call it X").
INTRO_VERB = (
    r"(?:propose|present|introduce|develop|design|build|release|call|name(?!ly)|dub|term|coin|"
    r"describe|offer|create|construct|curate)\w*"
)
_INTRO = re.compile(
    r"\b(we|this (paper|work|report|study|article))\b[^.;]{0,60}?\b" + INTRO_VERB + r"\b|"
    r"\b(called|named|dubbed|termed|coined)\b|\b(is|are) (a|an) (novel|new|simple|general|"
    r"efficient|scalable|unified|lightweight|benchmark|framework|method|system|family|suite)\b",
    re.IGNORECASE,
)
_BOILERPLATE = re.compile(
    r"https?://|github\.com|\b(code|models?|data|dataset|weights|checkpoints|implementation)"
    r"\b[^.]{0,40}\b(is|are) (publicly |openly |freely )?(available|released|open[- ]sourced)|"
    r"\bwe (will )?(publicly|openly|freely) release\b|\bwe (will )?(release|open[- ]source) "
    r"(all |our |the )?(code|models?|data|datasets?|weights|checkpoints)\b",
    re.IGNORECASE,
)
_BACKGROUND = re.compile(
    r"^(however|although|while|despite|recent|recently|existing|current|traditional|conventional|"
    r"prior|previous|yet|unfortunately|in recent years|over the past|nowadays|to date)\b",
    re.IGNORECASE,
)
# "This gap underscores the need ...", "a promising technique is quantization": why the
# paper exists or where its field stands, not what its subject is.
_MOTIVATION = re.compile(
    r"^(this|these|such) (gap|limitation|challenge|problem|issue|shortcoming|bottleneck|"
    r"drawback)s?\b|\b(has|have) (become|emerged|attracted|gained|achieved (remarkable|great|"
    r"impressive|significant))\b|\b(a )?promising (technique|approach|direction|method|way)\b|"
    r"\bplays? an? (crucial|key|important|vital|central) role\b|\bwidely (used|adopted)\b|"
    r"\bhowever\b|\bstruggles? (to|with)\b|\bsuffers? from\b|\b(is|are|remains?) (challenging|"
    r"difficult|costly|expensive)\b|\bfails? to\b|\bcan (introduce|cause|lead to)\b",
    re.IGNORECASE,
)
# "We hope X can serve as a foundation ...", "paving the way for ...": where the paper may
# lead, not what it did.
_OUTLOOK = re.compile(
    r"^we (hope|envision|anticipate)\b|\bfuture (work|research|directions?)\b|"
    r"\bpav(e|es|ing) the way\b|\bopens? (up )?(new )?(avenues|directions|possibilities)\b",
    re.IGNORECASE,
)
# "Extensive experiments demonstrate the effectiveness of our method.": a claim with nothing
# in it that the paper's other sentences do not say better
_EMPTY_CLAIM = re.compile(
    r"^(?:the\s+)?(?:(?:extensive|comprehensive|thorough|empirical|experimental)\s+)*"
    r"(?:experiments?|experimental results?|evaluations?|results)(?:\s+on\s+[^.,;\d]{1,60}?)?\s+"
    r"(?:also\s+|further\s+|clearly\s+)?(?:demonstrate|show|validate|verify|confirm|prove)s?\s+"
    r"(?:the\s+)?(?:(?:excellent|superior|remarkable|strong)\s+)?(?:performance|effectiveness|"
    r"efficacy|superiority)(?:\s+and\s+\w+)?\s+of\s+(?:our|the|this)\b[^.;,\d]{0,50}\.?$",
    re.IGNORECASE,
)
_RESULT = re.compile(
    r"\b(we (show|find|demonstrate|observe|prove|achieve)|achiev\w*|outperform\w*|"
    r"improv\w*|reduc\w*|speed-?up|faster|surpass\w*|results? (show|demonstrate))\b",
    re.IGNORECASE,
)
_MECHANISM = re.compile(
    r"\b(through|via|by (using|leveraging|introducing|combining|exploiting|applying)|consists? of|"
    r"combin(es|ing)|we (use|employ|leverage|adopt|apply)|relies on|is achieved by)\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"^(19|20)\d\d$")
_TWO_CAPITALS = re.compile(r"[A-Z].*[A-Z]")  # an acronym, whose case is kept


class LexicalStats:
    """Document frequencies of content terms over the collection (title + abstract), looked
    up as needed: the index's catalog keeps them, so nothing is counted at start-up."""

    def __init__(self, df: Callable[[str], int], n_docs: int) -> None:
        self.df, self.n_docs = df, n_docs

    @classmethod
    def of_texts(cls, texts: Iterable[str]) -> LexicalStats:
        """Counted here, for a handful of texts outside any index."""
        counts: Counter[str] = Counter()
        n_docs = 0
        for text in texts:
            n_docs += 1
            counts.update(set(terms_of(text)))
        return cls(lambda term: counts.get(term, 0), n_docs)

    def idf(self, term: str) -> float:
        return math.log((self.n_docs + 1) / (self.df(term) + 0.5))


@dataclass
class Scored:
    n: int  # source number
    position: int  # sentence index in its abstract
    text: str
    vector: np.ndarray
    score: float
    dense: float


def has_quantity(sentence: str) -> bool:
    """A sentence that states a quantity: a number that is not a year or a list marker."""
    values = [v for v in numbers_in(sentence) if not _YEAR.match(v)]
    return any(len(v.strip("-.")) > 1 or "." in v or "%" in sentence for v in values)


def introduces(sentence: str) -> bool:
    return bool(_INTRO.search(sentence))


def is_boilerplate(sentence: str) -> bool:
    return bool(_BOILERPLATE.search(sentence))


def mentions(text: str, name: str) -> bool:
    """`name` as a whole word (hyphen-aware); for acronyms, as a name (SWARM, not swarm;
    "NL4OPT" for "NL4Opt").
    A hyphen and a space are the same separator: "phi-3-mini" is "Phi-3 Mini"; an ampersand
    may stand between words ("Expansion Squeeze Strategy" as "Expansion & Squeeze Strategy")."""
    text, name = plain(text), plain(name)  # "T\\"ULU 3" is "Tulu 3"
    body = r"(?:[\s-]|\s&\s)".join(re.escape(part) for part in re.split(r"[\s-]+", name))
    found = re.finditer(rf"(?<![\w-]){body}(?![\w-])", text, re.IGNORECASE)
    if not _TWO_CAPITALS.search(name):
        return any(True for _ in found)
    # an acronym's case matters ("swarm" is not SWARM), but one may be written in capitals
    return any(re.fullmatch(body, m.group()) or m.group().isupper() for m in found)


def reports_measure(text: str, measure: str) -> bool:
    """Does the text name the measure at all ("speed-up" for "speedup", "GPUs" for "gpus")?

    An abstract that never says "accuracy" cannot be quoted for "what accuracy ..."."""
    stem = normalize_term(measure.replace("-", ""))
    squashed = text.replace("-", "")
    if re.search(rf"\b{re.escape(stem)}", squashed, re.IGNORECASE):
        return True
    # a misspelling in the abstract ("84.5% accurracy on RULER") still names the measure
    words = set(re.findall(r"[a-z]{6,}", squashed.lower()))
    return len(stem) >= 6 and bool(get_close_matches(stem, words, n=1, cutoff=TYPO_CUTOFF))


def term_weights(terms: Iterable[str], stats: LexicalStats) -> dict[str, float]:
    """Each of the question's content terms with its share of their total IDF."""
    weights = {t: stats.idf(t) for t in terms}
    total = sum(weights.values()) or 1.0
    return {t: w / total for t, w in weights.items()}


@lru_cache(maxsize=SENTENCE_TERMS_CACHE)
def sentence_terms(sentence: str) -> frozenset[str]:
    """A sentence's content terms, kept: retrieval ranks the same candidates' sentences for
    question after question."""
    return frozenset(terms_of(sentence))


def lexical_share(sentence: str, weights: Mapping[str, float]) -> float:
    """The IDF-weighted share of the question's terms that the sentence contains."""
    present = sentence_terms(sentence)
    return sum(w for t, w in weights.items() if t in present)


@lru_cache(maxsize=SENTENCE_TERMS_CACHE)
def _stems(text: str) -> frozenset[str]:
    return frozenset(stemmer().stemWords(list(sentence_terms(text))))


def stem_share(text: str, weights: Mapping[str, float]) -> float:
    """`lexical_share` where a term also counts when the text holds another word of its stem:
    a survey's "translating" is covered by an abstract on "machine translation"."""
    present, stems, stem = sentence_terms(text), _stems(text), stemmer().stemWord
    return sum(w for t, w in weights.items() if t in present or stem(t) in stems)


def score_sentences(
    info: QuestionInfo,
    query_vector: np.ndarray,
    papers: list[tuple[int, list[str], np.ndarray]],
    stats: LexicalStats,
    focus: list[str],
    about: frozenset[int] = frozenset(),
) -> list[Scored]:
    """Every sentence of the given sources (n, sentences, unit vectors), scored; best first.

    `focus` holds the names the question is about, `about` the source numbers of the papers
    about them: all their sentences get the focus bonus, other papers' sentences half of it
    when they name the thing. Ties break on source number then sentence position.
    """
    weights = term_weights(info.terms, stats)
    # In a paper about the name every sentence has the focus bonus: its sentences compete on
    # the question's other terms, not on which one repeats the name (dev key facts +0.03).
    named = {t for name in focus for t in terms_of(name)}
    other_terms = {t: w for t, w in weights.items() if t not in named}
    out: list[Scored] = []
    for n, sentences, vectors in papers:
        if not sentences:
            continue
        dense = vectors @ query_vector
        rank_prior = W_RANK / n
        intro = [introduces(t) for t in sentences]
        # the problem the question restates comes before "we propose X"; how X does it after
        proposal = next((i for i, own in enumerate(intro) if own), 0)
        terms = other_terms if n in about else weights
        for i, sentence in enumerate(sentences):
            lexical = lexical_share(sentence, terms)
            score = W_DENSE * float(dense[i]) + W_LEXICAL * lexical + rank_prior
            if info.wants_number and has_quantity(sentence):
                score += W_NUMBER
            named = any(mentions(sentence, name) for name in focus)
            if n in about:
                score += W_FOCUS
            elif named:
                score += W_FOCUS / 2
            if intro[i] and info.kind != "number":
                score += W_INTRO
            motive = info.asks_how and not named and _MOTIVATION.search(sentence)
            asks = sentence.rstrip().endswith("?")  # the abstract's own question, not an answer
            outlook = _OUTLOOK.search(sentence)
            empty = _EMPTY_CLAIM.match(sentence)
            if (
                _BACKGROUND.match(sentence)
                or motive
                or asks
                or outlook
                or empty
                or (i == 0 and not named)
            ):
                score -= W_BACKGROUND
            if _RESULT.search(sentence):
                score += W_RESULT
            if info.asks_mechanism and _MECHANISM.search(sentence):
                score += W_MECHANISM
            if info.asks_mechanism and i < proposal and not named:
                score -= W_PREAMBLE
            if is_boilerplate(sentence):
                score -= W_BOILERPLATE
            out.append(Scored(n, i, sentence, vectors[i], round(score, 6), float(dense[i])))
    out.sort(key=lambda s: (-s.score, s.n, s.position))
    return out
