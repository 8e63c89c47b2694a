"""The anti-corruption translation of back-office contract messages, and the feedback it produces."""
from datetime import datetime, timezone

import pytest

from ventanilla.adapters.invoice_messages import timestamp
from ventanilla.api.v1 import backoffice_pb2 as pb
from ventanilla.api.v1 import invoice_pb2
from ventanilla.domain.invoice_commands import DecideCancellation, SetState
from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.domain.invoice import State
from status_service.backoffice_messages import sender_of, translate, update_refused
from status_service.refusal import ContractViolation, refusal_of

AT = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)


def update(**overrides) -> pb.BackOfficeStateUpdate:
    fields = dict(invoice_id=7, state=invoice_pb2.CONTABILIZADA, observaciones="Obligación reconocida",
                  message_id="m-1", occurred_at=timestamp(AT), source_system="rcf-sefcan")
    return pb.BackOfficeStateUpdate(**{**fields, **overrides})


def verdict(**overrides) -> pb.CancellationVerdict:
    fields = dict(invoice_id=7, verdict=pb.CancellationVerdict.REJECTED, motivo="Ya contabilizada",
                  message_id="v-1", occurred_at=timestamp(AT), source_system="rcf-sefcan")
    return pb.CancellationVerdict(**{**fields, **overrides})


def test_a_state_update_becomes_a_set_state_command():
    value = pb.BackOfficeMessage(state_update=update()).SerializeToString()
    assert translate(value) == SetState(7, State.CONTABILIZADA, "Obligación reconocida", "m-1", AT, "rcf-sefcan")


@pytest.mark.parametrize("choice, accepted", [(pb.CancellationVerdict.ACCEPTED, True),
                                              (pb.CancellationVerdict.REJECTED, False)])
def test_a_verdict_becomes_a_decide_cancellation_command(choice, accepted):
    value = pb.BackOfficeMessage(cancellation_verdict=verdict(verdict=choice)).SerializeToString()
    assert translate(value) == DecideCancellation(7, accepted, "Ya contabilizada", "v-1", AT, "rcf-sefcan")


@pytest.mark.parametrize("value, message_id, invoice_id, words", [
    (b"", "", 0, "ni cancellation_verdict"),
    (b"\xff\xff\xff", "", 0, "no es un BackOfficeMessage"),
    (pb.BackOfficeMessage(state_update=update(message_id=" ")).SerializeToString(), " ", 7, "message_id"),
    (pb.BackOfficeMessage(state_update=update(invoice_id=0)).SerializeToString(), "m-1", 0, "invoice_id"),
    (pb.BackOfficeMessage(state_update=update(state=0)).SerializeToString(), "m-1", 7, "Estado desconocido"),
    (pb.BackOfficeMessage(state_update=update(state=42)).SerializeToString(), "m-1", 7, "Estado desconocido"),
    (pb.BackOfficeMessage(state_update=update(source_system="")).SerializeToString(), "m-1", 7, "source_system"),
    (pb.BackOfficeMessage(cancellation_verdict=verdict(verdict=0)).SerializeToString(), "v-1", 7, "ACCEPTED"),
    (pb.BackOfficeMessage(cancellation_verdict=pb.CancellationVerdict(
        invoice_id=7, verdict=1, message_id="v-2", source_system="s")).SerializeToString(), "v-2", 7, "occurred_at"),
])
def test_a_message_breaking_the_contract_is_refused_with_the_catalogue_key(value, message_id, invoice_id, words):
    with pytest.raises(ContractViolation) as refused:
        translate(value)
    refusal = refused.value.refusal
    assert (refusal.message_id, refusal.invoice_id, refusal.error.key) == (message_id, invoice_id,
                                                                          ErrorKey.ESTADO_ACTUALIZACION)
    assert words in refusal.error.detail


def test_feedback_names_the_refused_message_key_and_reason():
    command = translate(pb.BackOfficeMessage(state_update=update()).SerializeToString())
    error = DomainError(ErrorKey.ESTADO_ACTUALIZACION, "No se puede pasar de REGISTRADA a CONTABILIZADA.")
    message = update_refused(refusal_of(command, error), AT)
    assert (message.refused_message_id, message.invoice_id, message.error_key, message.reason,
            message.source_system) == ("m-1", 7, "factura.error.estado.actualizacion",
                                       "No se puede pasar de REGISTRADA a CONTABILIZADA.", "rcf-sefcan")
    assert message.refused_at.ToDatetime(tzinfo=timezone.utc) == AT


def test_only_a_version_2_message_names_its_sender():
    stamped = pb.BackOfficeMessage(state_update=update(), version=2, sender=pb.Sender(platform_id="rcf-sefcan"))
    claimed = pb.BackOfficeMessage(state_update=update(), sender=pb.Sender(platform_id="rcf-sefcan"))  # version 1
    assert sender_of(stamped.SerializeToString()) == "rcf-sefcan"
    assert sender_of(claimed.SerializeToString()) == ""
    assert sender_of(pb.BackOfficeMessage(state_update=update()).SerializeToString()) == ""
    assert sender_of(b"\xff\x00not protobuf") == ""
