"""Tallied observations reach prometheus-client's metrics exactly as observations made one at a time would."""
from __future__ import annotations

import gc
import inspect
import os
import random
import re
import threading
import weakref
from importlib.metadata import version
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from ventanilla.observability.tally import Tallies, bucket

BUCKETS = (0.001, 0.01, 0.1, 1.0)
ROOT = Path(__file__).resolve().parents[3]


def _made(registry: CollectorRegistry):
    return (Counter("calls_total", "c", ("kind", "code"), registry=registry),
            Histogram("call_seconds", "h", ("kind",), buckets=BUCKETS, registry=registry),
            Gauge("busy", "g", registry=registry))


def _samples(registry: CollectorRegistry, approx: bool = False) -> dict:
    """Every sample but the _created ones (times), by name and labels; sums compared to rounding (order of adds)."""
    text = generate_latest(registry).decode()
    return {(s.name, tuple(sorted(s.labels.items()))): pytest.approx(s.value, rel=1e-12) if approx else s.value
            for family in text_string_to_metric_families(text) for s in family.samples
            if not s.name.endswith("_created")}


def _observations(seed: int, count: int) -> list[tuple[str, str, float]]:
    rng = random.Random(seed)
    return [(rng.choice("ab"), rng.choice(["OK", "UNKNOWN"]), rng.choice([0.0, 0.001, 0.01, 2.0, rng.random()]))
            for _ in range(count)]


def test_rows_of_several_threads_expose_what_one_observation_at_a_time_does():
    direct_registry, tallied_registry = CollectorRegistry(), CollectorRegistry()
    calls, seconds, busy = _made(direct_registry)
    tallies = Tallies()
    tallied_registry.register(tallies)
    rows = tallies.rows()
    t_calls, t_seconds, t_busy = _made(tallied_registry)
    at_calls = rows.added(t_calls, lambda key: key[:2])
    at_seconds, bounds = rows.histogram(t_seconds, lambda key: key[:1])
    at_busy = rows.added(t_busy, lambda key: ())
    batches = [_observations(seed, 3000) for seed in range(6)]
    for batch in batches:
        for kind, code, value in batch:
            calls.labels(kind, code).inc()
            seconds.labels(kind).observe(value)
    busy.inc(2)

    def tally(batch):
        for kind, code, value in batch:
            row = rows.row((kind, code))
            row[at_calls] += 1
            row[at_seconds] += value
            row[at_seconds + 1 + bucket(bounds, value)] += 1
    threads = [threading.Thread(target=tally, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    tallies.collect()  # while the threads run: what is handed now is not handed again later
    for thread in threads:
        thread.join()
    rows.row(("a", "OK"))[at_busy] += 3
    rows.row(("b", "OK"))[at_busy] -= 1
    expected = _samples(direct_registry, approx=True)
    assert len(expected) == 2 * 2 + 2 * (5 + 2) + 1  # counters; 5 buckets, count and sum per kind; the gauge
    assert _samples(tallied_registry) == expected
    assert _samples(tallied_registry) == expected  # a second collection hands over nothing more


def _tallied(registry: CollectorRegistry):
    """Rows collected by this registry, and the three metrics made on it."""
    tallies = Tallies()
    registry.register(tallies)
    return tallies.rows(), _made(registry)


def test_a_series_appears_only_once_something_reached_it():
    registry = CollectorRegistry()
    rows, (calls, seconds, _busy) = _tallied(registry)
    at_calls = rows.added(calls, lambda key: key[:2])
    rows.histogram(seconds, lambda key: key[:1])
    rows.row(("a", "OK"))
    assert registry.get_sample_value("calls_total", {"kind": "a", "code": "OK"}) is None
    rows.row(("a", "OK"))[at_calls] += 1
    assert registry.get_sample_value("calls_total", {"kind": "a", "code": "OK"}) == 1
    assert registry.get_sample_value("call_seconds_count", {"kind": "a"}) is None


def test_bucket_follows_prometheus_clients_rule():
    bounds = tuple(Histogram("x", "x", buckets=BUCKETS, registry=None)._upper_bounds)
    assert [bucket(bounds, v) for v in (0.0, 0.001, 0.0011, 1.0, 5.0)] == [0, 0, 1, 3, 4]


def test_an_unlabelled_histograms_observer_counts_as_observe_does():
    direct_registry, tallied_registry = CollectorRegistry(), CollectorRegistry()
    direct = Histogram("batch", "b", buckets=(1, 2, 4), registry=direct_registry)
    tallies = Tallies()
    tallied_registry.register(tallies)
    observe = tallies.observer(Histogram("batch", "b", buckets=(1, 2, 4), registry=tallied_registry))
    for value in (1, 1, 3, 9, 2):
        direct.observe(value)
        observe(value)
    assert _samples(tallied_registry) == _samples(direct_registry, approx=True)


def test_a_forked_child_hands_over_its_own_observations_only():
    registry = CollectorRegistry()
    rows, (calls, _seconds, _busy) = _tallied(registry)
    at = rows.added(calls, lambda key: key)
    rows.row(("a", "OK"))[at] += 5  # the parent's, not handed over yet
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe
        try:
            rows.row(("a", "OK"))[at] += 1
            os.write(write, str(registry.get_sample_value("calls_total", {"kind": "a", "code": "OK"})).encode())
        finally:
            os._exit(0)
    os.close(write)
    assert os.read(read, 64) == b"1.0"
    os.waitpid(child, 0)
    assert registry.get_sample_value("calls_total", {"kind": "a", "code": "OK"}) == 5


def test_ended_threads_rows_stay_counted_and_their_tables_are_let_go():
    registry = CollectorRegistry()
    rows, (calls, seconds, _busy) = _tallied(registry)
    at = rows.added(calls, lambda key: key)
    at_seconds, bounds = rows.histogram(seconds, lambda key: key[:1])
    ended = []

    def observe(n: int) -> None:
        row = rows.row(("a", "OK"))
        row[at] += n
        row[at_seconds] += 0.5
        row[at_seconds + 1 + bucket(bounds, 0.5)] += 1
    for turn in range(3):  # a pool's threads replaced, a collection between each turn
        threads = [threading.Thread(target=observe, args=(n,)) for n in range(1, 21)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        ended += [weakref.ref(thread) for thread in threads]
        del threads, thread
        assert registry.get_sample_value("calls_total", {"kind": "a", "code": "OK"}) == 210 * (turn + 1)
    assert registry.get_sample_value("call_seconds_count", {"kind": "a"}) == 60
    assert registry.get_sample_value("call_seconds_sum", {"kind": "a"}) == 30
    gc.collect()
    assert not [ref for ref in ended if ref() is not None]  # nothing holds an ended thread (or its table)
    rows.row(("a", "OK"))[at] += 1  # a live thread's rows with the ended ones'
    assert registry.get_sample_value("calls_total", {"kind": "a", "code": "OK"}) == 631
    assert len(rows._tables) == 1  # noqa: SLF001 - this thread's only: 60 ended threads left no table to read


def test_rows_no_longer_used_are_not_kept_alive_by_their_fork_hook():
    rows = Tallies().rows()
    made = weakref.ref(rows)
    del rows
    gc.collect()
    assert made() is None


def test_tally_writes_prometheus_clients_private_histogram_fields_of_the_pinned_version():
    """prometheus-client has no public "observed n times, summing s" (Histogram.observe takes one value), so
    tally.py reads a histogram's _upper_bounds and adds to its children's _sum and _buckets. Upgrading the library
    fails here first, by name: check those fields (and the tests above) before moving the pin."""
    pinned = re.search(r'"prometheus-client==([^"]+)"', (ROOT / "pyproject.toml").read_text()).group(1)
    assert version("prometheus-client") == pinned
    assert list(inspect.signature(Histogram.observe).parameters) == ["self", "amount", "exemplar"]
    parent = Histogram("pinned", "p", ("kind",), buckets=BUCKETS, registry=None)
    child = parent.labels("a")
    assert parent._upper_bounds == child._upper_bounds == [*BUCKETS, float("inf")]  # Rows.histogram reads the parent's
    assert len(child._buckets) == len(child._upper_bounds)
    child._sum.inc(1.5)
    child._buckets[0].inc(2)
    assert child._sum.get() == 1.5 and child._buckets[0].get() == 2


def test_a_child_forked_while_a_collection_runs_can_still_collect():
    """The flusher may be collecting (the Tallies' lock held) when another thread forks: the child's copy of the
    lock would stay held for ever, and its first collection (its flusher, its scrape) hang."""
    registry = CollectorRegistry()
    tallies = Tallies()
    registry.register(tallies)
    rows = tallies.rows()
    at = rows.added(Counter("forked_total", "f", registry=registry), lambda key: ())
    read, write = os.pipe()
    with tallies._lock:  # noqa: SLF001 - a collection under way in another thread, as the fork sees it
        child = os.fork()
        if child == 0:  # pragma: no cover - the child reports through the pipe
            try:
                rows.row(())[at] += 1
                collecting = threading.Thread(target=tallies.collect, daemon=True)
                collecting.start()
                collecting.join(30.0)  # only a hung collection waits this long
                os.write(write, b"hung" if collecting.is_alive() else
                         str(registry.get_sample_value("forked_total")).encode())
            finally:
                os._exit(0)
    os.close(write)
    assert os.read(read, 64) == b"1.0"
    os.waitpid(child, 0)


def test_observations_a_failed_collection_could_not_hand_over_are_handed_by_the_next():
    """A child's making may fail (multiprocess mode opens its file then): what it did not receive stays to give."""
    registry = CollectorRegistry()
    tallies = Tallies()
    counter = Counter("handed_total", "h", ("kind",), registry=registry)

    class FailingOnce:
        failed = False

        def labels(self, *values):
            if not FailingOnce.failed:
                FailingOnce.failed = True
                raise OSError("no space left for the metric's file")
            return counter.labels(*values)
    rows = tallies.rows()
    at = rows.added(FailingOnce(), lambda key: key)
    rows.row(("a",))[at] += 1
    with pytest.raises(OSError):
        tallies.collect()
    rows.row(("a",))[at] += 1
    tallies.collect()
    assert registry.get_sample_value("handed_total", {"kind": "a"}) == 2
