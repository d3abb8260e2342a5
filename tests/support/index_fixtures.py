"""A real index of the default corpus, built once per test session (real MiniLM, real Chroma)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.offline import configure_offline
from rag.settings import PROJECT_ROOT, Settings

configure_offline()

CORPUS = PROJECT_ROOT / "data" / "abstracts"


def make_settings(tmp: Path, **overrides) -> Settings:
    """Settings isolated from the developer's .env and index."""
    base = dict(data_dir=tmp, corpus_dir=CORPUS, index_dir=tmp / "index", backend="extractive")
    base.update(overrides)
    return Settings(_env_file=None, **base)


@pytest.fixture(scope="session")
def corpus_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of a session-wide index of the whole default corpus."""
    from rag.ingest import ingest

    settings = make_settings(tmp_path_factory.mktemp("corpus-index"))
    ingest([CORPUS], settings, progress=False)
    return settings


@pytest.fixture(scope="session")
def engine(corpus_settings: Settings) -> Iterator[object]:
    from rag.engine import Engine

    yield Engine(corpus_settings)
