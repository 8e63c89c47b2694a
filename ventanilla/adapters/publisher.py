"""Publishing contract messages (feedback, notices, back-office messages) to Kafka topics."""
from __future__ import annotations

from ventanilla.adapters import kafka_clients
from ventanilla.config import KafkaSecurity


class Publisher:
    """An idempotent, acks=all producer for messages that are not invoice events."""

    def __init__(self, bootstrap_servers: str, client_id: str, timeout_s: float = 15.0, linger_ms: int = 0,
                 security: KafkaSecurity | None = None):
        self._timeout_s = timeout_s
        self._producer = kafka_clients.producer(
            bootstrap_servers, security=security, client_id=client_id, acks="all", enable_idempotence=True,
            linger_ms=linger_ms, retries=5, request_timeout_ms=int(timeout_s * 1000),
        )

    def send(self, topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]] | None = None):
        """Queue one record; the future of its metadata."""
        return self._producer.send(topic, key=key, value=value, headers=headers or [])

    def publish(self, topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]] | None = None):
        """Send one record and wait until the broker has acknowledged it; its metadata."""
        return self.send(topic, key, value, headers).get(timeout=self._timeout_s)

    def flush(self) -> None:
        """Wait until every queued record is acknowledged."""
        self._producer.flush(timeout=self._timeout_s)

    def close(self) -> None:
        """Flush and close."""
        self._producer.close(timeout=self._timeout_s)
