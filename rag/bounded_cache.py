"""A small least-recently-used map that several threads share: the readers' caches (paper
records, sentence vectors, filter selections, name plans, name spellings) are all one."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """At most `size` entries, the least recently used dropped first. Reads and writes take
    a lock; computing a missing value does not (two threads may compute the same value, and
    the last one stored stays), so a slow lookup never blocks the others."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, keys: Iterable[K]) -> dict[K, V]:
        with self._lock:
            found = {key: self._items[key] for key in keys if key in self._items}
            for key in found:
                self._items.move_to_end(key)
        return found

    def put_many(self, entries: Mapping[K, V]) -> None:
        with self._lock:
            for key, value in entries.items():
                self._items[key] = value
                self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def get_or_compute(self, key: K, compute: Callable[[], V]) -> V:
        found = self.get_many([key])
        if key in found:
            return found[key]
        value = compute()
        self.put_many({key: value})
        return value
