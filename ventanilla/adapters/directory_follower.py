"""The integrators directory kept in memory by following the integrators topic in a background thread.

Reuses the projection machinery (Projector, CatchUp): the store below is the directory behind a lock. Ready
(design invariant 8) once it has applied everything up to the topic's end offsets seen when it started; it keeps
following, so a certificate removed in the portal stops working here about one poll (0.2 s) after it is appended.
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

from ventanilla.adapters import kafka_clients
from ventanilla.adapters.catch_up import CatchUp, end_offsets_reader
from ventanilla.adapters.integrator_codec import decode
from ventanilla.adapters.projector import Projector
from ventanilla.config import KafkaSecurity
from ventanilla.domain.integrators_directory import Credential, IntegratorsDirectory, Unrecognized

log = logging.getLogger("ventanilla.directory")


class DirectoryStore:
    """The Projector's Store over an in-memory directory: positions and events applied together, under one lock."""

    def __init__(self, directory: IntegratorsDirectory | None = None):
        self._directory = directory or IntegratorsDirectory()
        self._positions: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def positions(self, topic: str) -> dict[int, int]:
        """The next offset to read, per partition (empty at start: the whole topic is read)."""
        with self._lock:
            return {p: o for (t, p), o in self._positions.items() if t == topic}

    def apply_many(self, records) -> int:
        """Fold (event, topic, partition, offset) records not applied before; how many were new."""
        new = 0
        with self._lock:
            for event, topic, partition, offset in records:
                if offset < self._positions.get((topic, partition), 0):
                    continue
                self._positions[(topic, partition)] = offset + 1
                new += self._directory.apply(event)
        return new

    def credential(self, fingerprint: str, now: datetime) -> Credential | Unrecognized:
        """IntegratorsDirectory.credential, as of the events applied so far."""
        with self._lock:
            return self._directory.credential(fingerprint, now)

    def units_at(self, platform_id: str, at: datetime) -> frozenset[str]:
        """IntegratorsDirectory.units_at, as of the events applied so far."""
        with self._lock:
            return self._directory.units_at(platform_id, at)

    def owners_of_unit(self, code: str, at: datetime) -> frozenset[str]:
        """IntegratorsDirectory.owners_of_unit, as of the events applied so far."""
        with self._lock:
            return self._directory.owners_of_unit(code, at)


class DirectoryFollower:
    """Follows the integrators topic into a DirectoryStore; `ready()` once caught up with the end seen at start."""

    def __init__(self, bootstrap_servers: str, topic: str, client_id: str, security: KafkaSecurity | None = None):
        self.store = DirectoryStore()
        self._end_offsets = end_offsets_reader(bootstrap_servers, topic, f"{client_id}-end-offsets")
        self._catch_up = CatchUp(self._end_offsets, {}, timeout_s=0.0)
        consumer = kafka_clients.consumer(bootstrap_servers, security=security, client_id=client_id, group_id=None,
                                          enable_auto_commit=False, auto_offset_reset="earliest", **kafka_clients.FOLLOWING)
        self._consumer = consumer
        self._projector = Projector(consumer, self.store, topic, self._catch_up, decode)
        self._ends_at_start: dict[int, int] | None = None
        self._thread: threading.Thread | None = None
        self.failed = threading.Event()

    def start(self) -> None:
        """Note the topic's end offsets, then follow it in a daemon thread."""
        self._ends_at_start = self._end_offsets()
        self._thread = threading.Thread(target=self._run, name="directory-follower", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._projector.run()
        except BaseException:
            log.exception("the integrators directory stopped following its topic")
            self.failed.set()

    def ready(self) -> bool:
        """Caught up with the end offsets seen at start, and still following."""
        if self._ends_at_start is None or self.failed.is_set():
            return False
        return all(self._catch_up.reached(p, end) for p, end in self._ends_at_start.items())

    def units_at(self, platform_id: str, at: datetime) -> frozenset[str]:
        """The DIR3 units a platform held at a moment, as of the events followed so far."""
        return self.store.units_at(platform_id, at)

    def owners_of_unit(self, code: str, at: datetime) -> frozenset[str]:
        """The approved RCF platforms holding a DIR3 unit at a moment, as of the events followed so far."""
        return self.store.owners_of_unit(code, at)

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop following after the current batch, within timeout_s (the consumer is closed once its thread has
        ended: never under a poll in progress)."""
        self._projector.stop()
        if self._thread is not None:
            started = time.monotonic()
            self._thread.join(timeout=timeout_s)
            if self._thread.is_alive():
                return
            timeout_s = max(0.0, timeout_s - (time.monotonic() - started))
        self._consumer.close(autocommit=False, timeout_ms=int(timeout_s * 1000))
