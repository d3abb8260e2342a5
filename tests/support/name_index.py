"""Papers and a real catalog's name postings for the name tests."""

from __future__ import annotations

import numpy as np

from rag.catalog import Catalog
from rag.naming import PaperNames
from rag.papers import Paper


def paper(pid: str, title: str | None, abstract: str) -> Paper:
    return Paper(pid, title, abstract, [])


def names_over(tmp_path, papers: list[Paper]) -> PaperNames:
    """Name postings as an index keeps them: a real catalog holding these papers."""
    catalog = Catalog(tmp_path / "catalog.sqlite3", create=True)
    catalog.write([(p, 1, [], np.zeros((0, 384), dtype=np.float32)) for p in papers])
    return PaperNames(catalog)
