"""A gRPC server's CPU per call for callers whose trace is unsampled: metrics alone, the server interceptors of this
checkout with tracing at 10 % (the decision first, one layer), and OpenTelemetry's gRPC server interceptor in front
of the metrics (what branch i14-goal replaced); with REV, the tracing of REV's ventanilla/observability/grpc_spans.py as
well (loaded from git onto this checkout's interceptors). `python -m tests.benchmarks.server_spans_cost [turns [REV]]`.

Server and client in this process on loopback (the client's share is the same in every variant); turns of 400
calls each, variants interleaved, the order rotated each turn; medians of process CPU µs per call. JSON out.
"""
from __future__ import annotations

import json
import statistics
import sys
import time
from concurrent import futures

import grpc
from opentelemetry import context as otel_context, trace
from opentelemetry.instrumentation.grpc import server_interceptor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from ventanilla.observability.grpc_interceptors import server_interceptors
from ventanilla.observability.grpc_spans import not_health
from ventanilla.observability.metrics import Metrics
from ventanilla.observability.sampling import ReusedIds
from ventanilla.observability.tracing import Tracing

UNSAMPLED = (("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"), ("x-request-id", "bench"))


def _served(interceptors) -> tuple[grpc.Server, grpc.UnaryUnaryMultiCallable]:
    server = grpc.server(futures.ThreadPoolExecutor(4), interceptors=interceptors)
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(
        "bench.Echo", {"Say": grpc.unary_unary_rpc_method_handler(lambda request, context: b"ok")})])
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, grpc.insecure_channel(f"127.0.0.1:{port}").unary_unary("/bench.Echo/Say")


class _Dropped:
    """A call REV's SampledServerSpans dropped (its (span, parent)), made current around the handler as REV did."""

    def __init__(self, current):
        self._current = current

    def wrapped(self, behavior):
        def run(request, context):
            token = otel_context.attach(trace.set_span_in_context(*self._current))
            try:
                return behavior(request, context)
            finally:
                otel_context.detach(token)
        return run

    streamed = wrapped


class BeforeSpans(grpc.ServerInterceptor):
    """REV's server spans (its grpc_spans.py loaded from git) on this checkout's metered interceptor, wired as REV
    wired them when REV decides in grpc's polling thread (dropped(), else kept(): the instrumentation's interceptor
    around the handler); a REV with this checkout's interface (traced()) is simply given to with_spans."""

    def __init__(self, metrics, spans):
        self._calls = metrics.grpc_server_interceptor()
        self._spans = spans
        self._traced = self._calls.with_spans(spans) if hasattr(spans, "traced") else None

    def intercept_service(self, continuation, details):
        if self._traced is not None:
            return self._traced.intercept_service(continuation, details)
        current = self._spans.dropped(details)
        if current is None:
            return self._spans.kept(lambda d: self._calls._handler(continuation, d, None), details)
        return self._calls._handler(continuation, details, _Dropped(current))


def before_interceptors(before: str, metrics, provider) -> list[grpc.ServerInterceptor]:
    """REV's grpc_spans.py loaded from git onto this checkout's metered server interceptor (BeforeSpans)."""
    from tests.benchmarks.edge_overhead import _module_of
    spans = _module_of(before, "ventanilla/observability/grpc_spans.py", "before_grpc_spans").SampledServerSpans
    return [BeforeSpans(metrics, spans(provider))]


def main(turns: int = 15, before: str | None = None) -> dict:
    """Each variant's median CPU µs per call, and what it adds to metrics alone."""
    provider = TracerProvider(sampler=ParentBased(TraceIdRatioBased(0.1)), id_generator=ReusedIds())
    provider.add_span_processor(BatchSpanProcessor(InMemorySpanExporter()))
    metrics = Metrics("status")
    variants = {"metrics alone": _served(server_interceptors(metrics, Tracing.off())),
                "metrics + tracing 10 % (this checkout)": _served(server_interceptors(metrics, Tracing(provider, True))),
                "metrics + OpenTelemetry's server interceptor": _served(
                    [server_interceptor(tracer_provider=provider, filter_=not_health), metrics.grpc_server_interceptor()])}
    if before is not None:
        variants[f"metrics + tracing 10 % ({before})"] = _served(before_interceptors(before, metrics, provider))
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    for _server, call in variants.values():
        for _ in range(300):
            call(b"x", metadata=UNSAMPLED)
    names = list(variants)
    for turn in range(turns):
        for name in names[turn % len(names):] + names[:turn % len(names)]:  # each variant first in turn
            call = variants[name][1]
            started = time.process_time()
            for _ in range(400):
                call(b"x", metadata=UNSAMPLED)
            cpu[name].append((time.process_time() - started) / 400 * 1e6)
    for server, _call in variants.values():
        server.stop(None)
    medians = {name: round(statistics.median(values), 1) for name, values in cpu.items()}
    base = medians["metrics alone"]
    return {"cpu_us_per_call": medians, "added_us": {n: round(v - base, 1) for n, v in medians.items()},
            "turns": turns, "calls_per_turn": 400}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 15, sys.argv[2] if len(sys.argv) > 2 else None)))
