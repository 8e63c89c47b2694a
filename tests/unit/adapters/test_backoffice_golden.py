"""Golden payloads of every back-office contract message version: what the wire looked like when published."""
from datetime import datetime, timezone
from pathlib import Path

import pytest

from ventanilla.adapters.invoice_messages import timestamp
from ventanilla.api.v1 import backoffice_pb2 as pb
from ventanilla.api.v1 import invoice_pb2
from ventanilla.domain.invoice_commands import DecideCancellation, SetState
from ventanilla.domain.invoice import State
from status_service.backoffice_messages import translate
from status_service.notices import notice_of

from ..domain.factories import registration

GOLDEN = Path(__file__).parent / "golden"
AT = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)

EXAMPLES = {
    "backoffice.state_update.v1": pb.BackOfficeMessage(state_update=pb.BackOfficeStateUpdate(
        invoice_id=7, state=invoice_pb2.CONTABILIZADA, observaciones="Obligación reconocida", message_id="m-1",
        occurred_at=timestamp(AT), source_system="rcf-sefcan")),
    "backoffice.cancellation_verdict.v1": pb.BackOfficeMessage(cancellation_verdict=pb.CancellationVerdict(
        invoice_id=7, verdict=pb.CancellationVerdict.REJECTED, motivo="Ya contabilizada", message_id="v-1",
        occurred_at=timestamp(AT), source_system="rcf-sefcan")),
    "backoffice.state_update.v2": pb.BackOfficeMessage(state_update=pb.BackOfficeStateUpdate(
        invoice_id=7, state=invoice_pb2.CONTABILIZADA, observaciones="Obligación reconocida", message_id="m-2",
        occurred_at=timestamp(AT), source_system="plat-7f3a"), version=2, sender=pb.Sender(
        platform_id="plat-7f3a", integrator_nif="Q2826000H", certificate_sha256="ab" * 32)),
    "backoffice.cancellation_verdict.v2": pb.BackOfficeMessage(cancellation_verdict=pb.CancellationVerdict(
        invoice_id=7, verdict=pb.CancellationVerdict.ACCEPTED, motivo="Anulación aceptada", message_id="v-2",
        occurred_at=timestamp(AT), source_system="plat-7f3a"), version=2, sender=pb.Sender(
        platform_id="plat-7f3a", integrator_nif="Q2826000H", certificate_sha256="ab" * 32)),
    "backoffice.update_refused.v1": pb.UpdateRefused(
        refused_message_id="m-1", invoice_id=7, error_key="factura.error.estado.actualizacion",
        reason="No se puede pasar de REGISTRADA a CONTABILIZADA.", refused_at=timestamp(AT),
        source_system="rcf-sefcan"),
    "backoffice.invoice_registered_notice.v1": pb.InvoiceRegisteredNotice.FromString(notice_of(registration())[2]),
}

COMMANDS = {
    "backoffice.state_update.v1": SetState(7, State.CONTABILIZADA, "Obligación reconocida", "m-1", AT, "rcf-sefcan"),
    "backoffice.cancellation_verdict.v1": DecideCancellation(7, False, "Ya contabilizada", "v-1", AT, "rcf-sefcan"),
    "backoffice.state_update.v2": SetState(7, State.CONTABILIZADA, "Obligación reconocida", "m-2", AT, "plat-7f3a"),
    "backoffice.cancellation_verdict.v2": DecideCancellation(7, True, "Anulación aceptada", "v-2", AT, "plat-7f3a"),
}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_golden_payload_reads_as_the_example_and_the_example_writes_the_golden(name):
    golden = (GOLDEN / f"{name}.bin").read_bytes()
    example = EXAMPLES[name]
    assert type(example).FromString(golden) == example
    assert example.SerializeToString(deterministic=True) == golden


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_golden_back_office_messages_translate_to_the_same_commands(name):
    assert translate((GOLDEN / f"{name}.bin").read_bytes()) == COMMANDS[name]


def test_every_contract_message_type_has_a_golden_example():
    published = {"BackOfficeMessage", "UpdateRefused", "InvoiceRegisteredNotice"}
    assert {type(e).__name__ for e in EXAMPLES.values()} == published
