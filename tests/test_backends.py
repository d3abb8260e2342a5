"""Answer backends behind one interface: the extractive quotes and the LLMs alike, named and
labelled once, chosen by the engine without branching on which one it is."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from rag.backends.base import AnswerBackend
from rag.backends.extractive import ExtractiveBackend
from rag.backends.llm import LocalBackend
from rag.backends.openai_chat import OpenAIBackend
from rag.backends.registry import CHAT_MODELS, make_backend
from rag.choices import BACKENDS
from rag.errors import ConfigError
from rag.settings import PROJECT_ROOT, Settings

UNANSWERABLE = "What were the main causes of the Hundred Years' War between England and France?"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    model = tmp_path / "Tiny-Model.gguf"
    model.write_bytes(b"not a model: backends load it only when asked to write")
    return Settings(
        _env_file=None,
        openai_base_url="http://127.0.0.1:9/v1",
        llm_model="m1",
        local_model=model,
    )


def test_every_offered_backend_is_an_answer_backend(settings: Settings) -> None:
    assert {ExtractiveBackend.name, *CHAT_MODELS} == set(BACKENDS)
    for name in BACKENDS:  # the LLMs' models are not loaded to set a backend up
        assert isinstance(make_backend(name, settings), AnswerBackend)
    with pytest.raises(ConfigError, match="Unknown backend 'gpt'. Use one of: extractive"):
        make_backend("gpt", settings)


def test_labels_are_defined_by_the_backends(settings: Settings, tmp_path: Path) -> None:
    openai = make_backend("openai", settings)
    assert openai.name == OpenAIBackend.label(settings) == "openai:m1"
    assert openai.fallback_label == "extractive (fallback from openai)"
    assert make_backend("local", settings).name == "local:Tiny-Model"
    missing = settings.model_copy(update={"local_model": tmp_path / "gone.gguf"})
    assert LocalBackend.label(missing) == "local"
    assert make_backend("extractive", settings).name == "extractive"


def test_the_engine_and_the_checks_never_test_a_backend_name() -> None:
    """Which backend answers is the backend's business: no `name == "openai"` in the engine,
    no `label.startswith("extractive")` in the checks."""
    for module in ("engine.py", "turn.py"):
        tree = ast.parse((PROJECT_ROOT / "rag" / module).read_text(encoding="utf-8"))
        strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)}
        assert not strings & set(BACKENDS), (module, strings & set(BACKENDS))


def test_a_refusal_carries_the_chosen_backends_label(engine) -> None:
    """The engine refuses before any LLM call; the answer is labelled as the backend labels
    its answers (the port is closed: a call would have failed and fallen back)."""
    llm = engine.with_settings(
        backend="openai", openai_base_url="http://127.0.0.1:9/v1", llm_model="m1"
    )
    answer = llm.ask(UNANSWERABLE)
    assert answer.refused and answer.backend == "openai:m1" and not answer.notices


def test_engine_with_settings_gives_a_retriever_with_the_new_settings(engine) -> None:
    narrow = engine.with_settings(candidates=3, rrf_k=11)
    assert (narrow.retriever.settings.candidates, narrow.retriever.settings.rrf_k) == (3, 11)
    assert engine.retriever.settings.candidates == engine.settings.candidates != 3
    assert narrow.backend("extractive") is not engine.backend("extractive")
