"""Contract tests of the gateway's ports, run against the in-memory fakes and the real adapters alike."""
from __future__ import annotations

from typing import Callable

import pytest

from ventanilla.api.v1 import backoffice_pb2 as pb
from ventanilla.api.v1 import invoice_pb2
from backoffice_gateway.ports import InvoiceNotFound


def outbox_contract(outbox, read_back: Callable[[], list[tuple[bytes, pb.BackOfficeMessage]]]) -> None:
    """Appended messages are read back in order, keyed by their invoice id, unchanged."""
    sent = [pb.BackOfficeMessage(state_update=pb.BackOfficeStateUpdate(invoice_id=n, state=invoice_pb2.PAGADA,
                                                                       message_id=f"m-{n}"),
                                 sender=pb.Sender(platform_id="p1"), version=2) for n in (11, 12)]
    for message in sent:
        outbox.append(message.state_update.invoice_id, message)
    assert read_back() == [(b"11", sent[0]), (b"12", sent[1])]


def back_office_contract(back_office, registered: int, oficina_contable: str, facturae: bytes) -> None:
    """A registered invoice's history names its oficina contable and its documents carry its Facturae; an unknown
    invoice is InvoiceNotFound."""
    history = back_office.history(registered)
    assert (history.invoice_id, history.centres.oficina_contable) == (registered, oficina_contable)
    assert back_office.documents(registered).facturae.content == facturae
    for method in (back_office.history, back_office.documents):
        with pytest.raises(InvoiceNotFound):
            method(registered + 1000)
