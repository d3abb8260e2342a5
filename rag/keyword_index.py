"""BM25 over papers, saved beside the catalog in shards and memory-mapped by readers.

Papers are numbered in the order they were written (the catalog's `doc`), and shard k holds
docs k*S+1 … (k+1)*S (S: RAG_KEYWORD_SHARD_PAPERS, 100k). A write marks its shards dirty in
the catalog, in the same transaction; before the index is published only those shards are
rebuilt, each into a new folder, and the catalog's manifest is switched to it. New papers
land in the last shard, so adding papers to a large index rebuilds one shard, not all.
Opening reads the manifest and maps the files: it does not depend on the collection's size.

Each shard computes its own IDF; with shards of 100k papers the statistics of any two
shards of one collection agree closely, and a collection under one shard scores exactly
as a single BM25 would.
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import numpy as np

from rag.catalog import Catalog, Selection
from rag.catalog_writing import DIRTY_KEY
from rag.generations import LINKED_DIR
from rag.text import plain, stemmer

FOLDER = LINKED_DIR
MANIFEST_KEY = "bm25_shards"  # {"shard number": folder name}
DOCS_FILE = "docs.npy"


def _tokenize(texts: list[str]):
    import bm25s

    return bm25s.tokenize(
        [plain(t) for t in texts],
        stopwords="en",
        stemmer=stemmer(),
        show_progress=False,
    )


def refresh(catalog: Catalog, root: Path) -> list[int]:
    """Rebuild the dirty shards (and any missing one) under `root`; return their numbers."""
    import bm25s

    manifest = {int(k): v for k, v in json.loads(catalog.info(MANIFEST_KEY) or "{}").items()}
    dirty = set(json.loads(catalog.info(DIRTY_KEY) or "[]"))
    needed = set(catalog.shards())
    todo = sorted(dirty & needed | (needed - set(manifest)))
    folder = root / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    size = catalog.shard_docs
    for shard in todo:
        docs, texts = catalog.keyword_texts_in(shard * size + 1, (shard + 1) * size)
        name = f"shard-{shard:05d}-{uuid.uuid4().hex[:8]}"
        model = bm25s.BM25()
        model.index(_tokenize(texts), show_progress=False)
        model.save(str(folder / name))
        np.save(folder / name / DOCS_FILE, np.asarray(docs, dtype=np.int64))
        manifest[shard] = name
    manifest = {k: v for k, v in manifest.items() if k in needed}
    catalog.set_info(MANIFEST_KEY, json.dumps({str(k): v for k, v in sorted(manifest.items())}))
    catalog.set_info(DIRTY_KEY, "[]")
    for stale in set(p.name for p in folder.iterdir()) - set(manifest.values()):
        shutil.rmtree(folder / stale, ignore_errors=True)  # readers keep their mapped files
    return todo


class KeywordIndex:
    """A reader's BM25: the published shards, memory-mapped."""

    def __init__(self, catalog: Catalog, root: Path) -> None:
        import bm25s

        self._catalog = catalog
        manifest = json.loads(catalog.info(MANIFEST_KEY) or "{}")
        self._shards = []
        for _, name in sorted(manifest.items(), key=lambda kv: int(kv[0])):
            path = root / FOLDER / name
            model = bm25s.BM25.load(str(path), mmap=True, load_corpus=False)
            self._shards.append((model, np.load(path / DOCS_FILE, mmap_mode="r")))

    def search(
        self, query: str, k: int, allowed: Selection | None = None
    ) -> list[tuple[str, float]]:
        """Best papers for the query; with `allowed` (filters' selection, with its doc
        numbers), every other paper is masked out."""
        tokens = _tokenize([query])
        if not tokens.vocab:
            return []
        marks = None
        if allowed is not None:
            wanted = allowed.docs
            top = max(
                [int(wanted.max()) if len(wanted) else 0, *(int(d[-1]) for _, d in self._shards)]
            )
            marks = np.zeros(top + 1, dtype=np.float32)
            marks[wanted] = 1.0
        found: list[tuple[int, float]] = []
        for model, docs in self._shards:
            mask = None
            if marks is not None:
                mask = marks[docs]
                if not mask.any():
                    continue
            hits, scores = model.retrieve(
                tokens, k=min(k, len(docs)), show_progress=False, n_threads=1, weight_mask=mask
            )
            found += [(int(docs[d]), float(s)) for d, s in zip(hits[0], scores[0], strict=True)]
        found = [(d, s) for d, s in found if s > 0]
        names = self._catalog.ids_of([d for d, _ in found])
        return [(names[d], s) for d, s in found if d in names]
