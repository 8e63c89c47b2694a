"""Whether appends to the invoice log can succeed now, watched in a thread and reported to gRPC health."""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from kafka import KafkaConsumer, TopicPartition

from ventanilla.adapters import kafka_clients

log = logging.getLogger("ventanilla.append_health")


class TopicProbe:
    """Asks the broker for the end offsets of every partition of a topic: do its leaders answer now?"""

    def __init__(self, bootstrap_servers: str, topic: str, timeout_s: float = 2.0):
        self._bootstrap_servers, self._topic, self._timeout_ms = bootstrap_servers, topic, int(timeout_s * 1000)
        self._consumer: KafkaConsumer | None = None

    def __call__(self) -> bool:
        """True when every partition's leader answered within the timeout."""
        try:
            if self._consumer is None:
                self._consumer = kafka_clients.consumer(
                    self._bootstrap_servers, client_id="ventanilla-append-probe", group_id=None,
                    enable_auto_commit=False, request_timeout_ms=self._timeout_ms,
                    bootstrap_timeout_ms=self._timeout_ms, reconnect_backoff_max_ms=1000)
            partitions = self._consumer.partitions_for_topic(self._topic)
            if not partitions:
                return False
            self._consumer.end_offsets([TopicPartition(self._topic, p) for p in partitions], self._timeout_ms)
            return True
        except Exception:  # noqa: BLE001 - whatever the reason, the broker did not answer
            return False

    def close(self, timeout_s: float | None = None) -> None:
        """Release the probe's connections (within timeout_s; else its request timeout)."""
        if self._consumer is not None:
            self._consumer.close(autocommit=False,
                                 timeout_ms=self._timeout_ms if timeout_s is None else int(timeout_s * 1000))


class AppendHealth:
    """Serving while the producer is usable and the broker answers; on_change(serving) on every change."""

    def __init__(self, producer_ready: Callable[[], bool], probe: Callable[[], bool],
                 on_change: Callable[[bool], None], interval_s: float = 1.0):
        self._producer_ready, self._probe, self._on_change = producer_ready, probe, on_change
        self._interval_s = interval_s
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="append-health", daemon=True)

    def start(self) -> None:
        """Start watching (the first judgement is made at once)."""
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> bool:
        """Stop watching; whether the watch has ended within timeout_s."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=timeout_s)
        return not self._thread.is_alive()

    def _run(self) -> None:
        serving = None
        while True:
            now = self._producer_ready() and self._probe()
            if now != serving:
                (log.info if now else log.warning)("appends " + ("can succeed" if now else "cannot succeed: NOT_SERVING"))
                self._on_change(now)
                serving = now
            if self._stopping.wait(self._interval_s):
                return


def stop_watching(health: AppendHealth, probe: TopicProbe, timeout_s: float) -> None:
    """Stop the watch, then close its probe (not under a probe in progress: the consumer is not thread-safe)."""
    started = time.monotonic()
    if health.stop(timeout_s):
        probe.close(max(0.0, timeout_s - (time.monotonic() - started)))
