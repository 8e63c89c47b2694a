"""OpenTelemetry tracing for one process, configured only by the standard OTEL_* variables and off by default.

On when OTEL_TRACES_EXPORTER names an exporter (otlp, console) or an OTLP endpoint is set, unless
OTEL_SDK_DISABLED=true. The SDK itself reads the rest (OTEL_EXPORTER_OTLP_*, OTEL_TRACES_SAMPLER[_ARG],
OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_BSP_*). Unlike the SDK's own default (otlp to localhost),
nothing set means no tracing: a process never sends spans nobody asked for.
"""
from __future__ import annotations

import atexit
import logging
import os
import threading
from dataclasses import dataclass
from typing import Mapping

from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, OTELResourceDetector, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor, SpanExporter

from ventanilla.observability.sampling import ReusedIds
from ventanilla.stopping import FLUSH_S

log = logging.getLogger("ventanilla.observability")

_ENDPOINTS = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")


def _exporter_names(env: Mapping[str, str]) -> list[str]:
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return []
    names = [n.strip() for n in env.get("OTEL_TRACES_EXPORTER", "").split(",") if n.strip()]
    if not names and any(env.get(v) for v in _ENDPOINTS):
        names = ["otlp"]
    return [n for n in names if n != "none"]


def _exporter(name: str, env: Mapping[str, str]) -> SpanExporter:
    if name == "console":
        return ConsoleSpanExporter()
    if name != "otlp":
        raise ValueError(f"OTEL_TRACES_EXPORTER={name!r}: Ventanilla supports otlp, console or none")
    protocol = (env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or env.get("OTEL_EXPORTER_OTLP_PROTOCOL")
                or "http/protobuf")
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    elif protocol == "http/protobuf":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    else:
        raise ValueError(f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol!r}: expected http/protobuf or grpc")
    return OTLPSpanExporter()


class HashedOnce(Resource):
    """A resource whose hash is computed once: the OTLP encoder groups every span it exports by resource, and
    Resource's own hash is a sorted JSON dump of its attributes each time (a third of a span's encoding)."""

    def __init__(self, resource: Resource):
        super().__init__(resource.attributes, resource.schema_url)
        self._hash = super().__hash__()

    def __hash__(self) -> int:
        return self._hash


def _provider(service: str) -> TracerProvider:
    resource = Resource.create({SERVICE_NAME: service}).merge(OTELResourceDetector().detect())
    return TracerProvider(resource=HashedOnce(resource), id_generator=ReusedIds(),  # sampling.py: a root decided once
                          shutdown_on_exit=False)  # the SDK's own exit hook waits up to 30 s for its export thread: past the portal's bound


@dataclass
class Tracing:
    """A process's tracer provider, or a no-op one when tracing is off."""

    provider: trace.TracerProvider
    enabled: bool

    @classmethod
    def from_env(cls, service: str, env: Mapping[str, str] | None = None) -> "Tracing":
        """Tracing as the OTEL_* variables ask (os.environ by default); off when they ask for nothing."""
        env = os.environ if env is None else env
        names = _exporter_names(env)
        if not names:
            return cls.off()
        provider = _provider(service)
        for name in names:
            provider.add_span_processor(BatchSpanProcessor(_exporter(name, env)))
        tracing = cls(provider, True)
        atexit.register(tracing.shutdown)  # what a process that never closes it (a gunicorn worker) buffered, bounded
        return tracing

    @classmethod
    def off(cls) -> "Tracing":
        """No tracing: spans cost next to nothing and are never exported."""
        return cls(trace.NoOpTracerProvider(), False)

    @classmethod
    def to(cls, service: str, exporter: SpanExporter) -> "Tracing":
        """Every span exported synchronously to exporter (tests: an InMemorySpanExporter)."""
        provider = _provider(service)
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        return cls(provider, True)

    def tracer(self, name: str) -> trace.Tracer:
        """A tracer of this provider."""
        return self.provider.get_tracer(name)

    def shutdown(self, timeout_s: float = FLUSH_S) -> bool:
        """Export what is buffered and stop, within timeout_s; False if that did not end in time (a collector that
        does not answer: what is still buffered is dropped). The SDK's shutdown takes no timeout and its flush
        ignores the one it is given (opentelemetry-python#4568), so it runs in a thread the process does not wait
        for; calling this again once it has begun returns at once (a no-op provider has nothing to do)."""
        if not isinstance(self.provider, TracerProvider):
            return True
        stopping = threading.Thread(target=self.provider.shutdown, name="span-flush", daemon=True)
        stopping.start()
        stopping.join(timeout_s)
        if stopping.is_alive():
            log.warning("the spans still buffered were not exported in time; dropped", extra={"timeout_s": timeout_s})
            return False
        return True
