"""Opening the index: readers get a published snapshot, the one writer gets its own copy.

Embedded indexes use copy-on-write generations (`rag/generations.py`); a `chroma run`
server is one process that serialises writes itself, so there readers see each finished
paper as it commits, and a generation counter in the papers collection tells them to reload.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rag import generations, keyword_index
from rag.components import embed_model_name, make_chroma_client
from rag.errors import IndexMissingError
from rag.file_cache import FILE as FILE_CACHE
from rag.settings import Settings
from rag.store import Store


def _store(settings: Settings, path: Path | None) -> Store:
    return Store(make_chroma_client(settings, path), settings, embed_model_name(settings), path)


@dataclass
class Snapshot:
    """A reader's view: a store on one published generation, kept until `close()`."""

    store: Store
    stamp: str
    lease: generations.ReaderLease | None = None

    def close(self) -> None:
        self.store.close()
        if self.lease:
            self.lease.release()


def index_stamp(settings: Settings, store: Store | None = None) -> str:
    """Changes whenever a writer publishes; cheap enough to check before every question."""
    if settings.chroma_host:
        return (store or _store(settings, None)).stamp()
    return generations.stamp(settings.index_path)


def open_snapshot(settings: Settings) -> Snapshot:
    """The published index, opened for reading and held until closed."""
    if settings.chroma_host:
        store = _store(settings, None)
        store.open()
        return Snapshot(store, store.stamp())
    lease = generations.ReaderLease(settings.index_path)
    if lease.path is None:
        raise IndexMissingError(
            f"No index found (chroma {settings.index_path}). "
            "Build it with `rag ingest` (or `make run`)."
        )
    try:
        store = _store(settings, lease.path)
        store.open()
    except Exception:
        lease.release()
        raise
    return Snapshot(store, lease.path.name, lease)


def open_store(settings: Settings) -> Store:
    """A store on the published index, for one-off reads (stats, tests); the process keeps it."""
    snapshot = open_snapshot(settings)
    snapshot.store.lease = snapshot.lease  # released when the process ends
    return snapshot.store


def writer_lock_path(settings: Settings) -> Path:
    if settings.chroma_host:
        name = f"ingest-{settings.chroma_host}-{settings.chroma_port}-{settings.collection}.lock"
        return settings.data_dir / name
    return settings.index_path / generations.WRITER_LOCK


class IndexWriter:
    """One writer's session: the lock, the generation to read, a copy made on first write,
    and the publish at the end. A killed writer's copy is resumed by the next one."""

    def __init__(
        self,
        settings: Settings,
        *,
        rebuild: bool = False,
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.rebuild = rebuild
        self.on_wait = on_wait
        self.wrote = False
        self._work: Path | None = None

    def __enter__(self) -> IndexWriter:
        s = self.settings
        if not s.chroma_host:
            generations.check_foreign(s.index_path)
        self._lock = generations.writer_lock(
            writer_lock_path(s), s.ingest_lock_wait_s, self.on_wait
        )
        self._lock.__enter__()
        try:
            self.store = self._open()
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise
        return self

    def _open(self) -> Store:
        s = self.settings
        if s.chroma_host:
            store = _store(s, None)
            if self.rebuild or store.outdated():
                store.drop()
            store.open(create=True)
            return store
        root = s.index_path
        if generations.legacy_entries(root):
            if self.rebuild:
                generations.drop_legacy(root)
            else:
                generations.adopt_legacy(root)
        self._work = generations.unfinished(root)
        if self.rebuild:
            self._work = generations.new_generation(root, None)
        base = self._work or generations.current(root)
        if base is None:
            self._work = base = generations.new_generation(root, None)
        store = _store(s, base)
        if base != self._work and store.outdated():  # an earlier version's: rebuild it
            store.close()
            self._work = base = generations.new_generation(root, None)
            store = _store(s, base)
        store.open(create=base == self._work)  # the published generation is only read
        return store

    @property
    def file_cache_path(self) -> Path:
        """Which corpus files this index reflects (`rag/file_cache.py`): beside the
        generations of an embedded index, or with this machine's catalog of a server."""
        if self.settings.chroma_host:
            return self.store.side_path / FILE_CACHE
        return self.settings.index_path / FILE_CACHE

    def writable(self) -> Store:
        """The store to write to: the published generation is copied before its first change."""
        self.wrote = True
        if self.settings.chroma_host or self._work is not None:
            return self.store
        base = self.store.path
        self.store.close()
        self._work = generations.new_generation(self.settings.index_path, base)
        self.store = _store(self.settings, self._work)
        self.store.open(create=True)
        return self.store

    def __exit__(self, kind, exc, tb) -> None:
        try:
            if kind is None and (self.wrote or self._work is not None):
                keyword_index.refresh(self.store.catalog, self.store.side_path)
                self.store.settle_search_ef()
            if kind is None and self.settings.chroma_host and self.wrote:
                self.store.bump_stamp()
            self.store.close()
            if kind is None and self._work is not None:
                generations.publish(self.settings.index_path, self._work)
        finally:
            self._lock.__exit__(kind, exc, tb)
