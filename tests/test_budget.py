"""The LLM gate: a bounded number of answers run, as many wait within their deadline."""

from __future__ import annotations

import threading
import time

import pytest

from rag.backends.budget import Deadline, Gate
from rag.errors import LLMError


def test_gate_runs_size_answers_lets_as_many_wait_and_turns_the_rest_away():
    gate, release, holding = Gate(1), threading.Event(), threading.Event()

    def hold() -> None:
        with gate.slot(Deadline(30), "The LLM"):
            holding.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait(5)
    waited: list[float] = []

    def wait() -> None:
        started = time.monotonic()
        with pytest.raises(LLMError, match="is busy"), gate.slot(Deadline(1.0), "The LLM"):
            pass
        waited.append(time.monotonic() - started)

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.2)
    started = time.monotonic()
    with pytest.raises(LLMError, match="The LLM is busy"), gate.slot(Deadline(30), "The LLM"):
        pass
    assert time.monotonic() - started < 0.5, "no room to wait: turned away at once"
    waiter.join(10)
    assert waited and 0.9 <= waited[0] < 5, "waited for its own deadline, no longer"
    release.set()
    holder.join(10)
    with gate.slot(Deadline(1), "The LLM"):  # every slot was given back
        pass


def test_a_slot_freed_in_time_is_taken():
    gate, got = Gate(1), []

    def take() -> None:
        with gate.slot(Deadline(5), "The LLM"):
            got.append(time.monotonic())

    with gate.slot(Deadline(5), "The LLM"):
        taker = threading.Thread(target=take)
        taker.start()
        time.sleep(0.3)
        freed = time.monotonic()
    taker.join(5)
    assert got and got[0] >= freed


def test_deadline_counts_down():
    deadline = Deadline(0.2)
    assert 0.1 < deadline.remaining() <= 0.2 and not deadline.expired
    time.sleep(0.25)
    assert deadline.expired and deadline.remaining() == 0.0
