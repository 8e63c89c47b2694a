"""The status service's own CPU per GetStateBatch call and per query, tracing on against off (metrics on in both),
whole status processes of obs_stacks.py driven directly over gRPC (no edge, no wrk: the status process alone), the
settings interleaved and their order rotated each turn.

Each call carries `queries` coalesced state queries of the setting's one invoice, and the metadata an edge sends:
a `traceparent` (a fresh trace id per call) and an `x-request-id`. A call follows its leader's decision (the edge
makes it in its first member's trace: state_batches.py), so at 10 % one call in ten carries flag 01, the rest 00,
whatever its queries (before branch i14-leader a call was sampled when any member was: `--sampled-share`
1 - 0.9^queries); the same calls, the same flags, for every setting in a turn. CPU from /proc/<pid>/stat of each
status process over the turn's calls (10 ms ticks: turns of a few hundred calls).

`python -m tests.benchmarks.status_traced_cost [turns] [--queries N] [--calls N] [--before REV] [--traced-only]
[--sampled-share P]`
(its own stacks: off, metrics, traced, with --before REV's metrics and traced too; --traced-only: metrics, traced
and REV's traced); bench_observability.py runs `rounds()` on its stacks. JSON out.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
from pathlib import Path

from tests.benchmarks.benchstack import SELLER, cpu_seconds

CALLS = 400  # per setting and turn
RATIO = 0.1  # OTEL_TRACES_SAMPLER_ARG of the traced settings


def _calls(count: int, queries: int, seed: int, share: float | None = None) -> list[tuple[tuple, int]]:
    """(metadata, queries) of count calls: a traceparent sampled as its leader's is, at the sampler's ratio (or with
    probability share, when given: 0 and 1 to measure the unsampled and the sampled path alone)."""
    chance = random.Random(seed)
    calls = []
    for n in range(count):
        sampled = chance.random() < (RATIO if share is None else share)
        trace_id, span_id = chance.getrandbits(128) or 1, chance.getrandbits(64) or 1
        calls.append(((("traceparent", f"00-{trace_id:032x}-{span_id:016x}-{'01' if sampled else '00'}"),
                       ("x-request-id", f"bench-{n}")), queries))
    return calls


def rounds(stacks: dict, names: list[str], turns: int, queries: int = 2, calls: int = CALLS,
           share: float | None = None) -> dict:
    """Per setting, its status process's CPU µs per call and per query (medians over turns), and per turn its ratio
    to names[0]'s in the same turn (median, IQR, 95 % CI: bench_observability.spread)."""
    from tests.benchmarks.bench_observability import spread
    from tests.support.service_pki import dial
    from ventanilla.api.v1 import services_pb2 as pb
    from ventanilla.api.v1 import services_pb2_grpc as rpc

    channels = {name: dial(stacks[name].status_address, "status") for name in names}
    stubs = {name: rpc.StatusServiceStub(channel).GetStateBatch for name, channel in channels.items()}
    requests = {name: pb.StateQueries(queries=[pb.StateQuery(caller=pb.Caller(nif=SELLER, request_id="bench"),
                                                             id=stacks[name].invoice_id)] * queries)
                for name in names}
    for name in names:  # warm: channels, the status's thread pool, its first answers
        for metadata, _ in _calls(100, queries, -1):
            stubs[name](requests[name], metadata=metadata, timeout=10)
    cpu: dict[str, list[float]] = {name: [] for name in names}
    load = [os.getloadavg()[0]]
    for turn in range(turns):
        made = _calls(calls, queries, turn, share)
        for name in names[turn % len(names):] + names[:turn % len(names)]:
            pid, stub, request = stacks[name].pids["status"], stubs[name], requests[name]
            started = cpu_seconds(pid)
            for metadata, _ in made:
                stub(request, metadata=metadata, timeout=10)
            cpu[name].append((cpu_seconds(pid) - started) / calls * 1e6)
        load.append(os.getloadavg()[0])
    for channel in channels.values():
        channel.close()
    base = names[0]
    return {"queries_per_call": queries, "calls_per_turn": calls, "turns": turns, "baseline": base,
            "sampled_calls_share": round(RATIO if share is None else share, 3),
            "status_cpu_us_per_call": {n: round(statistics.median(v), 1) for n, v in cpu.items()},
            "status_cpu_us_per_query": {n: round(statistics.median(v) / queries, 1) for n, v in cpu.items()},
            "vs_baseline": {n: spread([x / b for x, b in zip(cpu[n], cpu[base])]) for n in names if n != base},
            "loadavg_1min": [round(x, 2) for x in load]}


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("turns", nargs="?", type=int, default=12)
    parser.add_argument("--queries", type=int, default=2)
    parser.add_argument("--before")
    parser.add_argument("--calls", type=int, default=CALLS, help="calls per setting and turn")
    parser.add_argument("--sampled-share", type=float, help="calls with flag 01 (default: the ratio, 0.1)")
    parser.add_argument("--traced-only", action="store_true", help="metrics and traced settings only (no off)")
    args = parser.parse_args()
    from tests.benchmarks import bench_observability as bench
    from tests.benchmarks.benchstack import export_tree, running_stack
    from tests.benchmarks.obs_stacks import STACK_SERVICES, setting_stacks
    from tests.support.otlp_receiver import OtlpReceiver

    bench.BEFORE = args.before
    receiver = OtlpReceiver().start()
    settings = {name: env for name, env in bench.variants(receiver).items()
                if not args.traced_only or name.startswith(bench.TRACED) or name == bench.METRICS}
    with running_stack() as stack, tempfile.TemporaryDirectory() as scratch:
        tree = export_tree(args.before, Path(scratch) / "before",
                           ("ventanilla", *(f"services/{n}" for n in STACK_SERVICES))) if args.before else None
        code = {name: tree for name in settings if args.before and name.endswith(f"({args.before})")}
        with setting_stacks(stack, Path(scratch), settings, code) as stacks:
            names = [bench.METRICS, *(n for n in settings if n != bench.METRICS)]
            found = rounds(stacks, names, args.turns, args.queries, args.calls, args.sampled_share)
    receiver.stop()
    found["spans_received"] = len(receiver.spans)
    return found


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    print(json.dumps(main()))
