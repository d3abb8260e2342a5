"""The catalog seen as mappings (paper id -> record, paper id -> metadata), fetched by id.

The engine and its clients index papers by id (`engine.papers[pid]`, `len(engine.papers)`)
without the index reading every record at start-up.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from rag.catalog import Catalog, PaperRecord
from rag.metadata import PaperMeta, from_extra


class RecordMap(Mapping[str, PaperRecord]):
    """The catalog's records as a read-only mapping, fetched by id when asked for."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    def __getitem__(self, pid: str) -> PaperRecord:
        found = self._catalog.records([pid])
        if not found:
            raise KeyError(pid)
        return found[0]

    def __len__(self) -> int:
        return self._catalog.count()

    def __iter__(self) -> Iterator[str]:
        return iter(self._catalog.ids())

    def values(self) -> Iterator[PaperRecord]:  # type: ignore[override]
        return self._catalog.iter_records()

    def titles(self, limit: int) -> list[str]:
        """Titles of the first `limit` papers: enough for examples, whatever the size."""
        return self._catalog.titles(limit)


class MetaMap(Mapping[str, PaperMeta]):
    """Typed metadata per paper, fetched by id (filters query the catalog instead)."""

    def __init__(self, records: RecordMap) -> None:
        self._records = records

    def __getitem__(self, pid: str) -> PaperMeta:
        return from_extra(self._records[pid].extra)

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[str]:
        return iter(self._records)
