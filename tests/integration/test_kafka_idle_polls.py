"""Idle polls against a real broker leave no reference cycles behind (kafka-python's swallowed poll timeouts)."""
from __future__ import annotations

import gc
import time

import pytest
from kafka import TopicPartition

from tests.support.heap import kafka_tracebacks
from ventanilla.adapters import kafka_clients

pytestmark = pytest.mark.integration

POLLS = 15  # 3 s of the status service's idle 200 ms polls: before the fix, ~36 timeouts and ~240 live tracebacks


def test_idle_polls_of_a_following_consumer_leave_no_tracebacks_for_the_collector(kafka_settings):
    topic = kafka_settings.topics.invoice_events
    consumer = kafka_clients.consumer(kafka_settings.kafka.bootstrap_servers, group_id=None, enable_auto_commit=False,
                                      auto_offset_reset="latest", **kafka_clients.FOLLOWING)
    try:
        consumer.assign([TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)])
        consumer.poll(timeout_ms=200)  # positions and the first fetch in flight
        gc.collect()
        gc.disable()  # what the collector would have to find: cycles stay counted until it runs
        try:
            before, started = kafka_tracebacks(), time.monotonic()
            for _ in range(POLLS):
                assert consumer.poll(timeout_ms=200) == {}
            idle_s, after = time.monotonic() - started, kafka_tracebacks()
        finally:
            gc.enable()
    finally:
        consumer.close()
    assert idle_s >= POLLS * 0.19  # the polls did wait for records (and timed out inside kafka-python)
    assert after - before < 10, f"{after - before} kafka-python tracebacks left by {POLLS} idle polls"


def test_a_consumer_keeps_no_kafka_python_sensors_and_still_reads(kafka_settings):
    """kafka-python's sensors cost a follower CPU per fetch and nobody reads them (ProjectionWatch does the lag)."""
    topic = kafka_settings.topics.invoice_events
    servers = kafka_settings.kafka.bootstrap_servers
    consumer = kafka_clients.consumer(servers, group_id=None, enable_auto_commit=False, auto_offset_reset="latest")
    producer = kafka_clients.producer(servers, acks="all")
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        consumer.assign(partitions)
        for tp in partitions:
            consumer.position(tp)  # "latest" resolved before the append
        sent = producer.send(topic, key=b"sensors", value=b"off").get(10)
        seen, deadline = [], time.monotonic() + 15
        while not seen and time.monotonic() < deadline:
            seen = [r for records in consumer.poll(timeout_ms=500).values() for r in records]
        assert consumer.metrics() is None  # no sensors registered at all
    finally:
        producer.close()
        consumer.close()
    assert [(r.partition, r.offset, r.value) for r in seen] == [(sent.partition, sent.offset, b"off")]
