"""Back-office contract messages (v1) in, domain commands out, refusals back out: the anti-corruption layer."""
from __future__ import annotations

from datetime import datetime

from google.protobuf.message import DecodeError

from ventanilla.adapters.event_log import invoice_partition_key
from ventanilla.adapters.invoice_messages import moment, state_from_pb, timestamp
from ventanilla.api.v1 import backoffice_pb2 as pb
from ventanilla.domain.invoice_commands import BackOfficeCommand, DecideCancellation, SetState
from ventanilla.domain.errors import DomainError, ErrorKey
from status_service.notices import PLATFORM_HEADER
from status_service.refusal import ContractViolation, Refusal

_VERDICTS = {pb.CancellationVerdict.ACCEPTED: True, pb.CancellationVerdict.REJECTED: False}


def _violation(message, detail: str) -> ContractViolation:
    return ContractViolation(Refusal(getattr(message, "message_id", ""), getattr(message, "invoice_id", 0),
                                     getattr(message, "source_system", ""),
                                     DomainError(ErrorKey.ESTADO_ACTUALIZACION, detail)))


def _common(message) -> dict:
    if not message.message_id.strip():
        raise _violation(message, "El mensaje no tiene message_id.")
    if message.invoice_id <= 0:
        raise _violation(message, "El mensaje no indica una factura (invoice_id).")
    if not message.source_system.strip():
        raise _violation(message, "El mensaje no indica el sistema de origen (source_system).")
    if not message.HasField("occurred_at"):
        raise _violation(message, "El mensaje no indica cuándo ocurrió (occurred_at).")
    return {"invoice_id": message.invoice_id, "message_id": message.message_id,
            "occurred_at": moment(message.occurred_at), "source_system": message.source_system}


def _state_update(message: pb.BackOfficeStateUpdate) -> SetState:
    common = _common(message)
    try:
        state = state_from_pb(message.state)
    except ValueError:
        raise _violation(message, f"Estado desconocido: {message.state}.") from None
    return SetState(state=state, remarks=message.observaciones, **common)


def _verdict(message: pb.CancellationVerdict) -> DecideCancellation:
    common = _common(message)
    if message.verdict not in _VERDICTS:
        raise _violation(message, "El veredicto debe ser ACCEPTED o REJECTED.")
    return DecideCancellation(accepted=_VERDICTS[message.verdict], reason=message.motivo, **common)


def translate(value: bytes) -> BackOfficeCommand:
    """The domain command in a BackOfficeMessage record; ContractViolation when it breaks the contract."""
    try:
        envelope = pb.BackOfficeMessage.FromString(value or b"")
    except DecodeError:
        raise _violation(None, "El mensaje no es un BackOfficeMessage v1.") from None
    body = envelope.WhichOneof("body")
    if body == "state_update":
        return _state_update(envelope.state_update)
    if body == "cancellation_verdict":
        return _verdict(envelope.cancellation_verdict)
    raise _violation(None, "El mensaje no contiene state_update ni cancellation_verdict.")


def sender_of(value: bytes) -> str:
    """The platform the back-office gateway authenticated and stamped on the message (version 2), else ""."""
    try:
        envelope = pb.BackOfficeMessage.FromString(value or b"")
    except DecodeError:
        return ""
    return envelope.sender.platform_id.strip() if envelope.version >= 2 else ""



def update_refused(refusal: Refusal, now: datetime) -> pb.UpdateRefused:
    """The feedback message of a refusal."""
    return pb.UpdateRefused(refused_message_id=refusal.message_id, invoice_id=refusal.invoice_id,
                            error_key=refusal.error.key.value, reason=refusal.error.detail,
                            refused_at=timestamp(now), source_system=refusal.source_system)


class FeedbackTopic:
    """The feedback topic, told of each refusal as an UpdateRefused keyed by its invoice."""

    def __init__(self, publisher, topic: str):
        self._publisher, self._topic = publisher, topic

    def refused(self, refusal: Refusal, at: datetime, platform: str = "") -> None:
        """Publish the refusal and wait for its acknowledgement; the header ventanilla-platform names the sending
        platform, the only one it is for."""
        self._publisher.publish(self._topic, invoice_partition_key(refusal.invoice_id),
                                update_refused(refusal, at).SerializeToString(),
                                headers=[(PLATFORM_HEADER, platform.encode())] if platform else None)
