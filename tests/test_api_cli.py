"""The ways in, as a user runs them: `from rag import ask`, `rag ask`, and OpenAI embeddings."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from rag.errors import IndexMismatchError
from rag.index_access import open_store
from rag.ingest import ingest
from tests.support.fake_openai_steps import events
from tests.support.index_fixtures import CORPUS, make_settings


def _env(corpus_settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "RAG_"))}
    env.update(RAG_DATA_DIR=str(corpus_settings.data_dir), RAG_CORPUS_DIR=str(CORPUS), **extra)
    return env


def _rag(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`rag ARGS` in a fresh process, as a user runs it."""
    command = [sys.executable, "-m", "rag.cli", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def test_python_api_ask_and_chat(corpus_settings):
    code = (
        "import json; from rag import ask, Chat, QuestionError\n"
        "a = ask('What does NUPES propose for post-training quantization?')\n"
        "c = Chat(); c.ask('Which papers study quantization of language models?')\n"
        "f = c.ask('What did [1] measure?')\n"
        "try:\n    ask('   ')\nexcept QuestionError as e:\n    err = str(e)\n"
        "print(json.dumps({'a': a.to_json(), 'pinned': f.sources[0].paper_id,"
        " 'first': c.history[0].sources[0].paper_id, 'err': err}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=_env(corpus_settings),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    data = json.loads(out.stdout.strip().splitlines()[-1])
    assert data["a"]["sources"][0]["title"].startswith("NUPES")
    assert data["a"]["backend"] == "extractive" and "[1]" in data["a"]["answer"]
    assert data["pinned"] == data["first"]
    assert "empty" in data["err"]


def test_cli_ask_json_shape(corpus_settings):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "rag.cli",
            "ask",
            "--json",
            "--top-k",
            "3",
            "Which methods make training of speech models more efficient?",
        ],
        env=_env(corpus_settings),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    data = json.loads(out.stdout)
    assert {"answer", "citations", "sources", "refused", "backend", "timings_ms"} <= set(data)
    assert [s["n"] for s in data["sources"]] == [1, 2, 3]
    assert all({"n", "paper_id", "title", "score"} <= set(s) for s in data["sources"])
    assert all(1 <= c["n"] <= 3 for c in data["citations"])


def test_cli_ask_plain_text_lists_sources(corpus_settings):
    out = _rag("ask", "What does NUPES propose?", env=_env(corpus_settings))
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Sources (extractive):" in out.stdout and "[1] NUPES" in out.stdout


def test_cli_without_index_says_how_to_build_it(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "RAG_"))}
    env["RAG_DATA_DIR"] = str(tmp_path)
    out = subprocess.run(
        [sys.executable, "-m", "rag.cli", "ask", "anything"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2
    assert out.stderr.startswith("error: No index found") and "rag ingest" in out.stderr


def test_openai_embeddings_are_recorded_and_a_model_switch_is_refused(tmp_path, fake_openai):
    from pydantic import SecretStr

    settings = make_settings(
        tmp_path,
        embed_backend="openai",
        openai_base_url=fake_openai.base_url,
        openai_api_key=SecretStr("sk-test"),
    )
    summary = ingest([CORPUS / "000_3196bafc52f3dd54.txt"], settings, progress=False)
    assert summary.papers_in_index == 10
    assert fake_openai.posts("/embeddings"), "the embeddings came from the OpenAI endpoint"
    store = open_store(settings)
    store.open()
    assert store.embedding_model == "openai:text-embedding-3-small"
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        open_store(make_settings(tmp_path)).open()


CHUNK = (
    '{"id":"c1","object":"chat.completion.chunk","created":0,"model":"m",'
    '"choices":[{"index":0,"delta":{"content":"Quantization maps weights"}}]}'
)


@pytest.mark.parametrize("reply", ["{garbage", '{"id":"c1","choices":null}'])
def test_cli_ask_withdraws_a_broken_llm_answer_and_prints_the_quoted_one(
    corpus_settings, fake_openai, reply
):
    fake_openai.set_steps([events(CHUNK, reply)])
    env = _env(corpus_settings, OPENAI_BASE_URL=fake_openai.base_url, RAG_LLM_MAX_RETRIES="0")
    out = _rag("ask", "How are LLM weights quantized to low bits?", env=env)
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr[-2000:]
    streamed, withdrawn, rest = out.stdout.partition("--- withdrawn, not the answer: The LLM")
    assert streamed.strip() == "Quantization maps weights" and withdrawn, out.stdout
    assert "\n- " in rest and "[1]" in rest, "the quoted answer follows"
    assert "note: The LLM at" in rest and "Sources (extractive (fallback from openai)):" in rest


def test_cli_ask_into_a_closed_pipe_ends_quietly(corpus_settings):
    """`rag ask ... | head -1`: the reader stops early; no traceback, exit 0."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "ask", "What does NUPES propose?"],
        env=_env(corpus_settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # the reader has gone before the first line
    _, err = proc.communicate(timeout=300)
    assert "Traceback" not in err.decode(), err.decode()[-600:]
    assert proc.returncode == 0
