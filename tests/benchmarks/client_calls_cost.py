"""A gRPC caller's CPU per blocking call: a plain stub, and the edge's client work (request id; request id and
metrics; and tracing at 10 % with the caller's trace unsampled) through grpc.intercept_channel (before) and around the
channel's own multicallable (`ObservedChannel`, after). `python -m tests.benchmarks.client_calls_cost [turns]`.

One bare server in this process on loopback (its share is the same in every variant); turns of 400 calls each, the
variants interleaved, the order rotated each turn; medians of process CPU µs per call, and of each variant's
per-turn difference from the plain stub. JSON out.
"""
from __future__ import annotations

import json
import statistics
import sys
import time
from concurrent import futures

import grpc
from opentelemetry import context as otel_context, trace
from opentelemetry.instrumentation.grpc import client_interceptor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from ventanilla.observability import requestid
from ventanilla.observability.grpc_client import ObservedChannel
from ventanilla.observability.grpc_interceptors import RequestIdClientInterceptor
from ventanilla.observability.grpc_spans import not_health
from ventanilla.observability.metrics import Metrics

CALLS = 400


def variants(address: str) -> dict[str, object]:
    """Each variant's multicallable, on a channel of its own."""
    provider = TracerProvider(sampler=ParentBased(TraceIdRatioBased(0.1)))
    metered = Metrics("soap-edge").grpc_client_interceptor()
    layers = {"request id": RequestIdClientInterceptor(), "request id + metrics": metered,
              "request id + metrics + tracing 10 %, unsampled": metered.with_spans(
                  client_interceptor(tracer_provider=provider, filter_=not_health))}
    found = {"plain stub": grpc.insecure_channel(address).unary_unary("/bench.Echo/Say")}
    for name, layer in layers.items():
        found[f"{name}, grpc.intercept_channel (before)"] = grpc.intercept_channel(
            grpc.insecure_channel(address), layer).unary_unary("/bench.Echo/Say")
        found[f"{name}, direct (after)"] = ObservedChannel(
            grpc.insecure_channel(address), layer).unary_unary("/bench.Echo/Say")
    return found


def main(turns: int = 15) -> dict:
    """Each variant's median CPU µs per call, and its median per-turn difference from the plain stub."""
    server = grpc.server(futures.ThreadPoolExecutor(4))
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(
        "bench.Echo", {"Say": grpc.unary_unary_rpc_method_handler(lambda request, context: b"ok")})])
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    calls = variants(f"127.0.0.1:{port}")
    unsampled = trace.NonRecordingSpan(trace.SpanContext(0x0AF7651916CD43DD8448EB211C80319C, 0xB7AD6B7169203331,
                                                         is_remote=False, trace_flags=trace.TraceFlags(0)))
    token = otel_context.attach(trace.set_span_in_context(unsampled))
    cpu: dict[str, list[float]] = {name: [] for name in calls}
    names = list(calls)
    try:
        with requestid.bound("bench-request-id"):
            for call in calls.values():
                for _ in range(300):
                    call(b"x", timeout=10)
            for turn in range(turns):
                for name in names[turn % len(names):] + names[:turn % len(names)]:
                    call = calls[name]
                    started = time.process_time()
                    for _ in range(CALLS):
                        call(b"x", timeout=10)
                    cpu[name].append((time.process_time() - started) / CALLS * 1e6)
    finally:
        otel_context.detach(token)
        server.stop(None)
    plain = cpu["plain stub"]
    return {"cpu_us_per_call": {n: round(statistics.median(v), 1) for n, v in cpu.items()},
            "added_us": {n: round(statistics.median(a - b for a, b in zip(v, plain)), 1) for n, v in cpu.items()},
            "turns": turns, "calls_per_turn": CALLS}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)))
