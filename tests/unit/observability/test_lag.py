"""Projection lag in records and seconds from applied positions and end offsets."""
from __future__ import annotations

from prometheus_client import CollectorRegistry

from ventanilla.observability.lag import ProjectionLag
from ventanilla.observability.metrics import Metrics


class Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


def _lag(clock):
    metrics = Metrics("status", CollectorRegistry())
    return metrics.registry, ProjectionLag("invoices", metrics.projection_lag_records, metrics.projection_lag_seconds,
                                           clock)


def _values(registry):
    records = {p: registry.get_sample_value("ventanilla_projection_lag_records",
                                            {"projection": "invoices", "partition": str(p)}) for p in (0, 1)}
    return records, registry.get_sample_value("ventanilla_projection_lag_seconds", {"projection": "invoices"})


def test_caught_up_is_zero():
    clock = Clock(1000.0)
    registry, lag = _lag(clock)
    lag.refresh({0: 5, 1: 0})
    lag.applied(0, 5, 999_000)
    assert _values(registry) == ({0: 0, 1: 0}, 0.0)


def test_behind_counts_records_and_bounds_the_age_of_the_oldest_unapplied_record():
    clock = Clock(1000.0)
    registry, lag = _lag(clock)
    lag.refresh({0: 10, 1: 3})  # nothing applied yet, never seen caught up
    lag.applied(0, 4, 990_000)  # the last applied record was written at t=990
    lag.applied(1, 3, 995_000)
    clock.now = 1002.0
    lag.refresh({0: 10, 1: 3})
    records, seconds = _values(registry)
    assert records == {0: 6, 1: 0}
    assert seconds == 12.0  # partition 0: now - 990


def test_an_idle_projection_that_falls_one_record_behind_does_not_report_its_idle_time():
    clock = Clock(5000.0)
    registry, lag = _lag(clock)
    lag.applied(0, 7, 1_000_000)  # applied a record written long ago (t=1000)
    lag.refresh({0: 7})  # seen caught up at t=5000
    clock.now = 5000.5
    lag.refresh({0: 8})  # a record written after t=5000 is not applied yet
    assert _values(registry)[1] == 0.5
