"""Per-call choice among one backend's channels: the least cost, peak-EWMA latency × (calls in flight + 1)."""
from __future__ import annotations

import math
import random
import threading
import time
from typing import Callable

# The latency a channel is taken to have before its first answer (about one registration's CPU at the registry).
FIRST_ESTIMATE_S = 0.03
# How fast an estimate forgets: a past latency weighs e^(-elapsed/DECAY_S), and a channel left idle drifts toward
# zero, so it is tried again. Finagle's and Linkerd's 10 s: in a model of 2 server processes (one queue each) under 8
# closed-loop clients with 6 of 8 connections on one process, it split the calls 0.52-0.53 (round robin: 0.75);
# 1 s, 0.54-0.57 (the recency of a channel's last call then weighs as much as its latency).
DECAY_S = 10.0


class LeastCost:
    """Peak-EWMA picking (Finagle, Linkerd/tower): each channel's cost is its latency estimate (a slower answer
    replaces it at once; a faster one is averaged in, weighted by the time since the last) times its calls in flight
    plus one; a call goes to the cheapest channel (ties at random). A channel to a busier server process answers
    later and holds its calls longer, so new calls go to the others."""

    def __init__(self, channels: int, clock: Callable[[], float] = time.monotonic,
                 tie_break: random.Random | None = None, decay_s: float = DECAY_S):
        self._clock, self._random, self._decay_s = clock, tie_break or random.Random(), decay_s
        self._lock = threading.Lock()
        now = clock()
        self._estimate = [FIRST_ESTIMATE_S] * channels
        self._updated = [now] * channels
        self._in_flight = [0] * channels

    def pick(self) -> tuple[int, float]:
        """The channel for a new call (counted in flight) and when it started (for `done`)."""
        with self._lock:
            now = self._clock()
            costs = [self._decayed(i, now) * (self._in_flight[i] + 1) for i in range(len(self._estimate))]
            least = min(costs)
            cheapest = [i for i, cost in enumerate(costs) if cost == least]
            index = cheapest[0] if len(cheapest) == 1 else self._random.choice(cheapest)
            self._in_flight[index] += 1
            return index, now

    def done(self, index: int, started: float) -> None:
        """A call picked at `started` on channel `index` ended (answered or failed): its latency enters the estimate."""
        with self._lock:
            now = self._clock()
            self._in_flight[index] -= 1
            latency, estimate = max(now - started, 0.0), self._estimate[index]
            if latency > estimate:  # the peak: a slower answer counts at once
                self._estimate[index] = latency
            else:
                kept = math.exp(-(now - self._updated[index]) / self._decay_s)
                self._estimate[index] = estimate * kept + latency * (1 - kept)
            self._updated[index] = now

    def _decayed(self, index: int, now: float) -> float:
        """The estimate as of `now`: drifting toward zero since its last update (an idle channel gets tried)."""
        estimate = self._estimate[index] * math.exp(-(now - self._updated[index]) / self._decay_s)
        self._estimate[index], self._updated[index] = estimate, now
        return estimate
