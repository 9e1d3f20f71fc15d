"""Values read from a graph, kept until the graph changes: the one cache `Service` and `Store` share.

Each entry is built once per version of the graph: requests wanting it while it is built wait
for that build, requests for other entries do not, and a value built across a write is
returned to its caller but not kept.
"""

from __future__ import annotations

import threading
from typing import Callable, TypeVar

_T = TypeVar("_T")


class GraphCache:
    """Entries by key, each with its own build lock; `clear()` after every write to the graph."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # guards the dicts and the version, never held while building
        self._values: dict[str, object] = {}
        self._building: dict[str, threading.Lock] = {}
        self._version = 0  # bumped by clear(), so a value built across a write is not kept

    def get(self, key: str, build: Callable[[], _T]) -> _T:
        """The entry `key`, built by `build` if this version of the graph has none yet."""
        with self._lock:
            if key in self._values:
                return self._values[key]  # type: ignore[return-value]
            builder = self._building.setdefault(key, threading.Lock())
        with builder:
            with self._lock:
                if key in self._values:
                    return self._values[key]  # type: ignore[return-value]
                version = self._version
            value = build()
            with self._lock:
                if version == self._version:
                    self._values[key] = value
            return value

    def clear(self, known: dict[str, object] | None = None) -> None:
        """Forget every entry: the graph changed. `known`: entries the writer already knows for the new graph."""
        with self._lock:
            self._values = dict(known or {})
            self._version += 1

    def peek(self, key: str) -> object | None:
        """The entry `key` if this version of the graph has it, without building it."""
        with self._lock:
            return self._values.get(key)

    def __contains__(self, key: str) -> bool:
        with self._lock:
            return key in self._values
