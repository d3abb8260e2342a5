"""The answer service: question -> retrieval -> answer backend -> citation check -> Answer.

Opened once (index, models, BM25) and shared by the CLI, the UI and the eval harness.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import numpy as np

from rag.backends.base import AnswerBackend
from rag.backends.budget import Deadline
from rag.backends.registry import make_backend
from rag.components import make_embed_model
from rag.errors import QuestionError
from rag.filters import Filters
from rag.index_views import IndexView, IndexViews
from rag.name_titles import names_title, titled_by
from rag.prompts import render
from rag.question_filters import (
    cited_authors,
    filters_from_question,
    named_authors,
    papers_by,
    without_citations,
)
from rag.question_scope import describes_a_paper
from rag.question_text import clean_question
from rag.question_type import analyze
from rag.refusal_rules import evidence_too_weak
from rag.retrieval import Hit, HybridRetriever
from rag.settings import RetrievalMode, Settings
from rag.source_records import sources_of
from rag.special_answers import (
    MAX_MENTIONS,
    mention_notice,
    metadata_answer,
    no_source,
    refusal,
    unreported_notice,
    unreported_papers,
)
from rag.text import as_asked
from rag.turn import METADATA, Turn
from rag.turn import ms as _ms
from rag.types import Answer, Source

MAX_TOP_K = Settings.model_fields["top_k"].metadata[-1].le
MAX_PROMOTED = 2  # papers about a name the question names, moved to the top of the sources


class Engine:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.embed_model = make_embed_model(settings)
        self._views = IndexViews(settings, self.embed_model)  # shared by `with_settings` views
        self._backends: dict[str, AnswerBackend] = {}
        self._lock = threading.Lock()

    # The published index as of the last reload (answers in progress keep the view they began on).
    _view = property(lambda self: self._views.current)
    store = property(lambda self: self._view.snapshot.store)
    index = property(lambda self: self._view.index)
    papers = property(lambda self: self._view.papers)

    @property
    def retriever(self) -> HybridRetriever:
        """The published index's retriever, under this engine's settings."""
        return self._view.retriever.with_settings(self.settings)

    evidence = property(lambda self: self._view.evidence)

    def reload_if_changed(self, force: bool = False) -> str | None:
        """Swap in a newly published index; say what changed."""
        return self._views.reload_if_changed(force)

    def as_retriever(self, **options: Any) -> Any:
        """A LlamaIndex `BaseRetriever` (hybrid, one node per paper); options: top_k, mode,
        filters."""
        from rag.llama_adapters import PaperRetriever

        return PaperRetriever(self, **options)

    def as_query_engine(self, **options: Any) -> Any:
        """A LlamaIndex query engine whose `Response` is the checked, cited answer; options:
        top_k, backend, filters."""
        from rag.llama_adapters import PaperQueryEngine

        return PaperQueryEngine(engine=self, **options)

    def with_settings(self, **changes: object) -> Engine:
        """A view of this engine with other answer settings, sharing the loaded index and models."""
        clone = copy.copy(self)
        clone.settings = self.settings.model_copy(update=changes)
        clone._backends = {}
        clone._lock = threading.Lock()
        return clone

    # -- pieces ------------------------------------------------------------------------------
    def clean_question(self, question: str, notices: list[str]) -> str:
        return clean_question(question, self.settings.max_question_tokens, notices)

    def retrieve(
        self,
        question: str,
        top_k: int | None = None,
        mode: RetrievalMode | None = None,
        view: IndexView | None = None,
        filters: Filters | None = None,
    ) -> tuple[list[Source], float, np.ndarray]:
        """Numbered sources for a question, the evidence strength, and the query vector."""
        view = view or self._view
        return self._retrieve(view.as_written(question), top_k, mode, view, filters)

    def _retrieve(
        self,
        question: str,
        top_k: int | None,
        mode: RetrievalMode | None,
        view: IndexView,
        filters: Filters | None,
    ) -> tuple[list[Source], float, np.ndarray]:
        """`retrieve` for a question whose names are already cased."""
        vector = np.asarray(self.embed_model.get_query_embedding(question), dtype=np.float32)
        retriever = view.retriever.with_settings(self.settings)
        allowed = view.catalog.select(filters) if filters and filters.active else None
        hits, evidence = retriever.retrieve(
            question,
            vector.tolist(),
            self.top_k(top_k),
            mode or self.settings.retrieval_mode,
            allowed,
            view.evidence.stored,
        )
        sources = self._sources(hits, view)
        plan = view.name_plan(question, [s.paper_id for s in sources])
        retrieved = {s.paper_id for s in sources}
        lead = titled_by(question, sources) + plan.promoted
        lead += [pid for pid in plan.about_if_retrieved if pid in retrieved]
        lead = [pid for pid in dict.fromkeys(lead) if allowed is None or pid in allowed]
        return self._pin(sources, lead[:MAX_PROMOTED], view), evidence, vector

    def top_k(self, value: object) -> int:
        """The one validation of top_k, for the CLI, Python and the UI alike."""
        if value is None:
            return self.settings.top_k
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TOP_K:
            raise QuestionError(
                f"top_k must be a whole number from 1 to {MAX_TOP_K}, not {value!r}."
            )
        return value

    def _sources(self, hits: list[Hit], view: IndexView) -> list[Source]:
        return sources_of(hits, view, self.settings)

    def backend(self, name: str) -> AnswerBackend:
        """The answer backend called `name` (rag.choices.BACKENDS); ConfigError if unknown."""
        with self._lock:  # UI sessions share the engine; build each backend once
            if name not in self._backends:
                self._backends[name] = make_backend(name, self.settings)
            return self._backends[name]

    # -- answering ---------------------------------------------------------------------------
    def ask(self, question: str, **kwargs) -> Answer:
        return next(item for item in self.stream(question, **kwargs) if isinstance(item, Answer))

    def stream(self, question: str, **options: Any) -> Iterator[str | Answer]:
        """Yield answer text pieces as they come, then the checked `Answer`.

        A newly published index is picked up first; the whole answer then reads that one
        snapshot, even if another reload happens meanwhile.
        """
        self.top_k(options.get("top_k"))  # bad input fails before any work
        options["filters"] = Filters.of(options.get("filters"))
        notices: list[str] = []
        reloaded = self.reload_if_changed()
        if reloaded:
            notices.append(reloaded)
        view = self._views.enter()
        try:
            yield from self._answer(view, question, notices, **options)
        finally:
            self._views.leave(view)

    def _answer(
        self,
        view: IndexView,
        question: str,
        notices: list[str],
        *,
        top_k: int | None = None,
        backend: str | None = None,
        history: list[Answer] | None = None,
        mode: RetrievalMode | None = None,
        filters: Filters | None = None,
    ) -> Iterator[str | Answer]:
        """Retrieve -> decide (refuse, no match, metadata, mention) -> answer -> check."""
        started = time.perf_counter()
        writer = self.backend(backend or self.settings.resolved_backend())
        deadline = Deadline(self.settings.llm_timeout_s)  # one budget for every LLM call
        turn, filters = self._retrieve_turn(
            view, question, notices, history or [], writer, deadline, top_k, mode, filters
        )
        turn.started = started
        decided = self._decide(turn, filters, writer.name)
        if decided:
            text, refused, shown_as = decided
            yield text
            yield turn.finish(text, refused, shown_as)
            return
        yield from writer.answer(turn, deadline)

    def _retrieve_turn(
        self,
        view: IndexView,
        question: str,
        notices: list[str],
        history: list[Answer],
        writer: AnswerBackend,
        deadline: Deadline,
        top_k: int | None,
        mode: RetrievalMode | None,
        filters: Filters | None,
    ) -> tuple[Turn, Filters | None]:
        """Clean the question, resolve a follow-up, read stated filters, retrieve."""
        asked = self.clean_question(question, notices)
        mark = time.perf_counter()
        standalone = writer.standalone(asked, history, deadline)
        standalone = replace(standalone, question=view.as_written(standalone.question))
        rewrite = _ms(mark)
        query, filters = self._stated_filters(standalone.question, filters, view, notices)
        dated = filters and (filters.since or filters.until)
        if dated and (undated := view.catalog.without_year()):  # said, not silently left out
            many = undated > 1
            papers = f"{undated:,} paper" + "s" * many
            notices.append(render("undated", papers=papers, verb="are" if many else "is"))
        # "What did Okafor et al. find ...?", "What did Müller propose?": whose paper is asked
        # about; their papers lead
        cited = cited_authors(query, view.catalog)
        bare = named_authors(query, view.catalog, view.names.unwritten)
        cited += [name for name in bare if name not in cited]
        query = without_citations(query, cited)
        asking = without_citations(standalone.question, cited)
        mark = time.perf_counter()
        wanted, left_out = self.top_k(top_k), standalone.excluded
        more = min(wanted + len(left_out), MAX_TOP_K)  # room for the papers left out
        sources, evidence, vector = self._retrieve(query, more, mode, view, filters)
        if left_out:
            sources = _without(sources, left_out)[:wanted]
            notices.append(render("left_out", papers=_labels(history, left_out)))
        sources = self._pin(sources, standalone.pinned, view)
        sources = self._pin(sources, papers_by(sources, cited), view)
        turn = Turn(
            view=view,
            asked=asked,
            standalone=standalone,
            follow_up=bool(history),
            sources=sources,
            evidence=evidence,
            vector=vector,
            info=analyze(asking),
            plan=view.name_plan(asking, [s.paper_id for s in sources]),
            notices=notices,
            threshold=self.settings.support_threshold,
            timings={"rewrite": rewrite, "retrieve": _ms(mark)},
            cited=cited,
        )
        return turn, filters

    def _decide(
        self, turn: Turn, filters: Filters | None, label: str
    ) -> tuple[str, bool, str] | None:
        """An answer that is not quotes or an LLM's text: (text, refused, backend label)."""
        view, sources, info, plan = turn.view, turn.sources, turn.info, turn.plan
        pinned = bool(turn.standalone.pinned)
        if filters and filters.active and not sources:
            return render("no_match", filters=filters.describe()), True, label
        if turn.standalone.missing and not pinned:  # "Who wrote [9]?": no such source
            turn.sources[:] = []  # nothing retrieved for it is cited, nor renumbers the thread
            return no_source(turn.standalone.missing, turn.standalone.known), True, label
        unknown = view.retriever.unknown_terms(turn.asked)
        unknown = [
            u
            for u in unknown
            if u not in turn.cited and not view.names.written_otherwise(u, turn.asked)
        ]
        named = plan.about or (sources and sources[0].paper_id in plan.about_if_retrieved)
        named = named or bool(turn.by_cited)
        if info.kind == "metadata" and (pinned or named or self._describes(turn, unknown)):
            meta = view.meta[sources[0].paper_id]
            text, answered = metadata_answer(turn.asked, sources[0], meta)
            return text, not answered, METADATA
        # a paper the question names is evidence enough ("What is AquilaMoE?" embeds poorly),
        # also by its title's name part typed in lower case ("what is pinco")
        named = named or any(names_title(turn.asked, s.title) for s in sources)
        too_weak = evidence_too_weak(self.settings, turn, unknown, bool(named))
        if not pinned and (too_weak or view.names.unknown_subjects(info, unknown)):
            shown = [as_asked(word, turn.asked) for word in unknown]
            return self._refusal(sources, shown), True, label
        retrieved = [s.paper_id for s in sources]
        plan = turn.plan = view.names.origins_missing(info, plan, retrieved)
        if (
            not pinned
            and view.names.near_miss(info, plan)
            and not (
                turn.evidence >= self.settings.mention_answer_threshold
                and view.names.answered_by_mention(info, plan, retrieved, view.stats)
            )
        ):
            turn.sources[:] = self._with_mentions(turn)
            return self._mention_notice(turn), True, label
        unreported = unreported_papers(info, plan, sources)
        if not pinned and unreported:
            return unreported_notice(info.measure, unreported), True, label
        return None

    def _describes(self, turn: Turn, unknown: list[str]) -> bool:
        """ "Who wrote the paper on sparse routing?": the question describes one paper, and
        retrieval found it well enough to answer for it."""
        return describes_a_paper(turn.asked) and not evidence_too_weak(
            self.settings, turn, unknown, False
        )

    @staticmethod
    def _stated_filters(
        question: str, filters: Filters | None, view: IndexView, notices: list[str]
    ) -> tuple[str, Filters | None]:
        """Filters the question states ("since 2023", "by Smith"), unless some were given;
        applied only when papers match them, and always said."""
        if filters and filters.active:  # said as read: "Lee, Bob" in a box is two authors
            notices.append(f"Filtered: {filters.describe()}.")
            return question, filters
        stated, rest = filters_from_question(question, view.catalog)
        if not stated.active or not view.catalog.select(stated):
            return question, filters
        notices.append(f"Filtered from the question: {stated.describe()}.")
        return rest, stated

    def _with_mentions(self, turn: Turn) -> list[Source]:
        """Sources with the papers that mention the asked-about names, retrieved or not."""
        plan = turn.plan
        mentioning = [s.paper_id for s in turn.sources if s.paper_id in plan.mentioning]
        return self._pin(turn.sources, (mentioning or plan.mentioning)[:MAX_MENTIONS], turn.view)

    def _mention_notice(self, turn: Turn) -> str:
        plan = turn.plan
        names = [as_asked(name, turn.asked) for name in plan.mentioned_only]
        quotes = [
            (s, turn.view.names.mention_sentences(s.paper_id, plan.mentioned_only))
            for s in turn.sources
            if s.paper_id in plan.mentioning
        ][:MAX_MENTIONS]
        if not quotes:  # "the original NeRF paper", which no retrieved abstract names as such
            return mention_notice(names, []) + "\n" + self._refusal(turn.sources)
        return mention_notice(names, quotes)

    def _pin(self, sources: list[Source], pinned: list[str], view: IndexView) -> list[Source]:
        """Papers the follow-up named as [n] come first, even if retrieval missed them."""
        if not pinned:
            return sources
        rest = [s for s in sources if s.paper_id not in pinned]
        found = {s.paper_id: s for s in sources if s.paper_id in pinned}
        missing = [Hit(pid, 0.0) for pid in pinned if pid not in found]
        found |= {s.paper_id: s for s in self._sources(missing, view)}
        first = [found[pid] for pid in pinned if pid in found]  # in the pinned order
        ordered = (first + rest)[: max(len(sources), len(first))]
        for n, source in enumerate(ordered, start=1):
            source.n = n
        return ordered

    _refusal = staticmethod(refusal)  # the no-evidence answer (rag/special_answers.py)


def _without(sources: list[Source], paper_ids: list[str]) -> list[Source]:
    """The sources minus some papers, numbered again from [1]."""
    kept = [s for s in sources if s.paper_id not in paper_ids]
    for n, source in enumerate(kept, start=1):
        source.n = n
    return kept


def _labels(history: list[Answer], paper_ids: list[str]) -> str:
    labels = {c.paper_id: c.label for answer in history for c in answer.citations}
    return "; ".join(labels[pid] for pid in paper_ids if pid in labels)
