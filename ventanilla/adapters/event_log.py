"""Appending invoice events to the Kafka log, keyed by invoice so each invoice keeps one partition."""
from __future__ import annotations

from ventanilla.adapters.event_codec import encode
from ventanilla.adapters.producer import RecoveringProducer
from ventanilla.observability.produce import ProduceWatch
from ventanilla.domain.events import InvoiceEvent
from ventanilla.ports import NotSent, Position  # noqa: F401 - the Log port's types, where adapters look for them


def invoice_partition_key(invoice_id: int) -> bytes:
    """The record key of an invoice's events (the default partitioner hashes it)."""
    return str(invoice_id).encode("ascii")


PRODUCER_WAIT_S = 2.0  # how long an append waits for a producer being made (a healthy broker: milliseconds)
METADATA_WAIT_S = 5.0  # how long a send waits for the topic's metadata before failing (nothing sent)


def append_worst_case_s(timeout_s: float) -> float:
    """The longest an append can take: a producer, the topic's metadata, then the acknowledgement."""
    return PRODUCER_WAIT_S + min(timeout_s, METADATA_WAIT_S) + timeout_s + 1


def producer_settings(bootstrap_servers: str, client_id: str, timeout_s: float, linger_ms: int = 0) -> dict:
    """An idempotent, acks=all producer that fails a record not acknowledged within timeout_s (never keeps it)."""
    return dict(bootstrap_servers=bootstrap_servers, client_id=client_id, acks="all", enable_idempotence=True,
                linger_ms=linger_ms, retries=5,
                # kafka-python's own sensors (pure Python, updated on every record and request) are read by nobody:
                # the produce latency and errors are ours (ProduceWatch); off, an append costs 3–15 % less CPU
                metrics_enabled=False,
                request_timeout_ms=int(timeout_s * 500),  # a request lost with its connection is sent again
                delivery_timeout_ms=int(timeout_s * 1000) + linger_ms,
                max_block_ms=int(min(timeout_s, METADATA_WAIT_S) * 1000),
                reconnect_backoff_max_ms=1000)  # a restarted broker is found again within a second


class EventLog:
    """An idempotent, acks=all producer of invoice events to one topic, replaced after a failed delivery."""

    def __init__(self, bootstrap_servers: str, topic: str, client_id: str, timeout_s: float = 15.0,
                 watch: ProduceWatch | None = None):
        self._topic = topic
        self._timeout_s = timeout_s
        self._producer = RecoveringProducer(watch=watch, **producer_settings(bootstrap_servers, client_id, timeout_s))

    @property
    def ready(self) -> bool:
        """Whether a producer that has not failed is there (after a failure, a new one is being made)."""
        return self._producer.ready

    def append(self, event: InvoiceEvent) -> Position:
        """Append one event and wait until the broker has acknowledged it (at most append_worst_case_s).

        NotSent when no producer took the record (none usable, or the topic's metadata did not come):
        then it is surely not in the log. Any other failure leaves that unknown.
        """
        try:
            future = self._producer.send(self._topic, invoice_partition_key(event.invoice_id), encode(event),
                                         wait_s=PRODUCER_WAIT_S)
        except Exception as error:  # noqa: BLE001 - raised before the record was queued
            raise NotSent(str(error)) from error
        metadata = future.get(timeout=self._timeout_s + 1)
        return Position(metadata.topic, metadata.partition, metadata.offset)

    def close(self, timeout_s: float | None = None) -> None:
        """Flush and close the producer (within timeout_s, else the append timeout)."""
        self._producer.close(self._timeout_s if timeout_s is None else timeout_s)
