"""A batched metric value holds a bounded number of increments: the one that reaches the bound writes them."""
from __future__ import annotations

import threading

import pytest

from ventanilla.observability.buffered import BufferedValues


@pytest.fixture
def counter_value(tmp_path, monkeypatch):
    """A counter's value of a BufferedValues whose flusher never runs during the test (period of an hour)."""
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    values = BufferedValues(period=3600.0, bound=64)
    return values.value_class("counter", "served", "served_total", (), (), "requests")


def test_the_increment_that_reaches_the_bound_writes_what_gathered(counter_value):
    for _ in range(63):
        counter_value.inc(1.0)
    assert len(counter_value.gathered) == 63 and counter_value.mmaped.get() == 0
    counter_value.inc(1.0)
    assert len(counter_value.gathered) == 0 and counter_value.mmaped.get() == 64
    for _ in range(1000):
        counter_value.inc(0.5)
    assert len(counter_value.gathered) < 64 and counter_value.get() == 564


def test_threads_lose_nothing_and_never_hold_more_than_the_bound_each(counter_value):
    most = []

    def work():
        for _ in range(20_000):
            counter_value.inc(1.0)
        most.append(len(counter_value.gathered))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counter_value.get() == 160_000
    assert max(most) < 64 + len(threads)  # appends racing a write wait for the next one
