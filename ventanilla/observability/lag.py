"""A projection's lag in records and seconds, from the positions it applied and the log's end offsets."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable


@dataclass
class _Partition:
    next_offset: int = 0
    end_offset: int = 0
    last_applied_at: float = 0.0  # timestamp of the last record applied (producer time)
    caught_up_at: float = 0.0  # when the projection was last seen at the log's end


class ProjectionLag:
    """Feeds ventanilla_projection_lag_records / _seconds for one projection.

    The lag in seconds bounds the age of the oldest record not yet applied: every such record was written
    after the projection was last seen at the end of its partition and after the last record it applied,
    so its age is at most now minus the later of the two. 0 when caught up. Call `applied` after each batch
    and `refresh` with the log's end offsets every few seconds.
    """

    def __init__(self, projection: str, records_gauge, seconds_gauge, clock: Callable[[], float] = time.time):
        self._projection, self._records, self._seconds, self._clock = projection, records_gauge, seconds_gauge, clock
        self._partitions: dict[int, _Partition] = {}
        self._lock = threading.Lock()

    def applied(self, partition: int, next_offset: int, last_timestamp_ms: int) -> None:
        """Everything before next_offset is applied; the last applied record was written at last_timestamp_ms."""
        with self._lock:
            state = self._partitions.setdefault(partition, _Partition())
            state.next_offset, state.last_applied_at = next_offset, last_timestamp_ms / 1000
            self._publish()

    def refresh(self, end_offsets: dict[int, int]) -> None:
        """The log's end offsets as just read from the broker."""
        with self._lock:
            for partition, end in end_offsets.items():
                self._partitions.setdefault(partition, _Partition()).end_offset = end
            self._publish()

    def _publish(self) -> None:
        now, worst = self._clock(), 0.0
        for partition, state in self._partitions.items():
            behind = max(0, state.end_offset - state.next_offset)
            if behind == 0:
                state.caught_up_at = now
            else:
                worst = max(worst, now - max(state.caught_up_at, state.last_applied_at))
            self._records.labels(projection=self._projection, partition=str(partition)).set(behind)
        self._seconds.labels(projection=self._projection).set(max(0.0, worst))
