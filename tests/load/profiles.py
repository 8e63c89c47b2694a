"""Load shapes: the FACe mix for a bounded time, a step profile that finds the knee, a seconds-long smoke run."""
from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

from locust import LoadTestShape

SUBMISSIONS = ("enviarFactura (mtom)", "enviarFactura (inline)")
SETTLE_S = 10.0  # a step is measured once its users have all started


def _snapshot(runner) -> tuple[int, int, Counter]:
    """(requests, failures, response-time histogram) so far of the submissions."""
    total, failed, times = 0, 0, Counter()
    for name in SUBMISSIONS:
        entry = runner.stats.entries.get((name, "POST"))
        if entry is not None:
            total, failed = total + entry.num_requests, failed + entry.num_failures
            times.update(entry.response_times)
    return total, failed, times


def _percentile(times: Counter, fraction: float) -> float | None:
    count, seen = sum(times.values()), 0
    for value in sorted(times):
        seen += times[value]
        if count and seen >= fraction * count:
            return value
    return None


class Profile(LoadTestShape):
    """VENTANILLA_LOAD_PROFILE=mix (ramp, hold the mix), step (the mix's users added each step until two steps
    in a row carry less than 90 % of their offered submissions: past the knee) or smoke."""

    def __init__(self):
        super().__init__()
        self.kind = os.environ.get("VENTANILLA_LOAD_PROFILE", "mix")
        self.seconds = float(os.environ.get("VENTANILLA_LOAD_SECONDS", "180"))
        self.step_s = float(os.environ.get("VENTANILLA_LOAD_STEP_SECONDS", "40"))
        self.out = Path(os.environ.get("VENTANILLA_LOAD_OUT", "."))
        self.steps: list[dict] = []
        self._mark: tuple[float, int, int, Counter] | None = None
        self._short = 0

    def tick(self):
        run_time = self.get_run_time()
        if run_time >= self.seconds:
            return None
        users = sum(user.weight for user in self.runner.user_classes)
        if self.kind == "step":
            return self._step(run_time, users)
        ramp_s = 5.0 if self.kind == "smoke" else max(5.0, self.seconds * 0.15)
        return users, max(1.0, users / ramp_s)

    def _step(self, run_time: float, users: int):
        step, into = divmod(run_time, self.step_s)
        step = int(step)
        if step > len(self.steps) and self._mark is not None:
            self._close_step(run_time, users)
            if self._short >= 2:
                return None
        if into >= SETTLE_S and self._mark is None:
            self._mark = (run_time, *_snapshot(self.runner))
        return users * (step + 1), max(1.0, users * (step + 1) / 5.0)

    def _close_step(self, run_time: float, users: int) -> None:
        started, requests_before, failures_before, times_before = self._mark
        requests, failures, times = _snapshot(self.runner)
        done, elapsed = requests - requests_before, run_time - started
        submitters = next(u for u in self.runner.user_classes if u.__name__ == "Submitter")
        number = len(self.steps) + 1
        offered = submitters.weight * number * submitters.wait_time_rate
        row = {"step": number, "users": users * number, "offered_submissions_per_s": round(offered, 2),
               "submissions_per_s": round(done / elapsed, 2) if elapsed else 0.0,
               "failure_ratio": round((failures - failures_before) / done, 3) if done else 0.0,
               "p95_ms": _percentile(times - times_before, 0.95)}
        self.steps.append(row)
        short = row["submissions_per_s"] < 0.9 * offered or row["failure_ratio"] > 0.05
        self._short, self._mark = (self._short + 1 if short else 0), None
        (self.out / "steps.json").write_text(json.dumps(self.steps, indent=2))
