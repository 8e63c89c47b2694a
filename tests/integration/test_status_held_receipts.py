"""The conditional receipt fetch against the real status service over real gRPC (mutual TLS, real Kafka): the receipt
is left out only when the caller names its exact SHA-256, without a blob read; the caller is checked as always; and
the edge's consultarFactura answer from a held receipt is byte for byte the one from a fetched receipt."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import uuid
from dataclasses import replace
from pathlib import Path

import grpc
import pytest

from ventanilla.adapters.blob_store import DirectoryBlobStore
from ventanilla.adapters.event_log import EventLog
from ventanilla.api.v1 import invoice_pb2, services_pb2 as pb, services_pb2_grpc as rpc
from ventanilla.config import Deadlines
from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.domain.events import InvoiceRegistered
from status_service.__main__ import build
from soap_edge.backends.channels import Channels
from soap_edge.backends.clients import Backends
from soap_edge.backends.receipts import HeldReceipts
from soap_edge.soap import answers

from tests.support.service_pki import dial
from tests.unit.domain.factories import T0, registration

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
STRANGER = "99999999R"
SUBMITTER = "12345678Z"  # a valid NIF: the edge refuses a certificate without one
PDF = b"%PDF-1.7 " + os.urandom(30_000)


@pytest.fixture
def status(kafka_settings):
    """(settings, the registration of an invoice with a 30 KB receipt, that receipt's blob file) on a ready service."""
    service = build(kafka_settings)
    service.start()
    log = EventLog(kafka_settings.kafka.bootstrap_servers, kafka_settings.topics.invoice_events, "test")
    try:
        assert service.wait_ready(60)
        blobs = DirectoryBlobStore(kafka_settings.path("blobs"))
        receipt = blobs.put(PDF, "comprobante.pdf", "application/pdf")
        invoice_id = 800_000 + uuid.uuid4().int % 100_000
        reg = replace(registration(invoice_id, submitter=SUBMITTER), key=replace(registration().key, number=f"HELD-{invoice_id}"),
                      receipt=receipt)
        log.append(InvoiceRegistered(str(uuid.uuid4()), invoice_id, T0, reg))
        blob_file = kafka_settings.path("blobs") / receipt.sha256[:2] / receipt.sha256
        assert blob_file.read_bytes() == PDF
        yield kafka_settings, reg, blob_file
    finally:
        log.close()
        service.stop()


def _tuple(reg) -> invoice_pb2.InvoiceTuple:
    return invoice_pb2.InvoiceTuple(supplier_nif=reg.key.supplier_nif, year=reg.key.year, series=reg.key.series,
                                    number=reg.key.number)


def _asks(stub, reg, nif: str, held: str) -> list[pb.InvoiceAnswer]:
    """GetInvoice's and FindInvoice's answers to nif naming the held receipt hash."""
    caller = pb.Caller(nif=nif)
    return [stub.GetInvoice(pb.InvoiceById(caller=caller, id=reg.id, held_receipt_sha256=held), timeout=30),
            stub.FindInvoice(pb.InvoiceByTuple(caller=caller, tuple=_tuple(reg), held_receipt_sha256=held),
                             timeout=30)]


def test_the_receipt_is_left_out_only_for_its_exact_hash_and_then_without_a_blob_read(status):
    settings, reg, blob_file = status
    sha256 = reg.receipt.sha256
    other = hashlib.sha256(b"another receipt").hexdigest()
    with dial(settings.addresses.status, "status") as channel:
        stub = rpc.StatusServiceStub(channel)
        full = _asks(stub, reg, reg.submitter_nif, "")
        assert [(a.invoice.id, a.receipt_pdf, a.receipt_unchanged) for a in full] == [(reg.id, PDF, False)] * 2
        for held in (other, sha256.upper(), sha256[:-1], sha256 + "0", " " + sha256):  # changed or unknown: sent
            assert _asks(stub, reg, reg.submitter_nif, held) == full, held
        unchanged = _asks(stub, reg, reg.submitter_nif, sha256)
        assert [(a.receipt_pdf, a.receipt_unchanged) for a in unchanged] == [(b"", True)] * 2
        assert [a.invoice for a in unchanged] == [a.invoice for a in full]
        blob_file.unlink()  # a match needs no blob read; anything else does, and now fails
        assert [(a.receipt_pdf, a.receipt_unchanged) for a in _asks(stub, reg, reg.submitter_nif, sha256)] == [
            (b"", True)] * 2
        with pytest.raises(grpc.RpcError):
            stub.GetInvoice(pb.InvoiceById(caller=pb.Caller(nif=reg.submitter_nif), id=reg.id, held_receipt_sha256=other),
                            timeout=30)


def test_a_caller_who_may_not_see_the_invoice_is_refused_though_it_names_the_receipt(status):
    settings, reg, _ = status
    refusals = []
    with dial(settings.addresses.status, "status") as channel:
        stub = rpc.StatusServiceStub(channel)
        for held in ("", reg.receipt.sha256):
            for ask in (lambda: stub.GetInvoice(pb.InvoiceById(caller=pb.Caller(nif=STRANGER), id=reg.id,
                                                               held_receipt_sha256=held), timeout=30),
                        lambda: stub.FindInvoice(pb.InvoiceByTuple(caller=pb.Caller(nif=STRANGER), tuple=_tuple(reg),
                                                                   held_receipt_sha256=held), timeout=30)):
                with pytest.raises(grpc.RpcError) as refused:
                    ask()
                refusals.append((refused.value.code(), refused.value.details()))
    assert refusals[:2] == refusals[2:] and "no puede acceder" in refusals[0][1]


def _answers(found) -> tuple[bytes, bytes, list]:
    """consultarFactura's inline answer, and its MTOM answer (each part's fresh Content-ID as "cid") with the parts'
    bytes, from a client's answer."""
    parts: list = []
    mtom = answers.envelope("consultarFactura", answers.factura(found, "return", parts))
    for cid, _ in parts:
        mtom = mtom.replace(cid.encode(), b"cid")
    return answers.envelope("consultarFactura", answers.factura(found, "return", None)), mtom, [p[1] for p in parts]


def test_the_edge_answers_alike_from_a_held_receipt_and_the_status_check_still_decides(status):
    settings, reg, blob_file = status
    channels = Channels({"status": settings.addresses.status}, 1 << 24,
                        open_channel=lambda address, options=(): dial(address, "status", options=options))
    held = HeldReceipts(1024 * 1024)
    client = Backends(channels, Deadlines(query_s=30.0, write_s=30.0, read_your_writes_s=5.0), receipts=held).status
    owner = pb.Caller(nif=reg.submitter_nif)
    try:
        fetched = [client.invoice(owner, reg.id), client.invoice_by_tuple(owner, _tuple(reg))]
        assert [f.receipt_pdf for f in fetched] == [PDF, PDF] and len(held) == 2
        first = [_answers(f) for f in fetched]
        assert b"<comprobanteRegistro>" in first[0][0] and first[0][2] == [PDF]
        blob_file.unlink()  # from here on only a held receipt can answer
        again = [client.invoice(owner, reg.id), client.invoice_by_tuple(owner, _tuple(reg))]
        assert [_answers(f) for f in again] == first
        for ask in (lambda: client.invoice(pb.Caller(nif=STRANGER), reg.id),
                    lambda: client.invoice_by_tuple(pb.Caller(nif=STRANGER), _tuple(reg))):
            with pytest.raises(DomainError) as refused:
                ask()
            assert refused.value.key is ErrorKey.FACTURA_INVALIDA
    finally:
        channels.close()


BUILT_EDGE_ASKS_TWICE = """
import json, sys
from pathlib import Path
from ventanilla.config import Settings
from soap_edge.__main__ import build
from tests.unit.soap_edge.fakes import Client, client_certificate, envelope

invoice_id, nif, blob_file = int(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
client = Client(build(Settings.from_env()), client_certificate(nif))
ask = envelope("consultarFactura", f"<idFactura>{invoice_id}</idFactura>")
first = client.post(ask)
blob_file.unlink()  # from here on only a receipt the worker holds can answer
second = client.post(ask)
print(json.dumps([[r.code, r.body.decode()] for r in (first, second)]))
"""


@pytest.mark.parametrize("budget_mb", ["16", "0"])
def test_the_built_edge_holds_receipts_by_its_setting(status, settings_env, budget_mb):
    _, reg, blob_file = status
    env = {**os.environ, **settings_env, "VENTANILLA_EDGE_RECEIPT_CACHE_MB": budget_mb,
           "VENTANILLA_EDGE_ACCESS_MODE": "open"}
    done = subprocess.run([sys.executable, "-c", BUILT_EDGE_ASKS_TWICE, str(reg.id), reg.submitter_nif,
                           str(blob_file)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    (first_code, first), (second_code, second) = json.loads(done.stdout)
    receipt = base64.b64encode(PDF).decode()
    assert first_code == 200 and receipt in first
    if budget_mb == "0":  # nothing held: the status service must read the blob again, and now cannot
        assert second_code == 500 and "<faultcode>" in second and receipt not in second
    else:
        assert (second_code, second) == (first_code, first)
