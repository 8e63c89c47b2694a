"""Tracing is configured by OTEL_* variables only, and off unless they ask for an exporter."""
from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider

from ventanilla.observability.tracing import Tracing


def _exporters(tracing: Tracing) -> list:
    processors = tracing.provider._active_span_processor._span_processors
    return [p.span_exporter if hasattr(p, "span_exporter") else p._batch_processor._exporter for p in processors]


@pytest.mark.parametrize("env", [{}, {"OTEL_TRACES_EXPORTER": "none"},
                                 {"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"},
                                 {"OTEL_SDK_DISABLED": "TRUE", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}])
def test_off_by_default_and_when_disabled(env):
    tracing = Tracing.from_env("registry", env)
    assert not tracing.enabled and isinstance(tracing.provider, trace.NoOpTracerProvider)
    with tracing.tracer("t").start_as_current_span("x") as span:
        assert not span.get_span_context().is_valid
    tracing.shutdown()


def test_an_otlp_endpoint_turns_on_otlp_over_http(monkeypatch):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    tracing = Tracing.from_env("registry", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"})
    try:
        assert tracing.enabled and isinstance(tracing.provider, TracerProvider)
        assert [type(e) for e in _exporters(tracing)] == [OTLPSpanExporter]
        assert tracing.provider.resource.attributes["service.name"] == "registry"
    finally:
        tracing.shutdown()


def test_the_service_name_variable_wins(monkeypatch):
    monkeypatch.setenv("OTEL_SERVICE_NAME", "ventanilla-registry-eu1")
    tracing = Tracing.from_env("registry", {"OTEL_TRACES_EXPORTER": "console"})
    try:
        assert tracing.provider.resource.attributes["service.name"] == "ventanilla-registry-eu1"
    finally:
        tracing.shutdown()


@pytest.mark.parametrize("env", [{"OTEL_TRACES_EXPORTER": "zipkin"},
                                 {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}])
def test_unsupported_choices_are_clear_errors(env):
    with pytest.raises(ValueError, match="OTEL_"):
        Tracing.from_env("registry", env)


def test_spans_encode_to_the_same_otlp_bytes_with_the_resource_hashed_once():
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.sdk.resources import Resource

    from ventanilla.observability.tracing import HashedOnce

    resource = Resource.create({"service.name": "status", "deployment.environment": "test"})
    once = HashedOnce(resource)
    assert hash(once) == hash(resource) and once == resource and once.attributes == resource.attributes
    assert once.merge(Resource({"x": "y"})) == resource.merge(Resource({"x": "y"}))
    encoded = []
    for given in (resource, once):
        span = TracerProvider(resource=given).get_tracer("t").start_span("s", attributes={"a": 1})
        span.end()
        encoded.append((span, encode_spans([span, span]).SerializeToString()))
    (plain, plain_bytes), (hashed, hashed_bytes) = encoded  # the same spans but for their ids and times
    assert len(hashed_bytes) == len(plain_bytes) and hashed.resource == plain.resource
    ours, theirs = encode_spans([hashed, hashed]).resource_spans, encode_spans([plain, plain]).resource_spans
    assert len(ours) == len(theirs) == 1 and ours[0].resource == theirs[0].resource  # grouped once, alike
    assert len(ours[0].scope_spans[0].spans) == 2
