"""Chroma-backed store: a chunk collection (via LlamaIndex) and a paper-record collection.

A paper's record is written after its chunks, so it doubles as the commit marker:
a paper without a record is unfinished and is redone (its chunks replaced) on the next run.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.chunking import Chunk
from rag.errors import IndexMismatchError, IndexMissingError, StoreError
from rag.papers import Paper
from rag.settings import Settings

SCHEMA = 4  # 2: sentence vectors stored; 3: per-paper part counts; 4: splitting keeps
# "a.k.a." and parenthesized full stops inside sentences (stored sentences changed)


@dataclass
class PaperRecord:
    """A paper as read back from the store (for BM25, the UI and citations)."""

    paper_id: str
    title: str | None
    label: str
    abstract: str
    content_hash: str
    locations: list[str]
    extra: dict[str, Any]


class Store:
    def __init__(
        self, client: Any, settings: Settings, embedding_model: str, path: Path | None = None
    ) -> None:
        self.client = client
        self.settings = settings
        self.embedding_model = embedding_model
        self.path = path  # the generation folder of an embedded index; None for a server
        self.lease: Any = None  # a reader's hold on that generation (see rag/index_access.py)
        self.papers_name = f"{settings.collection}_papers"
        self.chunks_name = f"{settings.collection}_chunks"
        self.sentences_name = f"{settings.collection}_sentences"

    # -- opening ---------------------------------------------------------------------------
    def describe(self) -> str:
        s = self.settings
        return (
            f"chroma-server {s.chroma_host}:{s.chroma_port}"
            if s.chroma_host
            else f"chroma {s.index_path}"
            + (f" ({self.path.name})" if self.path and self.path != s.index_path else "")
        )

    def close(self) -> None:
        """Release Chroma's files (an embedded client holds them until closed)."""
        with contextlib.suppress(Exception):
            self.client.close()

    def stamp(self) -> str:
        """The server's generation counter (embedded indexes use generation folders)."""
        meta = self.client.get_collection(self.papers_name).metadata or {}
        return str(meta.get("generation", 0))

    def bump_stamp(self) -> None:
        meta = dict(self.papers.metadata or {})
        meta["generation"] = int(meta.get("generation", 0)) + 1
        meta.pop("hnsw:space", None)  # fixed at creation; Chroma refuses to modify it
        self.papers.modify(metadata=meta)

    def exists(self) -> bool:
        try:
            names = {getattr(c, "name", c) for c in self.client.list_collections()}
        except Exception as exc:
            raise StoreError(
                f"Cannot read the index ({self.describe()}): {exc}. "
                "If it is damaged or not a Chroma index, run `rag ingest --rebuild`."
            ) from exc
        return self.papers_name in names

    def open(self, create: bool = False) -> None:
        """Open both collections; refuse an index built with another model or chunking."""
        if not create and not self.exists():
            raise IndexMissingError(
                f"No index found ({self.describe()}). Build it with `rag ingest` (or `make run`)."
            )
        wanted = {
            "embedding_model": self.embedding_model,
            "chunk_tokens": self.settings.chunk_tokens,
            "schema": SCHEMA,
        }
        try:
            self.papers = self.client.get_or_create_collection(
                self.papers_name, metadata={**wanted, "hnsw:space": "cosine"}
            )
            self.chunks = self.client.get_or_create_collection(
                self.chunks_name, metadata={"hnsw:space": "cosine"}
            )
            self.sentences = self.client.get_or_create_collection(
                self.sentences_name, metadata={"hnsw:space": "cosine"}
            )
        except Exception as exc:
            raise StoreError(
                f"Cannot open the collections in {self.describe()}: {exc}. "
                "Run `rag ingest --rebuild` to start over."
            ) from exc
        if create:  # readers never write to a published index
            self._set_search_ef()
        found = {k: (self.papers.metadata or {}).get(k) for k in wanted}
        if found != wanted:
            raise IndexMismatchError(
                f"The index was built with {found} but the settings ask for {wanted}. "
                "Rebuild it with `rag ingest --rebuild` (or restore the previous settings)."
            )

    def _set_search_ef(self) -> None:
        """A broad enough HNSW search gives the same chunks in every process (Chroma's default
        ef 100 did not: 15 of 66 held-out questions got other candidates after a restart)."""
        wanted = self.settings.hnsw_search_ef
        config = getattr(self.chunks, "configuration", None) or {}
        if (config.get("hnsw") or {}).get("ef_search") == wanted:
            return
        try:
            self.chunks.modify(configuration={"hnsw": {"ef_search": wanted}})
        except Exception as exc:  # e.g. a read-only index: it still answers, less stably
            logging.getLogger(__name__).warning(
                "Could not set the HNSW search breadth of %s to %d (%s); sources of near-equal "
                "score may come back in a different order from run to run.",
                self.describe(),
                wanted,
                exc,
            )

    def drop(self) -> None:
        for name in (self.papers_name, self.chunks_name, self.sentences_name):
            with contextlib.suppress(Exception):  # absent collection: nothing to drop
                self.client.delete_collection(name)

    # -- reading ---------------------------------------------------------------------------
    def paper_metadatas(self) -> dict[str, list]:
        """Every paper record's metadata (ids and metadatas), in pages."""
        return get_all(self.papers, ["metadatas"])

    def paper_hashes(self, got: dict[str, list] | None = None) -> dict[str, tuple[str, list[str]]]:
        """paper_id -> (content hash, locations) of every finished paper (from `got`, the
        records already read, when given)."""
        got = got or self.paper_metadatas()
        return {
            pid: (meta["content_hash"], json.loads(meta["locations"]))
            for pid, meta in zip(got["ids"], got["metadatas"], strict=True)
        }

    def papers_all(self) -> list[PaperRecord]:
        return _records(get_all(self.papers, ["metadatas", "documents"]))

    def papers_by_id(self, ids: list[str]) -> list[PaperRecord]:
        out: list[PaperRecord] = []
        for start in range(0, len(ids), 5000):
            got = self.papers.get(ids=ids[start : start + 5000], include=["metadatas", "documents"])
            out.extend(_records(got))
        return out

    def counts(self) -> tuple[int, int]:
        return self.papers.count(), self.chunks.count()

    # -- writing ---------------------------------------------------------------------------
    def write_papers(
        self,
        items: list[tuple[Paper, list[Chunk], list[list[float]]]],
        vector_store: Any,
        sentences: dict[str, list[tuple[str, list[float]]]],
    ) -> None:
        """Replace the chunks and sentences of these papers, then write their records last
        (the commit marker)."""
        from llama_index.core.schema import TextNode

        ids = [paper.paper_id for paper, _, _ in items]
        self._delete_parts(ids)
        rows = [(pid, i, text, vec) for pid in ids for i, (text, vec) in enumerate(sentences[pid])]
        for part in self._batches(rows):
            self.sentences.add(
                ids=[f"{pid}-s{i:03d}" for pid, i, _, _ in part],
                embeddings=[vec for *_, vec in part],
                documents=[text for _, _, text, _ in part],
                metadatas=[{"paper_id": pid, "position": i} for pid, i, _, _ in part],
            )
        nodes = [
            TextNode(
                id_=chunk.chunk_id,
                text=chunk.text,
                embedding=vector,
                metadata={
                    "paper_id": paper.paper_id,
                    "label": paper.label,
                    "position": chunk.position,
                },
                excluded_embed_metadata_keys=["paper_id", "label", "position"],
                excluded_llm_metadata_keys=["paper_id", "position"],
            )
            for paper, chunks, vectors in items
            for chunk, vector in zip(chunks, vectors, strict=True)
        ]
        for part in self._batches(nodes):
            vector_store.add(part)
        self.papers.upsert(
            ids=ids,
            embeddings=[_mean(vectors) for _, _, vectors in items],
            documents=[paper.abstract for paper, _, _ in items],
            metadatas=[
                self._paper_meta(paper, len(chunks), len(sentences[paper.paper_id]))
                for paper, chunks, _ in items
            ],
        )

    def _batches(self, rows: list) -> Iterator[list]:
        """Slices Chroma accepts in one call (its limit depends on the SQLite build)."""
        size = max(1, int(self.client.get_max_batch_size()))
        for start in range(0, len(rows), size):
            yield rows[start : start + size]

    def update_locations(self, papers: list[Paper]) -> None:
        """Same content found in more files: record where, embed nothing."""
        if papers:
            self.papers.update(
                ids=[p.paper_id for p in papers],
                metadatas=[{"locations": json.dumps(p.locations)} for p in papers],
            )

    def delete_papers(self, ids: list[str]) -> None:
        """Forget papers: record first, so a crash in between leaves only orphan chunks."""
        if ids:
            self.papers.delete(ids=ids)
            self._delete_parts(ids)

    def _delete_parts(self, ids: list[str]) -> None:
        for collection in (self.chunks, self.sentences):
            collection.delete(where={"paper_id": {"$in": ids}})

    def sentence_vectors(self, ids: list[str]) -> dict[str, tuple[list[str], list[list[float]]]]:
        """Stored sentences and vectors of these papers, in abstract order."""
        got = self.sentences.get(
            where={"paper_id": {"$in": ids}}, include=["embeddings", "documents", "metadatas"]
        )
        rows = sorted(
            zip(got["metadatas"], got["documents"], got["embeddings"], strict=True),
            key=lambda r: (r[0]["paper_id"], r[0]["position"]),
        )
        out: dict[str, tuple[list[str], list[list[float]]]] = {}
        for meta, text, vector in rows:
            texts, vectors = out.setdefault(meta["paper_id"], ([], []))
            texts.append(text)
            vectors.append(vector)
        return out

    @staticmethod
    def _paper_meta(paper: Paper, n_chunks: int, n_sentences: int) -> dict[str, Any]:
        return {
            "title": paper.title or "",
            "label": paper.label,
            "content_hash": paper.content_hash,
            "locations": json.dumps(paper.locations),
            "extra": json.dumps(paper.extra, ensure_ascii=False),
            "n_chunks": n_chunks,
            "n_sentences": n_sentences,
        }


def get_all(collection: Any, include: list[str], page: int = 5000) -> dict[str, list]:
    """Read a whole collection in pages: one unpaged get() of ~40k records fails in Chroma
    ("too many SQL variables")."""
    out: dict[str, list] = {"ids": [], **{key: [] for key in include}}
    offset = 0
    while True:
        got = collection.get(include=include, limit=page, offset=offset)
        for key in out:
            out[key].extend(got[key])
        if len(got["ids"]) < page:
            return out
        offset += page


def _records(got: dict[str, list]) -> list[PaperRecord]:
    return [
        PaperRecord(
            paper_id=pid,
            title=meta["title"] or None,
            label=meta["label"],
            abstract=doc,
            content_hash=meta["content_hash"],
            locations=json.loads(meta["locations"]),
            extra=json.loads(meta.get("extra", "{}")),
        )
        for pid, meta, doc in zip(got["ids"], got["metadatas"], got["documents"], strict=True)
    ]


def _mean(vectors: list[list[float]]) -> list[float]:
    dim = len(vectors[0])
    mean = [sum(v[i] for v in vectors) / len(vectors) for i in range(dim)]
    norm = sum(x * x for x in mean) ** 0.5 or 1.0
    return [x / norm for x in mean]
