"""The status service's read metrics: read-your-writes waits (timed, refusals counted) and group query sizes."""
from __future__ import annotations

import time

from ventanilla.domain.errors import DomainError

from status_service.ports import Progress


class MeteredProgress:
    """A Progress whose read-your-writes waits (`ensure`) are timed, and counted when they end in a refusal."""

    def __init__(self, progress: Progress, waited, refused):
        self._progress, self._waited, self._refused = progress, waited, refused

    def ensure(self) -> None:
        """As Progress.ensure; the wait observed (ventanilla_status_catch_up_wait_seconds), a refusal counted."""
        started = time.perf_counter()
        try:
            self._progress.ensure()
        except DomainError:
            self._refused.inc()
            raise
        finally:
            self._waited.observe(time.perf_counter() - started)

    def wait(self) -> bool:
        return self._progress.wait()

    def reached(self, partition: int, next_offset: int) -> bool:
        return self._progress.reached(partition, next_offset)

    def at_known_end(self) -> bool:
        return self._progress.at_known_end()
