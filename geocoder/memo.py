"""Answers memoised per gazetteer snapshot: a new gazetteer version is a new snapshot, so a new cache.

The caches hang on the snapshot object itself (never the other way round), so they go when the
snapshot goes and an answer can never outlive the data it was computed from.
"""

import threading
from collections import OrderedDict
from typing import Any

_ATTRIBUTE = "_onemap_memo"
_GUARD = threading.Lock()


class Lru:
    """A small thread-safe least-recently-used map (batch jobs run in worker threads)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            if len(self._data) > self.size:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)


def memo(snapshot: object, name: str, size: int = 10_000) -> Lru:
    """The cache `name` of this snapshot (created on first use)."""
    caches: dict[str, Lru] | None = getattr(snapshot, _ATTRIBUTE, None)
    if caches is None or name not in caches:
        with _GUARD:
            caches = getattr(snapshot, _ATTRIBUTE, None)
            if caches is None:
                caches = {}
                setattr(snapshot, _ATTRIBUTE, caches)
            caches.setdefault(name, Lru(size))
    return caches[name]
