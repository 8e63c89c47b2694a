"""A replica answers only once its projection holds the whole log as it was when the replica started."""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from ventanilla.adapters import projection_snapshot as snapshots
from ventanilla.adapters.catch_up import CatchUp, EndOffsets
from ventanilla.adapters.projection_snapshot import SnapshotStore
from ventanilla.adapters.projection_store import SCHEMA_VERSION
from ventanilla.config import Settings

log = logging.getLogger("status.startup")
NOT_READY = "El servicio de consulta se está poniendo al día; inténtelo de nuevo en unos segundos."


class StartupCatchUp:
    """Reads the log's end offsets once (until the broker answers), then sets `ready` when they are applied."""

    def __init__(self, end_offsets: EndOffsets, catch_up: CatchUp, on_ready: Callable[[], None],
                 retry_s: float = 1.0):
        self._end_offsets, self._catch_up, self._on_ready, self._retry_s = end_offsets, catch_up, on_ready, retry_s
        self.ready = threading.Event()

    def run(self, stopping: threading.Event) -> None:
        """Wait for the start's end offsets to be applied (or for `stopping`)."""
        started = time.monotonic()
        while True:
            try:
                ends = self._end_offsets()
                break
            except Exception as error:  # noqa: BLE001 - no broker yet: not ready, ask again
                log.warning("the log's end offsets could not be read; not ready", extra={"error": str(error)})
                if stopping.wait(self._retry_s):
                    return
        log.info("catching up with the log before answering", extra={"end_offsets": sum(ends.values())})
        if self._catch_up.covers(ends, stopping):
            self.ready.set()
            log.info("caught up with the log as of start; ready",
                     extra={"seconds": round(time.monotonic() - started, 1)})
            self._on_ready()


def seed_from_snapshot(settings: Settings, store: SnapshotStore, end_offsets: EndOffsets,
                       beginning_offsets: EndOffsets) -> str:
    """Before the store opens: a replica with no projection file restores the latest snapshot when
    VENTANILLA_STATUS_SNAPSHOT=latest, unless the log no longer continues it (its positions are ahead of the
    log's end, or the log begins past them); the outcome (restored, or why it replays the whole log instead)."""
    target = settings.path("status", "projection.sqlite3")
    if settings.status_snapshot == "off" or target.exists():
        return "not asked" if settings.status_snapshot == "off" else "kept the projection on disk"
    started, pointer, bounds = time.monotonic(), None, {}
    try:
        pointer = snapshots.latest(store)
        if pointer is None:
            reason = "no snapshot taken yet"
        else:
            bounds = {"log_beginning": beginning_offsets(), "log_end": end_offsets()}
            reason = snapshots.restore(pointer, store, target, SCHEMA_VERSION, settings.topics.invoice_events,
                                       **bounds)
    except Exception as error:  # noqa: BLE001 - a snapshot is an optimisation: replay the log instead
        reason = f"the snapshot could not be read: {error}"
    if reason:
        found = {"sha256": pointer.sha256, "taken_at": pointer.taken_at, "snapshot_offsets": pointer.offsets} \
            if pointer else {}
        log.warning("snapshot refused; replaying the whole log", extra={"reason": reason, **found, **bounds})
        return f"refused: {reason}"
    log.info("restored the latest snapshot; replaying the log's tail",
             extra={"sha256": pointer.sha256, "taken_at": pointer.taken_at, "offsets": sum(pointer.offsets.values()),
                    "seconds": round(time.monotonic() - started, 2)})
    return "restored"
