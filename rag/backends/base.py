"""What every answer backend offers the engine: the extractive quotes and the LLMs alike.

The engine retrieves and decides whether to answer at all (refusals, metadata, mentions);
then the chosen backend writes the answer. Which backend it is never changes the engine's
path: the label, the follow-up rewrite and the answer's layout all come from the backend.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from rag.backends.budget import Deadline
    from rag.conversation import Standalone
    from rag.turn import Turn
    from rag.types import Answer, Retract


@runtime_checkable
class AnswerBackend(Protocol):
    name: str  # the label of the answers it gives (Answer.backend), e.g. openai:MODEL

    def standalone(self, question: str, history: list[Answer], deadline: Deadline) -> Standalone:
        """A follow-up `question` rewritten to stand alone, with the papers it points at."""
        ...

    def answer(self, turn: Turn, deadline: Deadline) -> Iterator[str | Retract | Answer]:
        """Yield text pieces (a `Retract` withdraws what was streamed), then the checked
        `Answer` (`turn.finish`)."""
        ...
