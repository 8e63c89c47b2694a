"""Time spent in each stage of one submission, observed once per stage when it ends."""
from __future__ import annotations

import time
from typing import Callable

# The Facturae intake's steps (FacturaeIntake.STEPS) in the registry's stages of the metrics catalogue
INTAKE_STAGES = {"version": "parse", "schema": "schema", "signature": "signature", "certificate": "signature",
                 "rules": "parse"}

Observe = Callable[[str, float], None]


class Laps:
    """A stopwatch: each lap's time is added to the named stage; `done` hands every stage's total to observe."""

    def __init__(self, observe: Observe | None):
        self._observe, self._totals = observe, {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        """The time since the last lap was spent in stage."""
        now = time.perf_counter()
        self._totals[stage] = self._totals.get(stage, 0.0) + now - self._last
        self._last = now

    def intake_step(self, step: str, _checked: bool) -> None:
        """FacturaeIntake.accept's `passed` callback."""
        self.lap(INTAKE_STAGES.get(step, "parse"))

    def done(self) -> None:
        """Observe every stage reached (once each)."""
        if self._observe is not None:
            for stage, seconds in self._totals.items():
                self._observe(stage, seconds)
