"""The index: chunk vectors in Chroma, everything else in the paper catalog beside it.

Chroma holds only what is searched by vector: each chunk's embedding, with its paper id and
position (the text is rebuilt from the abstract when shown). Records, sentence vectors and
term counts are in the catalog (`rag/catalog.py`), and BM25 in shards next to it
(`rag/keyword_index.py`). A paper's catalog row is written after its chunks, so it is the
commit marker: a paper without one is unfinished and is redone on the next run.

An embedded index keeps catalog and BM25 inside its generation folder. With a `chroma run`
server they live in `data_dir/server-index/<host>-<port>-<collection>/`: the server holds
the vectors, this machine the catalog and BM25 (see README, "A million papers").
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from rag.catalog import FILE, Catalog, PaperRecord
from rag.chunking import Chunk
from rag.errors import IndexMismatchError, IndexMissingError, StoreError
from rag.papers import Paper
from rag.settings import Settings

SCHEMA = 8  # 2: sentence vectors stored; 3: per-paper part counts; 4: splitting keeps
# "a.k.a." and parenthesized full stops inside sentences; 5: records, sentence vectors and
# BM25 moved out of Chroma into the catalog; 6: postings of metadata words (filters by key);
# 7: the file and line each paper was read from (papers leave files that no longer have
# them), and paper ids that tell apart papers of one title with different DOIs; 8: words
# indexed without accents, LaTeX's too (T\\"ulu, Tülu and Tulu are one word)

__all__ = ["SCHEMA", "PaperRecord", "Store", "get_all"]


class Store:
    def __init__(
        self, client: Any, settings: Settings, embedding_model: str, path: Path | None = None
    ) -> None:
        self.client = client
        self.settings = settings
        self.embedding_model = embedding_model
        self.path = path  # the generation folder of an embedded index; None for a server
        self.lease: Any = None  # a reader's hold on that generation (see rag/index_access.py)
        self.chunks_name = f"{settings.collection}_chunks"
        self.catalog: Catalog | None = None

    @property
    def side_path(self) -> Path:
        """Where the catalog and BM25 live (the generation folder, or a per-server folder)."""
        if self.path is not None:
            return self.path
        s = self.settings
        return s.data_dir / "server-index" / f"{s.chroma_host}-{s.chroma_port}-{s.collection}"

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
        """Release Chroma's files (an embedded client holds them until closed) and the catalog."""
        if self.catalog is not None:
            self.catalog.close()
        with contextlib.suppress(Exception):
            self.client.close()

    def stamp(self) -> str:
        """The server's generation counter (embedded indexes use generation folders)."""
        meta = self.client.get_collection(self.chunks_name).metadata or {}
        return str(meta.get("generation", 0))

    def bump_stamp(self) -> None:
        meta = dict(self.chunks.metadata or {})
        meta["generation"] = int(meta.get("generation", 0)) + 1
        meta.pop("hnsw:space", None)  # fixed at creation; Chroma refuses to modify it
        self.chunks.modify(metadata=meta)

    def exists(self) -> bool:
        try:
            names = {getattr(c, "name", c) for c in self.client.list_collections()}
        except Exception as exc:
            raise StoreError(
                f"Cannot read the index ({self.describe()}): {exc}. "
                "If it is damaged or not a Chroma index, run `rag ingest --rebuild`."
            ) from exc
        return self.chunks_name in names and (self.side_path / FILE).is_file()

    def open(self, create: bool = False) -> None:
        """Open the chunk collection and the catalog; refuse an index built with another
        model, chunking or layout."""
        if not create and not self.exists():
            if self.outdated():
                raise IndexMismatchError(
                    f"The index ({self.describe()}) was built by an earlier version of "
                    "paper-rag. Run `rag ingest` to rebuild it."
                )
            raise IndexMissingError(
                f"No index found ({self.describe()}). Build it with `rag ingest` (or `make run`)."
            )
        wanted = {
            "embedding_model": self.embedding_model,
            "chunk_tokens": self.settings.chunk_tokens,
            "schema": SCHEMA,
        }
        try:
            self.chunks = self.client.get_or_create_collection(
                self.chunks_name, metadata={**wanted, "hnsw:space": "cosine"}
            )
            self.catalog = Catalog(
                self.side_path / FILE,
                create=create,
                shard_docs=self.settings.keyword_shard_papers,
            )
        except Exception as exc:
            raise StoreError(
                f"Cannot open the index in {self.describe()}: {exc}. "
                "Run `rag ingest --rebuild` to start over."
            ) from exc
        if create:  # readers never write to a published index
            self._set_search_ef()
        found = {k: (self.chunks.metadata or {}).get(k) for k in wanted}
        if found != wanted and (found["schema"] or 0) < SCHEMA:
            raise IndexMismatchError(
                f"The index ({self.describe()}) was built by an earlier version of paper-rag. "
                "Run `rag ingest` to rebuild it."
            )
        if found != wanted:
            raise IndexMismatchError(
                f"The index was built with {found} but the settings ask for {wanted}. "
                "Rebuild it with `rag ingest --rebuild` (or restore the previous settings)."
            )

    def settle_search_ef(self) -> None:
        """After a write: a collection of up to `hnsw_exact_chunks` chunks is searched in full.
        Chroma persists its graph every `sync_threshold` inserts and re-inserts the rest, in
        parallel, in each process that opens it, so the graph differs between processes; a
        partial search then still varied at the tail (about 1 question in 300)."""
        count = self.chunks.count()
        if count <= self.settings.hnsw_exact_chunks:
            self._set_search_ef(max(self.settings.hnsw_search_ef, count))

    def _set_search_ef(self, wanted: int | None = None) -> None:
        """A broad enough HNSW search gives the same chunks in every process (Chroma's default
        ef 100 did not: 15 of 66 held-out questions got other candidates after a restart)."""
        wanted = wanted or self.settings.hnsw_search_ef
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

    def outdated(self) -> bool:
        """Written by an earlier version of this program (an older SCHEMA or layout): the
        writer rebuilds it rather than failing."""
        try:
            chunks = self.client.get_collection(self.chunks_name)
        except Exception:  # no chunk collection: nothing of ours, or an older layout
            return any(
                getattr(c, "name", c).startswith(self.settings.collection)
                for c in self.client.list_collections()
            )
        schema = (chunks.metadata or {}).get("schema") or 0
        return schema < SCHEMA or not (self.side_path / FILE).is_file()

    def drop(self) -> None:
        """Forget a server index: its chunk collection and this machine's catalog of it."""
        for collection in self.client.list_collections():  # this index's, and older layouts'
            name = getattr(collection, "name", collection)
            if name.startswith(f"{self.settings.collection}_"):
                self.client.delete_collection(name)
        if self.path is None:
            import shutil

            shutil.rmtree(self.side_path, ignore_errors=True)

    # -- reading ---------------------------------------------------------------------------
    def counts(self) -> tuple[int, int]:
        return self.catalog.count(), self.chunks.count()

    # -- writing ---------------------------------------------------------------------------
    def write_papers(
        self,
        items: list[tuple[Paper, list[Chunk], list[list[float]]]],
        sentences: dict[str, list[tuple[str, list[float]]]],
    ) -> None:
        """Replace the chunks of these papers, then commit their catalog rows (records,
        sentences and counts) last.

        Only papers the catalog already has can have chunks to clear (a search by metadata
        that grows with the collection); an unfinished paper's leftover chunks have the same
        ids and are overwritten by the upsert, and the ingest's closing check finds any other
        leftover."""
        self._delete_chunks(self.catalog.present([paper.paper_id for paper, _, _ in items]))
        rows = [
            (chunk, vector)
            for _, chunks, vectors in items
            for chunk, vector in zip(chunks, vectors, strict=True)
        ]
        for part in self._batches(rows):
            self.chunks.upsert(
                ids=[chunk.chunk_id for chunk, _ in part],
                embeddings=[vector for _, vector in part],
                metadatas=[{"paper_id": c.paper_id, "position": c.position} for c, _ in part],
            )
        self.catalog.write(
            [
                (
                    paper,
                    len(chunks),
                    [text for text, _ in sentences[paper.paper_id]],
                    np.asarray([vec for _, vec in sentences[paper.paper_id]], dtype=np.float32),
                )
                for paper, chunks, _ in items
            ]
        )

    def _batches(self, rows: list) -> Iterator[list]:
        """Slices Chroma accepts in one call (its limit depends on the SQLite build)."""
        size = max(1, int(self.client.get_max_batch_size()))
        for start in range(0, len(rows), size):
            yield rows[start : start + size]

    def update_locations(self, papers: list[Paper]) -> None:
        """Same content found in more files: record where, embed nothing."""
        if papers:
            self.catalog.update_locations(papers)

    def delete_papers(self, ids: list[str]) -> None:
        """Forget papers: record first, so a crash in between leaves only orphan chunks."""
        if ids:
            self.catalog.delete(ids)
            self._delete_chunks(ids)

    def _delete_chunks(self, ids: list[str]) -> None:
        for start in range(0, len(ids), 5000):
            self.chunks.delete(where={"paper_id": {"$in": ids[start : start + 5000]}})


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
