"""Callers that just wrote through this edge: their next reads ask the status service for read-your-writes."""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Callable


class RecentWriters:
    """The NIFs that wrote here within the last `ttl_s` seconds; at most `limit` remembered (the oldest go first)."""

    def __init__(self, ttl_s: float = 30.0, limit: int = 10_000, clock: Callable[[], float] = time.monotonic):
        self._ttl_s, self._limit, self._clock = ttl_s, limit, clock
        self._written: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def wrote(self, nif: str) -> None:
        """Remember that this caller's write was acknowledged now."""
        with self._lock:
            self._written[nif] = self._clock()
            self._written.move_to_end(nif)
            while len(self._written) > self._limit:
                self._written.popitem(last=False)

    def recent(self, nif: str) -> bool:
        """Whether this caller wrote within the last ttl_s seconds."""
        with self._lock:
            at = self._written.get(nif)
            if at is not None and self._clock() - at > self._ttl_s:
                del self._written[nif]
                at = None
            return at is not None

    def __len__(self) -> int:
        return len(self._written)
