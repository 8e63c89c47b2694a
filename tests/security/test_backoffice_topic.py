"""Black-box: the status service of a real stack applies a message of the back-office topic only when the gateway
stamped its sender and that platform holds the invoice's oficina contable now; anything else is refused on the
feedback topic, for that platform only (header `platform`), and the invoice log gets nothing.

The local broker is plaintext, so any process here may produce to the topic (on Kubernetes the Kafka ACLs let only
the gateway write: tests/deploy/test_manifests.py): these tests are such a producer."""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone

import pytest

from ventanilla.adapters.invoice_messages import timestamp
from ventanilla.api.v1 import backoffice_pb2 as bpb
from ventanilla.api.v1 import invoice_pb2

from tests.e2e import lifecycle as lc
from tests.e2e.own_stack import SELLER
from tests.support.dev_back_office import PLATFORM

pytestmark = pytest.mark.e2e


def _message(invoice_id: int, state: str, sender: str | None) -> tuple[str, bytes]:
    message_id = f"sec-{uuid.uuid4().hex[:12]}"
    update = bpb.BackOfficeStateUpdate(invoice_id=invoice_id, state=invoice_pb2.InvoiceState.Value(state),
                                       observaciones="intruso", message_id=message_id, occurred_at=timestamp(datetime.now(timezone.utc)),
                                       source_system=sender or PLATFORM)
    envelope = bpb.BackOfficeMessage(state_update=update)
    if sender is not None:
        envelope.sender.CopyFrom(bpb.Sender(platform_id=sender, integrator_nif=SELLER))
        envelope.version = 2
    return message_id, envelope.SerializeToString()


def _send(stack, invoice_id: int, value: bytes) -> None:
    producer = lc.producer(stack.settings)
    try:
        producer.send(stack.settings.topics.backoffice_updates, key=str(invoice_id).encode(), value=value).get(30)
    finally:
        producer.close()


def _feedback_headers(stack, message_id: str) -> dict:
    for record in lc.read_all(stack.settings, stack.settings.topics.backoffice_feedback):
        if bpb.UpdateRefused.FromString(record.value).refused_message_id == message_id:
            return dict(record.headers or ())
    return {}


@pytest.mark.parametrize("sender, reason", [(None, "remitente"), ("rcf-intruso", "no es de la plataforma rcf-intruso")],
                         ids=["no gateway stamp", "a platform without the invoice's unit"])
def test_a_back_office_message_the_gateway_did_not_stamp_or_of_another_unit_changes_nothing(stack, sender, reason):
    invoice_id, _ = lc.register(stack.settings)
    events = lc.invoice_events(stack.settings, invoice_id)
    message_id, value = _message(invoice_id, "PAGADA", sender)
    _send(stack, invoice_id, value)
    refusal = lc.wait_refusal(stack.settings, message_id, timeout_s=60)
    assert refusal.error_key == "factura.error.estado.actualizacion" and reason in refusal.reason
    assert lc.invoice_events(stack.settings, invoice_id) == events  # nothing written
    assert lc.estado(stack.settings, invoice_id)[0] == "REGISTRADA"
    assert _feedback_headers(stack, message_id) == ({"ventanilla-platform": sender.encode()} if sender else {})
    # the control: the platform that holds the unit, stamped as the gateway stamps it, is applied
    accepted_id, value = _message(invoice_id, "REGISTRADA_RCF", PLATFORM)
    _send(stack, invoice_id, value)
    lc.wait_state(stack.settings, invoice_id, "REGISTRADA_RCF", timeout_s=60)
    assert accepted_id not in lc.refusals(stack.settings)


def test_a_registration_notice_names_the_platforms_holding_its_unit(stack):
    invoice_id, _ = lc.register(stack.settings)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        notices = [r for r in lc.read_all(stack.settings, stack.settings.topics.invoices_registered)
                   if dict(r.headers or ()).get("ventanilla-invoice-id") == str(invoice_id).encode()]
        if notices:
            break
        time.sleep(0.3)
    assert [(k, v) for k, v in notices[0].headers if k == "ventanilla-platform"] == [("ventanilla-platform",
                                                                                       PLATFORM.encode())]
