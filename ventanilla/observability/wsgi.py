"""A WSGI app's server spans with the sampler asked first: an unsampled request costs a span id, not the attributes.

OpenTelemetry's WSGI middleware collects the request's attributes (a dozen semantic-convention lookups, about
0.1 ms) before the sampler decides, so at 10 % sampling nine requests in ten pay for attributes nobody keeps.
Here the span is started from the propagated context with no attributes; a sampled one then gets exactly what
the middleware gives it (its own functions: request attributes, custom headers, status, the span ended after the
body), an unsampled one is only made current, so its trace id and sampled flag still reach the gRPC calls.
The samplers the SDK names in OTEL_TRACES_SAMPLER decide without attributes, so the decisions are the same.
Per request the instrumentation's span name read an environment variable (`sanitize_method`) and the full
propagator ran over an environ that carries none of its headers (SOAP clients send none): a span starts with
its method's name, made once (the full name, method and path, is given to a sampled span only: the samplers
decide without names too), and a request without any of the propagator's headers starts a new trace without
extracting (what extraction would have found: nothing). The sampler is asked before any span is made
(sampling.py): a dropped request's span is the SDK's `NonRecordingSpan`, built without `start_span`.
"""
from __future__ import annotations

from opentelemetry import context, propagate, trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.wsgi import (OpenTelemetryMiddleware, _end_span_after_iterating,
                                                collect_custom_request_headers_attributes,
                                                collect_request_attributes, get_default_span_name, wsgi_getter)
from opentelemetry.instrumentation._semconv import _report_new
from opentelemetry.semconv.attributes.error_attributes import ERROR_TYPE
from opentelemetry.trace.status import Status, StatusCode

from ventanilla.observability.sampling import Decider

_NOTHING = Context()  # what a request without trace headers is under
_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE")


class ServerSpans:
    """app with a server span per request (the WSGI instrumentation's, attributes only on sampled requests)."""

    def __init__(self, app, provider: trace.TracerProvider):
        self._app = app
        middleware = OpenTelemetryMiddleware(app, tracer_provider=provider)
        self._tracer, self._mode = middleware.tracer, middleware._sem_conv_opt_in_mode
        self._start_response = middleware._create_start_response
        self._names = {method: get_default_span_name({"REQUEST_METHOD": method}) for method in _METHODS}  # unsampled
        self._headers = frozenset("HTTP_" + name.upper().replace("-", "_")
                                  for name in propagate.get_global_textmap().fields)
        self._decider = Decider(provider) if hasattr(provider, "sampler") else None  # an SDK provider

    def __call__(self, environ, start_response):
        name = self._names.get(environ.get("REQUEST_METHOD"), "HTTP")
        if not environ.keys().isdisjoint(self._headers):
            parent = propagate.extract(environ, getter=wsgi_getter)
            span = self._decider and self._decider.dropped(parent, name, trace.SpanKind.SERVER)
        else:  # a new trace: the sampler's rule on a fresh trace id (sampling.py)
            parent = _NOTHING
            span = self._decider and self._decider.root(name, trace.SpanKind.SERVER)
        if span is None:
            span = self._tracer.start_span(name, parent, kind=trace.SpanKind.SERVER)
        token = context.attach(trace.set_span_in_context(span, parent))
        if not span.is_recording():
            try:
                return self._app(environ, start_response)
            finally:
                context.detach(token)
        span.update_name(get_default_span_name(environ))  # the method and path, as the instrumentation names it
        attributes = collect_request_attributes(environ, self._mode)
        span.set_attributes({**attributes, **collect_custom_request_headers_attributes(environ)})
        try:
            with trace.use_span(span):
                iterable = self._app(environ, self._start_response(span, start_response, None, attributes,
                                                                   self._mode))
                return _end_span_after_iterating(iterable, span, token)
        except Exception as error:  # as the middleware: the error's type and status in the new conventions only
            if _report_new(self._mode):
                span.set_attribute(ERROR_TYPE, type(error).__qualname__)
                span.set_status(Status(StatusCode.ERROR, str(error)))
            span.end()
            context.detach(token)
            raise
