"""The chat UI driven over its API with gradio_client: real app, real index, real server."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from pydantic import SecretStr

from rag.errors import ConfigError
from rag.settings import Settings
from tests.support.fake_openai import FakeOpenAI
from tests.support.fake_openai_steps import hang, ok, status
from tests.support.ui_app import running

try:
    from gradio_client import Client
except ImportError:  # pragma: no cover - a clear failure instead of a skip
    Client = None


@pytest.fixture(scope="module")
def app_url(engine: Any, corpus_settings: Settings) -> Iterator[str]:
    with running(engine, corpus_settings) as url:
        yield url


def _ask(client: Any, question: str, top_k: int = 5, backend: str = "extractive") -> tuple:
    chat, sources_html, data, box = client.predict(question, top_k, backend, api_name="/ask")
    return chat, sources_html, data, box


def _text(message: dict) -> str:
    """A chat message's text, whatever content shape the client returns."""
    content = message["content"]
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(c.get("text", "") if isinstance(c, dict) else str(c) for c in content)
    return str(content)


def test_cited_answer_follow_up_and_errors(app_url: str, engine: Any) -> None:
    client = Client(app_url, verbose=False)

    chat, sources_html, data, box = _ask(
        client, "How is reinforcement learning used to summarize events?"
    )
    assert box == ""
    assert [m["role"] for m in chat] == ["user", "assistant"]
    answer = _text(chat[-1])
    assert "[1]" in answer, answer
    # Citations link to the sources panel's cards.
    assert re.search(r"\[\[1\]\]\(#src-1-1\b", answer), answer
    assert data["backend"] == "extractive" and not data["refused"]
    first = data["sources"][0]
    assert first["n"] == 1 and first["paper_id"] in engine.papers
    assert data["citations"], data
    # The panel shows every source with its number, label, score and an anchor.
    for src in data["sources"]:
        label = engine.papers[src["paper_id"]].label
        assert f'id="src-1-{src["n"]}"' in sources_html
        assert f"[{src['n']}]" in sources_html
        assert f"score {src['score']:.3f}" in sources_html
        assert (label[:40].replace("&", "&amp;").replace("<", "&lt;")) in sources_html
    assert '<mark class="support">' in sources_html  # supporting sentences highlighted

    # A follow-up naming [1] is about the same paper, and the history shows both turns.
    chat, sources_html, data2, _ = _ask(client, "What did [1] measure?")
    assert [m["role"] for m in chat] == ["user", "assistant", "user", "assistant"]
    assert data2["sources"][0]["paper_id"] == first["paper_id"]
    assert data2["standalone_question"] and first["label"][:30] in data2["standalone_question"]
    assert "[1]" in _text(chat[-1])
    assert 'id="src-2-1"' in sources_html and "Earlier answers (1)" in sources_html

    # An empty question is a clear message in the chat, not a stack trace...
    chat, panel, error, box = _ask(client, "   ")
    assert error["kind"] == "QuestionError"
    assert "was not answered" in panel and "src-2-1" not in panel, "not the last answer's"
    last = _text(chat[-1])
    assert chat[-1]["role"] == "assistant" and "The question is empty" in last
    assert "Traceback" not in last and len(chat) == 5

    # ...and the app keeps answering, with the conversation intact.
    chat, _, data3, _ = _ask(
        client, "Which paper introduces a benchmark for open-ended capabilities?"
    )
    assert len(chat) == 7 and "[1]" in _text(chat[-1])
    assert data3["turn"] == 3

    # "New chat" forgets the history: a follow-up has nothing to resolve against.
    chat, sources_html, data, box = client.predict(api_name="/new_chat")
    assert chat == [] and data is None and "Sources of the answer appear here" in sources_html
    chat, _, data4, _ = _ask(client, "How is reinforcement learning used to summarize events?")
    assert len(chat) == 2 and data4["turn"] == 1 and data4["standalone_question"] is None


def test_question_text_is_escaped(app_url: str) -> None:
    client = Client(app_url, verbose=False)
    question = "<script>alert(1)</script><b>bold</b> what about timelines?"
    chat, sources_html, data, _ = _ask(client, question)
    shown = _text(chat[0])
    assert "<script>" not in shown and "<b>" not in shown
    assert "&lt;script&gt;" in shown and "&lt;b&gt;" in shown
    assert "<script>" not in sources_html and "&lt;script&gt;" in sources_html


def test_sessions_are_separate_and_concurrent(app_url: str) -> None:
    """~20 browser sessions at once each get their own answer and history."""
    questions = [
        "How is reinforcement learning used to summarize events?",
        "Which paper introduces a benchmark for open-ended capabilities?",
    ]

    def session(i: int) -> tuple[int, int, str]:
        client = Client(app_url, verbose=False)
        chat, _, data, _ = _ask(client, questions[i % 2], top_k=3)
        return len(chat), data["turn"], _text(chat[-1])

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(session, range(20)))
    for length, turn, text in results:
        assert length == 2 and turn == 1 and "[1]" in text


def test_llm_answer_streams_and_unsupported_sentences_are_marked(
    engine: Any, corpus_settings: Settings
) -> None:
    question = "How is reinforcement learning used to summarize events?"
    sources, _, _ = engine.retrieve(question, 5)
    quoted = sources[0].abstract.split(". ")[0].rstrip(".")
    text = f"{quoted} [1]. It reaches 99.97% accuracy on every benchmark [1]."
    with FakeOpenAI([ok(text, chunks=_pieces(text, 6))], chunk_delay=0.05) as srv:
        llm_engine = engine.with_settings(
            openai_base_url=srv.base_url,
            openai_api_key=SecretStr("sk-test"),
            backend="auto",
            llm_max_retries=0,
        )
        settings = llm_engine.settings
        assert settings.llm_configured
        with running(llm_engine, settings) as url:
            client = Client(url, verbose=False)
            config = client.config
            note = next(
                c
                for c in config["components"]
                if c.get("props", {}).get("elem_id") == "offline-note"
            )
            assert note["props"]["visible"] is False  # no offline note with an LLM configured

            job = client.submit(question, 5, "openai", api_name="/ask")
            chat, sources_html, data, _ = job.result()
            updates = [_text(out[0][-1]) for out in job.outputs() if out[0]]
            partial = [u for u in updates if u.endswith("▍")]
            assert len(partial) >= 2, updates  # the answer arrived in pieces
            assert len({len(u) for u in partial}) >= 2

            assert data["backend"].startswith("openai:") and not data["refused"]
            answer = _text(chat[-1])
            assert "[[1]](#src-1-1" in answer
            unsupported = [s for s in data["sentences"] if not s["supported"]]
            assert len(unsupported) == 1 and "99.97" in unsupported[0]["missing_numbers"][0]
            assert answer.count("⚠ unsupported") == 1
            assert answer.index("99.97") < answer.index("⚠ unsupported")
            assert 'class="src-warn"' in sources_html and "99.97" in sources_html

            # The LLM failing is a note on a quoted answer, not a crash.
            srv.set_steps([status(500)])
            chat, sources_html, data, _ = _ask(client, question, backend="openai")
            assert data["backend"] == "extractive (fallback from openai)"
            assert data["notices"] and "Note:" in _text(chat[-1])
            assert "[1]" in _text(chat[-1]) and "Traceback" not in _text(chat[-1])


def test_a_discarded_llm_answer_is_replaced_in_the_chat(
    engine: Any, corpus_settings: Settings
) -> None:
    loop = "[1] The answer to the question about summarizing events is:\n" * 12
    question = "How is reinforcement learning used to summarize events?"
    with FakeOpenAI([ok(loop, chunks=_pieces(loop, 6))], chunk_delay=0.05) as srv:
        llm_engine = engine.with_settings(
            openai_base_url=srv.base_url, openai_api_key=SecretStr("sk-test"), llm_max_retries=0
        )
        with running(llm_engine, llm_engine.settings) as url:
            job = Client(url, verbose=False).submit(question, 5, "openai", api_name="/ask")
            chat, _, data, _ = job.result()
    updates = [_text(out[0][-1]) for out in job.outputs() if out[0]]
    assert any("The answer to the question" in u for u in updates), "the LLM text streamed"
    final = _text(chat[-1])
    assert data["backend"] == "extractive (fallback from openai)"
    assert "The answer to the question" not in final and "[1]" in final
    assert "Note:" in final and "repeats itself" in final
    # Once withdrawn, the streamed text is not shown again ahead of the quoted answer.
    after = updates[[i for i, u in enumerate(updates) if "The answer to" in u][-1] + 1 :]
    assert after and all("The answer to the question" not in u for u in after)


def test_extractive_answers_do_not_wait_behind_hung_llm_answers(
    engine: Any, corpus_settings: Settings
) -> None:
    """Eight sessions wait on a hung LLM; extractive questions keep being answered."""
    questions = [
        "How is reinforcement learning used to summarize events?",
        "Which paper introduces a benchmark for open-ended capabilities?",
        "Which methods make training of speech models more efficient?",
    ]
    with FakeOpenAI([hang(120)]) as srv:
        llm_engine = engine.with_settings(
            openai_base_url=srv.base_url,
            openai_api_key=SecretStr("sk-test"),
            llm_max_retries=0,
            llm_timeout_s=12,
            llm_concurrency=4,
        )
        with running(llm_engine, llm_engine.settings) as url, ThreadPoolExecutor(8) as pool:
            clients = [Client(url, verbose=False) for _ in range(8 + len(questions))]
            hung = [pool.submit(_ask, c, questions[0], 3, "openai") for c in clients[:8]]
            until = time.monotonic() + 30
            while len(srv.chat_requests) < llm_engine.settings.llm_concurrency:
                assert time.monotonic() < until, "the LLM requests never reached the server"
                time.sleep(0.1)
            time.sleep(1.0)  # the others are now queued or waiting for an LLM slot
            for client, question in zip(clients[8:], questions, strict=True):
                started = time.monotonic()
                chat, _, data, _ = _ask(client, question, 3, "extractive")
                took = time.monotonic() - started
                assert data["backend"] == "extractive" and "[1]" in _text(chat[-1])
                assert took < 5, f"an extractive answer waited {took:.1f} s behind the LLM"
            for future in hung:  # the hung ones end within their budget, as quoted answers
                data = future.result(timeout=90)[2]
                assert data["backend"] == "extractive (fallback from openai)", data["notices"]


def _pieces(text: str, n: int) -> list[str]:
    size = -(-len(text) // n)
    return [text[i : i + size] for i in range(0, len(text), size)]


def test_launch_options_are_local_and_private_by_default(corpus_settings: Settings) -> None:
    from paper_rag.ui.app import launch_options

    options = launch_options(corpus_settings)
    assert options["server_name"] == "127.0.0.1" and options["server_port"] == 7860
    assert options["share"] is False and options["auth"] is None
    options = launch_options(corpus_settings, host="0.0.0.0", port=8123, share=True)
    assert (options["server_name"], options["server_port"], options["share"]) == (
        "0.0.0.0",
        8123,
        True,
    )
    bad = corpus_settings.model_copy(update={"ui_auth": SecretStr("no-colon")})
    with pytest.raises(ConfigError, match="user:password"):
        launch_options(bad)


def test_auth_setting_turns_on_login(engine: Any, corpus_settings: Settings) -> None:
    settings = corpus_settings.model_copy(update={"ui_auth": SecretStr("reader:s3cret:x")})
    with running(engine, settings) as url:
        with pytest.raises(Exception, match="(?i)login|auth|401|403"):
            Client(url, verbose=False)
        client = Client(url, auth=("reader", "s3cret:x"), verbose=False)
        chat, _, data, _ = _ask(client, "How is reinforcement learning used to summarize events?")
        assert "[1]" in _text(chat[-1])


def test_refusal_is_shown_clearly(app_url: str) -> None:
    client = Client(app_url, verbose=False)
    chat, sources_html, data, _ = _ask(
        client, "What is the recipe for a good sourdough bread with rye flour?"
    )
    assert data["refused"] is True and data["citations"] == []
    assert _text(chat[-1]).startswith("**Not answered: the abstracts do not cover this.**")
    assert 'class="src-refused"' in sources_html and 'class="src-card"' in sources_html


def test_a_question_shows_as_typed_with_urls_whole_and_long_ones_clipped(engine) -> None:
    """A URL in parentheses keeps its ")" (it was shown "\\)" and linked to "x.png%5C"); a
    link or image in the question is still text; the sources panel heads a long question
    shortened, not with all of it."""
    from paper_rag.ui.render import TITLE_CHARS, literal_md, sources_html

    shown = literal_md("see (https://x.org/a.png) and [link](javascript:alert(1)) ![i](x)")
    assert "(https://x.org/a.png)" in shown and "\\)" not in shown
    assert "\\[link\\](javascript" in shown and "\\!\\[i\\]" in shown
    answer = engine.ask("What does NUPES propose? " + "Some pasted context here. " * 80)
    panel = sources_html([(1, answer)])
    title = panel.split('<div class="src-title">')[1].split("</div>")[0]
    assert len(title) < TITLE_CHARS + 60 and title.endswith("…</q>")
