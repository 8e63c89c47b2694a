"""Server spans of gRPC calls with the sampler asked first: a dropped call only has its caller's trace made current."""
from __future__ import annotations

import grpc
from opentelemetry import context as otel_context, propagate, trace
from opentelemetry.instrumentation.grpc import server_interceptor

from ventanilla.observability.sampling import Decider

_HEALTH = "/grpc.health.v1.Health/"


def not_health(details) -> bool:
    """Trace every method but the health checks (the instrumentation's own filter normalises paths: 0.1 ms a call)."""
    method = getattr(details, "full_method", None) or getattr(details, "method", "")
    return not (method.decode() if isinstance(method, bytes) else method).startswith(_HEALTH)


def _in_context(span: trace.Span, parent, behavior):
    def run(request, servicer_context):
        token = otel_context.attach(trace.set_span_in_context(span, parent))
        try:
            return behavior(request, servicer_context)
        finally:
            otel_context.detach(token)
    return run


def _streamed_in_context(span: trace.Span, parent, behavior):
    def run(request, servicer_context):  # as the instrumentation's own streamed answers: attached while iterated
        token = otel_context.attach(trace.set_span_in_context(span, parent))
        try:
            yield from behavior(request, servicer_context)
        finally:
            otel_context.detach(token)
    return run


class SampledServerSpans(grpc.ServerInterceptor):
    """The instrumentation's server span for a call the sampler keeps; a call it drops (the caller's trace left
    unsampled: nine in ten at 10 %) only has its trace made current, with no attributes, no `start_span` and no
    wrapped servicer context (sampling.py). Calls without a caller's context go the instrumentation's way."""

    def __init__(self, provider: trace.TracerProvider):
        self._spans = server_interceptor(tracer_provider=provider, filter_=not_health)
        self._decider = Decider(provider)
        self._fields = frozenset(propagate.get_global_textmap().fields)

    def intercept_service(self, continuation, handler_call_details):
        metadata = handler_call_details.invocation_metadata or ()
        carrier = {key: value for key, value in metadata if key in self._fields}
        if not carrier or not not_health(handler_call_details):
            return self._spans.intercept_service(continuation, handler_call_details)
        parent = propagate.extract(carrier)
        span = self._decider.dropped(parent, handler_call_details.method, trace.SpanKind.SERVER)
        if span is None:
            return self._spans.intercept_service(continuation, handler_call_details)
        handler = continuation(handler_call_details)
        if handler is None or (handler.request_streaming and handler.response_streaming):
            return handler  # no bidirectional method in proto/ventanilla/v1
        if handler.response_streaming:
            return grpc.unary_stream_rpc_method_handler(_streamed_in_context(span, parent, handler.unary_stream),
                                                        handler.request_deserializer, handler.response_serializer)
        if handler.request_streaming:
            return grpc.stream_unary_rpc_method_handler(_in_context(span, parent, handler.stream_unary),
                                                        handler.request_deserializer, handler.response_serializer)
        return grpc.unary_unary_rpc_method_handler(_in_context(span, parent, handler.unary_unary),
                                                   handler.request_deserializer, handler.response_serializer)
