"""Trace context and request id in kafka-python record headers: inject when producing, extract when consuming."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Sequence

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.propagators.textmap import Getter, Setter

from ventanilla.observability import requestid

Headers = list[tuple[str, bytes]]


class _HeaderSetter(Setter[Headers]):
    def set(self, carrier: Headers, key: str, value: str) -> None:
        carrier[:] = [(k, v) for k, v in carrier if k != key]
        carrier.append((key, value.encode("ascii", "replace")))


class _HeaderGetter(Getter[Sequence[tuple[str, bytes]]]):
    def get(self, carrier, key: str) -> list[str] | None:
        found = [v.decode("ascii", "replace") for k, v in carrier if k == key and v is not None]
        return found or None

    def keys(self, carrier) -> list[str]:
        return [k for k, _ in carrier]


_SETTER, _GETTER = _HeaderSetter(), _HeaderGetter()


def inject(headers: Sequence[tuple[str, bytes]] = (), context: otel_context.Context | None = None) -> Headers:
    """headers plus the current (or given) trace context and request id, for KafkaProducer.send(headers=...)."""
    carrier = list(headers)
    propagate.inject(carrier, context=context, setter=_SETTER)
    request_id = requestid.current()
    if request_id is not None:
        _SETTER.set(carrier, requestid.METADATA_KEY, request_id)
    return carrier


def extract(headers: Sequence[tuple[str, bytes]] | None) -> otel_context.Context:
    """The trace context a record's headers carry (ConsumerRecord.headers); an empty context if none."""
    return propagate.extract(list(headers or ()), getter=_GETTER)


def request_id_of(headers: Sequence[tuple[str, bytes]] | None) -> str | None:
    """The sane request id a record's headers carry, if any."""
    found = _GETTER.get(list(headers or ()), requestid.METADATA_KEY)
    return requestid.accepted(found[0]) if found else None


def _attributes(topic: str, operation: str) -> dict:
    return {"messaging.system": "kafka", "messaging.destination.name": topic, "messaging.operation.type": operation}


@contextmanager
def producing(tracer: trace.Tracer, topic: str, headers: Sequence[tuple[str, bytes]] = ()) -> Iterator[Headers]:
    """A PRODUCER span around a send; yields the headers to send (the span as parent of what consumes it)."""
    with tracer.start_as_current_span(f"send {topic}", kind=trace.SpanKind.PRODUCER,
                                      attributes=_attributes(topic, "send")):
        yield inject(headers)


@contextmanager
def consuming(tracer: trace.Tracer, record) -> Iterator[trace.Span]:
    """A CONSUMER span for one ConsumerRecord, child of its producer's span, its request id made current."""
    attributes = {**_attributes(record.topic, "process"), "messaging.destination.partition.id": str(record.partition),
                  "messaging.kafka.offset": record.offset}
    with requestid.bound(request_id_of(record.headers)), \
            tracer.start_as_current_span(f"process {record.topic}", context=extract(record.headers),
                                         kind=trace.SpanKind.CONSUMER, attributes=attributes) as span:
        yield span
