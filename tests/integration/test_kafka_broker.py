"""The Kafka the project runs on: topics as specified, durable keyed records, `ventanilla kafka start|stop`."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient

from ventanilla.adapters.kafka_broker import LocalKafkaBroker
from ventanilla.adapters.kafka_probe import accepts_requests
from ventanilla.adapters.topics import TOPICS, ensure_topics
from ventanilla.config import Settings
from ventanilla.processes import alive, cmdline

pytestmark = pytest.mark.integration


def _describe(settings: Settings) -> tuple[int, dict[str, str]]:
    topic = settings.topics.invoice_events
    with KafkaAdminClient(bootstrap_servers=settings.kafka.bootstrap_servers) as admin:
        [found] = admin.describe_topics([topic])
        configs = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])["topic"][topic]
    return len(found["partitions"]), {name: entry["value"] for name, entry in configs.items()}


def test_ensure_topics_creates_the_invoice_event_log_as_specified(settings_factory):
    settings = settings_factory({"VENTANILLA_INVOICE_EVENTS_PARTITIONS": "3"})

    assert ensure_topics(settings) == tuple(spec.name(settings) for spec in TOPICS)
    assert settings.topics.invoice_events in ensure_topics(settings)

    partitions, configs = _describe(settings)
    assert partitions == 3
    assert configs["retention.ms"] == "-1"
    assert configs["retention.bytes"] == "-1"
    assert configs["cleanup.policy"] == "delete"


def test_ensure_topics_is_idempotent(kafka_settings):
    before = _describe(kafka_settings)

    names = tuple(spec.name(kafka_settings) for spec in TOPICS)
    assert ensure_topics(kafka_settings) == names
    assert ensure_topics(kafka_settings) == names

    assert _describe(kafka_settings) == before
    assert before[0] == kafka_settings.topics.invoice_events_partitions


def test_keyed_records_from_an_idempotent_producer_are_read_back_in_order_from_offset_0(kafka_settings):
    topic, key = kafka_settings.topics.invoice_events, b"20260000042"
    producer = KafkaProducer(bootstrap_servers=kafka_settings.kafka.bootstrap_servers, acks="all",
                             enable_idempotence=True)
    try:
        sent = [producer.send(topic, key=key, value=f"event {n}".encode()).get(timeout=30) for n in range(3)]
    finally:
        producer.close()
    assert {meta.partition for meta in sent} == {sent[0].partition}
    assert [meta.offset for meta in sent] == [0, 1, 2]

    consumer = KafkaConsumer(bootstrap_servers=kafka_settings.kafka.bootstrap_servers, enable_auto_commit=False)
    try:
        consumer.assign([TopicPartition(topic, sent[0].partition)])
        consumer.seek(TopicPartition(topic, sent[0].partition), 0)
        records, deadline = [], time.monotonic() + 30
        while len(records) < 3 and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend(batch)
    finally:
        consumer.close()
    assert [(r.offset, r.key, r.value) for r in records] == [(n, key, f"event {n}".encode()) for n in range(3)]


def _ventanilla(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ventanilla.cli", *args], env=env, capture_output=True,
                          text=True, timeout=180)


def _port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def test_kafka_start_returns_when_the_broker_accepts_requests_and_stop_ends_it(tmp_path, free_ports):
    port, controller_port = free_ports(2)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VENTANILLA_", "KAFKA_"))}
    env.update({"VENTANILLA_STATE_DIR": str(tmp_path), "VENTANILLA_KAFKA_PORT": str(port),
                "VENTANILLA_KAFKA_CONTROLLER_PORT": str(controller_port),
                "VENTANILLA_INVOICE_EVENTS_TOPIC": f"cli-test-{uuid.uuid4().hex[:8]}"})
    settings = Settings.from_env(env)
    broker = LocalKafkaBroker.from_settings(settings)
    try:
        started = _ventanilla(env, "kafka", "start")
        assert started.returncode == 0, started.stderr
        assert accepts_requests(settings.kafka.bootstrap_servers)
        pid = broker.pid_file.live_pid()
        assert pid is not None and "kafka.Kafka" in cmdline(pid)
        with KafkaAdminClient(bootstrap_servers=settings.kafka.bootstrap_servers) as admin:
            assert settings.topics.invoice_events in admin.list_topics()
        assert _ventanilla(env, "kafka", "start").returncode == 0  # already running: reused
        assert broker.pid_file.live_pid() == pid

        stopped = _ventanilla(env, "kafka", "stop")
        assert stopped.returncode == 0, stopped.stderr
        assert not alive(pid)
        assert not _port_open(port)
        assert "not running" in _ventanilla(env, "kafka", "stop").stdout
    finally:
        broker.stop_detached()
