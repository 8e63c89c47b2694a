"""What tracing adds to a gRPC server's call whose caller's trace is unsampled (flag 00: nine calls in ten at 10 %),
this checkout against another checkout, alternately in fresh processes.

`.venv/bin/python -m tests.benchmarks.unsampled_server_trees OTHER_CHECKOUT [pairs [turns]]`. Each run, from one
tree's product code: the server interceptors with tracing off (metrics on) and with tracing on
(`parentbased_traceidratio` 0.1), called directly in this thread as grpc calls them (a handler call's details and a
servicer context, no network: sampled_server_cost.py's direct chain), turns of 400 calls each, the two alternated,
thread CPU µs per call; then the same through a real server on loopback (process CPU, the client's share included).
Reported per tree: the median of per-turn differences (traced less off), each run's. JSON out.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CALLS = 400
_TRACE = "00-0af7651916cd43dd8448eb211c80{:04x}-b7ad6b7169203331-00"


def _metadata(n: int) -> tuple:
    return (("traceparent", _TRACE.format(n % 65536)), ("x-request-id", "bench"),
            ("user-agent", "grpc-python/1.85.1 grpc-c/53.0.0 (linux; chttp2)"))


def measure(turns: int) -> dict:
    """Traced less off, µs per call: directly (thread CPU) and served (process CPU); medians of per-turn pairs."""
    from collections import namedtuple

    import grpc

    os.environ.update({"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1"})
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from ventanilla.observability.grpc_interceptors import server_interceptors
    from ventanilla.observability.metrics import Metrics
    from ventanilla.observability.tracing import Tracing

    from tests.benchmarks.sampled_server_cost import _Context
    from tests.benchmarks.server_spans_cost import _served

    details = namedtuple("Details", "method invocation_metadata")
    tracing = Tracing.to("status", InMemorySpanExporter())  # no span is made: every caller is unsampled
    chains = {"off": server_interceptors(Metrics("status"), Tracing.off()),
              "traced": server_interceptors(Metrics("status"), tracing)}
    handler = grpc.unary_unary_rpc_method_handler(lambda request, context: b"ok")
    calls = [(details("/ventanilla.v1.StatusService/GetStateBatch", _metadata(n)), _Context(_metadata(n)))
             for n in range(CALLS)]

    def direct(name: str) -> None:
        interceptor, = chains[name]
        for call_details, context in calls:
            interceptor.intercept_service(lambda _details: handler, call_details).unary_unary(b"x", context)

    served = {name: _served(interceptors) for name, interceptors in chains.items()}
    metadata = [_metadata(n) for n in range(CALLS)]

    def over_the_wire(name: str) -> None:
        call = served[name][1]
        for m in metadata:
            call(b"x", metadata=m)

    found = {}
    for kind, run, clock in (("direct", direct, time.thread_time), ("served", over_the_wire, time.process_time)):
        for name in chains:
            run(name)  # warm
        cpu: dict[str, list[float]] = {name: [] for name in chains}
        for turn in range(turns):
            for name in (("off", "traced") if turn % 2 == 0 else ("traced", "off")):
                started = clock()
                run(name)
                cpu[name].append((clock() - started) / CALLS * 1e6)
        found[kind] = {"off_us": round(statistics.median(cpu["off"]), 2),
                       "traced_us": round(statistics.median(cpu["traced"]), 2),
                       "added_us": round(statistics.median(t - o for t, o in zip(cpu["traced"], cpu["off"])), 2)}
    for server, _call in served.values():
        server.stop(None)
    tracing.shutdown(5.0)
    return found


def _child(tree: Path, turns: int) -> dict:
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--measure", str(tree), str(turns)],
                          cwd=tree, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-4000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(other: Path, pairs: int, turns: int) -> dict:
    trees = {"this checkout": ROOT, str(other): other}
    runs: dict[str, list[dict]] = {name: [] for name in trees}
    load = [os.getloadavg()[0]]
    for pair in range(pairs):
        for name in (list(trees) if pair % 2 == 0 else list(reversed(trees))):
            runs[name].append(_child(trees[name], turns))
            load.append(os.getloadavg()[0])
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return {"commit": commit.stdout.strip(), "loadavg_1min": [round(v, 1) for v in load], "turns": turns,
            "trees": {name: {kind: {"added_us": [r[kind]["added_us"] for r in found],
                                    "median_added_us": statistics.median(r[kind]["added_us"] for r in found),
                                    "off_us": [r[kind]["off_us"] for r in found]}
                             for kind in ("direct", "served")} for name, found in runs.items()}}


if __name__ == "__main__":
    if "--measure" in sys.argv:
        at = sys.argv.index("--measure")
        tree = Path(sys.argv[at + 1])
        sys.path[:0] = [str(tree)]
        print(json.dumps(measure(int(sys.argv[at + 2]))))
        sys.exit(0)
    sys.path[:0] = [str(ROOT)]
    numbers = [int(a) for a in sys.argv[1:] if a.isdigit()]
    other_tree = next(Path(a) for a in sys.argv[1:] if a.startswith("/"))
    found = main(other_tree, numbers[0] if numbers else 3, numbers[1] if len(numbers) > 1 else 30)
    out = ROOT / "var" / "bench" / "unsampled_server_trees.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(found, indent=1))
    print(json.dumps(found))
