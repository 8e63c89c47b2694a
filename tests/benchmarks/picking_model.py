"""Issue 15, soap_edge.backends.picking in a model of the registry's processes: `python
tests/benchmarks/picking_model.py [--calls 4000]`.

Two server processes, each one FIFO queue (one GIL), service times exponential or lognormal (σ 1, the same mean);
edge workers, each with 8 channels of which `split[0]` reach process A; closed-loop clients, each call costing the
edge a fixed time before and after. For each split: the larger process's share of the calls and calls/s, with round
robin and with LeastCost at several decay times (simulated clock). A model, not a measurement: it shows whether and
how fast the picker's feedback evens the split, not what the stack gains.
"""
from __future__ import annotations

import argparse
import heapq
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.append(str(ROOT / "services" / "soap-edge"))

from soap_edge.backends.picking import LeastCost  # noqa: E402

SPLITS = ((7, 1), (6, 2), (5, 3), (4, 4))
DECAYS_S = (0.3, 1.0, 3.0, 10.0)


def model(decay_s: float | None, split: tuple[int, int], calls: int, tails: bool, clients: int = 8, workers: int = 2,
          service_s: float = 0.02, edge_s: float = 0.004, seed: int = 1) -> tuple[float, float]:
    """(the larger process's share of the calls, calls/s); decay_s None: round robin."""
    rng, now = random.Random(seed), [0.0]
    pickers = [LeastCost(8, lambda: now[0], random.Random(seed + w), decay_s or 1.0) for w in range(workers)]
    turns = [0] * workers
    free_at, counts, ends = [0.0, 0.0], [0, 0], []

    def service() -> float:
        return service_s * rng.lognormvariate(-0.5, 1.0) if tails else rng.expovariate(1 / service_s)

    def send(at: float, worker: int) -> None:
        now[0] = at
        if decay_s is None:
            channel, started, turns[worker] = turns[worker] % 8, at, turns[worker] + 1
        else:
            channel, started = pickers[worker].pick()
        process = 0 if channel < split[0] else 1
        free_at[process] = max(at + edge_s, free_at[process]) + service()
        counts[process] += 1
        heapq.heappush(ends, (free_at[process], worker, channel, started))

    for client in range(clients):
        send(rng.random() * 0.01, client % workers)
    for _ in range(calls):
        at, worker, channel, started = heapq.heappop(ends)
        now[0] = at
        if decay_s is not None:
            pickers[worker].done(channel, started)
        send(at + edge_s, worker)
    return round(max(counts) / sum(counts), 3), round(calls / now[0], 1)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=4000)
    args = parser.parse_args()
    report = {}
    for tails in (False, True):
        for split in SPLITS:
            row = {"round robin": model(None, split, args.calls, tails)}
            row.update({f"decay {d:g} s": model(d, split, args.calls, tails) for d in DECAYS_S})
            report[f"{'lognormal' if tails else 'exponential'} {split[0]}/{split[1]}"] = row
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
