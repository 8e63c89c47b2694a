"""Reading one invoice's partition back: did its registration reach the log after all?"""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta

from kafka import KafkaConsumer, TopicPartition

from ventanilla.adapters import kafka_clients
from kafka.partitioner.default import murmur2

from ventanilla.adapters.event_codec import decode
from ventanilla.adapters.event_log import invoice_partition_key
from ventanilla.domain.events import InvoiceRegistered
from ventanilla.ports import ABSENT, UNKNOWN, Outcome, Position, ReadBack

log = logging.getLogger("ventanilla.log_lookup")
_SKEW = timedelta(minutes=1)  # record timestamps come from the producer's clock


class RegistrationLookup:
    """Finds an invoice's InvoiceRegistered in its partition, among the records written since a moment."""

    def __init__(self, bootstrap_servers: str, topic: str, timeout_s: float = 10.0):
        self._bootstrap_servers = bootstrap_servers
        self._topic = topic
        self._timeout_s = timeout_s

    def __call__(self, invoice_id: int, since: datetime, timeout_s: float | None = None) -> ReadBack:
        """FOUND with its position, ABSENT when the log surely lacks it, UNKNOWN when it cannot tell in time."""
        timeout_s = min(timeout_s or self._timeout_s, self._timeout_s)
        answer: list = []
        # kafka-python can block without bound on a metadata request to a broker that went away after the
        # bootstrap: the search runs in a thread of its own, and "cannot tell" is the answer past its time.
        worker = threading.Thread(target=lambda: answer.append(self._lookup(invoice_id, since, timeout_s)),
                                  name="registry-lookup", daemon=True)
        worker.start()
        worker.join(timeout_s + 2)
        return answer[0] if answer else UNKNOWN

    def _lookup(self, invoice_id: int, since: datetime, timeout_s: float) -> ReadBack:
        consumer = None
        try:
            consumer = kafka_clients.consumer(self._bootstrap_servers, enable_auto_commit=False,
                                              request_timeout_ms=int(timeout_s * 1000),
                                              bootstrap_timeout_ms=int(timeout_s * 1000),
                                              reconnect_backoff_max_ms=1000, client_id="registry-lookup")
            return self._search(consumer, invoice_partition_key(invoice_id), since, timeout_s)
        except Exception:  # noqa: BLE001 - an unreachable log is an answer: "cannot tell"
            log.warning("the log could not be read back", extra={"invoice_id": invoice_id}, exc_info=True)
            return UNKNOWN
        finally:
            if consumer is not None:
                consumer.close()

    def _search(self, consumer: KafkaConsumer, key: bytes, since: datetime, timeout_s: float) -> ReadBack:
        partitions = sorted(consumer.partitions_for_topic(self._topic) or ())
        if not partitions:  # the broker answered: there is no such topic, so no such event
            return ABSENT
        tp = TopicPartition(self._topic, partitions[(murmur2(key) & 0x7FFFFFFF) % len(partitions)])
        consumer.assign([tp])
        start = consumer.offsets_for_times({tp: int((since - _SKEW).timestamp() * 1000)})[tp]
        end = consumer.end_offsets([tp])[tp]
        if start is None:
            return ABSENT
        consumer.seek(tp, start.offset)
        deadline = time.monotonic() + timeout_s
        while consumer.position(tp) < end:
            if time.monotonic() > deadline:
                return UNKNOWN
            for record in consumer.poll(timeout_ms=500).get(tp, ()):
                event = decode(record.value) if record.key == key else None
                if isinstance(event, InvoiceRegistered):
                    return ReadBack(Outcome.FOUND, Position(record.topic, record.partition, record.offset), event)
        return ABSENT
