"""The composition roots assemble their use cases with the ports they are given (build(settings, overrides=...)).

Integration only because each root binds its gRPC server (on a free loopback port); no broker is contacted.
"""
import pytest

from cancellation_service.__main__ import build as build_cancellation
from registry_service.__main__ import build as build_registry
from tests.support.invoice_fakes import FixedClock, MemoryBlobStore, MemoryClaims, MemoryLog
from tests.support.registry import FACE
from tests.support.service_pki import service_tls_env
from ventanilla.config import Settings
from ventanilla.domain.events import CancellationRequested, InvoiceRegistered
from ventanilla.domain.lifecycle import fold

pytestmark = pytest.mark.integration


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings.from_env({"VENTANILLA_STATE_DIR": str(tmp_path), "VENTANILLA_REQUIRE_SIGNATURE": "0",
                              "VENTANILLA_REGISTRY_ADDRESS": "127.0.0.1:0",
                              "VENTANILLA_CANCELLATION_ADDRESS": "127.0.0.1:0",
                              "VENTANILLA_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9", **service_tls_env()})


def test_the_registry_and_the_cancellation_services_run_their_use_cases_on_the_ports_given(settings):
    log, clock = MemoryLog(), FixedClock()
    registry = build_registry(settings, overrides={"log": log, "lookup": log.lookup, "claims": MemoryClaims(),
                                                   "blobs": MemoryBlobStore(), "clock": clock})
    cancellation = build_cancellation(settings, overrides={"log": log, "clock": clock})
    try:
        registration = registry.registrar.submit("B23103039", FACE.read_bytes(), [])
        assert registration.invoice.registered_at == clock.now() and registration.receipt_pdf.startswith(b"%PDF")

        def lookup():
            return fold(e for e in log.events if e.invoice_id == registration.invoice.id), registration.receipt_pdf

        cancelled, _ = cancellation.canceller.cancel("B23103039", lookup, "Duplicada")
        assert cancelled.cancellation.reason == "Duplicada"
        assert [type(e) for e in log.events] == [InvoiceRegistered, CancellationRequested]
    finally:
        registry.server.stop()
        cancellation.server.stop()
        cancellation.channel.close()
        registry.events.close()


def test_the_status_service_runs_its_intake_and_queries_on_the_ports_given(settings_factory):
    """The log, blobs, clock and the log's end offsets are fakes; the topics it follows besides are a real broker's
    (the test plays the projector over the in-memory log, as tests/unit/status/test_backoffice_intake.py does)."""
    from dataclasses import replace

    from status_service.__main__ import build as build_status
    from tests.unit.domain.factories import registration
    from tests.unit.status.test_backoffice_intake import state_update
    from ventanilla.adapters.topics import ensure_topics
    from ventanilla.domain.events import StatusChanged
    from ventanilla.domain.invoice import State

    settings = settings_factory({"VENTANILLA_BACKOFFICE_REQUIRE_SENDER": "0", **service_tls_env()})
    ensure_topics(settings)
    log, blobs, clock = MemoryLog(), MemoryBlobStore(), FixedClock()
    receipt = blobs.put(b"%PDF-1.7 receipt", "comprobante-7.pdf", "application/pdf")
    service = build_status(settings, overrides={"log": log, "blobs": blobs, "clock": clock,
                                                "end_offsets": log.end_offsets})

    def project(event, topic, partition, offset) -> None:
        service.store.apply(event, topic, partition, offset)
        service.catch_up.advanced(partition, offset + 1)

    log.subscribe(project)
    log.append(InvoiceRegistered("e-reg", 7, clock.now(), replace(registration(7), receipt=receipt)))
    service.start()
    try:
        assert service.wait_ready(60)
        invoice, pdf = service.queries.invoice_by_id("B12345678", 7)
        assert (invoice.state, pdf) == (State.REGISTRADA, b"%PDF-1.7 receipt")
        service.intake.begin()
        assert service.intake.handle(state_update(message_id="m-fakes").SerializeToString()) == "applied"
        changed = log.events[-1]
        assert isinstance(changed, StatusChanged) and changed.message_id == "m-fakes"
        assert service.queries.invoice_by_id("B12345678", 7)[0].state is State.REGISTRADA_RCF
    finally:
        service.stop()
