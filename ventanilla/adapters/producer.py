"""A Kafka producer that replaces itself after a failed delivery, because kafka-python's cannot recover.

kafka-python 3.0.12's idempotent producer, when a batch it had already sent expires (its delivery
timeout passes while the broker is frozen or gone), resets its producer id but leaves its
transaction state READY: it never asks the broker for a new id, and from then on every record
expires unsent (`TransactionManager.reset_producer_id`; the Java client moves back to UNINITIALIZED
there, KAFKA-7737). Only a new producer recovers; this class makes one, in the background, as soon
as any delivery fails, and hands out nothing while it has none.
"""
from __future__ import annotations

import logging
import threading

from kafka import KafkaProducer
from kafka.errors import KafkaConfigurationError, KafkaConnectionError, KafkaTimeoutError

from ventanilla.adapters import kafka_clients
from ventanilla.config import KafkaSecurity
from ventanilla.observability.produce import ProduceWatch

log = logging.getLogger("ventanilla.producer")


class RecoveringProducer:
    """A Kafka producer (kafka_clients.producer(**config)), made anew (in a thread, until the broker answers) after
    any failed delivery."""

    def __init__(self, retry_s: float = 1.0, security: KafkaSecurity | None = None, watch: ProduceWatch | None = None,
                 **config):
        self._config, self._retry_s, self._security = config, retry_s, security
        self._watch = watch or ProduceWatch()
        self._changed = threading.Condition()
        self._producer: KafkaProducer | None = None
        self._closed = False
        self._make_in_background()

    @property
    def ready(self) -> bool:
        """Whether a producer is there that has not failed a delivery."""
        with self._changed:
            return self._producer is not None

    def send(self, topic: str, key: bytes, value: bytes, headers=None, wait_s: float = 0.0):
        """Queue one record (waiting up to wait_s for a producer); its future. KafkaConnectionError if none."""
        with self._changed:
            self._changed.wait_for(lambda: self._producer is not None or self._closed, timeout=wait_s)
            producer = self._producer
        if producer is None:
            raise KafkaConnectionError("no Kafka producer: the broker has not answered since the last failure")
        future = self._watch.send(topic, headers, lambda carried: producer.send(topic, key=key, value=value,
                                                                               headers=carried))
        future.add_errback(self._failed, producer)
        return future

    def flush(self, timeout_s: float) -> None:
        """Wait until every record queued so far is acknowledged or failed."""
        with self._changed:
            producer = self._producer
        if producer is not None:
            producer.flush(timeout=timeout_s)

    def close(self, timeout_s: float) -> None:
        """Flush and close; no producer is made any more."""
        with self._changed:
            self._closed, producer, self._producer = True, self._producer, None
            self._changed.notify_all()
        if producer is not None:
            _retire(producer, timeout_s)

    def _failed(self, producer: KafkaProducer, error: BaseException) -> None:
        """A delivery failed (called on the producer's own I/O thread): retire it, make another."""
        with self._changed:
            if producer is not self._producer:
                return
            self._producer = None
        log.warning("a delivery failed; replacing the Kafka producer", extra={"error": str(error)})
        threading.Thread(target=_retire, args=(producer, self._config.get("delivery_timeout_ms", 30_000) / 1000),
                         name="producer-retired", daemon=True).start()
        self._make_in_background()

    def _make_in_background(self) -> None:
        threading.Thread(target=self._make, name="producer-maker", daemon=True).start()

    def _make(self) -> None:
        while True:
            try:
                producer = kafka_clients.producer(security=self._security, **self._config)
            except (KafkaConfigurationError, ValueError):
                log.exception("the Kafka producer's configuration is wrong: nothing will be sent")
                return
            except Exception as error:  # noqa: BLE001 - no broker yet: try again
                log.warning("no Kafka producer yet", extra={"error": str(error)})
                with self._changed:
                    if self._changed.wait_for(lambda: self._closed, timeout=self._retry_s):
                        return
                continue
            with self._changed:
                if not self._closed:
                    self._producer = producer
                    self._changed.notify_all()
                    return
            producer.close(timeout=0)
            return


def _retire(producer: KafkaProducer, timeout_s: float) -> None:
    """Close a producer, letting its records complete within timeout_s; forced if it cannot flush."""
    try:
        producer.close(timeout=timeout_s)
    except KafkaTimeoutError:
        # close() flushes first and gives up when the producer cannot flush, as a stuck one cannot
        # (its records never expire): there is no public way to close it then.
        producer._sender.force_close()  # noqa: SLF001
        producer._sender.join(timeout_s)  # noqa: SLF001
