"""A memo remembers a bounded number of answers for a bounded time."""
from ventanilla.memo import Memo


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Counting:
    def __init__(self):
        self.calls = 0

    def __call__(self, value):
        def compute():
            self.calls += 1
            return value
        return compute


def test_an_answer_is_computed_once_then_again_after_its_time():
    clock, compute = Clock(), Counting()
    memo = Memo(limit=10, ttl_s=60, clock=clock)
    assert memo("cert", compute("B12345678")) == "B12345678"
    clock.now += 59
    assert memo("cert", compute("other")) == "B12345678" and compute.calls == 1
    clock.now += 2
    assert memo("cert", compute("renewed")) == "renewed" and compute.calls == 2


def test_none_is_an_answer_too():
    compute = Counting()
    memo = Memo(limit=10, ttl_s=60)
    assert memo("unreadable", compute(None)) is None
    assert memo("unreadable", compute("x")) is None and compute.calls == 1


def test_at_most_limit_answers_are_kept_the_least_recently_used_go_first():
    clock, compute = Clock(), Counting()
    memo = Memo(limit=2, ttl_s=60, clock=clock)
    memo("a", compute(1))
    memo("b", compute(2))
    memo("a", compute(1))  # used again: b is now the least recently used
    memo("c", compute(3))
    assert len(memo) == 2 and compute.calls == 3
    assert memo("a", compute(9)) == 1 and memo("b", compute(20)) == 20 and compute.calls == 4


def test_expired_answers_do_not_count():
    clock = Clock()
    memo = Memo(limit=5, ttl_s=1, clock=clock)
    for key in "abc":
        memo(key, lambda: 0)
    clock.now += 2
    assert len(memo) == 0
