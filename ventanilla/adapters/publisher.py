"""Publishing contract messages (feedback, notices, back-office messages) to Kafka topics."""
from __future__ import annotations

from ventanilla.adapters.event_log import PRODUCER_WAIT_S, producer_settings
from ventanilla.adapters.producer import RecoveringProducer
from ventanilla.config import KafkaSecurity
from ventanilla.observability.produce import ProduceWatch


class Publisher:
    """An idempotent, acks=all producer for messages that are not invoice events, replaced after a failure."""

    def __init__(self, bootstrap_servers: str, client_id: str, timeout_s: float = 15.0, linger_ms: int = 0,
                 security: KafkaSecurity | None = None, watch: ProduceWatch | None = None):
        self._timeout_s = timeout_s
        self._producer = RecoveringProducer(security=security, watch=watch,
                                            **producer_settings(bootstrap_servers, client_id, timeout_s, linger_ms))

    def send(self, topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]] | None = None):
        """Queue one record (waiting for a producer while one is being made); the future of its metadata."""
        return self._producer.send(topic, key, value, headers, wait_s=PRODUCER_WAIT_S)

    def publish(self, topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]] | None = None):
        """Send one record and wait until the broker has acknowledged it; its metadata."""
        return self.send(topic, key, value, headers).get(timeout=self._timeout_s)

    def flush(self) -> None:
        """Wait until every queued record is acknowledged."""
        self._producer.flush(self._timeout_s)

    def close(self, timeout_s: float | None = None) -> None:
        """Flush and close (within timeout_s, else the publishing timeout)."""
        self._producer.close(self._timeout_s if timeout_s is None else timeout_s)
