"""What every produced record gets: the trace context and request id in its headers, its latency and errors counted."""
from __future__ import annotations

import time
from typing import Callable, Sequence

from opentelemetry import trace

from ventanilla.observability import kafka_headers
from ventanilla.observability.metrics import Metrics


class ProduceWatch:
    """Wraps KafkaProducer.send: headers carry the context on; the acknowledgement's latency and failures are observed.

    Without metrics and tracer (the default), records still carry the request id and any current trace context.
    """

    def __init__(self, metrics: Metrics | None = None, tracer: trace.Tracer | None = None):
        self._metrics, self._tracer = metrics, tracer

    def send(self, topic: str, headers: Sequence[tuple[str, bytes]] | None, send: Callable[[list], object]):
        """send(headers) with the context added; its future, observed when the broker answers."""
        started = time.perf_counter()
        if self._tracer is None:
            future = send(kafka_headers.inject(headers or ()))
        else:
            with kafka_headers.producing(self._tracer, topic, headers or ()) as carried:
                future = send(carried)
        if self._metrics is not None:
            duration, errors = self._metrics.kafka_produce_duration, self._metrics.kafka_produce_errors
            future.add_callback(lambda _meta: duration.labels(topic=topic).observe(time.perf_counter() - started))
            future.add_errback(lambda error: errors.labels(topic=topic, error=type(error).__name__).inc())
        return future
