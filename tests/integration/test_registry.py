"""The registry service over real gRPC, Kafka, blob store and PKI: receipts, attachments, durability."""
from __future__ import annotations

import sqlite3

import pytest
from kafka import KafkaConsumer, TopicPartition

from registry_service.__main__ import build
from tests.support.registry import FACE, pdf_csv, pdf_seal_status, registrar, signed_intake_env, submit
from ventanilla.adapters.event_codec import decode
from ventanilla.adapters.topics import ensure_topics
from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.domain.events import InvoiceRegistered
from ventanilla.ports import ABSENT
from tests.support.service_pki import dial

pytestmark = pytest.mark.integration
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def registry(settings_factory, signing_pki):
    """A running registry service (schemas, signatures, dev seal) on this test's topics."""
    settings = settings_factory(signed_intake_env(signing_pki))
    ensure_topics(settings)
    service = build(settings)
    service.start()
    yield settings
    service.stop()


def registered_events(settings) -> list[InvoiceRegistered]:
    """Every InvoiceRegistered in the test's invoice topic."""
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka.bootstrap_servers, enable_auto_commit=False)
    partitions = [TopicPartition(settings.topics.invoice_events, p)
                  for p in consumer.partitions_for_topic(settings.topics.invoice_events) or ()]
    consumer.assign(partitions)
    consumer.seek_to_beginning()
    ends, events = consumer.end_offsets(partitions), []
    while any(consumer.position(tp) < end for tp, end in ends.items()):
        for records in consumer.poll(timeout_ms=1000).values():
            events += [e for e in (decode(r.value) for r in records) if isinstance(e, InvoiceRegistered)]
    consumer.close()
    return events


@pytest.mark.parametrize("one_message", [False, True], ids=["streamed", "one message"])
def test_a_signed_invoice_gets_a_sealed_receipt_retrievable_by_its_csv(registry, sign_invoice, one_message):
    answer, error = submit(registry.addresses.registry, sign_invoice(FACE.read_bytes()), attachments=[("a.pdf", PDF)],
                           one_message=one_message)
    assert error is None
    assert answer.invoice.id > 0 and len(answer.receipt_csv) == 24
    status = pdf_seal_status(answer.receipt_pdf, registry.path("dev-pki", "seal-root.pem").read_bytes())
    assert status.bottom_line and status.intact and status.valid and status.trusted
    assert "Sello de registro" in status.signing_cert.subject.human_friendly
    assert pdf_csv(answer.receipt_pdf) == answer.receipt_csv
    registry_stub_answer = _receipt(registry.addresses.registry, answer.receipt_csv)
    assert registry_stub_answer == answer.receipt_pdf
    assert _receipt(registry.addresses.registry, "A" * 24) is None
    (event,) = registered_events(registry)
    assert event.invoice.receipt.sha256 and event.invoice.attachments[0].media_type == "application/pdf"
    assert b"<Facturae" not in event.invoice.facturae.sha256.encode()


def _receipt(address: str, csv: str) -> bytes | None:
    import grpc

    from ventanilla.api.v1 import services_pb2 as pb
    from ventanilla.api.v1 import services_pb2_grpc

    with dial(address, "registry") as channel:
        try:
            return services_pb2_grpc.RegistryServiceStub(channel).GetReceipt(pb.ReceiptByCsv(csv=csv), timeout=10).receipt_pdf
        except grpc.RpcError as error:
            assert error.code() is grpc.StatusCode.NOT_FOUND
            return None


@pytest.mark.parametrize(("attachments", "key"), [
    ([("", PDF)], "anexo.error.nombreFicheroVacio"),
    ([("vacío.pdf", b"")], "anexo.error.sinContenido"),
    ([("factura.pdf", b"PK\x03\x04 a zip named like a PDF")], "attachment.error.mimeTypeNotAllowed"),
    ([("x.pdf", PDF)] * 11, "facturae.error.xml"),
])
def test_bad_attachments_write_nothing(registry, sign_invoice, attachments, key):
    answer, error = submit(registry.addresses.registry, sign_invoice(FACE.read_bytes()), attachments=attachments)
    assert (answer, error) == (None, key)
    assert registered_events(registry) == []


def test_a_stream_whose_bytes_do_not_match_its_header_writes_nothing(registry, sign_invoice):
    from ventanilla.adapters.submission_stream import parts
    from ventanilla.api.v1 import services_pb2 as pb

    facturae = sign_invoice(FACE.read_bytes())
    short = list(parts(pb.Caller(nif="B23103039"), facturae, []))[:-1]  # the last part never sent
    assert submit(registry.addresses.registry, facturae, stream=iter(short)) == (None, "facturae.error.xml")
    assert registered_events(registry) == []


def test_an_unsigned_invoice_is_refused_when_signatures_are_required(registry):
    assert submit(registry.addresses.registry, FACE.read_bytes()) == (None, "facturae.error.sign.error")


def test_append_failure_leaves_no_registration_and_a_retry_succeeds(settings_factory, signing_pki, sign_invoice):
    """The topic does not exist (auto-creation off) when the first attempt appends; it does at the retry."""
    settings = settings_factory({**signed_intake_env(signing_pki), "VENTANILLA_KAFKA_APPEND_TIMEOUT_S": "3"})
    service = build(settings)
    service.start()
    try:
        facturae = sign_invoice(FACE.read_bytes())
        assert submit(settings.addresses.registry, facturae) == (None, "facturae.error.registro")
        claims = sqlite3.connect(settings.path("registry", "claims.sqlite3"))
        assert claims.execute("SELECT COUNT(*) FROM claims").fetchone() == (0,)
        assert any(settings.path("blobs").rglob("*")), "documents were stored before the append"
        ensure_topics(settings)
        answer, error = submit(settings.addresses.registry, facturae)
        assert error is None and answer.invoice.id > 0
        assert claims.execute("SELECT status FROM claims").fetchall() == [("REGISTERED",)]
        (event,) = registered_events(settings)
        assert event.invoice_id == answer.invoice.id
        assert submit(settings.addresses.registry, facturae) == (None, "facturae.error.validation.facturaRepetida")
    finally:
        service.stop()


class _LostAcknowledgement:
    """The real event log, except that the broker's acknowledgement of the next append is lost."""

    def __init__(self, events):
        self._events = events

    def append(self, event):
        self._events.append(event)
        raise TimeoutError("acknowledgement lost (injected after a real append)")


def _registrar(settings, events, log=None):
    """An in-process Registrar on real parts, reading the log back (tests/support/registry.py)."""
    return registrar(settings, log or events)


@pytest.fixture
def events(settings_factory, signing_pki):
    """This test's settings (signed intake, topics created) and a real event log on them."""
    from ventanilla.adapters.event_log import EventLog

    settings = settings_factory(signed_intake_env(signing_pki))
    ensure_topics(settings)
    log = EventLog(settings.kafka.bootstrap_servers, settings.topics.invoice_events, "test")
    yield settings, log
    log.close()


def test_a_lost_acknowledgement_is_resolved_by_reading_the_log(events, sign_invoice):
    """The event reached the log but the registry was told otherwise: it registers, once, and says so."""
    from ventanilla.adapters.log_lookup import RegistrationLookup

    settings, log = events
    registration = _registrar(settings, log, _LostAcknowledgement(log)).submit(
        "B23103039", sign_invoice(FACE.read_bytes()), [])
    (event,) = registered_events(settings)
    assert (event.invoice_id, event.invoice.receipt) == (registration.invoice.id, registration.invoice.receipt)
    assert registration.position.offset >= 0
    assert _registrar(settings, log).receipt(registration.csv) == registration.receipt_pdf
    lookup = RegistrationLookup(settings.kafka.bootstrap_servers, settings.topics.invoice_events)
    assert lookup(registration.invoice.id + 1, event.occurred_at) == ABSENT


def _stale_claim(settings, facturae: bytes) -> int:
    """A pending claim taken ten minutes ago, as a registrar that died mid-registration leaves it."""
    from datetime import datetime, timedelta, timezone

    from ventanilla.adapters.claims import SqliteClaims
    from ventanilla.domain.invoice import InvoiceKey
    from ventanilla.facturae.parser import parse_facturae

    document = parse_facturae(facturae)
    key = InvoiceKey(document.supplier_nif, document.issue_date.year, document.series, document.number)
    return SqliteClaims(settings.path("registry", "claims.sqlite3")).claim(
        key, document.issue_date, "dead", datetime.now(timezone.utc) - timedelta(minutes=10), csv="D" * 24)


def test_a_claim_left_by_a_dead_registrar_before_its_append_does_not_block_the_retry(events, sign_invoice):
    settings, log = events
    facturae = sign_invoice(FACE.read_bytes())
    dead = _stale_claim(settings, facturae)
    registration = _registrar(settings, log).submit("B23103039", facturae, [])
    assert registration.invoice.id > dead
    assert [e.invoice_id for e in registered_events(settings)] == [registration.invoice.id]
    claims = sqlite3.connect(settings.path("registry", "claims.sqlite3"))
    assert claims.execute("SELECT id, status FROM claims").fetchall() == [(registration.invoice.id, "REGISTERED")]


def test_a_claim_left_by_a_dead_registrar_after_its_append_is_confirmed(events, sign_invoice):
    import uuid
    from dataclasses import replace
    from datetime import datetime, timezone

    settings, log = events
    facturae = sign_invoice(FACE.read_bytes())
    first = _registrar(settings, log).submit("B23103039", facturae, [])  # only to get a real event to replay
    dead = _stale_claim(settings, facturae.replace(b"TEST01002F", b"TEST01002G"))
    replayed = replace(first.invoice, id=dead, key=replace(first.invoice.key, number="TEST01002G"))
    log.append(InvoiceRegistered(str(uuid.uuid4()), dead, datetime.now(timezone.utc), replayed))
    with pytest.raises(DomainError) as caught:
        _registrar(settings, log).submit("B23103039", sign_invoice(FACE.read_bytes().replace(
            b"TEST01002F", b"TEST01002G")), [])
    assert caught.value.key is ErrorKey.FACTURA_REPETIDA
    claims = sqlite3.connect(settings.path("registry", "claims.sqlite3"))
    assert claims.execute("SELECT status, csv, receipt_sha256 FROM claims WHERE id=?", (dead,)).fetchone() == (
        "REGISTERED", "D" * 24, replayed.receipt.sha256)
