"""The edge's memory of recent writers is bounded in time and in size."""
from soap_edge.backends.own_writes import RecentWriters


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_write_is_remembered_for_the_ttl_then_forgotten():
    clock = Clock()
    writers = RecentWriters(ttl_s=30, clock=clock)
    assert not writers.recent("B12345678")
    writers.wrote("B12345678")
    clock.now += 29.9
    assert writers.recent("B12345678") and not writers.recent("A00000000")
    clock.now += 0.2
    assert not writers.recent("B12345678")
    assert len(writers) == 0


def test_at_most_limit_writers_are_remembered_the_oldest_forgotten_first():
    clock = Clock()
    writers = RecentWriters(ttl_s=30, limit=3, clock=clock)
    for nif in ("A1", "A2", "A3"):
        writers.wrote(nif)
    writers.wrote("A1")  # written again: now the newest
    writers.wrote("A4")
    assert len(writers) == 3
    assert not writers.recent("A2") and all(writers.recent(n) for n in ("A1", "A3", "A4"))
