"""A bounded, expiring memo of pure computations (what a certificate says), safe to share between threads."""
from __future__ import annotations

import threading
import time
from typing import Callable, Hashable, TypeVar

from cachetools import TTLCache

T = TypeVar("T")
_MISSING = object()


class Memo:
    """At most `limit` answers, each kept `ttl_s` seconds after it was computed; the least recently used go first."""

    def __init__(self, limit: int, ttl_s: float, clock: Callable[[], float] = time.monotonic):
        self._answers: TTLCache = TTLCache(limit, ttl_s, timer=clock)
        self._lock = threading.Lock()

    def __call__(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The answer remembered for `key`, else compute() (outside the lock) and remember it."""
        with self._lock:
            try:
                answer = self._answers[key]  # one lookup (get() looks twice: contains, then getitem)
            except KeyError:
                answer = _MISSING
        if answer is _MISSING:
            answer = compute()
            with self._lock:
                self._answers[key] = answer
        return answer

    def __len__(self) -> int:
        with self._lock:
            self._answers.expire()
            return len(self._answers)
