"""The interpreter's thread switching and garbage collection in a long-running process (RuntimeSettings)."""
from __future__ import annotations

import gc
import sys

from ventanilla.config import RuntimeSettings


def tune(settings: RuntimeSettings) -> None:
    """Set how long a thread may keep the GIL while another waits for it (before any thread starts), and how many
    generation-1 collections come between two full ones (the first two thresholds stay Python's)."""
    sys.setswitchinterval(settings.switch_interval_ms / 1000)
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, settings.gc_full_threshold)


def settle(settings: RuntimeSettings) -> None:
    """Once the process is built: collect, then freeze what survives, so that later full collections only walk the
    objects requests allocate (not the modules, wiring and caches of start-up). For processes whose heap is settled
    once built (the edge's workers); a process that keeps building long-lived state after it (the status service's
    consumers) gets more and longer full collections instead (docs/benchmarks.md)."""
    if settings.gc_freeze:
        gc.collect()
        gc.freeze()
