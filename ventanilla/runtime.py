"""The interpreter's thread switching and garbage collection in a long-running process (RuntimeSettings), and grpc's
core settings a service process is started with."""
from __future__ import annotations

import gc
import sys
from typing import Mapping

from ventanilla.config import RuntimeSettings

# iomgr's TCP client and listener instead of the EventEngine's: ~4 fewer context switches per call on the calling
# side, less CPU on both (docs/benchmarks.md, "grpc's EventEngine experiments on the edge → status hop")
GRPC_EXPERIMENTS = "-event_engine_client,-event_engine_listener"


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


def grpc_env(environ: Mapping[str, str]) -> dict[str, str]:
    """grpc's settings for a service process started from `environ`: GRPC_EXPERIMENTS unless `environ` sets its own
    (empty: grpc's defaults). grpc's core reads it once, when it starts in a process, so it is the launcher's to set
    (the supervisor here, the image's ENV in a container), never a process's own once running."""
    return {"GRPC_EXPERIMENTS": environ.get("GRPC_EXPERIMENTS", GRPC_EXPERIMENTS)}
