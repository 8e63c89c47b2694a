"""Invariant 5 against a real broker and a real status service: an invoice whose registration the broker has just
acknowledged is found at once by its submitter, by id and by values, singly and in a group, without read_own_writes
(what the edge sends for enviarFactura's caller), however far its projection is behind."""
from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from ventanilla.adapters.blob_store import DirectoryBlobStore
from ventanilla.adapters.event_log import EventLog
from ventanilla.api.v1 import invoice_pb2, services_pb2, services_pb2_grpc
from ventanilla.domain.events import InvoiceRegistered
from status_service.__main__ import build

from ..unit.domain.factories import T0, registration
from tests.support.service_pki import dial

pytestmark = pytest.mark.integration

ROUNDS = 20


def test_a_registration_just_acknowledged_is_found_at_once_by_its_submitter(kafka_settings):
    started = build(kafka_settings)
    started.start()
    log = EventLog(kafka_settings.kafka.bootstrap_servers, kafka_settings.topics.invoice_events, "test")
    try:
        assert started.wait_ready(60)
        base = 700_000 + uuid.uuid4().int % 100_000
        receipt = DirectoryBlobStore(kafka_settings.path("blobs")).put(b"%PDF-1.7 receipt", "r.pdf", "application/pdf")
        with dial(kafka_settings.addresses.status, "status") as channel:
            stub = services_pb2_grpc.StatusServiceStub(channel)
            for n in range(ROUNDS):
                invoice_id = base + n
                reg = replace(registration(invoice_id), key=replace(registration().key, number=f"RYW-{invoice_id}"),
                              receipt=receipt)
                log.append(InvoiceRegistered(str(uuid.uuid4()), invoice_id, T0, reg))  # acks=all: acknowledged
                caller = services_pb2.Caller(nif=reg.submitter_nif)  # enviarFactura's caller: no flag
                kind = n % 3
                if kind == 0:
                    answer = stub.GetInvoice(services_pb2.InvoiceById(caller=caller, id=invoice_id), timeout=30)
                    assert (answer.invoice.id, answer.receipt_pdf) == (invoice_id, b"%PDF-1.7 receipt"), n
                elif kind == 1:
                    key = invoice_pb2.InvoiceTuple(supplier_nif=reg.key.supplier_nif, year=reg.key.year,
                                                   series=reg.key.series, number=reg.key.number)
                    answer = stub.FindInvoice(services_pb2.InvoiceByTuple(caller=caller, tuple=key), timeout=30)
                    assert answer.invoice.id == invoice_id, n
                else:
                    answer = stub.GetStates(services_pb2.StatesByIds(caller=caller, ids=[base, invoice_id]),
                                            timeout=30)
                    assert [(item.state, item.HasField("error")) for item in answer.items] == [
                        (invoice_pb2.REGISTRADA, False)] * 2, (n, answer)
    finally:
        log.close()
        started.stop()
