"""A question as the engine reads it: text, with words, of bounded length."""

from __future__ import annotations

import re

from rag.chunking import encoding
from rag.errors import QuestionError

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")  # and lone surrogates


def clean_question(question: object, limit: int, notices: list[str]) -> str:
    """The question on one line without control characters; past `limit` tokens its first
    quarter and its end are kept (pasted context comes first, the question asked last)."""
    if question is not None and not isinstance(question, str):
        raise QuestionError(f"The question must be text, not {type(question).__name__}.")
    text = " ".join(_CONTROL.sub(" ", question or "").split())
    if not text:
        raise QuestionError("The question is empty. Type a question about the papers.")
    if not any(ch.isalnum() for ch in text):
        raise QuestionError("The question has no words. Type a question about the papers.")
    tokens = encoding().encode(text, disallowed_special=())
    if len(tokens) > limit:
        head = limit // 4
        start, end = encoding().decode(tokens[:head]), encoding().decode(tokens[head - limit :])
        text = f"{start} … {end}"
        notices.append(
            f"The question was longer than {limit} tokens and was cut: its first {head} and "
            f"last {limit - head} tokens were kept."
        )
    return text
