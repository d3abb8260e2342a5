"""When the retrieved papers are too weak to answer from: the similarity thresholds.

Calibrated on eval/questions.jsonl and the probe sets (see README, Evaluation).
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from rag.name_roles import heading, in_context_only, may_be_subject, origin_names, plain_word
from rag.name_titles import names_title
from rag.question_type import GREEK_LETTERS, terms_of
from rag.sentence_scoring import mentions, term_weights
from rag.settings import Settings
from rag.text import normalize_text, plain
from rag.turn import Turn

ANCHOR_MAX_PAPERS = 10  # a name this few papers write anchors a question in them


def evidence_too_weak(settings: Settings, turn: Turn, unknown: list[str], named: bool) -> bool:
    """Refuse when the best chunk similarity is below `refusal_threshold` (a paper the
    question names waives it); when the question names terms no abstract contains and the
    similarity is below `unknown_term_threshold` (not waived: "How much memory does QLoRA
    need for a 65B model?" names a paper, but no abstract says "65B"); or when no sentence of
    the retrieved papers reaches `sentence_refusal_threshold` and the question names nothing
    they write (soccer match outcomes asked in the field's words); or when much of the
    question is words no abstract contains and no sentence reaches
    `unheard_sentence_threshold` (diabetic retinopathy grading; for a survey, a smaller
    share: "deep survival analysis models for censored data"); or when it quotes the title
    of a paper none of the retrieved papers has ("in 'A ConvNet for the 2020s'")."""
    if not turn.sources or (turn.evidence < settings.refusal_threshold and not named):
        return True
    if _quotes_missing_title(turn):
        return True
    if _named_unknowns(turn.asked, unknown) and turn.evidence < settings.unknown_term_threshold:
        return True
    if _heads_with_unknown_name(turn.asked, unknown):
        return True
    best = _best_sentence(turn)
    if best >= max(settings.unheard_sentence_threshold, settings.sentence_refusal_threshold):
        return False  # most questions: no name lookups below
    # a near miss, or "the original X": the name rules answer it, or show the mentions
    mentioned = turn.view.names.near_miss(turn.info, turn.plan) or origin_names(turn.info)
    unheard = not (named or mentioned) and best < settings.unheard_sentence_threshold
    # a survey asks for a field: a smaller share of unheard words is already another field's
    needed = settings.unheard_survey_share if turn.info.asks_for_field else settings.unheard_share
    if unheard and _unheard_share(settings, turn) >= needed:
        return True
    weak = best < settings.sentence_refusal_threshold
    return weak and not (named or mentioned or _names_written(turn) or _titled_topic(turn))


def _named_unknowns(question: str, unknown: list[str]) -> list[str]:
    """The unknown words that may name what is asked: not an ordinary capitalized word of a
    sentence that only sets the scene ("ZeRO++ wasn't designed with the exascale machine at
    Oak Ridge in mind. For the scheme built for that system, what ...?"). A count ("a 65B
    model") or an identifier ("GPTQ") counts wherever it stands."""
    return [u for u in unknown if not (plain_word(u) and in_context_only(u, question))]


def _heads_with_unknown_name(question: str, unknown: list[str]) -> bool:
    """The question opens with a name as its heading, and it is a name no abstract writes
    ("Tensor Programs V (muTransfer): what fraction of the compute ...?"): it is about a work
    the collection does not have, however close the rest of the question comes to some paper.
    A heading of ordinary words ("remote sensing MAE pretraining 13M images: ...") is a topic."""
    head = heading(plain(question))  # the unknown names are plain
    outside = re.sub(r"\([^()]*\)", " ", head).split()
    if not outside or not all(word[0].isupper() for word in outside):
        return False
    return any(
        _names_a_work(name) and re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", head)
        for name in unknown
    )


def _names_a_work(word: str) -> bool:
    """ "muTransfer", "Tensor-X": not an ordinary word ("Chinese", "malware") or a count
    ("13M", "7B")."""
    return not plain_word(word) and not word.islower() and bool(re.search(r"[A-Za-z]{3}", word))


# A quoted title: "in 'A ConvNet for the 2020s'", "the paper “Hollywood in Homes”".
_QUOTED = re.compile(r"['‘\"“]([A-Z][^'’\"”]{10,160})['’\"”]")
TITLE_WORDS = 3  # a quote this many words long, capitalized as titles are, names a paper
TITLE_MATCH = 0.85  # difflib ratio at which a retrieved title is the quoted one


def _quotes_missing_title(turn: Turn) -> bool:
    """The question quotes a paper's title, and no retrieved paper has that title: the
    paper is not in the collection, whatever its neighbours say."""
    titles = [normalize_text(s.title or "") for s in turn.sources]
    for quoted in _QUOTED.findall(turn.asked):
        words = [w for w in re.findall(r"[A-Za-z][\w-]*", quoted) if len(w) >= 4]
        if len(quoted.split()) < TITLE_WORDS or not words:
            continue
        if sum(w[0].isupper() for w in words) < len(words) / 2:
            continue  # a quoted phrase, not a title
        wanted = normalize_text(quoted)
        if not any(
            wanted in t or SequenceMatcher(None, wanted, t).ratio() >= TITLE_MATCH for t in titles
        ):
            return True
    return False


def _unheard_share(settings: Settings, turn: Turn) -> float:
    """The share of the question's term weight in words no abstract contains: "grading
    diabetic retinopathy from fundus photographs" asks about a field, not a paraphrase."""
    stats = turn.view.stats
    if stats.n_docs < settings.unheard_min_papers:
        return 0.0
    weights = term_weights(turn.info.terms, stats)
    return sum(w for term, w in weights.items() if not turn.view.retriever.heard(term))


TOPIC_MAX_TERMS = 3  # "Which papers study speech?": a topic in a few words


def _titled_topic(turn: Turn) -> bool:
    """A short request for papers whose every content word a retrieved title holds ("Which
    papers study quantization?", "What work studies speech?"): the few words of the question
    make every sentence a weak match, yet the collection is about its topic."""
    terms = set(turn.info.terms)
    if not turn.info.asks_for_papers or not 0 < len(terms) <= TOPIC_MAX_TERMS:
        return False
    return any(terms <= set(terms_of(s.title or "")) for s in turn.sources)


def _names_written(turn: Turn) -> bool:
    """A retrieved paper writes one of the question's names ("Which papers involve Baidu's
    products?"): the question is anchored in the papers however loosely it matches them.
    Not a name many papers write, nor one that is not what is asked ("a vision transformer
    with LoRA adapters for railway defects", "what mAP did it reach")."""
    texts = [s.text for s in turn.sources]
    info, names_index = turn.info, turn.view.names
    names = [
        name
        for name in [*info.phrases, *info.names]
        if names_index.written_by_few(name, ANCHOR_MAX_PAPERS)
        and (info.asks_for_papers or may_be_subject(name, info.text))
    ]
    if any(_written(text, name) for name in names for text in texts):
        return True
    return any(names_title(turn.asked, s.title, shortest=2) for s in turn.sources)  # "μLO"


def _written(text: str, name: str) -> bool:
    """`mentions`, also for a Greek letter typed out: "ZenArt-Sigma" is written "ZenArt-Σ"."""
    if mentions(text, name):
        return True
    parts = name.split("-")
    greek = [p.lower() in GREEK_LETTERS for p in parts]
    if not any(greek):
        return False
    body = "-".join(r"\S" if g else re.escape(p) for p, g in zip(parts, greek, strict=True))
    return re.search(rf"(?<![\w-]){body}(?![\w-])", text) is not None


def _best_sentence(turn: Turn) -> float:
    papers = [(s.paper_id, s.abstract) for s in turn.sources]
    return turn.view.evidence.best_similarity(papers, turn.vector)
