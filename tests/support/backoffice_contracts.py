"""Contract tests of the gateway's ports, run against the in-memory fakes and the real adapters alike."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

import pytest

from ventanilla.adapters.invoice_messages import timestamp
from ventanilla.api.v1 import backoffice_pb2 as pb
from ventanilla.api.v1 import invoice_pb2
from backoffice_gateway.ports import InvoiceNotFound, Stamp


def outbox_contract(outbox, read_back: Callable[[], list[tuple[bytes, pb.BackOfficeMessage]]]) -> None:
    """Appended messages are read back in order, keyed by their invoice id, stamped: sender, version 2, the stamp's
    message id and source system, the stamp's time when the message had none."""
    at = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
    updates = [pb.BackOfficeStateUpdate(invoice_id=n, state=invoice_pb2.PAGADA, message_id=f"m-{n}") for n in (11, 12)]
    for update in updates:
        outbox.append("state_update", update, Stamp("p1", "Q0000000J", "ab" * 32, update.message_id, at))
    expected = [pb.BackOfficeMessage(state_update=pb.BackOfficeStateUpdate(
        invoice_id=n, state=invoice_pb2.PAGADA, message_id=f"m-{n}", source_system="p1", occurred_at=timestamp(at)),
        sender=pb.Sender(platform_id="p1", integrator_nif="Q0000000J", certificate_sha256="ab" * 32), version=2)
        for n in (11, 12)]
    assert read_back() == [(b"11", expected[0]), (b"12", expected[1])]


def back_office_contract(back_office, registered: int, oficina_contable: str, facturae: bytes) -> None:
    """A registered invoice's history names its oficina contable and its documents carry its Facturae; an unknown
    invoice is InvoiceNotFound."""
    history = back_office.history(registered)
    assert (history.invoice_id, history.centres.oficina_contable) == (registered, oficina_contable)
    assert back_office.documents(registered).facturae.content == facturae
    for method in (back_office.history, back_office.documents):
        with pytest.raises(InvoiceNotFound):
            method(registered + 1000)
