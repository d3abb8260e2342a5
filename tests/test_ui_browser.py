"""The chat UI in a real headless browser (Debian's chromium, driven by Playwright)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rag.settings import PROJECT_ROOT, Settings
from tests.support.llama_server import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OUT = PROJECT_ROOT / "test-output"
TIMEOUT_MS = 90_000
XSS = "<script>window.__pwned=1</script><b>bold</b>"


@pytest.fixture(scope="module")
def app_url(engine: Any, corpus_settings: Settings) -> Iterator[str]:
    from paper_rag.ui.app import build_app, launch_options

    app = build_app(engine, corpus_settings)
    options = launch_options(corpus_settings, port=free_port())
    app.launch(prevent_thread_lock=True, quiet=True, **options)
    try:
        yield app.local_url
    finally:
        app.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed; `make test` installs it.", pytrace=False)
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing; `make test` installs Debian's chromium "
            "(apt-get install chromium chromium-driver).",
            pytrace=False,
        )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Any, app_url: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(app_url)
    page.wait_for_selector("#question textarea")
    try:
        yield page
    finally:
        context.close()


def _ask(page: Any, question: str) -> None:
    page.fill("#question textarea", question)
    page.keyboard.press("Enter")


def _wait_answers(page: Any, count: int) -> Any:
    """Wait until the chat shows `count` finished answers; return the last bot message."""
    page.wait_for_function(
        """n => {
          const bots = document.querySelectorAll('#chat [data-testid="bot"]');
          return bots.length >= n && bots[n - 1].textContent.includes('answered by');
        }""",
        arg=count,
    )
    return page.locator('#chat [data-testid="bot"]').nth(count - 1)


def test_ask_shows_cited_answer_and_sources(page: Any) -> None:
    note = page.locator("#offline-note")
    assert note.is_visible()
    assert "OPENAI_API_KEY" in note.inner_text() and "OPENAI_BASE_URL" in note.inner_text()
    assert "quoted from the abstracts" in note.inner_text()

    _ask(page, "How is reinforcement learning used to summarize events?")
    bot = _wait_answers(page, 1)
    assert "[1]" in bot.inner_text()
    link = bot.locator('a[href="#src-1-1"]').first
    assert link.is_visible() and link.inner_text() == "[1]"

    card = page.locator("#sources #src-1-1")
    assert card.is_visible()
    assert card.locator(".src-n").inner_text() == "[1]"
    assert "score" in card.locator(".src-meta").inner_text()
    assert card.locator("mark.support").count() >= 1  # supporting sentence highlighted
    assert "answered by extractive" in bot.inner_text()
    OUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUT / "ui-answer.png"))

    # The answer can be taken away: Markdown with references, BibTeX of the cited papers.
    page.locator("#export").get_by_text("Export the last answer").click()
    page.wait_for_function(
        """() => { const t = document.querySelector('#export').textContent;
                   return t.includes('**References**') && t.includes('@misc{'); }"""
    )

    # A citation scrolls the panel to its source instead of leaving the page.
    url = page.url
    page.locator("#sources").evaluate("el => el.scrollTop = el.scrollHeight")
    last_card = page.locator("#sources .src-card").last
    last_n = last_card.get_attribute("id")
    bot.locator('a[href="#src-1-1"]').first.click()
    page.wait_for_timeout(800)
    assert page.url == url and len(page.context.pages) == 1
    assert card.evaluate(
        """el => { const box = el.getBoundingClientRect();
                   const panel = document.getElementById('sources').getBoundingClientRect();
                   return box.top >= panel.top - 1 && box.top < panel.bottom; }"""
    ), f"clicking [1] did not bring the card into view (panel was at {last_n})"

    # A follow-up about [1] keeps the conversation and pins the same paper first.
    label = card.locator(".src-label").inner_text()
    _ask(page, "What did [1] measure?")
    bot = _wait_answers(page, 2)
    assert page.locator('#chat [data-testid="user"]').count() == 2
    assert page.locator("#sources #src-2-1 .src-label").inner_text() == label


def test_html_in_question_is_shown_as_text(page: Any) -> None:
    _ask(page, XSS + " event timelines?")
    _wait_answers(page, 1)
    user = page.locator('#chat [data-testid="user"]').first
    assert XSS in user.inner_text()
    assert user.locator("b").count() == 0 and user.locator("script").count() == 0
    assert XSS in page.locator("#sources .src-title").first.inner_text()
    assert page.evaluate("typeof window.__pwned") == "undefined"


@pytest.mark.parametrize("press", ["click", "enter"])
def test_a_double_click_on_ask_answers_once(page: Any, press: str) -> None:
    """The answer empties the box before a double click's (or double Enter's) second press
    arrives; that press must not add "The question is empty" to the chat."""
    page.fill("#question textarea", "How is reinforcement learning used to summarize events?")

    def again() -> None:
        page.click("#ask") if press == "click" else page.press("#question textarea", "Enter")

    again()
    _wait_answers(page, 1)
    again()  # the second press, after the fast answer
    page.wait_for_timeout(1000)
    assert page.locator('#chat [data-testid="bot"]').count() == 1
    assert "The question is empty" not in page.locator("#chat").inner_text()


def test_errors_show_in_chat_and_the_app_recovers(page: Any) -> None:
    page.click("#ask")  # empty question
    page.wait_for_function(
        """() => [...document.querySelectorAll('#chat [data-testid="bot"]')]
                   .some(b => b.textContent.includes('The question is empty'))"""
    )
    assert "Traceback" not in page.locator("#chat").inner_text()

    page.locator("#examples button").first.click()  # an example question from the corpus
    bot = _wait_answers(page, 2)
    assert "[1]" in bot.inner_text()
    assert page.locator("#sources .src-card").count() >= 1

    page.click("#new-chat")
    page.wait_for_function(
        """() => document.querySelectorAll('#chat [data-testid="bot"]').length === 0
                 && document.querySelectorAll('#sources .src-card').length === 0"""
    )
