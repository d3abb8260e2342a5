"""The Gradio chat: one `Engine` per process, per-browser-session history, cited answers.

`launch(settings)` opens the index and models once and serves the app; `build_app(engine,
settings)` builds the Blocks so tests can start it on any port.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rag.offline import configure_offline

configure_offline()  # GRADIO_ANALYTICS_ENABLED=False and friends, before gradio is imported

import gradio as gr  # noqa: E402

from paper_rag.ui import render, uploads  # noqa: E402
from rag.backends.budget import llm_sessions  # noqa: E402
from rag.chat import MAX_TURNS  # noqa: E402
from rag.choices import BACKENDS  # noqa: E402
from rag.errors import ConfigError, RagError  # noqa: E402
from rag.readers import SUFFIXES  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.types import Answer, Retract  # noqa: E402

if TYPE_CHECKING:
    from rag.engine import Engine

log = logging.getLogger(__name__)

REFRESH_S = 15  # how often the header checks for a newer index
TRACK_TQDM = gr.Progress(track_tqdm=True)  # Gradio shows ingestion's tqdm bar as progress
MAX_SHOWN_CHARS = 2000  # of a question, in the chat
GENERIC_ERROR = "Something went wrong while answering. Please try again; details are in the log."

CSS = """
#app-header h1 { margin-bottom: 0.1rem; }
#offline-note { border-left: 4px solid var(--color-accent); padding: 0.4rem 0.8rem;
  background: var(--background-fill-secondary); border-radius: 6px; }
#sources { max-height: 80vh; overflow-y: auto !important; }
.src-panel { display: flex; flex-direction: column; gap: 0.6rem; font-size: 0.92rem; }
.src-title { font-weight: 600; }
.src-backend, .src-meta, .src-where { color: var(--body-text-color-subdued); font-size: 0.82rem; }
.src-where { margin-left: 0.4rem; }
.src-card { border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: 0.55rem 0.75rem; background: var(--background-fill-primary);
  transition: box-shadow 0.3s; }
.src-card.cited { border-color: var(--color-accent); }
.src-card.flash { box-shadow: 0 0 0 3px var(--color-accent-soft, #c7d2fe); }
.src-n { font-weight: 700; color: var(--color-accent); }
.src-label { font-weight: 600; }
.src-badge { background: var(--color-accent); color: white; border-radius: 4px;
  padding: 0 0.35rem; font-size: 0.75rem; margin-left: 0.3rem; }
.src-support { margin-left: 0.4rem; }
.src-abstract { line-height: 1.45; margin: 0.3rem 0 0; white-space: pre-wrap; }
mark.support { background: #fde68a; color: inherit; padding: 0 1px; border-radius: 2px; }
.src-warn { border-left: 4px solid #f59e0b; padding: 0.3rem 0.7rem; background: #fffbeb;
  color: #78350f; border-radius: 6px; }
.src-warn ul { margin: 0.2rem 0 0 1rem; }
.src-ok { color: #166534; }
.src-refused { border-left: 4px solid #dc2626; padding: 0.3rem 0.7rem; background: #fef2f2;
  color: #7f1d1d; border-radius: 6px; font-weight: 600; }
.src-notice { color: var(--body-text-color-subdued); }
.src-empty { color: var(--body-text-color-subdued); padding: 1rem 0; }
#examples button { font-size: 0.85rem; }
#examples-label { color: var(--body-text-color-subdued); font-size: 0.85rem;
  margin-bottom: -0.5rem; }
"""

# Citation links ("#src-<turn>-<n>") scroll the sources panel instead of navigating.
JS = """
() => {
  document.addEventListener('click', (event) => {
    const link = event.target.closest && event.target.closest('a[href^="#src-"]');
    if (!link) return;
    const card = document.getElementById(link.getAttribute('href').slice(1));
    event.preventDefault();
    event.stopPropagation();
    if (!card) return;
    for (let el = card.parentElement; el; el = el.parentElement) {
      if (el.tagName === 'DETAILS') el.open = true;
    }
    const abstract = card.querySelector('details');
    if (abstract) abstract.open = true;
    card.scrollIntoView({behavior: 'smooth', block: 'nearest'});
    card.classList.add('flash');
    setTimeout(() => card.classList.remove('flash'), 1500);
  }, true);
}
"""

SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "sans-serif"]


@dataclass
class Session:
    """Per-browser-session state: the answers (for follow-ups) and the chat as shown."""

    answers: list[tuple[int, Answer]] = field(default_factory=list)
    messages: list[dict[str, str]] = field(default_factory=list)
    turns: int = 0
    failed: bool = False  # the last question got an error, not an answer: nothing to export
    answered_at: float = float("-inf")  # time.monotonic() when the last reply was shown

    @property
    def history(self) -> list[Answer]:
        return [a for _, a in self.answers]


def shorten(question: str) -> str:
    """What the chat shows of a question: a long paste is cut, not echoed in every reply."""
    text = question.strip()
    if len(text) <= MAX_SHOWN_CHARS:
        return text
    return f"{text[:MAX_SHOWN_CHARS]}… ({len(text):,} characters; shortened here)"


def ui_filters(since: str, until: str, authors: str, categories: str, venues: str) -> dict:
    """The filter boxes as `Filters` input. Lists are separated by semicolons, or by commas
    when there is none: "Smith, John; Lee" is two authors, "Smith, Lee" too."""

    def items(text: str | None) -> list[str]:
        text = text or ""
        return [x.strip() for x in text.split(";" if ";" in text else ",") if x.strip()]

    return {
        "since": (since or "").strip() or None,  # checked as years by `Filters`
        "until": (until or "").strip() or None,
        "authors": items(authors),
        "categories": items(categories),
        "venues": items(venues),
    }


def offline_note(settings: Settings) -> str:
    return (
        "**Offline mode** — no LLM is configured, so answers are sentences quoted from the "
        "abstracts (each with its [n] source). To get written answers, put "
        "`OPENAI_API_KEY=sk-…` in `.env`, or `OPENAI_BASE_URL=http://localhost:11434/v1` "
        "for a local Ollama / vLLM / llama.cpp server, then restart `make run`."
    )


def parse_auth(settings: Settings) -> tuple[str, str] | None:
    if settings.ui_auth is None:
        return None
    user, sep, password = settings.ui_auth.get_secret_value().partition(":")
    if not sep or not user or not password:
        raise ConfigError("RAG_UI_AUTH must look like user:password.")
    return user, password


DOUBLE_CLICK_S = 1.5  # an empty Ask or Enter this soon after a reply is a double press's second
EXAMPLE_TITLES = 5000  # example questions come from the first papers, at any index size


def build_app(engine: Engine, settings: Settings) -> gr.Blocks:
    """The chat app over an opened engine; `settings.ui_concurrency` sessions plus LLM ones."""
    examples = render.example_questions(engine.papers.titles(EXAMPLE_TITLES))

    def ask(
        question: str,
        top_k: float,
        backend: str,
        since: str,
        until: str,
        authors: str,
        categories: str,
        venues: str,
        session: Session | None,
    ) -> Iterator[tuple[Any, ...]]:
        session = session if session is not None else Session()
        question = question or ""
        turn = session.turns + 1
        shown = list(session.messages)
        if question.strip():
            shown.append({"role": "user", "content": render.literal_md(shorten(question))})
        pending = [*shown, {"role": "assistant", "content": "*Searching the abstracts…*"}]
        yield pending, gr.skip(), gr.skip(), "", session
        answer: Answer | None = None
        text = ""
        try:
            for item in engine.stream(
                question,
                top_k=int(top_k) if top_k else None,
                backend=backend or None,
                history=session.history,
                filters=ui_filters(since, until, authors, categories, venues),
            ):
                if isinstance(item, Answer):
                    answer = item
                    break
                text = "" if isinstance(item, Retract) else text + item  # replaced, not appended
                content = render.streaming_md(text, turn)
                yield [*shown, {"role": "assistant", "content": content}], *_skips(4)
        except RagError as exc:
            message = render.error_md(str(exc))
            error = {"error": str(exc), "kind": type(exc).__name__}
        except Exception:  # noqa: BLE001 - the app must keep serving other questions
            log.exception("unexpected error answering %r", question[:200])
            message = render.error_md(GENERIC_ERROR)
            error = {"error": GENERIC_ERROR, "kind": "InternalError"}
        else:
            if answer is None:  # the engine always ends with an Answer; be defensive
                log.error("engine.stream ended without an Answer for %r", question[:200])
                message = render.error_md(GENERIC_ERROR)
                error = {"error": GENERIC_ERROR, "kind": "InternalError"}
        if answer is None:  # the sources and export of the previous answer are not this one's
            session.messages = [*shown, {"role": "assistant", "content": message}]
            session.failed = True
            session.answered_at = time.monotonic()
            yield session.messages, render.unanswered_html(), error, question, session
            return
        session.failed = False
        session.turns = turn
        session.answers = [*session.answers, (turn, answer)][-MAX_TURNS:]
        session.messages = [
            *shown,
            {"role": "assistant", "content": render.answer_md(answer, turn)},
        ]
        data = answer.to_json()
        data["turn"] = turn
        session.answered_at = time.monotonic()
        yield session.messages, render.sources_html(session.answers), data, "", session

    def ask_pressed(question: str, *rest: Any) -> Iterator[tuple[Any, ...]]:
        """Ask or Enter in the box: an empty box just after a reply is a double click's (or a
        double Enter's) second press, since the reply emptied the box, not a question to answer
        with "the question is empty". The API's /ask always answers."""
        session = rest[-1]
        recent = session is not None and time.monotonic() - session.answered_at < DOUBLE_CLICK_S
        if recent and not (question or "").strip():
            yield _skips(len(outputs))
            return
        yield from ask(question, *rest)

    def export(session: Session | None) -> tuple[str, str]:
        if not session or not session.answers or session.failed:
            return "", ""
        answer = session.answers[-1][1]
        return answer.to_markdown(), answer.to_bibtex()

    def new_chat() -> tuple[Any, ...]:
        return [], render.sources_html([]), None, "", Session()

    with gr.Blocks(title="Paper Q&A", fill_width=True) as app:
        session = gr.State(None)
        with gr.Column(elem_id="app-header"):
            header = gr.Markdown(uploads.header_md(len(engine.papers)))
        gr.Markdown(
            offline_note(settings), elem_id="offline-note", visible=not settings.llm_configured
        )
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=420):
                chatbot = gr.Chatbot(
                    elem_id="chat",
                    label="Conversation",
                    height="62vh",
                    sanitize_html=True,
                    allow_tags=False,
                    feedback_options=None,
                    buttons=["copy", "copy_all"],
                    placeholder="Ask a question about the papers, or pick an example below.",
                )
                with gr.Row():
                    question = gr.Textbox(
                        elem_id="question",
                        show_label=False,
                        placeholder="Ask about the papers… follow-ups can say “What did [2] "
                        "measure?”",
                        scale=6,
                        max_lines=6,
                        autofocus=True,
                    )
                    with gr.Column(scale=1, min_width=110):
                        ask_button = gr.Button("Ask", variant="primary", elem_id="ask")
                        new_chat_button = gr.Button("New chat", size="sm", elem_id="new-chat")
                        api_ask = gr.Button(visible=False)  # the API's /ask, never pressed here
                gr.Markdown("Example questions from the collection:", elem_id="examples-label")
                with gr.Row(elem_id="examples"):
                    example_buttons = [
                        gr.Button(text, size="sm", variant="secondary") for text in examples
                    ]
                with gr.Accordion("Settings", open=False, elem_id="settings"):
                    backend = gr.Radio(
                        list(BACKENDS),
                        value=settings.resolved_backend(),
                        label="Answer backend",
                        info="extractive quotes the abstracts; openai/local need an LLM "
                        "(falls back to quotes, with a note, when it fails).",
                    )
                    top_k = gr.Slider(
                        1, 20, value=settings.top_k, step=1, label="Sources per answer (top-k)"
                    )
                    gr.Markdown("Only papers that match (empty: all papers):")
                    with gr.Row():
                        since = gr.Textbox("", label="Since year", placeholder="2023")
                        until = gr.Textbox("", label="Until year", placeholder="2024")
                    with gr.Row():
                        authors = gr.Textbox("", label="Authors", placeholder="Smith; Lee, Anna")
                        categories = gr.Textbox("", label="Categories", placeholder="cs.CL")
                        venues = gr.Textbox("", label="Venues", placeholder="NeurIPS")
                with gr.Accordion("Add papers", open=False, elem_id="add-papers"):
                    files = gr.File(
                        file_count="multiple",
                        file_types=sorted(SUFFIXES),
                        label="Abstract files (" + ", ".join(sorted(SUFFIXES)) + ")",
                    )
                    add_button = gr.Button("Add to the collection", elem_id="add")
                    added = gr.Markdown(elem_id="added")
                with gr.Accordion("Export the last answer", open=False, elem_id="export"):
                    export_md = gr.Code("", language="markdown", label="Markdown with references")
                    export_bib = gr.Code("", label="BibTeX of the cited papers")
            with gr.Column(scale=2, min_width=320):
                sources = gr.HTML(
                    render.sources_html([]),
                    elem_id="sources",
                    js_on_load=None,
                    padding=True,
                )
        answer_json = gr.JSON(visible=False, label="answer")

        inputs = [question, top_k, backend, since, until, authors, categories, venues, session]
        outputs = [chatbot, sources, answer_json, question, session]
        common: dict[str, Any] = {"concurrency_id": "ask", "show_progress": "hidden"}
        asked = [
            api_ask.click(ask, inputs, outputs, api_name="ask", **common),
            question.submit(ask_pressed, inputs, outputs, api_visibility="private", **common),
            ask_button.click(ask_pressed, inputs, outputs, api_visibility="private", **common),
            *(
                button.click(
                    lambda text: text, button, question, api_visibility="private", queue=False
                ).then(ask, inputs, outputs, api_visibility="private", **common)
                for button in example_buttons
            ),
        ]
        for event in asked:  # every answer refreshes the export panel
            event.then(export, session, [export_md, export_bib], api_visibility="private",
                       queue=False)  # fmt: skip
        # a new chat stops the answer still running: its result would bring the old chat back
        new_chat_button.click(
            new_chat, None, outputs, api_name="new_chat", queue=False, cancels=asked
        )
        chatbot.clear(new_chat, None, outputs, api_visibility="private", queue=False, cancels=asked)

        def add(paths: list[str] | None, progress=TRACK_TQDM) -> tuple:
            report = uploads.add_papers(engine, settings, paths)
            return report, uploads.header_md(len(engine.papers))

        def refresh() -> str:
            """Papers another process added show up here, and in answers, without a restart."""
            engine.reload_if_changed()
            return uploads.header_md(len(engine.papers))

        add_button.click(add, files, [added, header], api_name="add_papers", concurrency_limit=1)
        gr.Timer(REFRESH_S).tick(refresh, None, header, api_visibility="private", queue=False)
    # LLM answers (running or waiting for the LLM) can hold at most llm_sessions() slots, so
    # ui_concurrency slots always remain for answers that need no LLM.
    app.queue(default_concurrency_limit=settings.ui_concurrency + llm_sessions(settings))
    return app


def _skips(n: int) -> tuple[Any, ...]:
    return tuple(gr.skip() for _ in range(n))


def style_options() -> dict[str, Any]:
    """The look of the app; Gradio 6 takes these in `launch()`, not in `Blocks()`."""
    theme = gr.themes.Soft(
        primary_hue="indigo", font=SYSTEM_FONTS, font_mono=["ui-monospace", "monospace"]
    )
    return {"css": CSS, "js": JS, "theme": theme}


def launch_options(
    settings: Settings, host: str | None = None, port: int | None = None, share: bool = False
) -> dict[str, Any]:
    """Everything `Blocks.launch` gets: 127.0.0.1 unless told, login when RAG_UI_AUTH is set,
    a public link only when asked."""
    return {
        "server_name": host or settings.ui_host,
        "server_port": port or settings.ui_port,
        "share": bool(share or settings.ui_share),
        "auth": parse_auth(settings),
        "ssr_mode": False,
        "max_file_size": settings.max_file_mb * 2**20,  # uploads are refused at the server too
        "show_error": False,
        "footer_links": ["api"],
        **style_options(),
    }


def launch(
    settings: Settings, host: str | None = None, port: int | None = None, share: bool = False
) -> None:
    """Open the index and models once, then serve the chat until interrupted."""
    from rag.engine import Engine

    options = launch_options(settings, host, port, share)  # bad RAG_UI_AUTH fails before loading
    engine = Engine(settings)
    build_app(engine, settings).launch(**options)
