"""Appending invoice events to the Kafka log, keyed by invoice so each invoice keeps one partition."""
from __future__ import annotations

from dataclasses import dataclass

from ventanilla.adapters import kafka_clients

from ventanilla.adapters.event_codec import encode
from ventanilla.domain.events import InvoiceEvent


@dataclass(frozen=True)
class Position:
    """Where a record landed: topic, partition, offset."""

    topic: str
    partition: int
    offset: int


def invoice_partition_key(invoice_id: int) -> bytes:
    """The record key of an invoice's events (the default partitioner hashes it)."""
    return str(invoice_id).encode("ascii")


class EventLog:
    """An idempotent, acks=all producer of invoice events to one topic."""

    def __init__(self, bootstrap_servers: str, topic: str, client_id: str, timeout_s: float = 15.0):
        self._topic = topic
        self._timeout_s = timeout_s
        self._producer = kafka_clients.producer(
            bootstrap_servers,
            client_id=client_id,
            acks="all",
            enable_idempotence=True,
            linger_ms=0,
            retries=5,
            request_timeout_ms=int(timeout_s * 1000),
            delivery_timeout_ms=int(timeout_s * 1000),  # a record not acknowledged in time is failed, not kept
            max_block_ms=int(timeout_s * 1000),  # metadata for an unknown or unreachable topic: fail in time
        )

    def append(self, event: InvoiceEvent) -> Position:
        """Append one event and wait until the broker has acknowledged it."""
        future = self._producer.send(
            self._topic, key=invoice_partition_key(event.invoice_id), value=encode(event)
        )
        metadata = future.get(timeout=self._timeout_s + 1)
        return Position(metadata.topic, metadata.partition, metadata.offset)

    def close(self) -> None:
        """Flush and close the producer."""
        self._producer.close(timeout=self._timeout_s)
