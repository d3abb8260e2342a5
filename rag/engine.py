"""The answer service: question -> retrieval -> answer backend -> citation check -> Answer.

Opened once (index, models, BM25) and shared by the CLI, the UI and the eval harness.
"""

from __future__ import annotations

import copy
import re
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import numpy as np

from rag.backends.budget import Deadline
from rag.backends.extractive import extractive_answer, quoted_lines
from rag.backends.llm import ChatBackend, LocalBackend, build_messages, says_not_in_sources
from rag.backends.openai_chat import OpenAIBackend
from rag.choices import BACKENDS
from rag.chunking import count_tokens, encoding
from rag.citations import answer_sentences, check_sentences, citations_for, clean_markers
from rag.components import make_embed_model
from rag.conversation import Standalone, history_text, resolve
from rag.coverage import coverage
from rag.errors import ConfigError, LLMError, QuestionError
from rag.filters import Filters
from rag.guard import LOOP_CHECK_EVERY, degeneracy, loops
from rag.index_views import IndexView, IndexViews
from rag.naming import NamePlan
from rag.prompts import render
from rag.question_filters import filters_from_question
from rag.question_type import QuestionInfo, analyze
from rag.retrieval import Hit
from rag.settings import RetrievalMode, Settings
from rag.special_answers import MAX_MENTIONS, mention_notice, metadata_answer
from rag.types import Answer, Retract, Source, Usage

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")  # and lone surrogates
MAX_TOP_K = Settings.model_fields["top_k"].metadata[-1].le
MAX_PROMOTED = 2  # papers about a name the question names, moved to the top of the sources
METADATA = "metadata"  # backend label of answers read from the paper record


class Engine:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.embed_model = make_embed_model(settings)
        self._views = IndexViews(settings, self.embed_model)  # shared by `with_settings` views
        self._backends: dict[str, ChatBackend] = {}
        self._lock = threading.Lock()

    # The published index as of the last reload (answers in progress keep the view they began on).
    _view = property(lambda self: self._views.current)
    store = property(lambda self: self._view.snapshot.store)
    index = property(lambda self: self._view.index)
    papers = property(lambda self: self._view.papers)
    retriever = property(lambda self: self._view.retriever)
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
        text = " ".join(_CONTROL.sub(" ", question or "").split())
        if not text:
            raise QuestionError("The question is empty. Type a question about the papers.")
        limit = self.settings.max_question_tokens
        if count_tokens(text) > limit:
            text = encoding().decode(encoding().encode(text, disallowed_special=())[:limit])
            notices.append(f"The question was longer than {limit} tokens and was cut to that.")
        return text

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
        vector = np.asarray(self.embed_model.get_query_embedding(question), dtype=np.float32)
        retriever = view.retriever.with_settings(self.settings)
        allowed = filters.select(view.meta) if filters and filters.active else None
        hits, evidence = retriever.retrieve(
            question,
            vector.tolist(),
            self.top_k(top_k),
            mode or self.settings.retrieval_mode,
            allowed,
        )
        plan = view.name_plan(question)
        retrieved = {h.paper_id for h in hits}
        lead = plan.about + [pid for pid in plan.about_if_retrieved if pid in retrieved]
        lead = [pid for pid in lead if allowed is None or pid in allowed]
        return self._pin(self._sources(hits, view), lead[:MAX_PROMOTED], view), evidence, vector

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
        out = []
        for hit in hits:
            paper = view.papers.get(hit.paper_id)
            if paper is None:  # a chunk whose paper this snapshot does not hold: never cite it
                continue
            meta = view.meta[paper.paper_id]
            out.append(
                Source(
                    authors=meta.authors,
                    year=meta.year,
                    venue=meta.venue,
                    categories=meta.categories,
                    doi=meta.doi,
                    arxiv_id=meta.arxiv_id,
                    pmid=meta.pmid,
                    url=meta.link,
                    n=len(out) + 1,
                    paper_id=paper.paper_id,
                    title=paper.title,
                    label=paper.label,
                    abstract=paper.abstract,
                    score=round(hit.score, 4),
                    snippet=hit.snippet.split("\n", 1)[-1] if hit.snippet else paper.abstract[:300],
                    locations=paper.locations,
                )
            )
        return out

    def backend(self, name: str) -> ChatBackend:
        with self._lock:  # UI sessions share the engine; build each backend once
            return self._backend(name)

    def _backend(self, name: str) -> ChatBackend:
        if name not in self._backends:
            if name == "openai":
                self._backends[name] = OpenAIBackend(self.settings)
            elif name == "local":
                self._backends[name] = LocalBackend(self.settings)
            else:
                raise ConfigError(f"Unknown backend '{name}'. Use one of: {', '.join(BACKENDS)}.")
        return self._backends[name]

    def _standalone(
        self, question: str, history: list[Answer], backend: str, deadline: Deadline
    ) -> Standalone:
        rule = resolve(question, history)
        if not history or backend == "extractive" or rule.pinned:
            return rule
        try:
            llm = self.backend(backend)
            prompt = render("condense", history=history_text(history), question=question)
            messages = [{"role": "user", "content": prompt}]
            text = "".join(llm.stream(messages, 64, Usage(), deadline)).strip()
            return Standalone(text.splitlines()[0].strip() or rule.question, [])
        except (LLMError, ConfigError, IndexError):
            return rule

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
        started = time.perf_counter()
        timings: dict[str, float] = {}
        name = backend or self.settings.resolved_backend()
        if name not in BACKENDS:
            raise ConfigError(f"Unknown backend '{name}'. Use one of: {', '.join(BACKENDS)}.")
        asked = self.clean_question(question, notices)
        history = history or []
        deadline = Deadline(self.settings.llm_timeout_s)  # one budget for every LLM call

        mark = time.perf_counter()
        standalone = self._standalone(asked, history, name, deadline)
        timings["rewrite"] = _ms(mark)
        query, filters = self._stated_filters(standalone.question, filters, view, notices)
        mark = time.perf_counter()
        sources, evidence, vector = self.retrieve(query, top_k, mode, view, filters)
        sources = self._pin(sources, standalone.pinned, view)
        timings["retrieve"] = _ms(mark)

        def finish(
            text: str,
            refused: bool,
            label: str,
            usage: Usage | None = None,
            invalid: list[int] | None = None,
        ) -> Answer:
            mark = time.perf_counter()
            body = quoted_lines(text) if label.startswith("extractive") else text
            quoted = not refused and label != METADATA  # record fields are not abstract claims
            checks = (
                []
                if not quoted
                else check_sentences(
                    answer_sentences(body), sources, view.evidence, self.settings.support_threshold
                )
            )
            timings["check"] = _ms(mark)
            timings["total"] = _ms(started)
            return Answer(
                question=asked,
                text=text,
                sources=sources,
                citations=[] if refused else citations_for(text, sources),
                refused=refused,
                backend=label,
                timings_ms=timings,
                usage=usage or Usage(),
                sentences=checks,
                invalid_citations=invalid or [],
                notices=notices,
                standalone_question=standalone.question if history else None,
                coverage=None
                if not quoted
                else coverage(info, _answer_part(text, label), view.stats, plan.focus),
            )

        info, plan = analyze(standalone.question), view.name_plan(standalone.question)
        if filters and filters.active and not sources:
            text = render("no_match", filters=filters.describe())
            yield text
            yield finish(text, True, name if name == "extractive" else self._label(name))
            return
        unknown = view.retriever.unknown_terms(asked)
        if info.kind == "metadata" and (standalone.pinned or plan.about):
            text, answered = metadata_answer(asked, sources[0], view.meta[sources[0].paper_id])
            yield text
            yield finish(text, not answered, METADATA)
            return
        if not standalone.pinned and (
            self._too_weak(sources, evidence, unknown) or view.names.unknown_subjects(info, unknown)
        ):
            text = self._refusal(sources, unknown)
            yield text
            yield finish(text, True, name if name == "extractive" else self._label(name))
            return
        if not standalone.pinned and view.names.near_miss(info, plan):
            sources[:] = self._with_mentions(sources, plan, view)
            text = self._mention_notice(sources, plan, view)
            yield text
            yield finish(text, True, name if name == "extractive" else self._label(name))
            return

        mark = time.perf_counter()
        if name == "extractive":
            text = self._quotes(vector, sources, view, info, plan)
            timings["answer"] = _ms(mark)
            yield text
            yield finish(text, False, "extractive")
            return

        def fall_back(reason: str, streamed: bool) -> Iterator[str | Answer]:
            """The quoted answer instead of the LLM's, replacing whatever it streamed."""
            notices.append(f"{reason} Showing sentences quoted from the abstracts instead.")
            for source in sources:
                source.supporting.clear()  # highlights of a discarded answer
            text = self._quotes(vector, sources, view, info, plan)
            timings["answer"] = _ms(mark)
            if streamed:
                yield Retract(reason)
            yield text
            yield finish(text, False, f"extractive (fallback from {name})")

        pieces: list[str] = []
        try:
            llm = self.backend(name)
            messages = build_messages(
                standalone.question, sources, llm.context_window, self.settings.llm_max_tokens
            )
            usage = Usage()
            with closing(
                llm.stream(messages, self.settings.llm_max_tokens, usage, deadline)
            ) as out:
                for piece in out:
                    pieces.append(piece)
                    yield piece
                    if len(pieces) % LOOP_CHECK_EVERY == 0 and loops("".join(pieces)):
                        break  # no need to wait for the rest of a loop: the guard rejects it
            raw = "".join(pieces).strip()
            if not raw:
                raise LLMError(f"The LLM ({llm.name}) sent an empty answer.")
        except (LLMError, ConfigError) as exc:
            yield from fall_back(str(exc), bool(pieces))
            return
        timings["answer"] = _ms(mark)
        if says_not_in_sources(raw):
            text = self._refusal(sources)
            yield Retract("the LLM found no answer in the sources")
            yield text
            yield finish(text, True, llm.name, usage)
            return
        text, invalid = clean_markers(raw, len(sources))
        answer = finish(text, False, llm.name, usage, invalid)
        problem = degeneracy(answer, self.settings.llm_max_tokens)
        if problem:
            yield from fall_back(f"The LLM's answer was not shown: {problem}.", True)
            return
        if invalid:
            notices.append(
                "Removed citation(s) to sources that do not exist: "
                + ", ".join(f"[{n}]" for n in invalid)
                + "."
            )
        yield answer

    @staticmethod
    def _stated_filters(
        question: str, filters: Filters | None, view: IndexView, notices: list[str]
    ) -> tuple[str, Filters | None]:
        """Filters the question states ("since 2023", "by Smith"), unless some were given;
        applied only when papers match them, and always said."""
        if filters and filters.active:
            return question, filters
        stated, rest = filters_from_question(question, view.meta)
        if not stated.active or not stated.select(view.meta):
            return question, filters
        notices.append(f"Filtered from the question: {stated.describe()}.")
        return rest, stated

    def _quotes(
        self,
        vector: np.ndarray,
        sources: list[Source],
        view: IndexView,
        info: QuestionInfo,
        plan: NamePlan,
    ) -> str:
        """The extractive answer: the sources' sentences scored for what was asked."""
        about = {*plan.about, *plan.about_if_retrieved}
        named = [s.n for s in sources if s.paper_id in about]
        return extractive_answer(
            vector,
            sources,
            view.evidence,
            self.settings.extractive_sentences,
            info=info,
            stats=view.stats,
            focus=plan.focus,
            about=named,
            required=named if info.kind == "comparison" else [],
        )

    def _with_mentions(
        self, sources: list[Source], plan: NamePlan, view: IndexView
    ) -> list[Source]:
        """Sources with the papers that mention the asked-about names, retrieved or not."""
        mentioning = [s.paper_id for s in sources if s.paper_id in plan.mentioning]
        return self._pin(sources, (mentioning or plan.mentioning)[:MAX_MENTIONS], view)

    def _mention_notice(self, sources: list[Source], plan: NamePlan, view: IndexView) -> str:
        quotes = [
            (s, view.names.mention_sentences(s.paper_id, plan.mentioned_only))
            for s in sources
            if s.paper_id in plan.mentioning
        ][:MAX_MENTIONS]
        return mention_notice(plan.mentioned_only, quotes)

    def _label(self, name: str) -> str:
        return f"openai:{self.settings.llm_model}" if name == "openai" else name

    def _pin(self, sources: list[Source], pinned: list[str], view: IndexView) -> list[Source]:
        """Papers the follow-up named as [n] come first, even if retrieval missed them."""
        if not pinned:
            return sources
        rest = [s for s in sources if s.paper_id not in pinned]
        first = [s for pid in pinned for s in sources if s.paper_id == pid]
        first += self._sources(
            [Hit(pid, 0.0) for pid in pinned if pid not in {s.paper_id for s in first}], view
        )
        ordered = (first + rest)[: max(len(sources), len(first))]
        for n, source in enumerate(ordered, start=1):
            source.n = n
        return ordered

    def _too_weak(self, sources: list[Source], evidence: float, unknown: list[str]) -> bool:
        """Thresholds calibrated on eval/questions.jsonl (see README, Evaluation)."""
        if not sources or evidence < self.settings.refusal_threshold:
            return True
        return bool(unknown) and evidence < self.settings.unknown_term_threshold

    @staticmethod
    def _refusal(sources: list[Source], unknown: list[str] | None = None) -> str:
        closest = "\n".join(f"- [{s.n}] {s.label}" for s in sources[:3]) or "- (none)"
        text = render("refusal", closest=closest)
        if unknown:
            terms = ", ".join(f"'{t}'" for t in unknown)
            text = f"No abstract in this collection mentions {terms}. {text}"
        return text


def _answer_part(text: str, label: str) -> str:
    """The answer without the extractive lead line, whose words are not the answer's."""
    return text.partition("\n")[2] if label.startswith("extractive") else text


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)
