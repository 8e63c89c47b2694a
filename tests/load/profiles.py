"""Load shapes: the FACe mix for a bounded time, a step profile that finds the knee, a seconds-long smoke run."""
from __future__ import annotations

import json
import os
from pathlib import Path

from locust import LoadTestShape

SUBMISSIONS = ("enviarFactura (mtom)", "enviarFactura (inline)")


def _entries(runner, names) -> tuple[int, int]:
    """(requests, failures) so far of the named POST entries."""
    total = failed = 0
    for name in names:
        entry = runner.stats.entries.get((name, "POST"))
        if entry is not None:
            total, failed = total + entry.num_requests, failed + entry.num_failures
    return total, failed


class Profile(LoadTestShape):
    """VENTANILLA_LOAD_PROFILE=mix (ramp, hold the mix), step (more users each step until the knee) or smoke."""

    def __init__(self):
        super().__init__()
        self.kind = os.environ.get("VENTANILLA_LOAD_PROFILE", "mix")
        self.seconds = float(os.environ.get("VENTANILLA_LOAD_SECONDS", "180"))
        self.step_s = float(os.environ.get("VENTANILLA_LOAD_STEP_SECONDS", "30"))
        self.out = Path(os.environ.get("VENTANILLA_LOAD_OUT", "."))
        self.steps: list[dict] = []
        self._mark = (0.0, 0, 0)
        self._saturated = 0

    def _base_users(self) -> int:
        return sum(user.weight for user in self.runner.user_classes)

    def tick(self):
        run_time = self.get_run_time()
        if run_time >= self.seconds:
            return None
        users = self._base_users()
        if self.kind == "step":
            return self._step(run_time, users)
        ramp_s = 5.0 if self.kind == "smoke" else max(5.0, self.seconds * 0.15)
        return users, max(1.0, users / ramp_s)

    def _step(self, run_time: float, users: int):
        step = int(run_time // self.step_s)
        if step > len(self.steps):
            self._close_step(run_time, users)
            if self._saturated >= 2:
                return None  # two steps in a row could not carry their offered load: past the knee
        return users * (step + 1), max(1.0, users / 5.0)

    def _close_step(self, run_time: float, users: int) -> None:
        started, requests_before, failures_before = self._mark
        requests, failures = _entries(self.runner, SUBMISSIONS)
        elapsed = run_time - started
        done = requests - requests_before
        submitters = next(u for u in self.runner.user_classes if u.__name__ == "Submitter")
        offered = submitters.weight * (len(self.steps) + 1) * submitters.wait_time_rate
        row = {"step": len(self.steps) + 1, "users": users * (len(self.steps) + 1),
               "offered_submissions_per_s": round(offered, 2),
               "submissions_per_s": round(done / elapsed, 2) if elapsed else 0.0,
               "failure_ratio": round((failures - failures_before) / done, 3) if done else 0.0}
        self.steps.append(row)
        self._saturated = self._saturated + 1 if (row["submissions_per_s"] < 0.9 * offered
                                                  or row["failure_ratio"] > 0.05) else 0
        self._mark = (run_time, requests, failures)
        (self.out / "steps.json").write_text(json.dumps(self.steps, indent=2))
