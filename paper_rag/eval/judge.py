"""`rag eval --judge`: LLM-as-judge scores with LlamaIndex's evaluators on answerable questions.

- judge_faithfulness: share of (non-refused) answers the FaithfulnessEvaluator finds supported
  by the abstracts of the answer's sources (1.0 pass / 0.0 fail per answer).
- judge_correctness: the CorrectnessEvaluator's 1-5 score against the question's reference
  answer, averaged (a refused answerable question is scored too).
"""

from __future__ import annotations

import re
from typing import Any

from paper_rag.eval.questions import Question
from rag.errors import ConfigError
from rag.settings import Settings
from rag.types import Answer

_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def parse_score(text: str) -> tuple[float | None, str]:
    """The first number of the judge's reply (clamped to 1..5) and the rest as reasoning.

    LlamaIndex's default parser needs "score\\nreasoning" and raises on a one-line reply.
    """
    match = _NUMBER.search(text or "")
    if not match:
        return None, (text or "").strip()
    score = min(5.0, max(1.0, float(match.group())))
    return score, text[match.end() :].strip()


class Judge:
    def __init__(self, settings: Settings) -> None:
        if not settings.llm_configured:
            raise ConfigError(
                "--judge needs an LLM: set OPENAI_API_KEY (and/or OPENAI_BASE_URL for an "
                "OpenAI-compatible server) and RAG_LLM_MODEL, or run without --judge."
            )
        from llama_index.core.evaluation import CorrectnessEvaluator, FaithfulnessEvaluator
        from llama_index.llms.openai_like import OpenAILike

        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "none"
        llm = OpenAILike(
            model=settings.llm_model,
            api_base=settings.openai_base_url,
            api_key=key,
            is_chat_model=True,
            context_window=settings.llm_context_window,
            timeout=settings.llm_timeout_s,
            max_retries=settings.llm_max_retries,
            temperature=0.0,
        )
        self.model = settings.llm_model
        self.faithfulness = FaithfulnessEvaluator(llm=llm)
        self.correctness = CorrectnessEvaluator(llm=llm, parser_function=parse_score)
        self.errors = 0

    def describe(self) -> str:
        return f"llamaindex faithfulness+correctness ({self.model})"

    def score(self, q: Question, answer: Answer) -> dict[str, Any]:
        """judge_* values for one answer (None where not judged), and judge_error on failure."""
        row: dict[str, Any] = {"judge_faithfulness": None, "judge_correctness": None}
        if not q.answerable:
            return row
        try:
            if not answer.refused and answer.sources:
                cited = {c.n for c in answer.citations}
                contexts = [s.abstract for s in answer.sources if not cited or s.n in cited]
                result = self.faithfulness.evaluate(
                    query=q.question, response=answer.text, contexts=contexts
                )
                row["judge_faithfulness"] = 1.0 if result.passing else 0.0
            result = self.correctness.evaluate(
                query=q.question, response=answer.text, reference=q.answer
            )
            row["judge_correctness"] = result.score
        except Exception as exc:  # an endpoint failure costs this question, not the run
            self.errors += 1
            row["judge_error"] = f"{type(exc).__name__}: {exc}"
        return row
