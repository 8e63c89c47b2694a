"""Appending integrator events to their Kafka topic, keyed by NIF so each integrator keeps one partition."""
from __future__ import annotations

from typing import Sequence

from ventanilla.adapters.event_log import Position
from ventanilla.adapters.integrator_codec import encode, partition_key
from ventanilla.adapters.publisher import Publisher
from ventanilla.domain.integrator_events import IntegratorEvent


class KafkaIntegratorLog:
    """An idempotent, acks=all producer of integrator events to one topic."""

    def __init__(self, bootstrap_servers: str, topic: str, client_id: str = "portal", timeout_s: float = 15.0):
        self._topic = topic
        self._publisher = Publisher(bootstrap_servers, client_id, timeout_s)

    def append(self, events: Sequence[IntegratorEvent]) -> Position | None:
        """Append events in order and wait until the broker acknowledged all; where the last one landed."""
        futures = [self._publisher.send(self._topic, partition_key(e.nif), encode(e)) for e in events]
        self._publisher.flush()
        last = None
        for future in futures:
            metadata = future.get(timeout=1)
            last = Position(metadata.topic, metadata.partition, metadata.offset)
        return last

    def close(self) -> None:
        """Flush and close the producer."""
        self._publisher.close()
