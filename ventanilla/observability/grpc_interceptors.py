"""The interceptors every gRPC server and channel gets: request id, traces (OpenTelemetry), metrics (Prometheus)."""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import grpc
from opentelemetry import context as otel_context, trace

from ventanilla.adapters.method_handlers import ComposedPerMethod
from ventanilla.observability import requestid, traceparent
from ventanilla.observability.client_spans import ClientSpans
from ventanilla.observability.grpc_client import CallDetails, ObservedChannel
from ventanilla.observability.grpc_spans import CallTrace, SampledServerSpans, not_health
from ventanilla.observability.tracing import Tracing
from ventanilla.observability.unsampled import Unsampled

if TYPE_CHECKING:  # metrics.py builds the metered client interceptor on RequestIdClientInterceptor
    from ventanilla.observability.metrics import Metrics

class RequestIdClientInterceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor,
                                 grpc.StreamUnaryClientInterceptor):
    """Sends the current request id as x-request-id metadata; made with_spans, the trace too, in the same layer."""

    _spans: ClientSpans | None = None  # when tracing is on

    def with_spans(self, spans: ClientSpans) -> "RequestIdClientInterceptor":
        """A copy (sharing this one's metrics) that also traces each call: see _call."""
        traced = copy.copy(self)
        traced._spans, traced._injection = spans, traceparent.Injection()
        return traced

    def _with_id(self, details, metadata=None, extra: tuple = ()):
        """The call's details with the request id (and extra metadata) added; metadata: instead of the call's."""
        request_id = requestid.current()
        if request_id is None and not extra and metadata is None:
            return details
        added = extra + (((requestid.METADATA_KEY, request_id),) if request_id is not None else ())
        keys = {key for key, _value in added}
        kept = tuple(m for m in ((details.metadata if metadata is None else metadata) or ()) if m[0] not in keys)
        return CallDetails(details.method, details.timeout, kept + added, details.credentials,
                            getattr(details, "wait_for_ready", None), getattr(details, "compression", None))

    def _call(self, continuation, details, request):
        """The call with the request id; with spans, a client span in a sampled trace (or none yet), and in an
        unsampled one only its context in the metadata (the callee follows the same decision, no span is made
        for nothing, and no second layer of grpc's interceptor chain is crossed)."""
        if self._spans is None:
            return continuation(self._with_id(details), request)
        current = otel_context.get_current()
        if type(current) is Unsampled and self._injection.default():  # a dropped span alone: its traceparent made
            return continuation(self._with_id(details, extra=current.metadata()), request)
        span = trace.get_current_span(current)
        span_context = span.get_span_context()
        if span_context.is_valid and not span.is_recording():
            return continuation(self._with_id(details, extra=self._injection.metadata(span_context, current)), request)
        if not not_health(details):  # as the instrumentation's filter: no span, no context sent
            return continuation(self._with_id(details), request)
        method = details.method.decode() if isinstance(details.method, bytes) else details.method
        return self._spans.call(method, lambda sent: continuation(self._with_id(details, extra=sent), request),
                                span.is_recording() and span_context.trace_flags.sampled)

    def intercept_unary_unary(self, continuation, client_call_details, request):
        return self._call(continuation, client_call_details, request)

    def intercept_unary_stream(self, continuation, client_call_details, request):
        return self._call(continuation, client_call_details, request)

    def intercept_stream_unary(self, continuation, client_call_details, request_iterator):
        return self._call(continuation, client_call_details, request_iterator)


def request_id_of(context: grpc.ServicerContext) -> str | None:
    """The caller's x-request-id when sane (the last one sent, as a dict of the metadata keeps it), else None."""
    return requestid.accepted(dict(context.invocation_metadata() or ()).get(requestid.METADATA_KEY))


def bound_to(behavior, traced: CallTrace | None = None):
    """behavior with the caller's request id bound, and within the call's trace (traced) when tracing is on, while
    it runs: both read from the servicer context in the handler's thread."""
    def run(request, context):
        with requestid.bound(request_id_of(context)):
            return behavior(request, context)
    return run if traced is None else traced.wrapped(run)


class RequestIdServerInterceptor(ComposedPerMethod):
    """Makes the caller's x-request-id (when sane) current while the handler runs; made with_spans, the call's trace
    too, in the same layer: decided in the handler's thread, a span only for a call the sampler keeps (grpc_spans.py).
    The handler is composed once per method; everything about the call (its metadata, its trace) is read in the
    handler's thread."""

    _spans: SampledServerSpans | None = None

    def with_spans(self, spans: SampledServerSpans) -> "RequestIdServerInterceptor":
        """A copy (sharing this one's metrics) that also traces each call."""
        traced = copy.copy(self)
        traced._spans, traced._made = spans, {}
        return traced

    def compose(self, handler, method: str):
        """handler with the request id (and each call's trace) current while it runs."""
        traced = self._spans.traced(method) if self._spans is not None else None
        if handler.request_streaming and handler.response_streaming:
            return handler  # no bidirectional method in proto/ventanilla/v1
        if handler.request_streaming:
            return self._wrapped_stream(handler, method, traced)
        if handler.response_streaming:
            return grpc.unary_stream_rpc_method_handler(_streamed(handler.unary_stream, traced),
                                                        handler.request_deserializer, handler.response_serializer)
        return self._wrapped(handler, method, traced)

    def _wrapped(self, handler, _method: str, traced: CallTrace | None):
        """A unary handler with the request id (and the call's trace) current."""
        return grpc.unary_unary_rpc_method_handler(bound_to(handler.unary_unary, traced),
                                                   handler.request_deserializer, handler.response_serializer)

    def _wrapped_stream(self, handler, _method: str, traced: CallTrace | None):
        """A client-streaming handler with the request id (and trace) current."""
        return grpc.stream_unary_rpc_method_handler(bound_to(handler.stream_unary, traced),
                                                    handler.request_deserializer, handler.response_serializer)


def _streamed(behavior, traced: CallTrace | None):
    def run(request, context):  # bound while iterated, as the instrumentation's streamed answers
        with requestid.bound(request_id_of(context)):
            yield from behavior(request, context)
    return run if traced is None else traced.streamed(run)


def server_interceptors(metrics: Metrics | None, tracing: Tracing) -> list[grpc.ServerInterceptor]:
    """For grpc.server(interceptors=...): request id, metrics (unless None) and traces in one layer."""
    calls = metrics.grpc_server_interceptor() if metrics is not None else RequestIdServerInterceptor()
    return [calls.with_spans(SampledServerSpans(tracing.provider)) if tracing.enabled else calls]


def intercept_channel(channel: grpc.Channel, metrics: Metrics | None, tracing: Tracing) -> grpc.Channel:
    """The channel with request id and metrics (unless None: the id alone) on every call, and when tracing is on a
    client span in a sampled trace (the context alone in an unsampled one), all in one interceptor, run directly
    around blocking unary and client-streaming calls (grpc_client.py)."""
    calls = metrics.grpc_client_interceptor() if metrics is not None else RequestIdClientInterceptor()
    if tracing.enabled:
        calls = calls.with_spans(ClientSpans(tracing.provider))
    return ObservedChannel(channel, calls)
