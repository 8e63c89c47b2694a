"""Read-your-writes: wait until the projection has applied everything already in the log."""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from kafka import TopicPartition

from ventanilla.adapters import kafka_clients

from ventanilla.domain.errors import DomainError, ErrorKey

EndOffsets = Callable[[], dict[int, int]]
BEHIND = ("El servicio de consulta no ha podido ponerse al día con el registro de eventos; inténtelo de nuevo "
          "en unos segundos.")
log = logging.getLogger("ventanilla.catch_up")


class CatchUp:
    """Tracks applied positions and lets readers wait for the log's end as of their arrival.

    Concurrent readers share end-offset requests: a reader may use any answer whose request was sent
    after it arrived (that answer covers every write acknowledged before it asked), so a burst of
    queries costs one or two broker round trips instead of one each.
    """

    def __init__(self, end_offsets: EndOffsets, applied: dict[int, int], timeout_s: float):
        self._end_offsets = end_offsets
        self._applied = dict(applied)
        self._timeout_s = timeout_s
        self._changed = threading.Condition()
        self._fetching = threading.Lock()
        self._latest: tuple[float, dict[int, int]] = (float("-inf"), {})

    def advanced(self, partition: int, next_offset: int) -> None:
        """Record that everything before next_offset in a partition is applied."""
        with self._changed:
            self._applied[partition] = next_offset
            self._changed.notify_all()

    def _ends_after(self, arrived: float) -> dict[int, int]:
        """End offsets from a request sent no earlier than `arrived`."""
        with self._fetching:
            asked_at, ends = self._latest
            if asked_at < arrived:
                asked_at = time.monotonic()
                ends = self._end_offsets()
                self._latest = (asked_at, ends)
            return ends

    def wait(self) -> bool:
        """Block until every partition is applied up to the end seen now; False on timeout or without a broker."""
        arrived = time.monotonic()
        deadline = arrived + self._timeout_s
        try:
            ends = self._ends_after(arrived)
        except Exception as error:  # noqa: BLE001 - the end cannot be known: neither can being at it
            log.warning("the log's end offsets could not be read", extra={"error": str(error)})
            return False
        with self._changed:
            return self._changed.wait_for(
                lambda: all(self._applied.get(p, 0) >= end for p, end in ends.items()),
                timeout=max(0.0, deadline - time.monotonic()),
            )

    def ensure(self) -> None:
        """Return once caught up (as wait); else DomainError(registro): an answer now could miss the caller's writes."""
        if not self.wait():
            log.warning("projection behind the log after the read-your-writes wait: refused")
            raise DomainError(ErrorKey.REGISTRO, BEHIND)

    def at_known_end(self) -> bool:
        """Whether everything up to the last end offsets read from the broker is applied (no broker call)."""
        _, ends = self._latest
        with self._changed:
            return all(self._applied.get(p, 0) >= end for p, end in ends.items())

    def reached(self, partition: int, next_offset: int) -> bool:
        """Block until one partition is applied up to next_offset (no broker call); False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: self._applied.get(partition, 0) >= next_offset,
                                          timeout=self._timeout_s)

    def covers(self, ends: dict[int, int], stopping: threading.Event) -> bool:
        """Block until every partition is applied up to `ends` (True), or until `stopping` is set (False)."""
        with self._changed:
            while not all(self._applied.get(p, 0) >= end for p, end in ends.items()):
                if stopping.is_set():
                    return False
                self._changed.wait(0.5)
        return True


def end_offsets_reader(bootstrap_servers: str, topic: str, client_id: str,
                       timeout_s: float | None = None) -> EndOffsets:
    """A thread-safe function answering a topic's end offsets per partition (one consumer, no group).

    It reconnects within a second of a broker's return; timeout_s bounds each request (kafka-python's 30 s).
    """
    timeout = {"request_timeout_ms": int(timeout_s * 1000)} if timeout_s else {}
    consumer = kafka_clients.consumer(bootstrap_servers, client_id=client_id, reconnect_backoff_max_ms=1000,
                                      **timeout)
    lock = threading.Lock()

    def end_offsets() -> dict[int, int]:
        with lock:
            partitions = consumer.partitions_for_topic(topic) or set()
            tps = [TopicPartition(topic, p) for p in partitions]
            return {tp.partition: offset for tp, offset in consumer.end_offsets(tps).items()}

    return end_offsets


def beginning_offsets(bootstrap_servers: str, topic: str, client_id: str, timeout_s: float | None = None) -> dict[int, int]:
    """Where each partition of a topic begins now (retention or deleted records move it past 0); one request."""
    timeout = {"request_timeout_ms": int(timeout_s * 1000)} if timeout_s else {}
    consumer = kafka_clients.consumer(bootstrap_servers, client_id=client_id, **timeout)
    try:
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or set()]
        return {tp.partition: offset for tp, offset in consumer.beginning_offsets(tps).items()}
    finally:
        consumer.close()
