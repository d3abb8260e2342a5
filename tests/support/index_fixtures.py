"""A real index of the default corpus, built once per test session (real MiniLM, real Chroma)."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.errors import IndexMismatchError
from rag.offline import configure_offline
from rag.settings import PROJECT_ROOT, Settings

configure_offline()

CORPUS = PROJECT_ROOT / "data" / "abstracts"


def make_settings(tmp: Path, **overrides) -> Settings:
    """Settings isolated from the developer's .env and index."""
    base = dict(data_dir=tmp, corpus_dir=CORPUS, index_dir=tmp / "index", backend="extractive")
    base.update(overrides)
    return Settings(_env_file=None, **base)


def process_env(settings: Settings) -> dict[str, str]:
    """Environment for a `rag` child process on this index, free of the developer's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "RAG_"))}
    env.update(RAG_DATA_DIR=str(settings.data_dir), RAG_CORPUS_DIR=str(CORPUS))
    return env


SHARED_INDEX = PROJECT_ROOT / "test-output" / "corpus-index"


@pytest.fixture(scope="session")
def corpus_settings() -> Settings:
    """Settings of an index of the whole default corpus, read-only for tests.

    It lives in test-output/ and is brought up to date by an incremental ingest (a no-op
    when nothing changed), under a lock so parallel test sessions don't write at once.
    """
    from rag.ingest import ingest

    SHARED_INDEX.mkdir(parents=True, exist_ok=True)
    settings = make_settings(SHARED_INDEX)
    with open(SHARED_INDEX / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            ingest([CORPUS], settings, progress=False)
        except IndexMismatchError:  # built by an older version of the code: start over
            ingest([CORPUS], settings, progress=False, rebuild=True)
        fcntl.flock(lock, fcntl.LOCK_UN)
    return settings


@pytest.fixture(scope="session")
def engine(corpus_settings: Settings) -> Iterator[object]:
    from rag.engine import Engine

    yield Engine(corpus_settings)
