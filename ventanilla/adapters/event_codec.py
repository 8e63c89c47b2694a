"""Serialization of domain events into versioned protobuf envelopes and back; older versions upcast when read."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, NamedTuple

from ventanilla.adapters.invoice_messages import moment, state_from_pb, state_to_pb, timestamp
from ventanilla.adapters.invoice_messages import registration_from_pb
from ventanilla.adapters.registration_facts import facts_to_pb, upcast_v1
from ventanilla.api.v1 import events_pb2 as pb
from ventanilla.domain import events as ev


class Decoded(NamedTuple):
    """A decoded event with its registration facts as the v2 payload bytes (None for other events)."""

    event: ev.InvoiceEvent
    facts: bytes | None


class UnknownEventType(ValueError):
    """An envelope whose (type, version) this build cannot read."""


@dataclass(frozen=True)
class _Codec:
    message: type
    to_pb: Callable | None  # None: a version only read, never written again
    from_pb: Callable


def _decided(cls, message=pb.CancellationDecided):
    return _Codec(
        message,
        lambda e: message(reason=e.reason, source_system=e.source_system, message_id=e.message_id),
        lambda head, m: cls(*head, reason=m.reason, source_system=m.source_system, message_id=m.message_id),
    )


CODECS: dict[tuple[str, int], _Codec] = {
    (ev.InvoiceRegistered.TYPE, 1): _Codec(  # read only: upcast to v2
        pb.InvoiceRegistered,
        None,
        lambda head, m: ev.InvoiceRegistered(*head, invoice=registration_from_pb(upcast_v1(m), head[1])),
    ),
    (ev.InvoiceRegistered.TYPE, 2): _Codec(
        pb.InvoiceRegisteredV2,
        lambda e: facts_to_pb(e.invoice),
        lambda head, m: ev.InvoiceRegistered(*head, invoice=registration_from_pb(m, head[1])),
    ),
    (ev.StatusChanged.TYPE, 1): _Codec(
        pb.StatusChanged,
        lambda e: pb.StatusChanged(
            state=state_to_pb(e.state), remarks=e.remarks, source_system=e.source_system, message_id=e.message_id
        ),
        lambda head, m: ev.StatusChanged(
            *head, state=state_from_pb(m.state), remarks=m.remarks,
            source_system=m.source_system, message_id=m.message_id,
        ),
    ),
    (ev.CancellationRequested.TYPE, 1): _Codec(
        pb.CancellationRequested,
        lambda e: pb.CancellationRequested(reason=e.reason, requested_by_nif=e.requested_by_nif),
        lambda head, m: ev.CancellationRequested(*head, reason=m.reason, requested_by_nif=m.requested_by_nif),
    ),
    (ev.CancellationRejected.TYPE, 1): _decided(ev.CancellationRejected),
    (ev.CancellationAccepted.TYPE, 1): _decided(ev.CancellationAccepted),
    (ev.BackOfficeReportRefused.TYPE, 1): _decided(ev.BackOfficeReportRefused, pb.BackOfficeReportRefused),
}


def encode(event: ev.InvoiceEvent) -> bytes:
    """The envelope bytes of a domain event."""
    codec = CODECS[(event.TYPE, event.VERSION)]
    envelope = pb.EventEnvelope(
        type=event.TYPE,
        version=event.VERSION,
        event_id=event.event_id,
        invoice_id=event.invoice_id,
        payload=codec.to_pb(event).SerializeToString(),
    )
    envelope.occurred_at.CopyFrom(timestamp(event.occurred_at))
    return envelope.SerializeToString()


def _read(data: bytes) -> tuple[pb.EventEnvelope, ev.InvoiceEvent]:
    envelope = pb.EventEnvelope.FromString(data)
    codec = CODECS.get((envelope.type, envelope.version))
    if codec is None:
        raise UnknownEventType(f"{envelope.type} v{envelope.version}")
    head = (envelope.event_id, envelope.invoice_id, moment(envelope.occurred_at))
    return envelope, codec.from_pb(head, codec.message.FromString(envelope.payload))


def decode(data: bytes) -> ev.InvoiceEvent:
    """The domain event in envelope bytes; UnknownEventType for a type this build cannot read."""
    return _read(data)[1]


def decode_facts(data: bytes) -> Decoded:
    """The domain event in envelope bytes, and for a registration its facts as v2 payload bytes (a v2 payload as
    read, a v1 payload upcast), so that a projection can store them without encoding the registration again."""
    envelope, event = _read(data)
    if envelope.type != ev.InvoiceRegistered.TYPE:
        return Decoded(event, None)
    if envelope.version == 2:
        return Decoded(event, envelope.payload)
    return Decoded(event, facts_to_pb(event.invoice).SerializeToString())
