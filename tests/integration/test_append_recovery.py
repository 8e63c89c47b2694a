"""Appends after a broker freeze: the event log recovers by itself, and health says NOT_SERVING meanwhile."""
from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from ventanilla.adapters.append_health import AppendHealth, TopicProbe
from ventanilla.adapters.event_log import EventLog, append_worst_case_s
from ventanilla.adapters.kafka_broker import LocalKafkaBroker
from ventanilla.adapters.topics import TOPICS, ensure_topics
from ventanilla.config import Settings

from tests.support.stack_env import free_ports
from tests.unit.domain.factories import registered

pytestmark = pytest.mark.integration
TIMEOUT_S = 3.0


@pytest.fixture
def frozen_broker(tmp_path):
    """A broker of this test's own (the session's must not be frozen), with the invoice log."""
    broker = LocalKafkaBroker(tmp_path / "kafka", *free_ports(2)).start(timeout_s=180)
    settings = Settings.from_env({"VENTANILLA_KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers})
    ensure_topics(settings, TOPICS[:1])
    try:
        yield broker, settings
    finally:
        os.kill(broker.process.pid, signal.SIGCONT)
        broker.stop()


def _wait(condition, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    return condition()


def test_appends_recover_after_a_freeze_and_health_follows(frozen_broker):
    broker, settings = frozen_broker
    log = EventLog(settings.kafka.bootstrap_servers, settings.topics.invoice_events, "test", TIMEOUT_S)
    probe = TopicProbe(settings.kafka.bootstrap_servers, settings.topics.invoice_events, timeout_s=1.0)
    seen: list[bool] = []
    health = AppendHealth(lambda: log.ready, probe, seen.append, interval_s=0.5)
    health.start()
    ids = iter(range(1, 10_000))
    try:
        assert log.append(registered(next(ids))).offset >= 0
        assert _wait(lambda: seen[-1:] == [True], 10)

        os.kill(broker.process.pid, signal.SIGSTOP)
        stop = threading.Event()

        def appending():  # several appenders, as under load: batches in flight expire while frozen
            failures = 0
            while not stop.is_set():
                started = time.monotonic()
                try:
                    log.append(registered(next(ids)))
                except Exception:  # noqa: BLE001 - expected while frozen
                    failures += 1
                assert time.monotonic() - started <= append_worst_case_s(TIMEOUT_S) + 1
            return failures

        with ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(appending) for _ in range(4)]
            assert _wait(lambda: seen[-1:] == [False], 10), "health still SERVING with the broker frozen"
            time.sleep(2 * TIMEOUT_S)  # past the delivery timeout: sent batches expire
            os.kill(broker.process.pid, signal.SIGCONT)
            stop.set()
            assert sum(f.result() for f in futures) > 0

        assert _wait(lambda: seen[-1:] == [True], 20), "health not SERVING again after the thaw"
        recovered = time.monotonic()
        assert log.append(registered(next(ids))).offset >= 0
        assert time.monotonic() - recovered < append_worst_case_s(TIMEOUT_S)
    finally:
        health.stop()
        probe.close()
        log.close()
