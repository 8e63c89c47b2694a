"""What consumer loops report: each record handled in its producer's trace and request id, polls, records, lag."""
from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Callable, Iterator

from opentelemetry import trace

from ventanilla.observability import kafka_headers, requestid
from ventanilla.observability.lag import ProjectionLag
from ventanilla.observability.metrics import Metrics

LAG_REFRESH_S = 5.0  # how often a projection asks the broker for the log's end offsets


class ConsumeWatch:
    """For one consumer loop: a CONSUMER span per record (when tracing), its request id current, records counted."""

    def __init__(self, consumer: str, metrics: Metrics | None = None, tracer: trace.Tracer | None = None):
        self._consumer, self._metrics, self._tracer = consumer, metrics, tracer

    def polled(self, batch: dict) -> None:
        """A poll returned (maybe nothing): the loop is alive; count what it brought."""
        if self._metrics is None:
            return
        self._metrics.consumer_last_poll.labels(consumer=self._consumer).set(time.time())
        for tp, records in batch.items():
            self._metrics.kafka_consumed.labels(topic=tp.topic, consumer=self._consumer).inc(len(records))

    @contextmanager
    def handling(self, record) -> Iterator[None]:
        """Around the handling of one record."""
        if self._tracer is not None:
            with kafka_headers.consuming(self._tracer, record):
                yield
            return
        with requestid.bound(kafka_headers.request_id_of(record.headers)):
            yield


class ProjectionWatch(ConsumeWatch):
    """A projection's loop: also events applied, and its lag in records and seconds."""

    def __init__(self, projection: str, metrics: Metrics | None = None, tracer: trace.Tracer | None = None,
                 clock: Callable[[], float] = time.monotonic):
        super().__init__(projection, metrics, tracer)
        self._projection, self._clock, self._next_refresh = projection, clock, 0.0
        self._lag = None if metrics is None else ProjectionLag(projection, metrics.projection_lag_records,
                                                               metrics.projection_lag_seconds)

    @contextmanager
    def applying(self, records) -> Iterator[None]:
        """Around the application of one partition's batch: a CONSUMER span per record, child of its producer's."""
        if self._tracer is None:
            yield
            return
        spans = [self._tracer.start_span(f"apply {record.topic}", context=kafka_headers.extract(record.headers),
                                         kind=trace.SpanKind.CONSUMER,
                                         attributes={"messaging.system": "kafka", "messaging.kafka.offset": record.offset,
                                                     "messaging.destination.name": record.topic})
                 for record in records]
        try:
            yield
        finally:
            for span in spans:
                span.end()

    def applied(self, partition: int, records, newly_applied: int) -> None:
        """A batch of one partition was applied (newly_applied of them for the first time)."""
        if self._metrics is None:
            return
        self._metrics.projection_applied.labels(projection=self._projection).inc(newly_applied)
        last = records[-1]
        self._lag.applied(partition, last.offset + 1, last.timestamp)

    def due(self) -> bool:
        """Whether the log's end offsets should be read again now."""
        if self._lag is None or self._clock() < self._next_refresh:
            return False
        self._next_refresh = self._clock() + LAG_REFRESH_S
        return True

    def ends(self, end_offsets: dict[int, int]) -> None:
        """The log's end offsets, by partition, as just read."""
        if self._lag is not None:
            self._lag.refresh(end_offsets)
