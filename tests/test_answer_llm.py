"""The LLM backends: llama.cpp's real OpenAI-compatible server, and a misbehaving fake one."""

from __future__ import annotations

import re

import pytest
from pydantic import SecretStr

from rag.types import Answer
from tests.support.fake_openai import break_stream, closed_port, hang, ok, status

QUESTION = "How can large language models be quantized to low bit widths?"


def _openai(engine, base_url: str, **changes):
    return engine.with_settings(
        backend="openai",
        openai_base_url=base_url,
        openai_api_key=SecretStr("sk-test-secret"),
        llm_model="smollm2",
        llm_context_window=4096,
        llm_max_tokens=160,
        **changes,
    )


def _stream(engine, question: str = QUESTION) -> tuple[list[str], Answer]:
    items = list(engine.stream(question))
    assert isinstance(items[-1], Answer) and all(isinstance(i, str) for i in items[:-1])
    return items[:-1], items[-1]


def test_llama_cpp_server_streams_and_every_kept_citation_is_valid(engine, llama_server):
    llm = _openai(engine, llama_server.base_url, llm_max_retries=1)
    pieces, answer = _stream(llm)
    assert len(pieces) > 1, "the answer arrives in several streamed pieces"
    assert answer.backend == "openai:smollm2"
    assert answer.usage.prompt_tokens > 0
    if not answer.refused:
        assert answer.text
        for citation in answer.citations:
            assert 1 <= citation.n <= len(answer.sources)
        for check in answer.sentences:
            assert 0.0 <= check.support <= 1.0
            assert set(check.cites) <= {s.n for s in answer.sources}
            assert check.supported == (
                bool(check.cites)
                and check.support >= llm.settings.support_threshold
                and not check.missing_numbers
            )
        for n in answer.invalid_citations:
            assert f"[{n}]" not in answer.text


def test_local_backend_runs_the_gguf_in_process(engine):
    answer = engine.with_settings(backend="local", llm_max_tokens=48).ask(QUESTION)
    assert answer.backend.startswith("local:SmolLM2")
    assert answer.text and answer.usage.prompt_tokens > 0


def test_429_is_retried_after_retry_after_then_answers(engine, fake_openai):
    fake_openai.set_steps([status(429, retry_after=1), ok("Quantization shrinks weights [1].")])
    answer = _openai(engine, fake_openai.base_url).ask(QUESTION)
    assert len(fake_openai.chat_requests) == 2
    assert fake_openai.gaps()[0] >= 0.9, "waited for Retry-After"
    assert answer.text.startswith("Quantization shrinks weights [1]")
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
    fake_openai.set_steps([ok("Weights are quantized [1]. Another claim [9].")])
    answer = _openai(engine, fake_openai.base_url).ask(QUESTION)
    assert answer.invalid_citations == [9]
    assert "[9]" not in answer.text and "[1]" in answer.text
    assert any("[9]" in n for n in answer.notices)


def test_invented_number_is_flagged_unsupported(engine, fake_openai):
    fake_openai.set_steps([ok("The method reaches 99.123% accuracy [1].")])
    answer = _openai(engine, fake_openai.base_url).ask(QUESTION)
    assert answer.unsupported and "99.123" in answer.unsupported[0].missing_numbers


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
