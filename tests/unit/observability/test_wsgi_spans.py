"""The edge's server spans: a sampled one is the WSGI instrumentation's span; an unsampled one costs no attributes."""
from __future__ import annotations

from opentelemetry import trace
from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased

from ventanilla.observability.wsgi import ServerSpans

PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0{}"


def _environ(**extra) -> dict:
    return {"REQUEST_METHOD": "POST", "PATH_INFO": "/ws/v2/FacturaService", "RAW_URI": "/ws/v2/FacturaService",
            "QUERY_STRING": "", "REMOTE_ADDR": "10.0.0.7", "REMOTE_PORT": "40000", "SERVER_NAME": "edge",
            "SERVER_PORT": "8443", "HTTP_HOST": "edge:8443", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "https",
            "HTTP_USER_AGENT": "Apache-CXF/3.5", **extra}


def _served(wrap, sampler, environ) -> tuple[list, list]:
    """The finished spans and what the app saw as its current span, for one request through wrap(app, provider)."""
    exporter, seen = InMemorySpanExporter(), []
    provider = TracerProvider(sampler=sampler)
    provider.add_span_processor(SimpleSpanProcessor(exporter))

    def app(environ, start_response):
        seen.append(trace.get_current_span().get_span_context())
        start_response("500 Internal Server Error", [("Content-Type", "text/xml")])
        return [b"<fault/>"]

    body = wrap(app, provider)(environ, lambda status, headers: None)
    assert b"".join(body) == b"<fault/>"
    return exporter.get_finished_spans(), seen


def test_a_sampled_span_is_the_instrumentations_own():
    ours, _ = _served(ServerSpans, ALWAYS_ON, _environ(HTTP_TRACEPARENT=PARENT.format(1)))
    theirs, _ = _served(lambda app, p: OpenTelemetryMiddleware(app, tracer_provider=p), ALWAYS_ON,
                        _environ(HTTP_TRACEPARENT=PARENT.format(1)))
    (mine,), (reference,) = ours, theirs
    assert (mine.name, mine.kind, mine.status.status_code) == (reference.name, reference.kind,
                                                               reference.status.status_code)
    assert dict(mine.attributes) == dict(reference.attributes) and mine.attributes["http.status_code"] == 500
    assert mine.parent.span_id == reference.parent.span_id == 0xb7ad6b7169203331
    assert mine.context.trace_id == 0x0af7651916cd43dd8448eb211c80319c


def test_an_unsampled_request_exports_nothing_but_carries_its_trace_to_the_app():
    spans, (seen,) = _served(ServerSpans, ParentBased(ALWAYS_ON), _environ(HTTP_TRACEPARENT=PARENT.format(0)))
    assert spans == ()
    assert seen.trace_id == 0x0af7651916cd43dd8448eb211c80319c and not seen.trace_flags.sampled


def test_a_root_left_unsampled_still_has_a_trace_id_for_the_backends():
    spans, (seen,) = _served(ServerSpans, ALWAYS_OFF, _environ())
    assert spans == () and seen.is_valid and not seen.trace_flags.sampled
    assert trace.get_current_span() is trace.INVALID_SPAN  # the request's context is gone after it


def test_a_sampled_root_without_propagation_headers_is_named_as_the_instrumentation_names_it():
    ours, (seen,) = _served(ServerSpans, ALWAYS_ON, _environ())
    theirs, _ = _served(lambda app, p: OpenTelemetryMiddleware(app, tracer_provider=p), ALWAYS_ON, _environ())
    (mine,), (reference,) = ours, theirs
    assert mine.name == reference.name == "POST /ws/v2/FacturaService"
    assert mine.parent is None and seen.trace_flags.sampled and seen.trace_id == mine.context.trace_id


def test_roots_decided_before_any_span_keep_the_ratio_and_their_trace_ids():
    from opentelemetry.sdk.trace.sampling import TraceIdRatioBased

    from ventanilla.observability.sampling import ReusedIds

    exporter, seen = InMemorySpanExporter(), []
    provider = TracerProvider(sampler=ParentBased(TraceIdRatioBased(0.5)), id_generator=ReusedIds())
    provider.add_span_processor(SimpleSpanProcessor(exporter))

    def app(environ, start_response):
        seen.append(trace.get_current_span().get_span_context())
        start_response("200 OK", [])
        return [b"ok"]

    served = ServerSpans(app, provider)
    for _ in range(200):
        assert b"".join(served(_environ(), lambda status, headers: None)) == b"ok"
    sampled = {c.trace_id for c in seen if c.trace_flags.sampled}
    assert {s.context.trace_id for s in exporter.get_finished_spans()} == sampled
    assert 50 < len(sampled) < 150 and all(c.is_valid for c in seen)


def test_configured_custom_headers_and_odd_methods_get_the_instrumentations_attributes_and_names(monkeypatch):
    monkeypatch.setenv("OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST", "user-agent,x-custom")
    monkeypatch.setenv("OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_RESPONSE", "content-type")
    for environ in (_environ(HTTP_X_CUSTOM="kept"), _environ(REQUEST_METHOD="post"), _environ(PATH_INFO="")):
        ours, _ = _served(ServerSpans, ALWAYS_ON, dict(environ))
        theirs, _ = _served(lambda app, p: OpenTelemetryMiddleware(app, tracer_provider=p), ALWAYS_ON, dict(environ))
        (mine,), (reference,) = ours, theirs
        assert mine.name == reference.name and dict(mine.attributes) == dict(reference.attributes)
    assert mine.name == "POST" and reference.attributes["http.response.header.content_type"] == ("text/xml",)
    (custom,), _ = _served(ServerSpans, ALWAYS_ON, _environ(HTTP_X_CUSTOM="kept"))
    assert custom.attributes["http.request.header.x_custom"] == ("kept",)
