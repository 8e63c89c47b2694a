"""A whole stack observed: every process's /metrics moves, one trace crosses edge → registry → Kafka → status,
the request id reaches every process a request touched, and no log line holds a NIF, a number or document text."""
from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from lxml import etree
from prometheus_client.parser import text_string_to_metric_families

from ventanilla.config import METRICS_PROCESSES
from ventanilla.observability.catalogue import REGISTRY_STAGES

from tests.support.invoices import fresh_invoice
from tests.support.otlp_receiver import OtlpReceiver, Span

from . import lifecycle as lc
from . import soap
from .own_stack import OwnStack, own_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def observed(kafka_bootstrap, tmp_path_factory, free_ports):
    """A stack exporting every span to a loopback OTLP receiver, the edge's workers sharing their metrics by files."""
    receiver = OtlpReceiver().start()
    base = tmp_path_factory.mktemp("observed")
    env = {"VENTANILLA_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "VENTANILLA_KAFKA_EXTERNAL": "1",
           "OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": receiver.endpoint,
           "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_BSP_SCHEDULE_DELAY": "100"}
    started = own_stack(env, base / "state", free_ports(5),
                        {name: {"PROMETHEUS_MULTIPROC_DIR": str(base / f"{name}-metrics")} for name in ("soap-edge", "portal")})
    try:
        yield started, receiver, _Run(started)
    finally:
        started.stop_all()
        receiver.stop()


class _Run:
    """What the module's one scenario did: a submission, a refused one, a back-office update, a cancellation."""

    def __init__(self, own: OwnStack):
        self.ids = {name: f"obs-{name}-{uuid.uuid4().hex[:12]}" for name in ("submit", "fault", "cancel", "update")}
        self.invoice = fresh_invoice(lc.SAMPLE, f"OBS{uuid.uuid4().hex[:8].upper()}")
        body = _post(own, "submit", *soap.enviar_inline(self.invoice.document), self.ids)
        self.invoice_id = int(lc.fields(body.find(f"{{{soap.NS}}}enviarFacturaResponse/return"))["id"])
        _post(own, "fault", *soap.enviar_inline(b"<no-es-una-factura/>"), self.ids)
        message_id, value = lc.state_update(self.invoice_id, "REGISTRADA_RCF")
        producer = lc.producer(own.settings)
        producer.send(own.settings.topics.backoffice_updates, key=str(self.invoice_id).encode(), value=value,
                      headers=[("x-request-id", self.ids["update"].encode())])
        producer.flush()
        producer.close()
        lc.wait_state(own.settings, self.invoice_id, "REGISTRADA_RCF")
        envelope = soap.envelope("anularFactura", f"<idFactura>{self.invoice_id}</idFactura>"
                                                  "<motivoAnulacion>duplicada</motivoAnulacion>")
        _post(own, "cancel", lc.XML, envelope, self.ids)
        self.update_message = message_id


def _post(own: OwnStack, name: str, content_type: str, body: bytes, ids: dict) -> etree._Element:
    response = soap.post(own.settings.edge.url, content_type, body, request_id=ids[name])
    assert response.headers["X-Request-ID"] == ids[name]
    return soap.parse(response)[0]


def _scrape(own: OwnStack, process: str) -> dict[str, list]:
    """The samples of one process's /metrics, by name (the text format parsed by prometheus-client)."""
    prefix, _ = METRICS_PROCESSES[process]
    text = requests.get(f"http://{own.env[f'VENTANILLA_{prefix}_METRICS_ADDRESS']}/metrics", timeout=10).text
    found: dict[str, list] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append(sample)
    return found


def _total(samples: dict[str, list], name: str, **labels) -> float:
    return sum(s.value for s in samples.get(name, []) if all(s.labels.get(k) == v for k, v in labels.items()))


def _settled(own: OwnStack, process: str, check, seconds: float = 30.0) -> None:
    """Scrape a process until its samples pass `check` (the edge's and the registry's workers write their values
    at most a flush period late: docs/operations.md), or fail with the last assertion after the deadline."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            check(_scrape(own, process))
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _edge_moved(edge: dict) -> None:
    assert _total(edge, "ventanilla_soap_requests_total", operation="enviarFactura", outcome="ok") >= 1
    assert _total(edge, "ventanilla_soap_requests_total", operation="enviarFactura", outcome="client_fault") >= 1
    assert _total(edge, "ventanilla_soap_requests_total", operation="anularFactura") >= 1
    assert _total(edge, "ventanilla_soap_request_body_bytes_count", operation="enviarFactura", transfer="inline") >= 2
    assert _total(edge, "grpc_client_handled_total", grpc_method="SubmitInvoice") >= 2
    assert _total(edge, "process_resident_memory_bytes") > 0


def _registry_moved(registry: dict) -> None:
    for stage in REGISTRY_STAGES:
        assert _total(registry, "ventanilla_registry_stage_duration_seconds_count", stage=stage) >= 1, stage
    assert _total(registry, "ventanilla_invoices_registered_total") >= 1
    assert _total(registry, "ventanilla_registry_submissions_total", outcome="client_fault") >= 1
    assert _total(registry, "grpc_server_handled_total", grpc_method="SubmitInvoice", grpc_code="OK") >= 1
    assert _total(registry, "ventanilla_kafka_produce_duration_seconds_count") >= 1


def _status_moved(status: dict) -> None:
    assert _total(status, "ventanilla_projection_events_applied_total", projection="status") >= 3
    assert "ventanilla_projection_lag_seconds" in status and "ventanilla_projection_lag_records" in status
    assert _total(status, "ventanilla_backoffice_messages_total", kind="state_update", outcome="applied") >= 1
    assert _total(status, "ventanilla_backoffice_notices_published_total") >= 1
    assert _total(status, "ventanilla_kafka_consumed_records_total", consumer="intake") >= 1
    assert _total(status, "grpc_server_handled_total", grpc_method="GetInvoice") >= 1


def _cancellation_moved(cancellation: dict) -> None:
    assert _total(cancellation, "ventanilla_cancellation_requests_total", outcome="ok") >= 1
    assert _total(cancellation, "grpc_client_handled_total", grpc_method="GetInvoice", grpc_code="OK") >= 1
    assert _total(cancellation, "ventanilla_kafka_produce_duration_seconds_count") >= 1


def _alive(samples: dict) -> None:  # the portal's logins, sign-ups and certificates move in tests/browser; the
    # back-office gateway's calls and refusals in tests/integration
    assert _total(samples, "ventanilla_build_info") == 1 and _total(samples, "process_cpu_seconds_total") > 0


def test_every_process_metrics_move_with_a_submission_a_fault_an_update_and_a_cancellation(observed):
    own = observed[0]
    _settled(own, "soap-edge", _edge_moved)
    _settled(own, "registry", _registry_moved)
    _settled(own, "status", _status_moved)
    _settled(own, "cancellation", _cancellation_moved)
    _settled(own, "portal", _alive)
    _settled(own, "backoffice-gateway", _alive)


def _one(spans: list[Span], **wanted) -> Span | None:
    found = [s for s in spans if all(getattr(s, k) == v for k, v in wanted.items())]
    return found[0] if found else None


def test_one_trace_crosses_the_edge_the_registry_kafka_and_the_status_consumers(observed):
    _, receiver, run = observed

    def chain(spans: list[Span]):
        edge = next((s for s in spans if s.service == "soap-edge" and s.kind == "server"
                     and s.attributes.get("ventanilla.request_id") == run.ids["submit"]), None)
        if edge is None:
            return None
        same = [s for s in spans if s.trace_id == edge.trace_id]
        call = _one(same, service="soap-edge", kind="client", parent_id=edge.span_id)
        served = call and _one(same, service="registry", kind="server", parent_id=call.span_id)
        sent = served and _one(same, service="registry", kind="producer", parent_id=served.span_id)
        applied = sent and _one(same, service="status", kind="consumer", parent_id=sent.span_id,
                                name=f"apply {sent.attributes['messaging.destination.name']}")
        noticed = sent and _one(same, service="status", kind="consumer", parent_id=sent.span_id,
                                name=f"process {sent.attributes['messaging.destination.name']}")
        return (call, served, sent, applied, noticed) if applied and noticed else None

    call, served, sent, applied, noticed = receiver.wait_for(chain)
    assert "SubmitInvoice" in served.name and "SubmitInvoice" in call.name


def _lines(own: OwnStack, service: str) -> list[dict]:
    lines = []
    for raw in (own.logs / f"{service}.log").read_text(errors="replace").splitlines():
        try:
            lines.append(json.loads(raw))
        except ValueError:
            continue
    return lines


def test_the_request_id_reaches_every_process_the_request_touched(observed):
    own, _, run = observed
    carrying = {service: {line.get("request_id") for line in _lines(own, service)}
                for service in ("soap-edge", "registry", "status", "cancellation")}
    assert run.ids["submit"] in carrying["soap-edge"] and run.ids["submit"] in carrying["registry"]
    assert run.ids["submit"] in carrying["status"]  # the notice of its registration
    assert run.ids["update"] in carrying["status"]  # the back office's update, by its record's header
    assert run.ids["cancel"] in carrying["cancellation"] and run.ids["cancel"] in carrying["soap-edge"]
    assert run.ids["fault"] in carrying["registry"] or run.ids["fault"] in carrying["soap-edge"]
    traced = [line for line in _lines(own, "registry") if line.get("request_id") == run.ids["submit"]]
    assert all(len(line.get("trace_id", "")) == 32 for line in traced)


def test_concurrent_state_queries_share_a_call_in_its_leaders_trace_that_the_others_link_to(observed):
    own, receiver, run = observed
    request = soap.envelope("consultarEstadoFactura", f"<idFactura>{run.invoice_id}</idFactura>")
    sent: set[str] = set()

    def ask(n: int) -> None:
        request_id = f"obs-estado-{uuid.uuid4().hex[:12]}"
        sent.add(request_id)
        response = soap.post(own.settings.edge.url, lc.XML, request, request_id=request_id)
        assert response.status_code == 200, response.text

    def shared(spans: list[Span]):
        """A member's edge span linked to the leader's, whose trace holds the call and the status's span of it."""
        served = {s.span_id: s for s in spans if s.service == "soap-edge" and s.kind == "server"}
        for member in served.values():
            leader = next((served[link] for link in member.links if link in served), None)
            if leader is None or "ventanilla.batch.queries" not in member.attributes:
                continue
            same = [s for s in spans if s.trace_id == leader.trace_id]
            call = _one(same, service="soap-edge", kind="client", parent_id=leader.span_id)
            answered = call and _one(same, service="status", kind="server", parent_id=call.span_id)
            if answered and "GetStateBatch" in call.name and "ventanilla.batch.queries" in leader.attributes:
                return member, leader, call, answered
        return None

    deadline = time.monotonic() + 90
    with ThreadPoolExecutor(max_workers=8) as pool:
        while not shared(list(receiver.spans)):
            assert time.monotonic() < deadline, "no call carried two queries"
            list(pool.map(ask, range(64)))
    member, leader, call, answered = receiver.wait_for(shared)
    assert member.trace_id != leader.trace_id and "GetStateBatch" in answered.name
    logged = [line for line in _lines(own, "status") if line.get("msg") == "state batch"]
    assert any(len(set(line["request_ids"]) & sent) > 1 for line in logged)
    _settled(own, "soap-edge", lambda edge: _batched(edge))


def _batched(edge: dict) -> None:
    count = _total(edge, "ventanilla_soap_state_batch_queries_count")
    assert count >= 1 and _total(edge, "ventanilla_soap_state_batch_queries_sum") > count


def _document_texts(document: bytes) -> set[str]:
    """Every text of the invoice long enough to be telling (names, addresses, descriptions, numbers)."""
    root = etree.fromstring(document)
    return {text.strip() for text in root.itertext() if len(text.strip()) >= 6 and any(c.isalpha() for c in text)}


def test_no_log_line_of_the_run_holds_a_nif_an_invoice_number_or_document_text(observed):
    own, _, run = observed
    invoice = run.invoice
    secrets = {invoice.supplier_nif, invoice.customer_nif, invoice.number} | _document_texts(invoice.document)
    assert len(secrets) > 10 and invoice.supplier_nif in secrets
    leaks = []
    for log in sorted(Path(own.logs).glob("*.log")):
        for number, line in enumerate(log.read_text(errors="replace").splitlines(), 1):
            leaks += [f"{log.name}:{number}: {secret!r}" for secret in secrets if secret in line]
    assert not leaks, "\n".join(leaks[:20])
