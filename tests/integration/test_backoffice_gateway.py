"""The back-office gateway with real parts: portal use cases on a real broker, the status service, gRPC over mutual
TLS with test-PKI certificates. Who may pass, who may not (with the gRPC status), and that refusals write nothing."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import grpc
import pytest

from ventanilla import devpki, pki
from ventanilla.adapters.log_reader import read_to_end
from ventanilla.adapters.publisher import Publisher
from ventanilla.adapters.topics import ensure_topics
from ventanilla.api.v1 import backoffice_pb2 as pb
from ventanilla.api.v1 import invoice_pb2
from ventanilla.config import Settings
from ventanilla.domain import integrator_commands as cmd
from ventanilla.observability.process import Observability
from backoffice_gateway.__main__ import build
from backoffice_gateway.adapters import KafkaOutbox, StatusBackOffice
from portal_service.handlers import Actor
from status_service.__main__ import build as build_status
from tests.integration.test_status_backoffice import _register, _state
from tests.support.backoffice_contracts import back_office_contract, outbox_contract
from tests.support.gateway_client import stub
from tests.support.integrators import Enrolment, until
from tests.support.portal_kafka import portal_env, start_portal

pytestmark = pytest.mark.integration
BODY, OTHER_BODY, COMPANY, STAFF = "Q2826000H", "S2800000H", "B23103039", "00000000T"
UNIT = "A05003638"  # the oficina contable of tests/unit/domain/factories.registration()


class World:
    """Everything the doors are tried with."""

    def __init__(self, settings, enrol, gateway, env, observability):
        self.settings, self.enrol, self.gateway, self.env = settings, enrol, gateway, env
        self.metrics = observability.metrics
        self.server_ca = devpki.layout(settings).cert("ca").read_bytes()
        self.address = settings.gateway.address

    def stub(self, client):
        return stub(self.address, self.server_ca, client)

    def records(self) -> list[pb.BackOfficeMessage]:
        return [pb.BackOfficeMessage.FromString(r.value) for batch in read_to_end(
            self.settings.kafka.bootstrap_servers, self.settings.topics.backoffice_updates) for r in batch]


@contextmanager
def running_world(settings_env: dict, tmp_path: Path, **more: str) -> Iterator[World]:
    """Portal, status service and gateway on the test broker; `more` adds VENTANILLA_* variables."""
    enrol = Enrolment.new(tmp_path / "trust")
    env = {**portal_env(settings_env, tmp_path / "trust", STAFF),
           "VENTANILLA_BACKOFFICE_GATEWAY_CLIENT_CA": str(tmp_path / "trust" / "clients-ca.pem"), **more}
    settings = Settings.from_env(env)
    ensure_topics(settings)
    devpki.init(settings)
    portal = start_portal(env)
    enrol.portal = portal.portal
    status = build_status(settings)
    status.start()
    observability = Observability.quiet("backoffice-gateway")
    gateway = build(settings, observability)
    try:
        gateway.start()
        yield World(settings, enrol, gateway, env, observability)
    finally:
        gateway.stop()
        status.stop()
        portal.stop()


@pytest.fixture
def world(settings_env, tmp_path):
    with running_world(settings_env, tmp_path) as started:
        yield started


def enrolled(world: World) -> dict[str, pki.Issued]:
    enrol, clients = world.enrol, {}
    enrol.sign_up(BODY)
    clients["own"] = enrol.client(BODY, "RCF")
    clients["own_platform"] = enrol.back_office(BODY, clients["own"], (UNIT,))
    enrol.sign_up(OTHER_BODY)
    clients["other"] = enrol.client(OTHER_BODY, "RCF")
    enrol.back_office(OTHER_BODY, clients["other"], ("GE0000002",))
    enrol.sign_up(COMPANY)
    clients["sender"] = enrol.client(COMPANY, "ENVIO")
    enrol.platform(COMPANY, clients["sender"])
    clients["unregistered"] = enrol.client(COMPANY, "NUEVO")
    untrusted_ca = pki.issue_ca(pki.name("Somebody else's CA"))
    clients["untrusted"] = pki.issue_leaf(untrusted_ca, pki.name("B23103039"), pki.Usage.CLIENT)
    return clients


def wait_known(world: World, client, invoice_id: int) -> None:
    """Until the gateway's directory knows the platform and the status service the invoice."""
    def answers():
        try:
            world.stub(client).GetHistory(pb.HistoryRequest(invoice_id=invoice_id), timeout=5)
            return True
        except grpc.RpcError:
            return False
    until(answers, timeout_s=30, step_s=0.1)


def test_a_back_office_updates_its_invoice_stamped_with_its_platform(world):
    clients = enrolled(world)
    _register(world.settings, 41)
    wait_known(world, clients["own"], 41)
    forged = pb.BackOfficeStateUpdate(invoice_id=41, state=invoice_pb2.REGISTRADA_RCF, observaciones="recibida",
                                      message_id="gw-1", source_system="rcf-forged")
    accepted = world.stub(clients["own"]).UpdateState(forged, timeout=10)
    assert accepted == pb.Accepted(invoice_id=41, message_id="gw-1", source_system=clients["own_platform"])
    assert _state(world.settings, 41, "REGISTRADA_RCF") == "REGISTRADA_RCF"
    history = world.stub(clients["own"]).GetHistory(pb.HistoryRequest(invoice_id=41), timeout=10)
    assert [(e.state, e.source) for e in history.entries][-1] == (invoice_pb2.REGISTRADA_RCF, clients["own_platform"])
    documents = world.stub(clients["own"]).GetDocuments(pb.DocumentsRequest(invoice_id=41), timeout=10)
    assert documents.facturae.content == b"<Facturae/>"
    [record] = world.records()
    assert (record.version, record.sender.platform_id, record.sender.integrator_nif) == (
        2, clients["own_platform"], BODY)


def cli(world: World, *argv: str) -> subprocess.CompletedProcess:
    """`ventanilla ARGV...` in its own process, with the test stack's settings."""
    return subprocess.run([str(Path(sys.executable).with_name("ventanilla")), *argv], capture_output=True, text=True,
                          env={**os.environ, **world.env}, timeout=60)


def test_the_cli_is_a_client_of_the_gateway_with_a_certificate(world, tmp_path):
    clients = enrolled(world)
    _register(world.settings, 45)
    wait_known(world, clients["own"], 45)
    cert, key = clients["own"].write(tmp_path / "cli", "backoffice")
    sent = cli(world, "backoffice", "set-state", "45", "REGISTRADA_RCF", "--motivo", "recibida", "--message-id",
               "cli-1", "--cert", str(cert), "--key", str(key))
    assert sent.returncode == 0 and "accepted message cli-1 for invoice 45" in sent.stdout, sent.stderr
    assert _state(world.settings, 45, "REGISTRADA_RCF") == "REGISTRADA_RCF"
    shown = cli(world, "backoffice", "history", "45", "--cert", str(cert), "--key", str(key))
    assert shown.returncode == 0 and "REGISTRADA_RCF" in shown.stdout, shown.stderr
    sender_cert, sender_key = clients["sender"].write(tmp_path / "sender", "client")
    refused = cli(world, "backoffice", "set-state", "45", "PAGADA", "--cert", str(sender_cert), "--key", str(sender_key))
    assert refused.returncode == 1 and "PERMISSION_DENIED" in refused.stderr
    assert [r.state_update.message_id for r in world.records()] == ["cli-1"]


@pytest.mark.parametrize("who, code", [
    (None, grpc.StatusCode.UNAVAILABLE),  # no certificate: the TLS handshake fails, no call reaches the gateway
    ("untrusted", grpc.StatusCode.UNAVAILABLE),  # a certificate of another CA: likewise
    ("unregistered", grpc.StatusCode.UNAUTHENTICATED),
    ("sender", grpc.StatusCode.PERMISSION_DENIED),  # a supplier's (sending platform's) certificate
    ("other", grpc.StatusCode.PERMISSION_DENIED),  # an approved RCF platform that does not own the invoice's unit
])
def test_every_other_caller_is_refused_and_nothing_is_written(world, who, code):
    clients = enrolled(world)
    _register(world.settings, 42)
    wait_known(world, clients["own"], 42)
    client = clients.get(who)
    update = pb.BackOfficeStateUpdate(invoice_id=42, state=invoice_pb2.PAGADA, message_id="x", source_system="own")
    calls = [lambda s: s.UpdateState(update, timeout=10),
             lambda s: s.DecideCancellation(pb.CancellationVerdict(invoice_id=42, verdict=1), timeout=10),
             lambda s: s.GetDocuments(pb.DocumentsRequest(invoice_id=42), timeout=10),
             lambda s: s.GetHistory(pb.HistoryRequest(invoice_id=42), timeout=10)]
    for attempt in calls:
        with pytest.raises(grpc.RpcError) as refused:
            attempt(world.stub(client))
        assert refused.value.code() == code, refused.value.details()
    assert world.records() == []
    counted = world.metrics.registry.get_sample_value
    for method in ("UpdateState", "DecideCancellation", "GetDocuments", "GetHistory"):
        handled = counted("grpc_server_handled_total", {"grpc_type": "UNARY", "grpc_method": method,
                                                         "grpc_service": "ventanilla.v1.BackOfficeGateway",
                                                         "grpc_code": code.name})
        assert handled == (None if code is grpc.StatusCode.UNAVAILABLE else 1), method  # no TLS, no call
    reasons = {s.labels["reason"] for f in world.metrics.registry.collect() for s in f.samples
               if s.name == "ventanilla_backoffice_gateway_refusals_total"}
    assert reasons == {None: set(), "untrusted": set(), "unregistered": {"unregistered"},
                       "sender": {"not_back_office"}, "other": {"other_unit"}}[who]


def test_a_platform_deleted_in_the_portal_stops_working_within_5_s(world):
    clients = enrolled(world)
    _register(world.settings, 43)
    wait_known(world, clients["own"], 43)
    world.enrol.portal.run(Actor(BODY, BODY), cmd.DeletePlatform, platform_id=clients["own_platform"])
    started = time.monotonic()

    def refused() -> bool:
        try:
            world.stub(clients["own"]).GetHistory(pb.HistoryRequest(invoice_id=43), timeout=5)
            return False
        except grpc.RpcError as error:
            return error.code() is grpc.StatusCode.UNAUTHENTICATED
    until(refused, timeout_s=30, step_s=0.05)
    assert time.monotonic() - started < 5.0


def test_the_real_adapters_pass_the_port_contracts(kafka_settings):
    settings = kafka_settings
    outbox = KafkaOutbox(Publisher(settings.kafka.bootstrap_servers, "test-outbox"), settings.topics.backoffice_updates)
    try:
        outbox_contract(outbox, lambda: [(r.key, pb.BackOfficeMessage.FromString(r.value)) for batch in read_to_end(
            settings.kafka.bootstrap_servers, settings.topics.backoffice_updates) for r in batch])
    finally:
        outbox.close()
    status = build_status(settings)
    status.start()
    back_office = StatusBackOffice(settings.service_tls, settings.addresses.backoffice, 10.0)
    try:
        _register(settings, 44)
        until(lambda: _exists(back_office, 44), timeout_s=30, step_s=0.1)
        back_office_contract(back_office, 44, UNIT, b"<Facturae/>")
    finally:
        back_office.close()
        status.stop()


def _exists(back_office, invoice_id: int) -> bool:
    """Whether the status service knows the invoice (still catching up with its log counts as not yet)."""
    from backoffice_gateway.ports import BackendUnavailable, InvoiceNotFound
    try:
        back_office.history(invoice_id)
        return True
    except (InvoiceNotFound, BackendUnavailable):
        return False
