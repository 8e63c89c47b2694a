"""Accepted certificate paths remembered for a bounded time, so a signer's invoices do not each re-run the
path and CRL validation (docs/security.md, "Revocation freshness")."""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Iterable

from cryptography import x509
from cryptography.hazmat.primitives import serialization

DEFAULT_MAX_AGE = timedelta(minutes=5)
DEFAULT_ENTRIES = 4096


def path_key(signer: x509.Certificate, others: Iterable[x509.Certificate]) -> bytes:
    """What a validation depended on besides the trust material: the signer and the certificates it carried."""
    digest = hashlib.sha256(signer.public_bytes(serialization.Encoding.DER))
    for der in sorted(c.public_bytes(serialization.Encoding.DER) for c in others):
        digest.update(hashlib.sha256(der).digest())
    return digest.digest()


class AcceptedPaths:
    """Paths accepted at some moment, each valid until the earliest of: that moment + max_age, the end of any
    certificate of the path, the next update of the CRLs used; at most `entries` kept (least recently used go)."""

    def __init__(self, max_age: timedelta = DEFAULT_MAX_AGE, entries: int = DEFAULT_ENTRIES):
        self.max_age = max_age
        self.entries = entries
        self._until: OrderedDict[bytes, tuple[datetime, datetime]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._until)

    def accepted(self, key: bytes, moment: datetime) -> bool:
        """Whether this path was accepted at an earlier moment and that acceptance still holds at `moment`."""
        with self._lock:
            span = self._until.get(key)
            if span is None:
                return False
            since, until = span
            if not since <= moment < until:
                del self._until[key]
                return False
            self._until.move_to_end(key)
            return True

    def remember(self, key: bytes, moment: datetime, path_ends: Iterable[datetime],
                 crl_updates: Iterable[datetime | None]) -> None:
        """Keep an acceptance at `moment`, bounded by the path's certificates' ends and the CRLs' next updates."""
        if self.max_age <= timedelta(0) or self.entries <= 0:
            return
        until = min([moment + self.max_age, *path_ends, *(u for u in crl_updates if u is not None)])
        if until <= moment:
            return
        with self._lock:
            self._until[key] = (moment, until)
            self._until.move_to_end(key)
            while len(self._until) > self.entries:
                self._until.popitem(last=False)
