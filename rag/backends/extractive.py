"""The offline answer: the retrieved abstracts' own sentences that answer the question.

Sentences are scored for what was asked (rag/sentence_scoring.py), the papers whose best
sentence is close to the overall best are kept, and the answer reads as one group per paper:
its label and [n], then its one or two best sentences, verbatim. Deterministic: every sort
breaks ties on the source number and the sentence position.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

import numpy as np

from rag.citations import as_quoted
from rag.conversation import Standalone, resolve
from rag.evidence import SentenceIndex
from rag.prompts import render
from rag.question_scope import compared, described
from rag.question_type import QuestionInfo, analyze, terms_of
from rag.sentence_scoring import (
    W_RANK,
    LexicalStats,
    Scored,
    has_quantity,
    introduces,
    lexical_share,
    mentions,
    score_sentences,
    stem_share,
    term_weights,
)
from rag.settings import Settings
from rag.types import Answer, Source

if TYPE_CHECKING:
    from rag.backends.budget import Deadline
    from rag.turn import Turn

PAPER_GAP = 0.06  # keep a paper whose best sentence scores within this of the best one
SENTENCE_GAP = 0.3  # a paper's second sentence must score within this of its first
REDUNDANT = 0.9  # a second sentence this similar to the first adds nothing
MAX_PER_PAPER = 2  # sentences per paper when three or more papers answer
SHORT_LIST = 3  # ... as many for each of this few, past the budget (probes 1-23 key facts +0-0.025)
SOLE_PAPER_LEAST = 2  # ... and at least this many, however far the first one leads
SOLE_PAPER_FILL = 3  # ... and a third one that follows the best (probes 1-18 key facts +0-0.02)
SOLE_PAPER_SENTENCES = 4  # when one paper answers alone, up to the whole budget (dev-tuned)
# when two papers answer, each says what it is, what it reports and the detail asked (key facts
# up on dev and 22 of probes 1-25, none down, against two each; answers 7 words longer on average)
PAIR_SENTENCES = 3
MAX_PAPERS = {"comparison": 3, "which": 3, "general": 3}  # other kinds: 2
# A survey ("what methods ...") keeps each paper on the topic: its best sentence scores this
# share of the best one (rank prior aside) and its abstract holds this share of the question's
# terms that the best-covering abstract holds (dev and probes 1-22, survey-worded questions:
# papers listed that are not gold 107 -> 82, gold topic papers listed 65 -> 74)
SURVEY_SHARE = 0.7
SURVEY_COVERAGE = 0.6
SIDE_COVERS = 0.5  # a paper holding half of one compared thing's term weight is about it
# A paper described, not named ("one reweights timestep losses"), is paraphrased: the source
# covering most of its description, if this much, and each description its own paper.
DESCRIBED_COVERS = 0.3
BULLET = "- "


class ExtractiveBackend:
    """The offline answer backend (`AnswerBackend`): quotes, no model, never waits. Also the
    LLM backends' fallback."""

    name = "extractive"

    def __init__(self, settings: Settings) -> None:
        self.sentences = settings.extractive_sentences

    def standalone(self, question: str, history: list[Answer], deadline: Deadline) -> Standalone:
        """Follow-ups are resolved by rule ("[2]", "that paper"): there is no model to ask."""
        return resolve(question, history)

    def answer(self, turn: Turn, deadline: Deadline) -> Iterator[str | Answer]:
        mark = time.perf_counter()
        text = self.quotes(turn)
        turn.lap("answer", mark)
        yield text
        yield turn.finish(text, False, self.name, quotes=True)

    def quotes(self, turn: Turn) -> str:
        """The sources' sentences scored for what was asked; the papers the question names
        are favoured, and each compared paper gets a group."""
        number = {s.paper_id: s.n for s in turn.sources}
        about = [*turn.by_cited, *turn.plan.about, *turn.plan.about_if_retrieved]  # best first
        named = [number[pid] for pid in about if pid in number]
        # each thing the question names gets its own paper's group ("Does FRUGAL beat GaLore?")
        leads = [number[pid] for pid in dict.fromkeys(turn.plan.leads) if pid in number]
        return extractive_answer(
            turn.vector,
            turn.sources,
            turn.view.evidence,
            self.sentences,
            info=turn.info,
            stats=turn.view.stats,
            focus=turn.plan.focus,
            about=named,
            required=named if turn.info.kind == "comparison" else (leads or named[:1]),
            # "LiGNN sped up by how much, and which techniques made that possible?" asks
            # about one paper's techniques; "What systems has LinkedIn described?" about papers
            survey=turn.info.wants_papers
            or turn.info.wants_survey
            and not (leads and len(set(turn.plan.about)) == 1)
            or _examples_only(turn),
        )


def _examples_only(turn: Turn) -> bool:
    """A survey whose names are all examples of its topic ("such as identity-preserving
    videos") still lists the papers on the topic, the named one among them."""
    focus = turn.plan.focus
    return turn.info.wants_survey and bool(focus) and all(map(turn.info.only_as_example, focus))


def extractive_answer(
    query_vector: np.ndarray,
    sources: list[Source],
    evidence: SentenceIndex,
    n_sentences: int,
    *,
    info: QuestionInfo | None = None,
    stats: LexicalStats | None = None,
    focus: list[str] | None = None,
    about: list[int] | None = None,
    required: list[int] | None = None,
    survey: bool | None = None,
) -> str:
    """The grouped, cited answer. `about`: source numbers of the papers the question names;
    `required` source numbers (compared papers) each get a group.

    Without `info` and `stats` (a caller that has no question analysis) sentences are
    ranked by similarity and retrieval rank only.
    """
    per_paper = evidence.many([(s.paper_id, s.abstract) for s in sources])
    papers = [(s.n, *per_paper[s.paper_id]) for s in sources]
    info = info or analyze("")
    stats = stats or LexicalStats.of_texts([])
    scored = score_sentences(info, query_vector, papers, stats, focus or [], frozenset(about or []))
    weights = term_weights(info.terms, stats)
    coverage = {s.n: stem_share(s.text, weights) for s in sources}
    fill = [n for side in compared(info.text) if (n := _covering(side, sources, stats))]
    descriptions = () if fill else described(info.text)
    fill = fill or _described_papers(descriptions, sources, stats)
    if descriptions and all(any(mentions(d, name) for d in descriptions) for name in info.names):
        # "(a) for the accelerated DDIM samplers ...": a name in a description is the described
        # paper's setting; the paper about it answers only if it fits a description
        required = [n for n in required or [] if n in fill]
    groups = choose(
        scored, info, n_sentences, required or [], survey, coverage, fill, len(descriptions)
    )
    return render_groups(groups, {s.n: s for s in sources})


def choose(
    scored: list[Scored],
    info: QuestionInfo,
    n_sentences: int,
    required: list[int],
    survey: bool | None = None,
    coverage: Mapping[int, float] | None = None,
    fill: list[int] | None = None,
    described_papers: int = 0,
) -> list[tuple[int, list[Scored]]]:
    """Groups (source number, sentences in abstract order): the `required` papers (the
    named or compared ones) first, then the others, best first; a `survey` ("what methods
    ...", by default as the question reads) names each paper on the topic, judged by its
    best sentence and by the `coverage` of the question's terms by its whole abstract.
    `fill`: the paper covering each compared thing, or, when the question describes
    `described_papers` papers one by one, the papers fitting the descriptions."""
    survey = info.wants_survey if survey is None else survey
    if not scored:
        return []
    best_by_paper: dict[int, list[Scored]] = {}
    for s in scored:  # best first
        best_by_paper.setdefault(s.n, []).append(s)
    kept = [n for n in required if n in best_by_paper]
    close = _on_topic(best_by_paper, coverage or {}) if survey else _close(best_by_paper)
    limit = len(best_by_paper) if survey else max(MAX_PAPERS.get(info.kind, 2), len(required))
    if described_papers:  # "one reweights losses, the other ...": as many papers as described
        kept += [n for n in fill or [] if n in best_by_paper and n not in kept]
        limit = max(described_papers, len(required))
    elif fill and not survey:  # "X and Y each": the paper that best covers each, and no other
        kept += [n for n in dict.fromkeys(fill) if n in best_by_paper and n not in kept]
        limit = len(kept)
    kept += [n for n in close if n not in kept][: max(0, limit - len(kept))]
    asked = max(info.papers_asked, described_papers)
    if asked > len(kept) and (described_papers or not fill):  # "three papers try to ..."
        kept += [n for n in best_by_paper if n not in kept][: asked - len(kept)]
    kept.sort(key=lambda n: (n not in required, -best_by_paper[n][0].score, n))
    budget = max(n_sentences, len(kept))
    groups = [(n, [best_by_paper[n][0]]) for n in kept]
    per_paper = {1: SOLE_PAPER_SENTENCES, 2: PAIR_SENTENCES}.get(len(groups), MAX_PER_PAPER)
    if 1 < len(groups) <= SHORT_LIST:  # each of a few papers says what it does and reports
        budget = max(budget, per_paper * len(groups))
    # a sole paper quotes a sentence per part asked (at least SOLE_PAPER_LEAST), and for a
    # question of several parts one more, which does not open the group on the motivation
    parts = min(max(SOLE_PAPER_LEAST, info.asks), per_paper) if len(groups) == 1 else 1
    least = min(parts + 1, per_paper) if len(groups) == 1 and info.asks > 1 else parts
    for n, chosen in groups:  # more sentences, best paper first, while the budget lasts
        first = chosen[0]
        rest = best_by_paper[n][1:]
        if info.wants_number and not has_quantity(first.text):  # its number comes second
            rest.sort(key=lambda s: not has_quantity(s.text))
        for s in rest:
            if sum(len(c) for _, c in groups) >= budget or len(chosen) >= per_paper:
                break
            below = s.score < first.score - SENTENCE_GAP
            if below and len(chosen) >= least:
                # a sole paper still gives a third sentence, from after its best one: more of
                # the answer, without opening on the motivation that precedes it
                if len(groups) > 1 or len(chosen) >= SOLE_PAPER_FILL:
                    break
                if s.position < first.position:
                    continue
            elif below and len(chosen) >= parts and s.position < min(c.position for c in chosen):
                continue
            if all(float(s.vector @ c.vector) < REDUNDANT for c in chosen):
                chosen.append(s)
    if info.kind == "definition":  # "what is X and what did it reach on Y": say what X is
        for n, chosen in groups:
            if n in required and not any(introduces(s.text) for s in chosen):
                intro = next((s for s in best_by_paper[n] if introduces(s.text)), None)
                chosen += [intro] if intro else []
    return [(n, sorted(chosen, key=lambda s: s.position)) for n, chosen in groups]


def _covering(side: str, sources: list[Source], stats: LexicalStats) -> int | None:
    """The source whose title and abstract hold most of one compared thing's words ("the
    ablation study on efficient parallelization layouts"), at least SIDE_COVERS of them; on
    a tie the one whose title holds most (FRUGAL's abstract also names GaLore, GaLore's title
    does), then the first."""
    weights = term_weights(terms_of(side), stats)
    share, _, n = max(
        (
            lexical_share(s.text, weights),
            lexical_share(s.title or "", weights),
            -s.n,
        )
        for s in sources
    )
    return -n if share >= SIDE_COVERS else None


def _described_papers(
    descriptions: tuple[str, ...], sources: list[Source], stats: LexicalStats
) -> list[int]:
    """The source each description fits best, in the question's order, each a different
    paper, when it holds DESCRIBED_COVERS of the description's term weight; on a tie the
    better-ranked one (retrieval weighed the words together), not the title holding more."""
    found: list[int] = []
    for description in descriptions:
        weights = term_weights(terms_of(description), stats)
        fits = [(lexical_share(s.text, weights), -s.n) for s in sources if s.n not in found]
        share, n = max(fits, default=(0.0, 0))
        if share >= DESCRIBED_COVERS:
            found.append(-n)
    return found


def _close(best_by_paper: dict[int, list[Scored]]) -> list[int]:
    """Papers whose best sentence scores within PAPER_GAP of the best one, best first."""
    top = max(sents[0].score for sents in best_by_paper.values())
    return [n for n, sents in best_by_paper.items() if sents[0].score >= top - PAPER_GAP]


def _on_topic(best_by_paper: dict[int, list[Scored]], coverage: Mapping[int, float]) -> list[int]:
    """A survey's papers, best first: the best one, and each one close to it both in its best
    sentence (without the rank prior, which would favour the first sources whatever they
    say) and in how much of the question its abstract covers."""
    own = {n: sents[0].score - W_RANK / n for n, sents in best_by_paper.items()}
    best_own = max(own.values())
    widest = max(coverage.values(), default=0.0)
    first = next(iter(best_by_paper))
    return [
        n
        for n in best_by_paper
        if n == first
        or (
            own[n] >= SURVEY_SHARE * best_own
            and coverage.get(n, widest) >= SURVEY_COVERAGE * widest
        )
    ]


def render_groups(groups: list[tuple[int, list[Scored]]], by_n: dict[int, Source]) -> str:
    papers = f"{len(groups)} abstract" + ("" if len(groups) == 1 else "s")
    lines = [render("extractive_lead", papers=papers)]
    for n, sentences in groups:
        lines.append(f"[{n}] {by_n[n].label}")
        lines.extend(f"{BULLET}{as_quoted(s.text)} [{n}]" for s in sentences)
    return "\n".join(lines)


def quoted_lines(text: str) -> str:
    """The quotes of an extractive answer (not its lead or paper headings), for the checks."""
    return "\n".join(line for line in text.splitlines() if line.startswith(BULLET))
