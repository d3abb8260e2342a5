"""The LLM step of an answer: stream the model's text, then keep it only if it holds up.

A failed call, an empty or malformed reply, or a degenerate answer (`rag/guard.py`) is
replaced by the quoted answer, with a notice; text already streamed is withdrawn (`Retract`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import closing

from rag.backends.budget import Deadline
from rag.backends.llm import ChatBackend, build_messages, says_not_in_sources
from rag.citations import clean_markers
from rag.errors import ConfigError, LLMError
from rag.guard import LOOP_CHECK_EVERY, degeneracy, loops
from rag.turn import Turn
from rag.types import Answer, Retract, Usage

Finish = Callable[..., Answer]  # (turn, text, refused, label, usage=None, invalid=None)


def llm_answer(
    turn: Turn,
    get_llm: Callable[[], ChatBackend],
    max_tokens: int,
    deadline: Deadline,
    quotes: Callable[[Turn], str],
    refusal: Callable[[Turn], str],
    finish: Finish,
    fallback_label: str,
) -> Iterator[str | Answer]:
    mark = time.perf_counter()

    def fall_back(reason: str, streamed: bool) -> Iterator[str | Answer]:
        """The quoted answer instead of the LLM's, replacing whatever it streamed."""
        turn.notices.append(f"{reason} Showing sentences quoted from the abstracts instead.")
        for source in turn.sources:
            source.supporting.clear()  # highlights of a discarded answer
        text = quotes(turn)
        turn.lap("answer", mark)
        if streamed:
            yield Retract(reason)
        yield text
        yield finish(turn, text, False, fallback_label)

    pieces: list[str] = []
    try:
        llm = get_llm()
        question = turn.standalone.question
        messages = build_messages(question, turn.sources, llm.context_window, max_tokens)
        usage = Usage()
        with closing(llm.stream(messages, max_tokens, usage, deadline)) as out:
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
    turn.lap("answer", mark)
    if says_not_in_sources(raw):
        text = refusal(turn)
        yield Retract("the LLM found no answer in the sources")
        yield text
        yield finish(turn, text, True, llm.name, usage)
        return
    text, invalid = clean_markers(raw, len(turn.sources))
    answer = finish(turn, text, False, llm.name, usage, invalid)
    problem = degeneracy(answer, max_tokens)
    if problem:
        yield from fall_back(f"The LLM's answer was not shown: {problem}.", True)
        return
    if invalid:
        turn.notices.append(
            "Removed citation(s) to sources that do not exist: "
            + ", ".join(f"[{n}]" for n in invalid)
            + "."
        )
    yield answer
