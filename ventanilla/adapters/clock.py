"""The system clock, behind a `now()` seam so use cases can be tested with any clock."""
from __future__ import annotations

from datetime import datetime, timezone


class SystemClock:
    """Wall-clock time in UTC."""

    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        return datetime.now(timezone.utc)
