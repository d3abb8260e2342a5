"""The quick version of `python -m bench.load`: the script's own code path, 20 sessions for ~8 s
against the real app (launched in-process like `rag ui`), zero errors allowed."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from bench import load
from rag.settings import Settings
from tests.support.ui_app import running


@pytest.fixture(scope="module")
def app_url(engine: Any, corpus_settings: Settings) -> Iterator[str]:
    with running(engine, corpus_settings) as url:
        yield url


@pytest.mark.slow
def test_twenty_sessions_for_eight_seconds_without_errors(
    app_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = load.main(["--url", app_url, "--sessions", "20", "--seconds", "8", "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert summary["errors"] == 0, summary["first_errors"]
    assert code == 0
    assert summary["sessions"] == 20 and summary["requests"] >= 20
    assert summary["sessions_without_cited_answer"] == 0, summary  # every session got an answer
    assert 0 < summary["p50_s"] <= summary["p95_s"] <= summary["max_s"]
    assert summary["throughput_rps"] > 0


def test_error_payloads_and_failures_are_counted(app_url: str) -> None:
    """The zero-errors check above means something: /ask error payloads count as errors."""
    result = load.run_session(app_url, 0, ["   "], deadline=time.monotonic() + 1)
    assert result.requests >= 1 and len(result.errors) == result.requests
    assert "QuestionError" in result.errors[0] and result.cited == 0

    dead = load.run_session(f"http://127.0.0.1:{load.free_port()}/", 1, ["q"], time.monotonic())
    assert dead.requests == 0 and len(dead.errors) == 1 and "connect" in dead.errors[0]


def test_ask_output_checks_and_percentiles() -> None:
    answer = {"citations": [{"n": 1}], "refused": False}
    reply = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a [1]"}]
    assert load._ask_error((reply, "<div/>", answer, "")) is None
    assert "InternalError" in load._ask_error(
        (reply, "", {"error": "x", "kind": "InternalError"}, "q")
    )
    assert "no answer data" in load._ask_error((reply, "", None, ""))
    assert "unexpected" in load._ask_error("boom")
    values = sorted(float(i) for i in range(1, 101))
    # The load script reports with the one percentile the eval uses (linear interpolation).
    assert load.percentile(values, 50) == 50.5 and round(load.percentile(values, 95), 2) == 95.05
    assert load.percentile([], 95) is None and load.percentile([3.0], 50) == 3.0
