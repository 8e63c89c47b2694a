"""Peak-EWMA picking among a backend's channels, on a clock the test moves."""
from __future__ import annotations

import math
import random

from soap_edge.backends.picking import DECAY_S, FIRST_ESTIMATE_S, LeastCost


class Clock:
    """A monotonic clock moved by hand."""

    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def picker(channels: int, clock: Clock, seed: int = 0) -> LeastCost:
    return LeastCost(channels, clock, random.Random(seed))


def answered(picking: LeastCost, clock: Clock, latency_s: float) -> int:
    """One call that takes latency_s, on the channel the picker chose (returned)."""
    index, started = picking.pick()
    clock.now += latency_s
    picking.done(index, started)
    return index


def test_calls_in_flight_send_new_calls_to_the_other_channels():
    clock = Clock()
    picking = picker(4, clock)
    first = [picking.pick()[0] for _ in range(4)]
    assert sorted(first) == [0, 1, 2, 3]  # equal estimates: the one with nothing in flight, each in turn
    picking.done(2, clock.now)
    assert picking.pick()[0] == 2  # the only channel with one call fewer


def test_a_slower_channel_gets_fewer_calls_while_it_is_slow():
    clock, picks = Clock(), []
    picking = picker(2, clock)
    latency = {0: 0.090, 1: 0.030}  # channel 0's process is busier: three times as slow
    in_flight = []
    for _ in range(400):  # closed loop, 4 calls at a time
        while len(in_flight) < 4:
            index, started = picking.pick()
            picks.append(index)
            in_flight.append((started + latency[index], index, started))
        in_flight.sort()
        end, index, started = in_flight.pop(0)
        clock.now = max(clock.now, end)
        picking.done(index, started)
    share = picks.count(0) / len(picks)
    assert 0.1 < share < 0.4, share  # round robin: 0.5; the slow channel still tried


def test_a_slow_answer_counts_at_once_and_fades():
    clock = Clock()
    picking = picker(2, clock)
    slow = answered(picking, clock, 0.5)  # the peak: that channel's estimate is 0.5 s at once
    chosen = []
    for _ in range(50):  # a fast call every DECAY_S / 10
        clock.now += DECAY_S / 10
        chosen.append(answered(picking, clock, 0.01))
    assert slow not in chosen[:10]  # for a DECAY_S every call avoids it
    assert slow in chosen  # once its 0.5 s has decayed below the other's 0.01 s, it is tried again


def test_a_faster_answer_is_averaged_in_by_the_time_since_the_last():
    clock = Clock()
    picking = picker(1, clock)
    answered(picking, clock, 0.2)
    clock.now += DECAY_S  # idle: the estimate decays to 0.2/e when next picked
    index, started = picking.pick()
    clock.now += 0.01
    picking.done(index, started)
    kept = math.exp(-0.01 / DECAY_S)
    expected = 0.2 * math.exp(-1) * kept + 0.01 * (1 - kept)
    assert math.isclose(picking._estimate[0], expected, rel_tol=1e-9)


def test_unmeasured_channels_start_equal_and_ties_go_at_random():
    clock = Clock()
    seen = set()
    for seed in range(20):
        picking = picker(8, clock, seed)
        index, started = picking.pick()
        seen.add(index)
        assert math.isclose(picking._estimate[index], FIRST_ESTIMATE_S)
    assert len(seen) > 3
