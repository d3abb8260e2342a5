"""Pytest fixtures for the test servers.

Load them with ``pytest_plugins = ["tests.support.fixtures"]`` (in the root conftest).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.fake_openai import FakeOpenAI
from tests.support.llama_server import (
    LlamaServer,
    LlamaServerError,
    llama_cpp_installed,
    smollm2_gguf_path,
)


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    """A started FakeOpenAI answering ``ok(...)``; script it with ``fake_openai.set_steps``."""
    with FakeOpenAI() as srv:
        yield srv


@pytest.fixture(scope="session")
def llama_server() -> Iterator[LlamaServer]:
    """llama.cpp's OpenAI-compatible server on SmolLM2-135M, shared by the whole session."""
    if not llama_cpp_installed():
        pytest.fail(
            "llama-cpp-python[server] is not installed in this environment; "
            "`make test` installs it (it is built from source, which takes a few minutes).",
            pytrace=False,
        )
    try:
        model = smollm2_gguf_path()
    except FileNotFoundError as exc:
        pytest.fail(str(exc), pytrace=False)
    server = LlamaServer(model)
    try:
        server.start()
    except LlamaServerError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server
    finally:
        server.stop()
        server.cleanup_log()
