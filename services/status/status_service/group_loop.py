"""A consumer-group loop: a thin shell feeding each record to a handler, committing after each batch."""
from __future__ import annotations

import logging
import threading
from typing import Protocol

from kafka import KafkaConsumer
from kafka.coordinator.base import MemberState
from kafka.errors import CommitFailedError, KafkaError

from ventanilla.adapters import kafka_clients
from ventanilla.adapters.projector import partitions
from ventanilla.observability.consume import ConsumeWatch
from ventanilla.stopping import CLOSE_S

log = logging.getLogger("status.group")


class Handler(Protocol):
    """What a group loop drives: begin a batch, handle each record value, end the batch."""

    def begin(self) -> None: ...
    def handle(self, value: bytes) -> object: ...
    def end(self) -> None: ...


class GroupLoop:
    """Replicas in one group share the partitions; a failed record is retried, never skipped."""

    def __init__(self, consumer: KafkaConsumer, topic: str, handler: Handler, name: str, retry_s: float = 1.0,
                 after: threading.Event | None = None, watch: ConsumeWatch | None = None):
        self._consumer, self._topic, self._handler = consumer, topic, handler
        self._watch = watch or ConsumeWatch(name)
        self._name, self._retry_s = name, retry_s
        self._after = after  # join the group only once this is set (the projection has caught up)
        self._stopping = threading.Event()

    def run(self) -> None:
        """Consume until stopped (at least once; handlers are idempotent)."""
        if not self._await(self._after) or not self._await_partitions():
            self._close()
            return
        self._consumer.subscribe([self._topic])
        log.info("consuming", extra={"loop": self._name, "topic": self._topic})
        while not self._stopping.is_set():
            try:
                batch = self._consumer.poll(timeout_ms=kafka_clients.POLL_MS)
            except KafkaError as error:  # the broker is away: it comes back, the group is joined again
                log.warning("poll failed; retrying", extra={"loop": self._name, "error": str(error)})
                self._stopping.wait(self._retry_s)
                continue
            self._watch.polled(batch)
            self._rejoin_if_dropped()
            if not batch:
                continue
            try:
                self._handler.begin()
                for records in batch.values():
                    for record in records:
                        with self._watch.handling(record):
                            self._handler.handle(record.value)
                self._handler.end()
            except Exception:  # noqa: BLE001 - broker or projection trouble: rewind and retry
                log.exception("batch failed; retrying", extra={"loop": self._name})
                self._rewind(batch)
                self._stopping.wait(self._retry_s)
                continue
            self._commit()
        self._close()

    def _close(self) -> None:
        """Leave the group, waiting at most CLOSE_S for a broker that does not answer (kafka-python's close
        otherwise waits its request timeout, 30 s, to leave the group)."""
        self._consumer.close(autocommit=False, timeout_ms=int(CLOSE_S * 1000))

    def _await(self, event: threading.Event | None) -> bool:
        """Wait until event is set; False when stopped first."""
        while event is not None and not event.wait(0.5):
            if self._stopping.is_set():
                return False
        return True

    def _await_partitions(self) -> bool:
        """Join only once the topic's partitions are known; False when stopped first.

        Joining earlier, the leader assigns nothing, and the rejoin that the next metadata update
        triggers can be dropped by kafka-python 3.0.12 when a poll ends before it completes: the loop
        then sits in the group with no partitions (3 of about 107 test starts with a core kept busy).
        """
        while not partitions(self._consumer, self._topic):
            if self._stopping.wait(0.5):
                return False
        return True

    def _rejoin_if_dropped(self) -> None:
        """Ask again for a join that kafka-python 3.0.12 dropped (design note in docs/benchmarks.md, issue 9).

        A rejoin the leader starts because its first assignment saw no metadata runs as a task; when the poll that
        started it times out first and the task's own assignment makes `need_rejoin()` false, no later poll collects
        it: the member stays REBALANCING with its heartbeat disabled, so the heartbeat always looks due, every poll
        waits 0 ms and spins (a core while idle), and the broker evicts the silent member. A new join ends that.
        """
        coordinator = self._consumer._coordinator  # noqa: SLF001 - no public view of the member's state
        join = coordinator._join_task  # noqa: SLF001 - done and never collected once dropped
        if coordinator.state is MemberState.REBALANCING and (join is None or join.is_done) and not coordinator.need_rejoin():
            log.warning("a finished group join was dropped by the client; joining again", extra={"loop": self._name})
            coordinator.request_rejoin()

    def _rewind(self, batch) -> None:
        assigned = self._consumer.assignment()
        for tp, records in batch.items():
            if tp in assigned:  # a partition lost in a rebalance is re-read by its new owner from the commit
                self._consumer.seek(tp, records[0].offset)

    def _commit(self) -> None:
        try:
            self._consumer.commit()
        except (CommitFailedError, KafkaError) as error:
            log.warning("commit failed; records may be redelivered", extra={"loop": self._name, "error": str(error)})

    def stop(self) -> None:
        """End the loop after the current batch and leave the group."""
        self._stopping.set()

