"""The test servers themselves, checked with the official openai client."""

from __future__ import annotations

import threading
import time

import httpx
import openai
import pytest

from tests.support.fake_openai import FakeOpenAI, closed_port
from tests.support.fake_openai_steps import break_stream, hang, ok, status
from tests.support.llama_server import LlamaServer

MESSAGES = [{"role": "user", "content": "Say hi."}]


def client_for(base_url: str, timeout: float = 5.0, max_retries: int = 0) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=base_url, api_key="sk-test", max_retries=max_retries, timeout=timeout
    )


def test_non_streaming_round_trip() -> None:
    with FakeOpenAI([ok("Hi [1].")]) as srv:
        client = client_for(srv.base_url)
        resp = client.chat.completions.create(model="fake-model", messages=MESSAGES)
    assert resp.choices[0].message.content == "Hi [1]."
    assert resp.choices[0].finish_reason == "stop"
    assert resp.usage is not None and resp.usage.completion_tokens > 0
    (req,) = srv.chat_requests
    assert req.body["messages"] == MESSAGES
    assert req.body["model"] == "fake-model"
    assert req.step == ok("Hi [1].")


def test_streaming_round_trip_with_usage() -> None:
    text = "Transformers use attention [1] and scale well [2]."
    with FakeOpenAI([ok(text)]) as srv:
        client = client_for(srv.base_url)
        stream = client.chat.completions.create(
            model="fake-model",
            messages=MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = list(stream)
    pieces = [
        c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content
    ]
    assert len(pieces) >= 3
    assert "".join(pieces) == text
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.total_tokens > 0
    assert srv.chat_requests[0].stream


def test_list_models_and_auth_header(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai.base_url)
    models = client.models.list()
    assert [m.id for m in models.data] == ["fake-model"]
    client.chat.completions.create(model="fake-model", messages=MESSAGES)
    assert [r.method for r in fake_openai.requests] == ["GET", "POST"]
    assert all(r.headers["authorization"] == "Bearer sk-test" for r in fake_openai.requests)


def test_429_surfaces_as_rate_limit_error() -> None:
    with FakeOpenAI([status(429, retry_after=1)]) as srv:
        client = client_for(srv.base_url)
        with pytest.raises(openai.RateLimitError) as info:
            client.chat.completions.create(model="fake-model", messages=MESSAGES)
    assert info.value.status_code == 429
    assert info.value.response.headers["retry-after"] == "1"
    assert info.value.code == "rate_limit_exceeded"
    assert len(srv.chat_requests) == 1


def test_retry_after_is_recorded_and_steps_advance() -> None:
    with FakeOpenAI([status(429, retry_after=0.3), ok("Second time lucky.")]) as srv:
        client = client_for(srv.base_url, max_retries=2)
        resp = client.chat.completions.create(model="fake-model", messages=MESSAGES)
    assert resp.choices[0].message.content == "Second time lucky."
    assert len(srv.chat_requests) == 2
    (gap,) = srv.gaps()
    assert gap >= 0.25
    assert srv.chat_requests[1].headers.get("x-stainless-retry-count") == "1"


def test_last_step_repeats() -> None:
    with FakeOpenAI([ok("one"), status(500)]) as srv:
        client = client_for(srv.base_url)
        assert (
            client.chat.completions.create(model="m", messages=MESSAGES).choices[0].message.content
            == "one"
        )
        for _ in range(3):
            with pytest.raises(openai.InternalServerError):
                client.chat.completions.create(model="m", messages=MESSAGES)
        srv.set_steps([ok("reset")])
        assert (
            client.chat.completions.create(model="m", messages=MESSAGES).choices[0].message.content
            == "reset"
        )
    assert len(srv.chat_requests) == 5


def test_401_has_openai_error_body() -> None:
    with FakeOpenAI(api_key="sk-right") as srv:
        client = client_for(srv.base_url)  # sends sk-test
        with pytest.raises(openai.AuthenticationError) as info:
            client.chat.completions.create(model="m", messages=MESSAGES)
    assert info.value.code == "invalid_api_key"
    assert info.value.body["type"] == "invalid_request_error"


def test_hang_past_timeout_raises_timeout_and_stops_fast() -> None:
    srv = FakeOpenAI([hang(30)]).start()
    try:
        client = client_for(srv.base_url, timeout=0.5)
        started = time.monotonic()
        with pytest.raises(openai.APITimeoutError):
            client.chat.completions.create(model="m", messages=MESSAGES)
        assert time.monotonic() - started < 5
        # other requests are still served while a handler hangs
        srv.set_steps([ok("fast")])
        quick = client_for(srv.base_url, timeout=5)
        assert (
            quick.chat.completions.create(model="m", messages=MESSAGES).choices[0].message.content
            == "fast"
        )
        # a request hanging right now does not hold up shutdown
        srv.set_steps([hang(30)])
        slow = client_for(srv.base_url, timeout=60)
        t = threading.Thread(
            target=lambda: pytest.raises(
                openai.APIError, slow.chat.completions.create, model="m", messages=MESSAGES
            ),
            daemon=True,
        )
        t.start()
        deadline = time.monotonic() + 5
        while len(srv.chat_requests) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        started = time.monotonic()
        srv.stop()
    assert time.monotonic() - started < 3
    t.join(timeout=5)
    assert not t.is_alive()


def test_break_stream_raises_while_iterating() -> None:
    with FakeOpenAI([break_stream("one two three four five six", after_chunks=2)]) as srv:
        client = client_for(srv.base_url)
        stream = client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
        got: list[str] = []
        with pytest.raises((httpx.HTTPError, openai.APIError)):
            for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    got.append(chunk.choices[0].delta.content)
    assert len(got) == 2


def test_break_stream_non_streaming_request_fails() -> None:
    with FakeOpenAI([break_stream()]) as srv:
        client = client_for(srv.base_url)
        with pytest.raises(openai.APIConnectionError):
            client.chat.completions.create(model="m", messages=MESSAGES)


def test_closed_port_refuses() -> None:
    client = client_for(f"http://127.0.0.1:{closed_port()}/v1", timeout=2)
    with pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(model="m", messages=MESSAGES)


def test_embeddings_are_deterministic(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai.base_url)
    a = client.embeddings.create(model="e", input=["alpha", "beta"])
    b = client.embeddings.create(model="e", input="alpha")
    assert len(a.data) == 2 and a.data[0].embedding == b.data[0].embedding
    assert a.data[0].embedding != a.data[1].embedding


@pytest.mark.slow
def test_llama_cpp_server_streams_real_tokens(llama_server: LlamaServer) -> None:
    client = openai.OpenAI(
        base_url=llama_server.base_url, api_key="sk-local", max_retries=0, timeout=120
    )
    stream = client.chat.completions.create(
        model=llama_server.model,
        messages=[{"role": "user", "content": "Name one colour."}],
        max_tokens=32,
        temperature=0,
        stream=True,
    )
    pieces = [
        c.choices[0].delta.content for c in stream if c.choices and c.choices[0].delta.content
    ]
    assert pieces, "the llama.cpp server streamed no content"
    assert "".join(pieces).strip()
