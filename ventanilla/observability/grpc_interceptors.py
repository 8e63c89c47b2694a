"""The interceptors every gRPC server and channel gets: request id, traces (OpenTelemetry), metrics (Prometheus)."""
from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import grpc
from opentelemetry import propagate, trace
from opentelemetry.instrumentation.grpc import client_interceptor, grpcext, server_interceptor

from ventanilla.observability import requestid
from ventanilla.observability.tracing import Tracing

if TYPE_CHECKING:  # metrics.py builds the metered client interceptor on RequestIdClientInterceptor
    from ventanilla.observability.metrics import Metrics

_HEALTH = "/grpc.health.v1.Health/"


def _not_health(details) -> bool:
    """Trace every method but the health checks (the instrumentation's own filter normalises paths: 0.1 ms a call)."""
    method = getattr(details, "full_method", None) or getattr(details, "method", "")
    return not (method.decode() if isinstance(method, bytes) else method).startswith(_HEALTH)


class _CallDetails(NamedTuple):
    method: str
    timeout: float | None
    metadata: tuple | None
    credentials: object
    wait_for_ready: bool | None
    compression: object


class RequestIdClientInterceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor,
                                 grpc.StreamUnaryClientInterceptor):
    """Sends the current request id as x-request-id metadata."""

    def _with_id(self, details):
        request_id = requestid.current()
        if request_id is None:
            return details
        metadata = tuple(m for m in (details.metadata or ()) if m[0] != requestid.METADATA_KEY)
        return _CallDetails(details.method, details.timeout, metadata + ((requestid.METADATA_KEY, request_id),),
                            details.credentials, getattr(details, "wait_for_ready", None),
                            getattr(details, "compression", None))

    def intercept_unary_unary(self, continuation, client_call_details, request):
        return continuation(self._with_id(client_call_details), request)

    def intercept_unary_stream(self, continuation, client_call_details, request):
        return continuation(self._with_id(client_call_details), request)

    def intercept_stream_unary(self, continuation, client_call_details, request_iterator):
        return continuation(self._with_id(client_call_details), request_iterator)


def _bound_to(request_id: str | None, behavior):
    def run(request, context):
        with requestid.bound(request_id):
            return behavior(request, context)
    return run


class RequestIdServerInterceptor(grpc.ServerInterceptor):
    """Makes the caller's x-request-id (when sane) current while the handler runs."""

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None:
            return handler
        offered = dict(handler_call_details.invocation_metadata or ()).get(requestid.METADATA_KEY)
        request_id = requestid.accepted(offered)
        if handler.request_streaming and handler.response_streaming:
            return handler  # no bidirectional method in proto/ventanilla/v1
        if handler.request_streaming:
            return self._wrapped_stream(handler, handler_call_details, request_id)
        if handler.response_streaming:
            if request_id is None:
                return handler
            return grpc.unary_stream_rpc_method_handler(_bound_to(request_id, handler.unary_stream),
                                                        handler.request_deserializer, handler.response_serializer)
        return self._wrapped(handler, handler_call_details, request_id)

    def _wrapped(self, handler, _details, request_id: str | None):
        """A unary handler with the request id current (none offered: the handler as it is)."""
        if request_id is None:
            return handler
        return grpc.unary_unary_rpc_method_handler(_bound_to(request_id, handler.unary_unary),
                                                   handler.request_deserializer, handler.response_serializer)

    def _wrapped_stream(self, handler, _details, request_id: str | None):
        """A client-streaming handler with the request id current (none offered: the handler as it is)."""
        if request_id is None:
            return handler
        return grpc.stream_unary_rpc_method_handler(_bound_to(request_id, handler.stream_unary),
                                                    handler.request_deserializer, handler.response_serializer)


class SampledClientSpans(grpcext.UnaryClientInterceptor, grpcext.StreamClientInterceptor):
    """The instrumentation's client spans inside a sampled trace (or none yet); inside an unsampled one, only its
    context in the metadata, so the callee follows the same decision without a span built here for nothing."""

    def __init__(self, traced: grpcext.UnaryClientInterceptor):
        self._traced = traced

    @staticmethod
    def _unsampled() -> bool:
        span = trace.get_current_span()
        return span.get_span_context().is_valid and not span.is_recording()

    @staticmethod
    def _propagated(metadata) -> tuple:
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        return tuple(m for m in (metadata or ()) if m[0] not in carrier) + tuple(carrier.items())

    def intercept_unary(self, request, metadata, client_info, invoker):
        if self._unsampled():
            return invoker(request, self._propagated(metadata))
        return self._traced.intercept_unary(request, metadata, client_info, invoker)

    def intercept_stream(self, request_or_iterator, metadata, client_info, invoker):
        if self._unsampled():
            return invoker(request_or_iterator, self._propagated(metadata))
        return self._traced.intercept_stream(request_or_iterator, metadata, client_info, invoker)


def server_interceptors(metrics: Metrics | None, tracing: Tracing) -> list[grpc.ServerInterceptor]:
    """For grpc.server(interceptors=...): traces outermost, then the request id and metrics (unless None) in one."""
    traced = [server_interceptor(tracer_provider=tracing.provider, filter_=_not_health)] if tracing.enabled else []
    return traced + [metrics.grpc_server_interceptor() if metrics is not None else RequestIdServerInterceptor()]


def intercept_channel(channel: grpc.Channel, metrics: Metrics | None, tracing: Tracing) -> grpc.Channel:
    """The channel with request id and metrics (unless None: the id alone) on every call, one interceptor, and a
    client span when tracing is on (in a sampled trace: see SampledClientSpans)."""
    calls = metrics.grpc_client_interceptor() if metrics is not None else RequestIdClientInterceptor()
    channel = grpc.intercept_channel(channel, calls)
    if tracing.enabled:
        traced = client_interceptor(tracer_provider=tracing.provider, filter_=_not_health)
        channel = grpcext.intercept_channel(channel, SampledClientSpans(traced))
    return channel
