"""Server spans of gRPC calls, decided in the handler's thread before any is made: a dropped call only has its caller's
trace made current; a kept call gets one lean span with the instrumentation's name, kind and attributes."""
from __future__ import annotations

from urllib.parse import unquote

import grpc
from opentelemetry import context as otel_context, propagate, trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.grpc import __name__ as _SCOPE
from opentelemetry.instrumentation.grpc._utilities import _server_status
from opentelemetry.instrumentation.grpc.version import __version__ as _SCOPE_VERSION
from opentelemetry.trace import TraceFlags
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from ventanilla.observability import traceparent
from ventanilla.observability.sampling import Decider
from ventanilla.observability.unsampled import Unsampled

_HEALTH = "/grpc.health.v1.Health/"
_NOTHING = Context()  # what a lone traceparent's context holds besides the caller's span: nothing
_W3C = TraceContextTextMapPropagator()
_SCHEMA = "https://opentelemetry.io/schemas/1.11.0"  # the instrumentation's server_interceptor's
_OK = grpc.StatusCode.OK.value[0]


def not_health(details) -> bool:
    """Trace every method but the health checks (the instrumentation's own filter normalises paths: 0.1 ms a call)."""
    method = getattr(details, "full_method", None) or getattr(details, "method", "")
    return not (method.decode() if isinstance(method, bytes) else method).startswith(_HEALTH)


Current = tuple  # (a dropped call's span, the caller's context): what the handler's thread makes current


class SampledServerSpans:
    """Decides each call's span before any is made (sampling.py), in the handler's thread (grpc runs interceptors in
    its one polling thread): a call the sampler drops (the caller's trace left unsampled: nine in ten at 10 %) gets
    only its trace made current, with no attributes, no `start_span`; a kept call gets one span started whole (the
    instrumentation's name, kind, scope and attributes in one `start_span`, the caller's context read once), its
    status and code read from the servicer context when the handler ends (no wrapped servicer context)."""

    def __init__(self, provider: trace.TracerProvider):
        self._tracer = provider.get_tracer(_SCOPE, _SCOPE_VERSION, schema_url=_SCHEMA)
        self._decider = Decider(provider)
        self._fields = frozenset(propagate.get_global_textmap().fields)
        self._w3c = _W3C.fields <= self._fields  # W3C trace context among the configured propagators
        # the fields besides a lone traceparent (all of them when W3C trace context is not configured)
        self._lone = self._fields - {traceparent.FIELD} if self._w3c else self._fields | {traceparent.FIELD}

    def traced(self, method: str) -> "CallTrace | None":
        """What wraps a method's handler in each call's trace; None for the health checks (never traced)."""
        return None if method.startswith(_HEALTH) else CallTrace(self, method)

    def dropped(self, handler_call_details) -> Current | None:
        """(span, parent) when the sampler drops this call; None: started() makes its span."""
        if not not_health(handler_call_details):
            return None
        span, parent = self.decided(handler_call_details.invocation_metadata or (), handler_call_details.method)
        return None if span is None else (span, parent)

    def unsampled(self, metadata) -> Unsampled | None:
        """The context of a call whose caller sent a lone traceparent of an unsampled trace, written as W3C
        propagators write it (traceparent.unsampled), when the sampler drops such calls (parent-based): the dropped
        span alone, as decided() makes it; None: decided() decides."""
        carrier = dict(metadata)
        header = carrier.get(traceparent.FIELD)
        if header is None or not self._lone.isdisjoint(carrier):
            return None
        trace_id = traceparent.unsampled(header)
        span = self._decider.under_unsampled(trace_id, 0) if trace_id is not None else None
        return Unsampled.of(span) if span is not None else None

    def decided(self, metadata, method: str) -> Current:
        """(the dropped span, the caller's context) when the sampler drops the call; (None, the caller's context)
        when it keeps it, or when there is no caller's context (a root: the SDK decides in started())."""
        carrier = {key: value for key, value in metadata if key in self._fields}
        if not carrier:
            return None, _NOTHING
        if self._w3c and len(carrier) == 1 and traceparent.FIELD in carrier:  # the usual carrier: a lone traceparent
            caller = traceparent.parsed(carrier[traceparent.FIELD])
            if caller is not None and caller[2] & TraceFlags.SAMPLED:
                return None, traceparent.context_of(caller)  # kept by a parent-based sampler, the SDK's to say
            span = self._decider.under_unsampled(caller[0], caller[2]) if caller else None
            if span is not None:  # under a parent-based sampler: span's context replaces the caller's (all it held)
                return span, _NOTHING
        parent = self._parent(carrier)
        return self._decider.dropped(parent, method, trace.SpanKind.SERVER), parent

    def _parent(self, carrier: dict[str, str]):
        """The caller's context: a lone traceparent read directly (traceparent.py); only W3C fields, by that
        propagator alone (the others, baggage by default, would find nothing); else by every propagator."""
        if self._w3c and carrier.keys() <= _W3C.fields:
            if len(carrier) == 1 and traceparent.FIELD in carrier:
                return traceparent.extracted(carrier[traceparent.FIELD])
            return _W3C.extract(carrier)
        return propagate.extract(carrier)

    def started(self, method: str, metadata, servicer_context, parent: Context):
        """The kept call's span under parent, the caller's context (the SDK's sampler has the last word: a root's id
        was decided on this thread); attributes as OpenTelemetryServerInterceptor._start_span gives them."""
        service, name = method.lstrip("/").split("/", 1)
        attributes = {"rpc.system": "grpc", "rpc.grpc.status_code": _OK, "rpc.method": name, "rpc.service": service}
        agent = next((value for key, value in metadata if key == "user-agent"), None)
        if agent is not None:
            attributes["rpc.user_agent"] = agent
        peer = servicer_context.peer()
        if not peer.startswith("unix:"):
            try:
                ip, port = peer.split(",")[0].split(":", 1)[1].rsplit(":", 1)
                attributes["net.peer.ip"], attributes["net.peer.port"] = unquote(ip), port
                if attributes["net.peer.ip"] in ("[::1]", "127.0.0.1"):
                    attributes["net.peer.name"] = "localhost"
            except IndexError:
                pass  # the instrumentation logs a warning and leaves the peer out
        return self._tracer.start_span(method, parent, trace.SpanKind.SERVER, attributes)


def ended(span, servicer_context, error: BaseException | None) -> None:
    """A kept call's end: its code and status as the instrumentation's wrapped servicer context records them
    (set_code / abort), an exception other than grpc's abort recorded once; then the span ends."""
    code = servicer_context.code()
    if code is not None and code is not grpc.StatusCode.OK:
        span.set_attribute("rpc.grpc.status_code", code.value[0])
        details = servicer_context.details()
        details = details.decode() if isinstance(details, bytes) else details
        span.set_status(_server_status(code, details or code.value[1]))
    if error is not None and type(error) is not Exception:  # noqa: E721 - abort raises a bare Exception
        span.record_exception(error)
    span.end()


class CallTrace:
    """A method's handler run in each call's trace: the decision, the span if kept, the context attached and detached;
    made once per method, everything about the call read from its servicer context in the handler's thread."""

    def __init__(self, spans: SampledServerSpans, method: str):
        self._spans, self._method = spans, method

    def begun(self, servicer_context, metadata):
        """(span, the caller's context, whether the span is kept), decided in the handler's thread."""
        span, parent = self._spans.decided(metadata, self._method)
        if span is not None:
            return span, parent, False
        span = self._spans.started(self._method, metadata, servicer_context, parent)
        return span, parent, span.is_recording()

    def wrapped(self, behavior):
        """A unary (or client-streaming) behaviour run in each call's trace."""
        spans = self._spans

        def run(request, context):
            metadata = context.invocation_metadata() or ()
            current = spans.unsampled(metadata)
            if current is not None:
                token = otel_context.attach(current)
                try:
                    return behavior(request, context)
                finally:
                    otel_context.detach(token)
            with _Within(self, context, metadata):
                return behavior(request, context)
        return run

    def streamed(self, behavior):
        """A response-streaming behaviour, its trace current while it is iterated."""
        spans = self._spans

        def run(request, context):
            metadata = context.invocation_metadata() or ()
            current = spans.unsampled(metadata)
            if current is not None:
                token = otel_context.attach(current)
                try:
                    yield from behavior(request, context)
                finally:
                    otel_context.detach(token)
                return
            with _Within(self, context, metadata):
                yield from behavior(request, context)
        return run


class _Within:
    """The call's trace current while the handler runs; a kept span ended with the handler's code and error."""

    __slots__ = ("_call", "_context", "_metadata", "_span", "_kept", "_token")

    def __init__(self, call: CallTrace, servicer_context, metadata):
        self._call, self._context, self._metadata = call, servicer_context, metadata

    def __enter__(self) -> None:
        span, parent, self._kept = self._call.begun(self._context, self._metadata)
        self._span, self._token = span, otel_context.attach(trace.set_span_in_context(span, parent))

    def __exit__(self, _kind, error, _traceback) -> bool:
        otel_context.detach(self._token)
        if self._kept:
            ended(self._span, self._context, error)
        return False
