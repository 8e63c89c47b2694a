"""A gRPC server's CPU per call when its callers' traces are sampled at 10 % (one call in ten carries a sampled
`traceparent`, the others an unsampled one, as behind a traced edge): metrics alone, this checkout's tracing, and with
REV the tracing as REV had it (REV's ventanilla/observability/grpc_spans.py loaded from git onto this checkout's
interceptors, and the SDK's plain resource, as REV's tracing.py gave it). The sampled calls' spans go through a batch
span processor to an exporter that encodes them as the OTLP exporter does (`encode_spans`), in this process, so their
encoding is counted: each turn ends with its provider's force_flush, so a variant's spans are encoded in its turn.
`python -m tests.benchmarks.server_traced_cost [turns [REV]]`.

Server and client in this process on loopback; turns of 400 calls, variants interleaved and rotated; per variant the
median over turns of its difference from metrics alone in the same turn (CPU µs per call). JSON out.
"""
from __future__ import annotations

import json
import statistics
import sys
import time

from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from tests.benchmarks.server_spans_cost import _served, before_interceptors
from ventanilla.observability.grpc_interceptors import server_interceptors
from ventanilla.observability.metrics import Metrics
from ventanilla.observability.sampling import ReusedIds
from ventanilla.observability.tracing import Tracing, _provider

CALLS = 400


class Encoded(SpanExporter):
    """Encodes each batch as OTLP/HTTP's exporter does, and sends it nowhere."""

    def export(self, spans) -> SpanExportResult:
        encode_spans(spans).SerializeToString()
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass


def _metadata(n: int) -> tuple:
    """The n-th call's metadata: one call in ten from a sampled trace."""
    flags = "01" if n % 10 == 0 else "00"
    return (("traceparent", f"00-0af7651916cd43dd8448eb211c80{n % 65536:04x}-b7ad6b7169203331-{flags}"),
            ("x-request-id", "bench"))


def _traced(provider: TracerProvider) -> TracerProvider:
    provider.add_span_processor(BatchSpanProcessor(Encoded()))
    return provider


def main(turns: int = 15, before: str | None = None) -> dict:
    """Each variant's CPU µs per call, and what it adds to metrics alone (median of per-turn differences)."""
    import os

    os.environ.update({"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1"})
    metrics = Metrics("status")
    ours = _traced(_provider("status"))
    variants = {"metrics alone": _served(server_interceptors(metrics, Tracing.off())),
                "metrics + tracing 10 % (this checkout)": _served(server_interceptors(metrics, Tracing(ours, True)))}
    providers = {"metrics + tracing 10 % (this checkout)": ours}
    if before is not None:
        theirs = _traced(TracerProvider(sampler=ParentBased(TraceIdRatioBased(0.1)), id_generator=ReusedIds()))
        providers[f"metrics + tracing 10 % ({before})"] = theirs
        variants[f"metrics + tracing 10 % ({before})"] = _served(before_interceptors(before, metrics, theirs))
    metadata = [_metadata(n) for n in range(CALLS)]
    for _server, call in variants.values():
        for n in range(300):
            call(b"x", metadata=metadata[n % CALLS])
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    for turn in range(turns):
        for name in names[turn % len(names):] + names[:turn % len(names)]:  # each variant first in turn
            call = variants[name][1]
            started = time.process_time()
            for n in range(CALLS):
                call(b"x", metadata=metadata[n])
            if name in providers:
                providers[name].force_flush()
            cpu[name].append((time.process_time() - started) / CALLS * 1e6)
    for provider in providers.values():
        provider.shutdown()
    for server, _call in variants.values():
        server.stop(None)
    base = cpu["metrics alone"]
    return {"cpu_us_per_call": {name: round(statistics.median(v), 1) for name, v in cpu.items()},
            "added_us": {name: round(statistics.median(x - b for x, b in zip(v, base)), 1) for name, v in cpu.items()},
            "turns": turns, "calls_per_turn": CALLS, "sampled_share": 0.1}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 15, sys.argv[2] if len(sys.argv) > 2 else None)))
