"""What answering reads from the index, kept consistent while other processes write.

An `IndexView` is everything opened from one published index (store, vector index, paper
records and metadata, retriever, sentence vectors). Each answer holds the view it started
on; a newly published index is opened beside it and swapped in, and the old view is closed
once the last answer using it ends.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rag.bounded_cache import BoundedCache
from rag.catalog import Catalog, PaperRecord
from rag.catalog_maps import MetaMap, RecordMap
from rag.components import make_vector_index, make_vector_store
from rag.errors import IndexMissingError
from rag.evidence import SentenceIndex
from rag.index_access import Snapshot, index_stamp, open_snapshot
from rag.keyword_index import KeywordIndex
from rag.metadata import PaperMeta
from rag.name_plan import NamePlan
from rag.naming import PaperNames
from rag.question_type import analyze
from rag.retrieval import HybridRetriever
from rag.sentence_scoring import LexicalStats
from rag.settings import Settings
from rag.shorthand import written_in_full

log = logging.getLogger(__name__)
RELOAD_CHECK_S = 1.0  # at most one look at the index's stamp per second
PLAN_CACHE = 256


@dataclass
class IndexView:
    snapshot: Snapshot
    index: Any
    catalog: Catalog  # records, sentence vectors and term counts, looked up by id or word
    papers: Mapping[str, PaperRecord]  # fetched from the catalog when asked for
    meta: Mapping[str, PaperMeta]  # typed metadata per paper, for sources
    retriever: HybridRetriever
    evidence: SentenceIndex
    stats: LexicalStats  # term statistics for scoring answer sentences
    names: PaperNames  # which papers are about, or only mention, a name
    size: int = 0  # papers when opened
    users: int = 0  # answers in progress on this view; it is closed when retired and idle
    _plans: BoundedCache[str, NamePlan] = field(  # recent questions' name plans
        default_factory=lambda: BoundedCache(PLAN_CACHE)
    )

    def as_written(self, question: str) -> str:
        """The question in the collection's spelling: shorthand spelled out ("1T param"),
        names typed in lower case cased as the abstracts write them."""
        return self.names.casing.cased(written_in_full(question, self.catalog.word_df))

    def name_plan(self, question: str, retrieved: list[str]) -> NamePlan:
        """Papers about the names in the question (they lead), and names only mentioned; of
        rival papers for one name, the one `retrieved` (paper ids, best first) and the field
        of the other named papers point to."""
        plan = self._plans.get_or_compute(question, lambda: self.names.plan(analyze(question)))
        return plan.settled(retrieved, self.evidence.closeness)


class IndexViews:
    def __init__(self, settings: Settings, embed_model: Any) -> None:
        self.settings, self.embed_model = settings, embed_model
        self._lock = threading.Lock()
        self.current = self._open()
        self._retired: list[IndexView] = []
        self._checked = time.monotonic()

    def _open(self) -> IndexView:
        snapshot = open_snapshot(self.settings)
        try:
            store = snapshot.store
            catalog = store.catalog
            n_papers = catalog.count()
            if not n_papers:
                raise IndexMissingError(
                    f"The index ({store.describe()}) holds no papers yet. "
                    "Add abstracts with `rag ingest`."
                )
            index = make_vector_index(make_vector_store(store.chunks), self.embed_model)
            keywords = KeywordIndex(catalog, store.side_path)
            records = RecordMap(catalog)
            stats = LexicalStats(catalog.term_df, n_papers)
            return IndexView(
                snapshot,
                index,
                catalog,
                records,
                MetaMap(records),
                HybridRetriever(index, catalog, keywords, stats, self.settings),
                SentenceIndex(self.embed_model, catalog, self.settings.chunk_tokens),
                stats,
                PaperNames(catalog),
                n_papers,
            )
        except BaseException:
            snapshot.close()
            raise

    def reload_if_changed(self, force: bool = False) -> str | None:
        """Open a newly published index and swap it in; say what changed."""
        if not force and time.monotonic() - self._checked < RELOAD_CHECK_S:
            return None
        self._checked = time.monotonic()
        old = self.current
        if index_stamp(self.settings, old.snapshot.store) == old.snapshot.stamp:
            return None
        with self._lock:
            if self.current is not old:  # another request reloaded meanwhile
                return None
            try:
                fresh = self._open()
            except Exception as exc:  # keep answering from the index already open
                log.warning("a newer index could not be opened: %s", exc)
                return (
                    f"A newer index was published but could not be opened ({exc}); "
                    "answering from the one loaded before."
                )
            self.current = fresh
            self._retired.append(old)
            self._close_idle()
        return f"The index was updated: it now holds {fresh.size} papers (was {old.size})."

    def enter(self) -> IndexView:
        with self._lock:
            self.current.users += 1
            return self.current

    def leave(self, view: IndexView) -> None:
        with self._lock:
            view.users -= 1
            self._close_idle()

    def _close_idle(self) -> None:
        for view in [v for v in self._retired if v.users == 0]:
            self._retired.remove(view)
            view.snapshot.close()
