"""The kafka-python header propagator: inject into a producer's headers list, extract from a record's headers."""
from __future__ import annotations

from collections import namedtuple

from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from ventanilla.observability import kafka_headers, requestid
from ventanilla.observability.tracing import Tracing

Record = namedtuple("Record", "topic partition offset headers")


def _tracing():
    exporter = InMemorySpanExporter()
    return Tracing.to("test", exporter), exporter


def test_inject_adds_traceparent_and_request_id_and_keeps_other_headers():
    tracing, _ = _tracing()
    with requestid.bound("r-1"), tracing.tracer("t").start_as_current_span("submit") as span:
        headers = kafka_headers.inject([("dir3-oficina", b"L01")])
    names = [name for name, _ in headers]
    assert names[0] == "dir3-oficina" and "traceparent" in names and requestid.METADATA_KEY in names
    assert all(isinstance(value, bytes) for _, value in headers)
    extracted = trace.get_current_span(kafka_headers.extract(headers)).get_span_context()
    assert extracted.trace_id == span.get_span_context().trace_id
    assert extracted.span_id == span.get_span_context().span_id
    assert kafka_headers.request_id_of(headers) == "r-1"


def test_inject_replaces_a_stale_context_instead_of_duplicating_it():
    tracing, _ = _tracing()
    with tracing.tracer("t").start_as_current_span("first"):
        first = kafka_headers.inject()
    with tracing.tracer("t").start_as_current_span("second"):
        again = kafka_headers.inject(first)
    assert [name for name, _ in again].count("traceparent") == 1


def test_without_a_span_or_request_id_nothing_is_added():
    assert kafka_headers.inject([("k", b"v")]) == [("k", b"v")]
    assert not trace.get_current_span(kafka_headers.extract(None)).get_span_context().is_valid
    assert kafka_headers.request_id_of([]) is None


def test_an_insane_request_id_from_a_record_is_dropped():
    assert kafka_headers.request_id_of([(requestid.METADATA_KEY, b"bad id\n")]) is None


def test_a_consumer_span_is_the_child_of_the_producer_span_and_sees_the_request_id():
    tracing, exporter = _tracing()
    tracer = tracing.tracer("t")
    with requestid.bound("r-9"), kafka_headers.producing(tracer, "ventanilla.invoice-events.v1") as headers:
        pass
    record = Record("ventanilla.invoice-events.v1", 3, 41, headers)
    with kafka_headers.consuming(tracer, record):
        assert requestid.current() == "r-9"
    assert requestid.current() is None
    producer, consumer = exporter.get_finished_spans()
    assert producer.kind is trace.SpanKind.PRODUCER and consumer.kind is trace.SpanKind.CONSUMER
    assert consumer.parent.span_id == producer.context.span_id
    assert consumer.context.trace_id == producer.context.trace_id
    assert consumer.name == "process ventanilla.invoice-events.v1"
    assert consumer.attributes["messaging.kafka.offset"] == 41
    assert consumer.attributes["messaging.destination.partition.id"] == "3"
