"""The answer service: question -> retrieval -> answer backend -> citation check -> Answer.

Opened once (index, models, BM25) and shared by the CLI, the UI and the eval harness.
"""

from __future__ import annotations

import copy
import re
import threading
import time
from collections.abc import Iterator

import numpy as np

from rag.backends.extractive import extractive_answer, quoted_lines
from rag.backends.llm import (
    ChatBackend,
    LocalBackend,
    OpenAIBackend,
    build_messages,
    says_not_in_sources,
)
from rag.chunking import count_tokens, encoding
from rag.citations import answer_sentences, check_sentences, citations_for, clean_markers
from rag.components import make_embed_model, make_vector_index, make_vector_store
from rag.conversation import Standalone, history_text, resolve
from rag.coverage import coverage
from rag.errors import ConfigError, LLMError, QuestionError
from rag.evidence import SentenceIndex
from rag.ingest import open_store
from rag.naming import NamePlan, PaperNames
from rag.prompts import render
from rag.question_type import analyze
from rag.retrieval import Hit, HybridRetriever
from rag.sentence_scoring import LexicalStats
from rag.settings import RetrievalMode, Settings
from rag.special_answers import MAX_MENTIONS, mention_notice, metadata_answer
from rag.types import Answer, Source, Usage

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
BACKENDS = ("extractive", "openai", "local")
MAX_PROMOTED = 2  # papers about a name the question names, moved to the top of the sources
PLAN_CACHE = 256
METADATA = "metadata"  # backend label of answers read from the paper record


class Engine:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = open_store(settings)
        self.store.open()
        self.embed_model = make_embed_model(settings)
        self.index = make_vector_index(make_vector_store(self.store.chunks), self.embed_model)
        self.papers = {p.paper_id: p for p in self.store.papers_all()}
        self.retriever = HybridRetriever(self.index, list(self.papers.values()), settings)
        self.evidence = SentenceIndex(self.embed_model, self.store)
        self.stats = LexicalStats(f"{p.title or ''} {p.abstract}" for p in self.papers.values())
        self.names = PaperNames(list(self.papers.values()))
        self._plans: dict[str, NamePlan] = {}  # recent questions' name plans (asked twice)
        self._plans_lock = threading.Lock()  # shared with with_settings() views, like _plans
        self._backends: dict[str, ChatBackend] = {}
        self._lock = threading.Lock()

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
        self, question: str, top_k: int | None = None, mode: RetrievalMode | None = None
    ) -> tuple[list[Source], float, np.ndarray]:
        """Numbered sources for a question, the evidence strength, and the query vector."""
        vector = np.asarray(self.embed_model.get_query_embedding(question), dtype=np.float32)
        hits, evidence = self.retriever.retrieve(
            question,
            vector.tolist(),
            top_k or self.settings.top_k,
            mode or self.settings.retrieval_mode,
        )
        plan = self.name_plan(question)
        retrieved = {h.paper_id for h in hits}
        lead = plan.about + [pid for pid in plan.about_if_retrieved if pid in retrieved]
        return self._pin(self._sources(hits), lead[:MAX_PROMOTED]), evidence, vector

    def name_plan(self, question: str) -> NamePlan:
        """Papers about the names in the question (they lead), and names only mentioned."""
        with self._plans_lock:
            plan = self._plans.get(question)
        if plan is None:
            plan = self.names.plan(analyze(question))
            with self._plans_lock:
                self._plans[question] = plan
                while len(self._plans) > PLAN_CACHE:
                    self._plans.pop(next(iter(self._plans)))
        return plan

    def _sources(self, hits: list[Hit]) -> list[Source]:
        out = []
        for n, hit in enumerate(hits, start=1):
            paper = self.papers[hit.paper_id]
            out.append(
                Source(
                    n=n,
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

    def _standalone(self, question: str, history: list[Answer], backend: str) -> Standalone:
        rule = resolve(question, history)
        if not history or backend == "extractive" or rule.pinned:
            return rule
        try:
            llm = self.backend(backend)
            prompt = render("condense", history=history_text(history), question=question)
            text = "".join(llm.stream([{"role": "user", "content": prompt}], 64, Usage())).strip()
            return Standalone(text.splitlines()[0].strip() or rule.question, [])
        except (LLMError, ConfigError, IndexError):
            return rule

    # -- answering ---------------------------------------------------------------------------
    def ask(self, question: str, **kwargs) -> Answer:
        return next(item for item in self.stream(question, **kwargs) if isinstance(item, Answer))

    def stream(
        self,
        question: str,
        *,
        top_k: int | None = None,
        backend: str | None = None,
        history: list[Answer] | None = None,
        mode: RetrievalMode | None = None,
    ) -> Iterator[str | Answer]:
        """Yield answer text pieces as they come, then the checked `Answer`."""
        started = time.perf_counter()
        timings: dict[str, float] = {}
        notices: list[str] = []
        name = backend or self.settings.resolved_backend()
        if name not in BACKENDS:
            raise ConfigError(f"Unknown backend '{name}'. Use one of: {', '.join(BACKENDS)}.")
        asked = self.clean_question(question, notices)
        history = history or []

        mark = time.perf_counter()
        standalone = self._standalone(asked, history, name)
        timings["rewrite"] = _ms(mark)
        mark = time.perf_counter()
        sources, evidence, vector = self.retrieve(standalone.question, top_k, mode)
        sources = self._pin(sources, standalone.pinned)
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
                    answer_sentences(body), sources, self.evidence, self.settings.support_threshold
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
                else coverage(info, _answer_part(text, label), self.stats, plan.focus),
            )

        unknown = self.retriever.unknown_terms(asked)
        info, plan = analyze(standalone.question), self.name_plan(standalone.question)
        if info.kind == "metadata" and (standalone.pinned or plan.about):
            text, answered = metadata_answer(
                asked, sources[0], self.papers[sources[0].paper_id].extra
            )
            yield text
            yield finish(text, not answered, METADATA)
            return
        if not standalone.pinned and (
            self._too_weak(sources, evidence, unknown) or self.names.unknown_subjects(info, unknown)
        ):
            text = self._refusal(sources, unknown)
            yield text
            yield finish(text, True, name if name == "extractive" else self._label(name))
            return
        if not standalone.pinned and self.names.near_miss(info, plan):
            sources[:] = self._with_mentions(sources, plan)
            text = self._mention_notice(sources, plan)
            yield text
            yield finish(text, True, name if name == "extractive" else self._label(name))
            return

        mark = time.perf_counter()
        if name == "extractive":
            about = {*plan.about, *plan.about_if_retrieved}
            text = extractive_answer(
                vector,
                sources,
                self.evidence,
                self.settings.extractive_sentences,
                info=info,
                stats=self.stats,
                focus=plan.focus,
                about=[s.n for s in sources if s.paper_id in about],
                required=[s.n for s in sources if s.paper_id in about]
                if info.kind == "comparison"
                else [],
            )
            timings["answer"] = _ms(mark)
            yield text
            yield finish(text, False, "extractive")
            return
        try:
            llm = self.backend(name)
            messages = build_messages(
                standalone.question, sources, llm.context_window, self.settings.llm_max_tokens
            )
            pieces, usage = [], Usage()
            for piece in llm.stream(messages, self.settings.llm_max_tokens, usage):
                pieces.append(piece)
                yield piece
            raw = "".join(pieces).strip()
        except (LLMError, ConfigError) as exc:
            notices.append(f"{exc} Showing sentences quoted from the abstracts instead.")
            text = extractive_answer(
                vector, sources, self.evidence, self.settings.extractive_sentences
            )
            timings["answer"] = _ms(mark)
            yield text
            yield finish(text, False, f"extractive (fallback from {name})")
            return
        timings["answer"] = _ms(mark)
        if not raw or says_not_in_sources(raw):
            text = self._refusal(sources)
            yield text
            yield finish(text, True, llm.name, usage)
            return
        text, invalid = clean_markers(raw, len(sources))
        if invalid:
            notices.append(
                "Removed citation(s) to sources that do not exist: "
                + ", ".join(f"[{n}]" for n in invalid)
                + "."
            )
        yield finish(text, False, llm.name, usage, invalid)

    def _with_mentions(self, sources: list[Source], plan: NamePlan) -> list[Source]:
        """Sources with the papers that mention the asked-about names, retrieved or not."""
        mentioning = [s.paper_id for s in sources if s.paper_id in plan.mentioning]
        return self._pin(sources, (mentioning or plan.mentioning)[:MAX_MENTIONS])

    def _mention_notice(self, sources: list[Source], plan: NamePlan) -> str:
        quotes = [
            (s, self.names.mention_sentences(s.paper_id, plan.mentioned_only))
            for s in sources
            if s.paper_id in plan.mentioning
        ][:MAX_MENTIONS]
        return mention_notice(plan.mentioned_only, quotes)

    def _label(self, name: str) -> str:
        return f"openai:{self.settings.llm_model}" if name == "openai" else name

    def _pin(self, sources: list[Source], pinned: list[str]) -> list[Source]:
        """Papers the follow-up named as [n] come first, even if retrieval missed them."""
        if not pinned:
            return sources
        rest = [s for s in sources if s.paper_id not in pinned]
        first = [s for pid in pinned for s in sources if s.paper_id == pid]
        first += self._sources(
            [Hit(pid, 0.0) for pid in pinned if pid not in {s.paper_id for s in first}]
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
