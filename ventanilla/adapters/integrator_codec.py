"""Integrator events <-> versioned protobuf envelopes on the integrators topic (field by field, by name)."""
from __future__ import annotations

import dataclasses
from datetime import datetime

from ventanilla.adapters.event_codec import UnknownEventType
from ventanilla.adapters.invoice_messages import moment, timestamp
from ventanilla.api.v1 import integrators_pb2 as pb
from ventanilla.domain import integrator_events as ev
from ventanilla.domain.integrator_events import Role

HEAD = tuple(f.name for f in dataclasses.fields(ev.IntegratorEvent))
MESSAGES: dict[tuple[str, int], tuple[type, type]] = {
    (e.TYPE, e.VERSION): (e, m) for e, m in (
        (ev.SignedUp, pb.SignedUp), (ev.ProfileChanged, pb.ProfileChanged),
        (ev.NotificationsChanged, pb.NotificationsChanged), (ev.PersonalDataChanged, pb.PersonalDataChanged),
        (ev.CertificateRegistered, pb.CertificateRegistered), (ev.CertificateRemoved, pb.CertificateRemoved),
        (ev.CertificateExpiryNoticed, pb.CertificateExpiryNoticed), (ev.PlatformCreated, pb.PlatformCreated),
        (ev.PlatformRenamed, pb.PlatformRenamed), (ev.PlatformCertificateAdded, pb.PlatformCertificate),
        (ev.PlatformCertificateRemoved, pb.PlatformCertificate), (ev.PlatformDeleted, pb.PlatformRef),
        (ev.PlatformApproved, pb.PlatformRef), (ev.PlatformRefused, pb.PlatformRefused),
        (ev.Dir3UnitAttached, pb.Dir3Unit), (ev.Dir3UnitDetached, pb.Dir3Unit),
        (ev.UserAuthorized, pb.UserAuthorized), (ev.AuthorizationRevoked, pb.AuthorizationRevoked),
        (ev.NoticePublished, pb.NoticePublished),
    )
}
_ROLES = {Role.SENDING: pb.PLATFORM_ROLE_SENDING, Role.RECEIVING: pb.PLATFORM_ROLE_RECEIVING}
_ROLES_BACK = {v: k for k, v in _ROLES.items()}


def _payload_fields(event_type: type) -> list[str]:
    return [f.name for f in dataclasses.fields(event_type) if f.name not in HEAD]


def _to_pb(value):
    if isinstance(value, datetime):
        return timestamp(value)
    if isinstance(value, frozenset):
        return sorted(_ROLES[r] for r in value)
    return value


def encode(event: ev.IntegratorEvent) -> bytes:
    """The envelope bytes of an integrator event (deterministic)."""
    _, message_type = MESSAGES[(event.TYPE, event.VERSION)]
    message = message_type()
    for name in _payload_fields(type(event)):
        value = _to_pb(getattr(event, name))
        if isinstance(value, list):
            getattr(message, name).extend(value)
        elif hasattr(value, "SerializeToString"):
            getattr(message, name).CopyFrom(value)
        else:
            setattr(message, name, value)
    envelope = pb.IntegratorEventEnvelope(
        type=event.TYPE, version=event.VERSION, event_id=event.event_id, nif=event.nif,
        actor_nif=event.actor_nif, payload=message.SerializeToString(deterministic=True))
    envelope.occurred_at.CopyFrom(timestamp(event.occurred_at))
    return envelope.SerializeToString(deterministic=True)


def _from_pb(event_type: type, message, name: str):
    value = getattr(message, name)
    kind = {f.name: f.type for f in dataclasses.fields(event_type)}[name]
    if kind in ("datetime", datetime):
        return moment(value)
    if "frozenset" in str(kind):
        return frozenset(_ROLES_BACK[r] for r in value)
    return value


def decode(data: bytes) -> ev.IntegratorEvent:
    """The integrator event in envelope bytes; UnknownEventType for a type this build cannot read."""
    envelope = pb.IntegratorEventEnvelope.FromString(data)
    known = MESSAGES.get((envelope.type, envelope.version))
    if known is None:
        raise UnknownEventType(f"{envelope.type} v{envelope.version}")
    event_type, message_type = known
    message = message_type.FromString(envelope.payload)
    payload = {name: _from_pb(event_type, message, name) for name in _payload_fields(event_type)}
    return event_type(event_id=envelope.event_id, nif=envelope.nif, occurred_at=moment(envelope.occurred_at),
                      actor_nif=envelope.actor_nif, **payload)


def partition_key(nif: str) -> bytes:
    """The record key of an integrator's events (the default partitioner hashes it)."""
    return nif.encode("ascii")
