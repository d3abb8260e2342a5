"""One answer in progress: what was asked, what was retrieved, and its bookkeeping.

The engine's steps (retrieve, decide, answer) read and fill this one object instead of
sharing a closure; `finish` is the last step: check the text and make the `Answer`.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import numpy as np

from rag.backends.extractive import quoted_lines
from rag.citations import answer_sentences, check_sentences, citations_for
from rag.conversation import Standalone
from rag.coverage import coverage
from rag.index_views import IndexView
from rag.name_plan import NamePlan
from rag.question_filters import papers_by, without_citations
from rag.question_type import QuestionInfo, analyze
from rag.types import Answer, Source, Usage

METADATA = "metadata"  # backend label of answers read from the paper record


@dataclass
class Turn:
    view: IndexView  # the index snapshot the whole answer reads
    asked: str  # the cleaned question
    standalone: Standalone  # the question resolved against the history, and pinned papers
    follow_up: bool  # there was a history
    sources: list[Source]
    evidence: float  # best dense similarity: how strongly the collection speaks to it
    vector: np.ndarray  # the query embedding
    info: QuestionInfo  # the question's kind and focus
    plan: NamePlan  # papers about the names it names, and names only mentioned
    notices: list[str]
    threshold: float  # sentence support below this is flagged (RAG_SUPPORT_THRESHOLD)
    timings: dict[str, float] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)
    cited: list[str] = field(default_factory=list)  # authors it cites that papers here have

    @property
    def by_cited(self) -> list[str]:
        """The sources by an author the question cites, in source order: they are what it
        asks about, as a paper it names would be."""
        return papers_by(self.sources, self.cited)

    @property
    def asked_info(self) -> QuestionInfo:
        """The user's own question (not a follow-up's search text), without its cited authors:
        what the answer must cover."""
        text = without_citations(self.asked, self.cited)
        for name in self.cited:  # also a surname cited alone ("What did Okafor find?")
            text = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", " ", text)
        return analyze(" ".join(text.split()))

    def lap(self, stage: str, since: float) -> None:
        self.timings[stage] = ms(since)

    def finish(
        self,
        text: str,
        refused: bool,
        label: str,
        usage: Usage | None = None,
        invalid: list[int] | None = None,
        *,
        quotes: bool = False,
    ) -> Answer:
        """Check every sentence against the sources it cites and whether the answer covers
        the question; the `Answer`. `quotes`: the text is the extractive layout (a lead line,
        paper headings, quoted lines), whose quoted lines are the claims."""
        mark = time.perf_counter()
        checked = not refused and label != METADATA  # record fields are not abstract claims
        checks = (
            check_sentences(
                answer_sentences(quoted_lines(text) if quotes else text),
                self.sources,
                self.view.evidence,
                self.threshold,
            )
            if checked
            else []
        )
        self.lap("check", mark)
        self.lap("total", self.started)
        answer_part = text.partition("\n")[2] if quotes else text  # not the lead line
        return Answer(
            question=self.asked,
            text=text,
            sources=self.sources,
            citations=[] if refused else citations_for(text, self.sources),
            refused=refused,
            backend=label,
            timings_ms=self.timings,
            usage=usage or Usage(),
            sentences=checks,
            invalid_citations=invalid or [],
            notices=self.notices,
            standalone_question=self.standalone.question if self.follow_up else None,
            # what the user asked: not the previous turn's words a follow-up is searched with
            coverage=coverage(self.asked_info, answer_part, self.view.stats, self.plan.focus)
            if checked
            else None,
        )


def ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)
