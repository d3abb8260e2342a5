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

import numpy as np

from rag.backends.budget import Deadline
from rag.backends.extractive import extractive_answer
from rag.backends.llm import ChatBackend, LocalBackend, build_messages, says_not_in_sources
from rag.backends.openai_chat import OpenAIBackend
from rag.chunking import count_tokens, encoding
from rag.citations import answer_sentences, check_sentences, citations_for, clean_markers
from rag.components import make_embed_model, make_vector_index, make_vector_store
from rag.conversation import Standalone, history_text, resolve
from rag.errors import ConfigError, LLMError, QuestionError
from rag.evidence import SentenceIndex
from rag.guard import LOOP_CHECK_EVERY, degeneracy, loops
from rag.ingest import open_store
from rag.prompts import render
from rag.retrieval import Hit, HybridRetriever
from rag.settings import RetrievalMode, Settings
from rag.types import Answer, Retract, Source, Usage

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
BACKENDS = ("extractive", "openai", "local")


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
        return self._sources(hits), evidence, vector

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
        deadline = Deadline(self.settings.llm_timeout_s)  # one budget for every LLM call

        mark = time.perf_counter()
        standalone = self._standalone(asked, history, name, deadline)
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
            body = text.split("\n", 1)[1] if label.startswith("extractive") else text
            checks = (
                []
                if refused
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
            )

        unknown = self.retriever.unknown_terms(asked)
        if not standalone.pinned and self._too_weak(sources, evidence, unknown):
            text = self._refusal(sources, unknown)
            yield text
            yield finish(text, True, name if name == "extractive" else self._label(name))
            return

        mark = time.perf_counter()
        if name == "extractive":
            text = extractive_answer(
                vector, sources, self.evidence, self.settings.extractive_sentences
            )
            timings["answer"] = _ms(mark)
            yield text
            yield finish(text, False, "extractive")
            return

        def fall_back(reason: str, streamed: bool) -> Iterator[str | Answer]:
            """The quoted answer instead of the LLM's, replacing whatever it streamed."""
            notices.append(f"{reason} Showing sentences quoted from the abstracts instead.")
            for source in sources:
                source.supporting.clear()  # highlights of a discarded answer
            text = extractive_answer(
                vector, sources, self.evidence, self.settings.extractive_sentences
            )
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


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)
