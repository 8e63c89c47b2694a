"""The receipts an edge worker fetched last, so that the status service sends one again only when it changed."""
from __future__ import annotations

import threading
from typing import Hashable, NamedTuple

from cachetools import LRUCache


class HeldReceipt(NamedTuple):
    """A receipt PDF and its SHA-256 (hex), as the status service named and sent them."""

    sha256: str
    pdf: bytes


class HeldReceipts:
    """Query key (an invoice id, a tuple) -> the receipt last fetched for it; least recently used out first past
    `max_bytes` of PDFs (0: holds none). Only the status service decides whether a caller may see an invoice."""

    def __init__(self, max_bytes: int):
        self._max_bytes = max_bytes
        self._held: LRUCache[Hashable, HeldReceipt] = LRUCache(max(max_bytes, 1), getsizeof=lambda h: len(h.pdf))
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> HeldReceipt | None:
        """The receipt held for key (now the most recently used), or None."""
        if not self._max_bytes:
            return None
        with self._lock:
            return self._held.get(key)

    def keep(self, key: Hashable, sha256: str, pdf: bytes) -> None:
        """Hold pdf for key, evicting the least recently used past the budget; one larger than it is not held."""
        if not sha256 or not pdf or len(pdf) > self._max_bytes:
            return
        with self._lock:
            self._held[key] = HeldReceipt(sha256, pdf)

    @property
    def held_bytes(self) -> int:
        """The bytes of PDF held now."""
        with self._lock:
            return self._held.currsize

    def __len__(self) -> int:
        with self._lock:
            return len(self._held)
