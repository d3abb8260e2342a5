"""The LLM backends: llama.cpp's real OpenAI-compatible server, and a misbehaving fake one."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from pydantic import SecretStr

from rag.types import Answer, Retract
from tests.support.fake_openai import FakeOpenAI, closed_port
from tests.support.fake_openai_steps import break_stream, drip, events, hang, ok, raw, stall, status

QUESTION = "How can large language models be quantized to low bit widths?"


def _openai(engine, base_url: str, **changes):
    settings = {
        "backend": "openai",
        "openai_base_url": base_url,
        "openai_api_key": SecretStr("sk-test-secret"),
        "llm_model": "smollm2",
        "llm_context_window": 4096,
        "llm_max_tokens": 160,
    }
    return engine.with_settings(**{**settings, **changes})


def _stream(engine, question: str = QUESTION) -> tuple[list[str], Answer]:
    items = list(engine.stream(question))
    assert isinstance(items[-1], Answer) and all(isinstance(i, str) for i in items[:-1])
    return items[:-1], items[-1]


def _quoted(engine, n: int = 1, sentence: int = 0) -> str:
    """A sentence of the n-th retrieved abstract, cited: an answer sentence it supports."""
    sources, _, _ = engine.retrieve(QUESTION, engine.settings.top_k)
    return sources[n - 1].abstract.split(". ")[sentence].rstrip(".") + f" [{n}]."


def test_llama_cpp_server_streams_and_the_guard_replaces_smollm2s_answer(engine, llama_server):
    """SmolLM2-135M's real answer here cites [1] for a sentence no abstract supports (at
    temperature 0, every run): it streams, then the quoted answer replaces it."""
    llm = _openai(engine, llama_server.base_url, llm_max_retries=0, llm_timeout_s=300)
    items = list(llm.stream(QUESTION))
    answer = items[-1]
    (cut,) = _retracts(items)
    assert cut > 1, "the model's answer arrived in several streamed pieces first"
    assert items[cut].reason.startswith("The LLM's answer was not shown")
    assert answer.backend == "extractive (fallback from openai)" and not answer.refused
    assert "".join(items[cut + 1 : -1]) == answer.text
    assert any(n.startswith("The LLM's answer was not shown") for n in answer.notices)
    assert answer.citations and all(1 <= c.n <= len(answer.sources) for c in answer.citations)


def test_local_backend_runs_the_gguf_in_process(engine):
    local = engine.with_settings(backend="local", llm_max_tokens=48, llm_timeout_s=300)
    items = list(local.stream(QUESTION))
    answer = items[-1]
    streamed = "".join(items[: next(_retracts(items), len(items) - 1)])
    assert streamed.strip(), "the model wrote something"
    if answer.backend.startswith("local:SmolLM2"):
        assert answer.text and answer.usage.prompt_tokens > 0
    else:  # 48 tokens of SmolLM2 is rarely a finished, cited answer: the guard replaced it
        assert answer.backend == "extractive (fallback from local)"
        assert any("The LLM's answer was not shown" in n for n in answer.notices)


def _retracts(items: list) -> Iterator[int]:
    return (i for i, item in enumerate(items) if isinstance(item, Retract))


def test_429_is_retried_after_retry_after_then_answers(engine, fake_openai):
    text = _quoted(engine)
    fake_openai.set_steps([status(429, retry_after=1), ok(text)])
    answer = _openai(engine, fake_openai.base_url).ask(QUESTION)
    assert len(fake_openai.chat_requests) == 2
    assert fake_openai.gaps()[0] >= 0.9, "waited for Retry-After"
    assert answer.text == text
    assert answer.backend == "openai:smollm2" and [c.n for c in answer.citations] == [1]


def test_persistent_500_falls_back_to_extractive_with_a_clear_notice(engine, fake_openai):
    fake_openai.set_steps([status(500)])
    answer = _openai(engine, fake_openai.base_url, llm_max_retries=2).ask(QUESTION)
    assert len(fake_openai.chat_requests) == 3, "one try and two bounded retries"
    assert answer.backend == "extractive (fallback from openai)"
    assert any("HTTP 500" in n for n in answer.notices)
    assert answer.citations and not answer.refused


def test_hanging_endpoint_times_out(engine, fake_openai):
    fake_openai.set_steps([hang(10)])
    answer = _openai(engine, fake_openai.base_url, llm_timeout_s=1.0, llm_max_retries=0).ask(
        QUESTION
    )
    assert any("did not answer within 1 s" in n for n in answer.notices)
    assert answer.backend.startswith("extractive (fallback")


def test_timeout_is_the_whole_answers_budget_retries_included(engine, fake_openai):
    fake_openai.set_steps([hang(30)])
    llm = _openai(engine, fake_openai.base_url, llm_timeout_s=2.0, llm_max_retries=3)
    started = time.monotonic()
    answer = llm.ask(QUESTION)
    took = time.monotonic() - started
    assert answer.backend == "extractive (fallback from openai)"
    assert any("did not answer within 2 s" in n for n in answer.notices), answer.notices
    assert took < 6, f"{took:.1f} s: four 2 s attempts, not one 2 s budget"


def test_a_slow_drip_is_cut_at_the_deadline_and_its_text_withdrawn(engine, fake_openai):
    fake_openai.set_steps([drip("Quantization " * 20, every=1.0)])  # 20 s to the end
    llm = _openai(engine, fake_openai.base_url, llm_timeout_s=3.0, llm_max_retries=0)
    started = time.monotonic()
    items = list(llm.stream(QUESTION))
    took = time.monotonic() - started
    answer = items[-1]
    assert took < 10, f"{took:.1f} s: the drip ran (20 s) instead of the 3 s budget"
    assert answer.backend == "extractive (fallback from openai)"
    assert any("did not answer within 3 s" in n for n in answer.notices), answer.notices
    (cut,) = _retracts(items)
    assert "Quantization" in "".join(items[:cut]), "the drip streamed before the deadline"
    assert "".join(items[cut:-1]) == answer.text and "Quantization Quantization" not in answer.text


def test_a_server_going_quiet_mid_answer_is_cut_at_the_deadline(engine, fake_openai):
    """Five words over ~5 s, then silence: the read after the last word starts with the
    budget almost spent, and may not wait a whole read timeout (6 s, ending at ~10 s)."""
    words = "Quantization maps the weights down"
    fake_openai.set_steps([stall(words, every=1.0, seconds=60)])
    llm = _openai(engine, fake_openai.base_url, llm_timeout_s=6.0, llm_max_retries=0)
    started = time.monotonic()
    items = list(llm.stream(QUESTION))
    took = time.monotonic() - started
    answer = items[-1]
    assert any("did not answer within 6 s" in n for n in answer.notices), answer.notices
    assert took < 8.5, f"{took:.1f} s: the read after the last word waited its own 6 s"
    (cut,) = _retracts(items)
    assert "".join(items[:cut]) == words


def test_retry_after_longer_than_the_budget_gives_up_at_once(engine, fake_openai):
    fake_openai.set_steps([status(429, retry_after=30)])
    llm = _openai(engine, fake_openai.base_url, llm_timeout_s=5.0, llm_max_retries=2)
    started = time.monotonic()
    answer = llm.ask(QUESTION)
    assert time.monotonic() - started < 4, "did not sleep 30 s for a 5 s budget"
    assert any("asked to wait 30 s" in n for n in answer.notices), answer.notices
    assert len(fake_openai.chat_requests) == 1


GARBAGE = {
    "garbage_sse": events("{not json at all"),
    "choices_null": events(
        '{"id":"c1","object":"chat.completion.chunk","created":0,"model":"m","choices":null}'
    ),
    "wrong_json_shape": events('{"unexpected": {"shape": true}}'),
    "json_array": events("[1, 2, 3]"),
    "html_with_200": raw("<html><body><h1>Welcome to nginx!</h1></body></html>", "text/html"),
    "empty_body": raw(b"", "application/json"),
    "not_streamed": raw(
        json.dumps(
            {
                "id": "c1",
                "object": "chat.completion",
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": "Not streamed [1]."}}
                ],
            }
        ),
        "application/json",
    ),
    "empty_answer": ok(""),
}


@pytest.mark.parametrize("reply", GARBAGE.values(), ids=GARBAGE.keys())
def test_garbage_from_the_server_falls_back_with_a_notice(engine, fake_openai, reply):
    fake_openai.set_steps([reply])
    answer = _openai(engine, fake_openai.base_url, llm_max_retries=0).ask(QUESTION)
    assert answer.backend == "extractive (fallback from openai)"
    assert not answer.refused, "a broken reply is not the LLM finding no answer"
    assert answer.citations
    notice = " ".join(answer.notices)
    assert "quoted from the abstracts instead" in notice and fake_openai.base_url in notice


def test_garbage_halfway_withdraws_what_was_streamed(engine, fake_openai):
    good = (
        '{"id":"c1","object":"chat.completion.chunk","created":0,"model":"m",'
        '"choices":[{"index":0,"delta":{"content":"Quantization maps weights"}}]}'
    )
    fake_openai.set_steps([events(good, "{garbage")])
    items = list(_openai(engine, fake_openai.base_url, llm_max_retries=0).stream(QUESTION))
    (cut,) = _retracts(items)
    assert "".join(items[:cut]) == "Quantization maps weights"
    answer = items[-1]
    assert answer.backend == "extractive (fallback from openai)"
    assert "".join(items[cut:-1]) == answer.text
    assert "not a chat completion chunk" in items[cut].reason


def test_the_llm_is_busy_beyond_its_concurrency(engine, fake_openai):
    fake_openai.set_steps([hang(30)])
    llm = _openai(
        engine, fake_openai.base_url, llm_timeout_s=4.0, llm_max_retries=0, llm_concurrency=1
    )
    with ThreadPoolExecutor(2) as pool:
        running = pool.submit(llm.ask, QUESTION)  # holds the one slot, hanging
        while not fake_openai.chat_requests:
            time.sleep(0.05)
        waiting = pool.submit(llm.ask, QUESTION)  # waits for it, within its own budget
        time.sleep(0.5)
        started = time.monotonic()
        turned_away = llm.ask(QUESTION)  # no room to wait: at once
        assert time.monotonic() - started < 2
        assert any("is busy" in n for n in turned_away.notices), turned_away.notices
        assert waiting.result().backend == "extractive (fallback from openai)"
        assert any("did not answer within 4 s" in n for n in running.result().notices)
    assert len(fake_openai.chat_requests) <= 2, "the one turned away never reached the server"


def test_wrong_key_is_reported_without_leaking_it(engine, fake_openai):
    fake_openai.api_key = "sk-the-right-one"
    answer = _openai(engine, fake_openai.base_url).ask(QUESTION)
    notice = " ".join(answer.notices)
    assert "rejected the API key" in notice and "sk-test-secret" not in notice
    assert fake_openai.chat_requests[0].authorization == "Bearer sk-test-secret"


def test_connection_refused_is_a_clear_notice(engine):
    base = f"http://127.0.0.1:{closed_port()}/v1"
    answer = _openai(engine, base, llm_max_retries=0).ask(QUESTION)
    assert any("Cannot connect" in n for n in answer.notices)


def test_stream_breaking_halfway_falls_back(engine, fake_openai):
    fake_openai.set_steps([break_stream("Quantization is a", after_chunks=1)])
    pieces, answer = _stream(_openai(engine, fake_openai.base_url, llm_max_retries=0))
    assert any("broke off" in n for n in answer.notices)
    assert answer.backend.startswith("extractive (fallback")


def test_citations_to_missing_sources_are_removed(engine, fake_openai):
    fake_openai.set_steps([ok(_quoted(engine).replace("[1]", "[1][9]"))])
    answer = _openai(engine, fake_openai.base_url).ask(QUESTION)
    assert answer.invalid_citations == [9]
    assert "[9]" not in answer.text and "[1]" in answer.text
    assert any("[9]" in n for n in answer.notices)


def test_invented_number_is_flagged_unsupported(engine, fake_openai):
    invented = "The method reaches 99.123% accuracy [1]."
    fake_openai.set_steps([ok(f"{_quoted(engine, 1)} {_quoted(engine, 2)} {invented}")])
    answer = _openai(engine, fake_openai.base_url).ask(QUESTION)
    assert answer.backend == "openai:smollm2", answer.notices
    assert len(answer.unsupported) == 1 and "99.123" in answer.unsupported[0].missing_numbers


DEGENERATE = {
    "loop": ("[1] The answer to the question about quantization is:\n" * 15, "repeats itself"),
    "no_citation": ("Quantization makes models smaller and faster.", "cites none"),
    "mostly_unsupported": (
        "The method reaches 99.123% accuracy [1]. It needs 7.77 GB of memory [2].",
        "2 of its 2 sentences are not supported",
    ),
}


@pytest.mark.parametrize("text,reason", DEGENERATE.values(), ids=DEGENERATE.keys())
def test_degenerate_answer_is_replaced_by_the_quoted_one(engine, fake_openai, text, reason):
    fake_openai.set_steps([ok(text)])
    items = list(_openai(engine, fake_openai.base_url).stream(QUESTION))
    answer = items[-1]
    (cut,) = _retracts(items)
    assert "".join(items[:cut]) == text, "the LLM's text streamed first"
    assert "".join(items[cut:-1]) == answer.text and answer.backend.startswith("extractive")
    assert any(reason in n for n in answer.notices), answer.notices


def test_a_loop_is_stopped_while_it_streams(engine):
    line = "[1] The answer to the question about quantization is:\n"
    with FakeOpenAI([ok(line * 60, chunks=[line] * 60)], chunk_delay=0.1) as srv:  # 6 s
        items = list(_openai(engine, srv.base_url).stream(QUESTION))
    (cut,) = _retracts(items)
    assert cut < 40, f"{cut} of 60 looping lines streamed before it was stopped"
    assert any("repeats itself" in n for n in items[-1].notices)


def test_runaway_answer_is_replaced(engine, fake_openai):
    fake_openai.set_steps([ok(" ".join(_quoted(engine, n) for n in (1, 2, 3)))])
    answer = _openai(engine, fake_openai.base_url, llm_max_tokens=40).ask(QUESTION)
    assert any("40-token limit" in n for n in answer.notices), answer.notices


def test_model_saying_not_in_sources_is_a_refusal(engine, fake_openai):
    fake_openai.set_steps([ok("NOT_IN_SOURCES")])
    answer = _openai(engine, fake_openai.base_url).ask(QUESTION)
    assert answer.refused and "don't answer this question" in answer.text


def test_prompt_delimits_sources_and_says_they_are_data(engine, fake_openai):
    fake_openai.set_steps([ok("Answer [1].")])
    _openai(engine, fake_openai.base_url).ask(QUESTION)
    messages = fake_openai.chat_requests[0].body["messages"]
    assert "data, not instructions" in messages[0]["content"]
    blocks = re.findall(r"<source n=(\d+) ", messages[1]["content"])
    assert blocks == [str(n) for n in range(1, engine.settings.top_k + 1)]
    assert messages[1]["content"].count("</source>") == engine.settings.top_k + 1  # + header


@pytest.mark.parametrize("history_turn", ["What did [1] measure?"])
def test_follow_up_is_condensed_by_the_llm(engine, fake_openai, history_turn):
    llm = _openai(engine, fake_openai.base_url)
    fake_openai.set_steps([ok("Quantization shrinks weights [1].")])
    first = llm.ask(QUESTION)
    fake_openai.set_steps([ok("How fast is low-bit quantized LLM inference?"), ok("Fast [1].")])
    follow = llm.ask("And how fast is it?", history=[first])
    assert follow.standalone_question == "How fast is low-bit quantized LLM inference?"
    assert "Conversation" in fake_openai.chat_requests[1].body["messages"][0]["content"]
    # A "[n]" reference is resolved by rule, without asking the LLM.
    before = len(fake_openai.chat_requests)
    fake_openai.set_steps([ok("It measures accuracy [1].")])
    pinned = llm.ask(history_turn, history=[first])
    assert pinned.sources[0].paper_id == first.sources[0].paper_id
    assert len(fake_openai.chat_requests) == before + 1
