"""Callers that just wrote through this edge: their next reads ask the status service for read-your-writes."""
from __future__ import annotations

import threading
import time
from typing import Callable

from cachetools import TTLCache


class RecentWriters:
    """The NIFs that wrote here within the last `ttl_s` seconds; at most `limit` remembered (the oldest go first)."""

    def __init__(self, ttl_s: float = 30.0, limit: int = 10_000, clock: Callable[[], float] = time.monotonic):
        self._written: TTLCache[str, bool] = TTLCache(limit, ttl_s, timer=clock)
        self._lock = threading.Lock()

    def wrote(self, nif: str) -> None:
        """Remember that this caller's write was acknowledged now."""
        with self._lock:
            self._written[nif] = True

    def recent(self, nif: str) -> bool:
        """Whether this caller wrote within the last ttl_s seconds."""
        with self._lock:
            return nif in self._written

    def __len__(self) -> int:
        with self._lock:
            self._written.expire()
            return len(self._written)
