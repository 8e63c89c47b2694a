"""Server spans of gRPC calls with the sampler asked first: a dropped call only has its caller's trace made current."""
from __future__ import annotations

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.trace import TraceFlags
from opentelemetry.instrumentation.grpc import server_interceptor
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from ventanilla.observability import traceparent
from ventanilla.observability.sampling import Decider

_HEALTH = "/grpc.health.v1.Health/"
_NOTHING = Context()  # what a lone traceparent's context holds besides the caller's span: nothing
_W3C = TraceContextTextMapPropagator()


def not_health(details) -> bool:
    """Trace every method but the health checks (the instrumentation's own filter normalises paths: 0.1 ms a call)."""
    method = getattr(details, "full_method", None) or getattr(details, "method", "")
    return not (method.decode() if isinstance(method, bytes) else method).startswith(_HEALTH)


Current = tuple  # (a dropped call's span, the caller's context): what the handler's thread makes current


class SampledServerSpans:
    """Decides each call's span before any is made (sampling.py): a call the sampler drops (the caller's trace left
    unsampled: nine in ten at 10 %) gets only its trace made current by the request id's layer, with no attributes,
    no `start_span` and no wrapped servicer context; a kept call, and a call without a caller's context, go through
    the instrumentation's server interceptor."""

    def __init__(self, provider: trace.TracerProvider):
        self._spans = server_interceptor(tracer_provider=provider, filter_=not_health)
        self._decider = Decider(provider)
        self._fields = frozenset(propagate.get_global_textmap().fields)
        self._w3c = _W3C.fields <= self._fields  # W3C trace context among the configured propagators

    def dropped(self, handler_call_details) -> Current | None:
        """(span, parent) when the sampler drops this call; None: use kept()."""
        carrier = {key: value for key, value in handler_call_details.invocation_metadata or () if key in self._fields}
        if not carrier or not not_health(handler_call_details):
            return None
        if self._w3c and len(carrier) == 1 and traceparent.FIELD in carrier:  # the usual carrier: a lone traceparent
            caller = traceparent.parsed(carrier[traceparent.FIELD])
            if caller is not None and caller[2] & TraceFlags.SAMPLED:
                return None  # the instrumentation's way, where the SDK's sampler decides (parent-based: kept)
            span = self._decider.under_unsampled(caller[0], caller[2]) if caller else None
            if span is not None:  # under a parent-based sampler: span's context replaces the caller's (all it held)
                return span, _NOTHING
        parent = self._parent(carrier)
        span = self._decider.dropped(parent, handler_call_details.method, trace.SpanKind.SERVER)
        return None if span is None else (span, parent)

    def _parent(self, carrier: dict[str, str]):
        """The caller's context: a lone traceparent read directly (traceparent.py); only W3C fields, by that
        propagator alone (the others, baggage by default, would find nothing); else by every propagator."""
        if self._w3c and carrier.keys() <= _W3C.fields:
            if len(carrier) == 1 and traceparent.FIELD in carrier:
                return traceparent.extracted(carrier[traceparent.FIELD])
            return _W3C.extract(carrier)
        return propagate.extract(carrier)

    def kept(self, continuation, handler_call_details):
        """The instrumentation's span around the handler continuation gives."""
        return self._spans.intercept_service(continuation, handler_call_details)
