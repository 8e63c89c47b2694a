"""Read-your-writes: wait until the projection has applied everything already in the log."""
from __future__ import annotations

import threading
import time
from typing import Callable

EndOffsets = Callable[[], dict[int, int]]


class CatchUp:
    """Tracks applied positions and lets readers wait for the log's current end."""

    def __init__(self, end_offsets: EndOffsets, applied: dict[int, int], timeout_s: float):
        self._end_offsets = end_offsets
        self._applied = dict(applied)
        self._timeout_s = timeout_s
        self._changed = threading.Condition()

    def advanced(self, partition: int, next_offset: int) -> None:
        """Record that everything before next_offset in a partition is applied."""
        with self._changed:
            self._applied[partition] = next_offset
            self._changed.notify_all()

    def wait(self) -> bool:
        """Block until every partition is applied up to the end seen now; False on timeout."""
        deadline = time.monotonic() + self._timeout_s
        ends = self._end_offsets()
        with self._changed:
            return self._changed.wait_for(
                lambda: all(self._applied.get(p, 0) >= end for p, end in ends.items()),
                timeout=max(0.0, deadline - time.monotonic()),
            )

    def reached(self, partition: int, next_offset: int) -> bool:
        """Block until one partition is applied up to next_offset (no broker call); False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: self._applied.get(partition, 0) >= next_offset,
                                          timeout=self._timeout_s)
