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
A kept request's span is started with its full name and attributes (one pass of the SDK's attribute cleaning, as
the middleware does), and the custom-header attributes the OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_*
variables ask for are looked up only when they ask for some (read at start: the middleware read them, and copied
every request header, on each sampled request to find none); the request attributes are worked out once per request
shape (wsgi_attributes.py).
"""
from __future__ import annotations

from opentelemetry import context, propagate, trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.wsgi import (OpenTelemetryMiddleware, _end_span_after_iterating,
                                                add_response_attributes, collect_custom_request_headers_attributes,
                                                get_default_span_name, wsgi_getter)
from opentelemetry.instrumentation._semconv import _report_new
from opentelemetry.semconv.attributes.error_attributes import ERROR_TYPE
from opentelemetry.trace.status import Status, StatusCode
from opentelemetry.util.http import (OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST,
                                     OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_RESPONSE, get_custom_headers)

from ventanilla.observability.sampling import Decider
from ventanilla.observability.unsampled import Unsampled
from ventanilla.observability.wsgi_attributes import RequestAttributes

_NOTHING = Context()  # what a request without trace headers is under
_SERVER = trace.SpanKind.SERVER
_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE")


class ServerSpans:
    """app with a server span per request (the WSGI instrumentation's, attributes only on sampled requests)."""

    def __init__(self, app, provider: trace.TracerProvider):
        self._app = app
        middleware = OpenTelemetryMiddleware(app, tracer_provider=provider)
        self._tracer, self._mode = middleware.tracer, middleware._sem_conv_opt_in_mode
        self._attributes = RequestAttributes(self._mode)
        self._start_response = middleware._create_start_response
        self._names = {method: get_default_span_name({"REQUEST_METHOD": method}) for method in _METHODS}  # unsampled
        self._headers = frozenset("HTTP_" + name.upper().replace("-", "_")
                                  for name in propagate.get_global_textmap().fields)
        self._decider = Decider(provider) if hasattr(provider, "sampler") else None  # an SDK provider
        self._kept_roots = self._decider.for_kept_roots(self._tracer) if self._decider else self._tracer
        self._request_headers = bool(get_custom_headers(OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST))
        self._response_headers = bool(get_custom_headers(OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_RESPONSE))

    def __call__(self, environ, start_response):
        name = self._names.get(environ.get("REQUEST_METHOD"), "HTTP")
        if not environ.keys().isdisjoint(self._headers):
            parent = propagate.extract(environ, getter=wsgi_getter)
            span = self._decider and self._decider.dropped(parent, name, trace.SpanKind.SERVER)
        else:  # a new trace: the sampler's rule on a fresh trace id (sampling.py)
            parent = _NOTHING
            span = self._decider and self._decider.root(name, _SERVER)
            if span is not None:  # dropped: its context holds it alone, its traceparent made once (unsampled.py)
                token = context.attach(Unsampled.of(span))
                try:
                    return self._app(environ, start_response)
                finally:
                    context.detach(token)
        attributes = None
        if span is None and self._decider is not None:  # kept: started as the middleware starts it
            attributes = self._attributes(environ)
            tracer = self._kept_roots if parent is _NOTHING else self._tracer  # a root kept by the rule: not asked again
            span = tracer.start_span(self._full_name(environ), parent, kind=trace.SpanKind.SERVER,
                                     attributes=self._with_headers(attributes, environ))
        elif span is None:  # a provider without a sampler to ask
            span = self._tracer.start_span(name, parent, kind=trace.SpanKind.SERVER)
        token = context.attach(trace.set_span_in_context(span, parent))
        if not span.is_recording():
            try:
                return self._app(environ, start_response)
            finally:
                context.detach(token)
        if attributes is None:
            span.update_name(self._full_name(environ))
            attributes = self._attributes(environ)
            span.set_attributes(self._with_headers(attributes, environ))
        try:
            with trace.use_span(span):
                iterable = self._app(environ, self._responding(span, start_response, attributes))
                return _end_span_after_iterating(iterable, span, token)
        except Exception as error:  # as the middleware: the error's type and status in the new conventions only
            if _report_new(self._mode):
                span.set_attribute(ERROR_TYPE, type(error).__qualname__)
                span.set_status(Status(StatusCode.ERROR, str(error)))
            span.end()
            context.detach(token)
            raise

    def _full_name(self, environ) -> str:
        """The instrumentation's span name (get_default_span_name): the method and the path."""
        method = environ.get("REQUEST_METHOD")
        if method not in self._names:
            return get_default_span_name(environ)
        path = environ.get("PATH_INFO", "").strip()
        return f"{method} {path}" if path else method

    def _with_headers(self, attributes: dict, environ) -> dict:
        """The request's attributes, and the custom headers' when some are configured."""
        if not self._request_headers:
            return attributes
        return {**attributes, **collect_custom_request_headers_attributes(environ)}

    def _responding(self, span, start_response, attributes):
        """start_response adding the status (and configured response headers) to span, as the middleware's."""
        if self._response_headers:
            return self._start_response(span, start_response, None, attributes, self._mode)

        def responding(status, response_headers, *args, **kwargs):
            add_response_attributes(span, status, response_headers, attributes, self._mode)
            return start_response(status, response_headers, *args, **kwargs)
        return responding
