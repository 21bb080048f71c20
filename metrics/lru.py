"""A bounded least-recently-used map, safe to share between threads, and the cheaper
bounded plain dict of the ingest parsers.

The one LRU of the code base (compiled schemas, re2 regexes, tool tables).
Pure module: no Django.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

__all__ = ["LRU", "keep"]


class LRU(Generic[K, V]):
    """At most ``maxsize`` entries; a hit makes an entry the most recent, a put past the
    bound drops the least recent. ``None`` is not a storable value (it means a miss)."""

    __slots__ = ("maxsize", "_entries", "_lock")

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("an LRU holds at least one entry")
        self.maxsize = maxsize
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K) -> V | None:
        # No lock on the hot path: each OrderedDict call is atomic under the GIL (keys are
        # str/bytes/tuples of them, hashed without Python code), and an entry dropped by a
        # concurrent put between the two calls just stays dropped.
        value = self._entries.get(key)
        if value is not None:
            try:  # noqa: SIM105 - suppress() costs a context manager on the hot path
                self._entries.move_to_end(key)
            except KeyError:
                pass
        return value

    def put(self, key: K, value: V) -> None:
        if value is None:
            raise ValueError("None cannot be stored: it means a miss")
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)


def keep(cache: dict, key: bytes, value: object, maxsize: int, max_key_bytes: int) -> None:
    """Stores `value` under `key` in `cache`, a plain dict emptied when it holds `maxsize`
    entries (no recency kept: a hit stays one C lookup); a key longer than `max_key_bytes`
    is not kept."""
    if len(key) <= max_key_bytes:
        if len(cache) >= maxsize:
            cache.clear()
        cache[key] = value
