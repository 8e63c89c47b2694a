"""The projection consumer loop: a thin shell that feeds the log's records, decoded, to a projection store."""
from __future__ import annotations

import logging
import threading
from typing import Callable, Protocol

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from ventanilla.adapters import kafka_clients
from ventanilla.adapters.catch_up import CatchUp
from ventanilla.observability.consume import ProjectionWatch

log = logging.getLogger("ventanilla.projector")


class Store(Protocol):
    """A projection that applies (event, topic, partition, offset) records once, positions included."""

    def positions(self, topic: str) -> dict[int, int]: ...

    def apply_many(self, records) -> int: ...


def partitions(consumer: KafkaConsumer, topic: str) -> set[int]:
    """The topic's partitions, empty while unknown or while the broker cannot be asked."""
    try:
        return consumer.partitions_for_topic(topic) or set()
    except KafkaError:
        return set()


def handle(store: Store, records, decode: Callable) -> int:
    """Apply records of a log in one transaction; how many were not applied before."""
    return store.apply_many([(decode(r.value), r.topic, r.partition, r.offset) for r in records])


def replay(store, records) -> int:
    """Apply records of the invoice log in one transaction folded from their payloads into the store's rows
    (`ProjectionStore.replay_many`: a rebuild, a replica's catch-up); how many were not applied before."""
    return store.replay_many([(r.value, r.topic, r.partition, r.offset) for r in records])


class Projector:
    """Reads every partition of an event topic from the stored positions onwards."""

    def __init__(self, consumer: KafkaConsumer, store: Store, topic: str, catch_up: CatchUp, decode: Callable,
                 watch: ProjectionWatch | None = None, replay_until: threading.Event | None = None):
        """replay_until: until it is set (the replica caught up with the log as of its start), batches go through
        `replay` instead of the domain fold."""
        self._watch = watch or ProjectionWatch("status")
        self._replay_until = replay_until
        self._consumer = consumer
        self._store = store
        self._topic = topic
        self._catch_up = catch_up
        self._decode = decode
        self._stopping = threading.Event()

    def _assign(self, partitions: set[int]) -> None:
        tps = [TopicPartition(self._topic, p) for p in sorted(partitions)]
        self._consumer.assign(tps)
        stored = self._store.positions(self._topic)
        for tp in tps:
            if tp.partition in stored:
                self._consumer.seek(tp, stored[tp.partition])
            else:
                self._consumer.seek_to_beginning(tp)

    def run(self) -> None:
        """Consume until stopped; an unreadable record stops the loop loudly."""
        found = partitions(self._consumer, self._topic)
        while not found and not self._stopping.wait(0.5):
            found = partitions(self._consumer, self._topic)
        if self._stopping.is_set():
            return
        self._assign(found)
        log.info("projecting", extra={"topic": self._topic, "partitions": len(found)})
        while not self._stopping.is_set():
            try:
                batches = self._consumer.poll(timeout_ms=kafka_clients.POLL_MS)
            except KafkaError as error:  # the broker is away: keep the positions, ask again
                log.warning("poll failed; retrying", extra={"error": str(error)})
                self._stopping.wait(1.0)
                continue
            self._watch.polled(batches)
            for tp, records in batches.items():
                with self._watch.applying(records):
                    self._watch.applied(tp.partition, records, self._apply(records))
                self._catch_up.advanced(tp.partition, records[-1].offset + 1)
            if self._watch.due():
                self._read_ends()

    def _apply(self, records) -> int:
        if self._replay_until is not None and not self._replay_until.is_set():
            return replay(self._store, records)
        return handle(self._store, records, self._decode)

    def _read_ends(self) -> None:
        """The log's end offsets, for the projection's lag; skipped while the broker does not answer."""
        try:
            ends = self._consumer.end_offsets(list(self._consumer.assignment()))
        except KafkaError:
            return
        self._watch.ends({tp.partition: offset for tp, offset in ends.items()})

    def stop(self) -> None:
        """Ask the loop to end after the current batch."""
        self._stopping.set()
