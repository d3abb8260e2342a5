"""The real Gradio app on a free local port, for tests that drive it with gradio_client."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from rag.settings import Settings
from tests.support.llama_server import free_port


@contextmanager
def running(engine: Any, settings: Settings) -> Iterator[str]:
    """The app, launched with the options `rag ui` uses; yields its URL."""
    try:
        import gradio_client  # noqa: F401
    except ImportError:
        pytest.fail("gradio_client is not installed; `make test` installs it.", pytrace=False)
    from paper_rag.ui.app import build_app, launch_options

    app = build_app(engine, settings)
    app.launch(prevent_thread_lock=True, quiet=True, **launch_options(settings, port=free_port()))
    try:
        yield app.local_url
    finally:
        app.close()
