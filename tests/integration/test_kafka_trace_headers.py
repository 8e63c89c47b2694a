"""Trace context and request id survive a real broker in kafka-python record headers."""
from __future__ import annotations

import time

import pytest
from kafka import KafkaConsumer, TopicPartition
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from ventanilla.adapters.publisher import Publisher
from ventanilla.observability import kafka_headers, requestid
from ventanilla.observability.tracing import Tracing

pytestmark = pytest.mark.integration


def test_a_consumer_span_continues_the_producers_trace_across_the_broker(kafka_settings):
    exporter = InMemorySpanExporter()
    producer_side, consumer_side = Tracing.to("registry", exporter), Tracing.to("status", exporter)
    topic = kafka_settings.topics.backoffice_feedback
    publisher = Publisher(kafka_settings.kafka.bootstrap_servers, "trace-test")
    try:
        with requestid.bound("rid-kafka"), producer_side.tracer("registry").start_as_current_span("submit"), \
                kafka_headers.producing(producer_side.tracer("registry"), topic, [("dir3", b"L01")]) as headers:
            sent = publisher.publish(topic, b"1", b"payload", headers)
    finally:
        publisher.close()
    consumer = KafkaConsumer(bootstrap_servers=kafka_settings.kafka.bootstrap_servers, enable_auto_commit=False)
    try:
        partition = TopicPartition(topic, sent.partition)
        consumer.assign([partition])
        consumer.seek(partition, sent.offset)
        records, deadline = [], time.monotonic() + 30
        while not records and time.monotonic() < deadline:
            records = consumer.poll(timeout_ms=500).get(partition, [])
    finally:
        consumer.close()
    (record,) = records
    assert ("dir3", b"L01") in record.headers
    with kafka_headers.consuming(consumer_side.tracer("status"), record):
        seen_request_id = requestid.current()
    spans = {s.name: s for s in exporter.get_finished_spans()}
    submit, send, process = spans["submit"], spans[f"send {topic}"], spans[f"process {topic}"]
    assert seen_request_id == "rid-kafka"
    assert send.parent.span_id == submit.context.span_id
    assert process.parent.span_id == send.context.span_id
    assert process.context.trace_id == submit.context.trace_id
    assert process.resource.attributes["service.name"] == "status"
