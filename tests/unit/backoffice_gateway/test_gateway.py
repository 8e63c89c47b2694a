"""The gateway's use cases: only an approved RCF platform's registered certificate passes, only for its units'
invoices; messages are stamped with the authenticated platform; every refusal is logged and writes nothing."""
import hashlib
import logging

import pytest

from ventanilla.adapters.client_revocation import REVOKED, UNKNOWN, ClientRevocation, RevocationWatch
from ventanilla.api.v1 import backoffice_pb2 as pb
from ventanilla.api.v1 import invoice_pb2
from ventanilla.domain import integrator_commands as cmd
from ventanilla.domain.integrator_events import Role
from ventanilla.observability.metrics import Metrics
from backoffice_gateway.handlers import Accepted, Call, Gateway, Refused
from tests.support.backoffice_contracts import back_office_contract, outbox_contract
from tests.support.portal_fakes import FixedClock

from ..domain.integrator_portal import AT, BODY, COMPANY, STAFF, Portal
from .fakes import MemoryBackOffice, MemoryDirectory, MemoryOutbox

OTHER_BODY = "S2800000H"
RCF, SENDER, OTHER_RCF, PENDING = b"cert-rcf", b"cert-sender", b"cert-other-rcf", b"cert-pending"


def fp(certificate: bytes) -> str:
    return hashlib.sha256(certificate).hexdigest()


def call(certificate: bytes | None, method: str = "UpdateState") -> Call:
    return Call(method, "ipv4:127.0.0.1:40000", certificate)


@pytest.fixture
def world():
    portal = Portal()
    portal.integrator(BODY)
    for certificate, platform_id in ((RCF, "rcf"), (PENDING, "pending")):
        portal.certificate(BODY, fp(certificate))
        portal.platform(BODY, platform_id, fp(certificate), {Role.RECEIVING})
    portal.run(cmd.ApprovePlatform, BODY, actor=STAFF, platform_id="rcf")
    portal.run(cmd.AttachDir3Unit, BODY, actor=STAFF, platform_id="rcf", code="GE0000001", name="Oficina 1")
    portal.integrator(OTHER_BODY)
    portal.certificate(OTHER_BODY, fp(OTHER_RCF))
    portal.platform(OTHER_BODY, "other", fp(OTHER_RCF), {Role.RECEIVING})
    portal.run(cmd.ApprovePlatform, OTHER_BODY, actor=STAFF, platform_id="other")
    portal.run(cmd.AttachDir3Unit, OTHER_BODY, actor=STAFF, platform_id="other", code="GE0000002", name="Oficina 2")
    portal.integrator(COMPANY)
    portal.certificate(COMPANY, fp(SENDER))
    portal.platform(COMPANY, "envio", fp(SENDER), {Role.SENDING})
    back_office, outbox = MemoryBackOffice(), MemoryOutbox()
    back_office.register(7, "GE0000001")
    back_office.register(8, "GE0000002")
    directory = MemoryDirectory(portal.directory)
    return Gateway(directory, outbox, back_office, FixedClock(AT)), outbox, directory, portal


def update(invoice_id=7, source="rcf-forged", message_id="m-1"):
    return pb.BackOfficeStateUpdate(invoice_id=invoice_id, state=invoice_pb2.CONTABILIZADA, observaciones="ok",
                                    message_id=message_id, source_system=source)


def test_an_update_is_appended_stamped_with_the_authenticated_platform(world):
    gateway, outbox, _, _ = world
    accepted = gateway.update_state(call(RCF), update())
    assert accepted == Accepted(invoice_id=7, message_id="m-1", source_system="rcf")
    [(key, message)] = outbox.records
    assert key == b"7" and message.version == 2
    assert message.sender == pb.Sender(platform_id="rcf", integrator_nif=BODY, certificate_sha256=fp(RCF))
    assert message.state_update.source_system == "rcf"  # the forged claim is gone
    assert message.state_update.observaciones == "ok" and message.state_update.HasField("occurred_at")


def test_a_verdict_without_message_id_gets_one(world):
    gateway, outbox, _, _ = world
    verdict = pb.CancellationVerdict(invoice_id=7, verdict=pb.CancellationVerdict.ACCEPTED)
    accepted = gateway.decide_cancellation(call(RCF, "DecideCancellation"), verdict)
    assert accepted.message_id and outbox.records[0][1].cancellation_verdict.message_id == accepted.message_id


@pytest.mark.parametrize("certificate, code, reason", [
    (None, "UNAUTHENTICATED", "no_certificate"),
    (b"never-registered", "UNAUTHENTICATED", "unregistered"),
    (SENDER, "PERMISSION_DENIED", "not_back_office"),
    (PENDING, "PERMISSION_DENIED", "not_back_office"),
])
def test_who_may_not_pass_is_refused_logged_and_nothing_is_written(world, caplog, certificate, code, reason):
    gateway, outbox, _, _ = world
    with caplog.at_level(logging.WARNING, "backoffice_gateway"), pytest.raises(Refused) as refused:
        gateway.update_state(call(certificate), update())
    assert refused.value.code == code
    [line] = caplog.records
    assert (line.reason, line.status, line.fingerprint) == (reason, code, fp(certificate) if certificate else "")
    assert outbox.records == []


def test_another_units_invoice_and_an_unknown_one_get_the_same_refusal(world, caplog):
    gateway, outbox, _, _ = world
    messages = []
    for invoice_id in (8, 99):
        with caplog.at_level(logging.WARNING, "backoffice_gateway"), pytest.raises(Refused) as refused:
            gateway.update_state(call(RCF), update(invoice_id))
        assert refused.value.code == "PERMISSION_DENIED"
        messages.append(refused.value.message.replace(str(invoice_id), "N"))
    assert messages[0] == messages[1] and outbox.records == []
    assert [(r.reason, r.oficina_contable) for r in caplog.records] == [("other_unit", "GE0000002"),
                                                                       ("not_registered", "")]


def test_documents_and_history_only_for_the_callers_units(world):
    gateway, _, _, _ = world
    assert gateway.history(call(RCF, "GetHistory"), 7).centres.oficina_contable == "GE0000001"
    assert gateway.documents(call(RCF, "GetDocuments"), 7).facturae.content == b"<Facturae/>"
    with pytest.raises(Refused, match="no es de ninguna oficina contable"):
        gateway.documents(call(RCF, "GetDocuments"), 8)
    assert gateway.documents(call(OTHER_RCF, "GetDocuments"), 8).invoice_id == 8


def test_a_removed_certificate_or_detached_unit_stops_working_at_once(world):
    gateway, outbox, _, portal = world
    portal.run(cmd.DetachDir3Unit, BODY, actor=STAFF, platform_id="rcf", code="GE0000001")
    with pytest.raises(Refused, match="no es de ninguna"):
        gateway.update_state(call(RCF), update())
    portal.run(cmd.DeletePlatform, OTHER_BODY, platform_id="other")
    with pytest.raises(Refused) as refused:
        gateway.history(call(OTHER_RCF, "GetHistory"), 8)
    assert refused.value.code == "UNAUTHENTICATED" and outbox.records == []


def test_not_ready_bad_input_and_a_broker_down_are_clear_refusals(world):
    gateway, outbox, directory, _ = world
    for request, message in ((pb.BackOfficeStateUpdate(invoice_id=7), "estado"), (update(0), "invoice_id")):
        with pytest.raises(Refused, match=message) as refused:
            gateway.update_state(call(RCF), request)
        assert refused.value.code == "INVALID_ARGUMENT"
    with pytest.raises(Refused, match="veredicto"):
        gateway.decide_cancellation(call(RCF), pb.CancellationVerdict(invoice_id=7))
    outbox.down = True
    with pytest.raises(Refused, match="reintente") as refused:
        gateway.update_state(call(RCF), update())
    assert refused.value.code == "UNAVAILABLE"
    directory.is_ready = False
    with pytest.raises(Refused, match="no está listo"):
        gateway.history(call(RCF), 7)


def test_a_status_service_down_is_unavailable_not_a_denial(world):
    _, outbox, directory, _ = world
    back_office = MemoryBackOffice()
    back_office.register(7, "GE0000001")
    back_office.down = True
    gateway = Gateway(directory, outbox, back_office, FixedClock(AT))
    for act in (lambda: gateway.update_state(call(RCF), update()), lambda: gateway.history(call(RCF, "GetHistory"), 7),
                lambda: gateway.documents(call(RCF, "GetDocuments"), 7)):
        with pytest.raises(Refused, match="no responde") as refused:
            act()
        assert refused.value.code == "UNAVAILABLE"
    assert outbox.records == []


@pytest.mark.parametrize("status, hard_fail, reason", [
    (REVOKED, False, "revoked"), (UNKNOWN, True, "unknown"), (UNKNOWN, False, None), ("good", True, None)])
def test_a_revoked_certificate_is_unauthenticated_and_an_unknown_status_follows_the_policy(
        world, caplog, status, hard_fail, reason):
    _, outbox, directory, _ = world
    back_office = MemoryBackOffice()
    back_office.register(7, "GE0000001")
    judged = []
    watch = RevocationWatch(lambda: lambda der: judged.append(der) or status, period_s=60)
    gateway = Gateway(directory, outbox, back_office, FixedClock(AT), ClientRevocation(watch, hard_fail))
    with caplog.at_level(logging.WARNING, "backoffice_gateway"):
        if reason is None:
            assert gateway.update_state(call(RCF), update()).source_system == "rcf"
        else:
            with pytest.raises(Refused, match="revocado") as refused:
                gateway.update_state(call(RCF), update())
            assert refused.value.code == "UNAUTHENTICATED" and outbox.records == []
            [line] = caplog.records
            assert (line.reason, line.platform_id, line.fingerprint) == (reason, "rcf", fp(RCF))
    assert judged == [RCF]


def test_the_fakes_pass_the_port_contracts():
    outbox = MemoryOutbox()
    outbox_contract(outbox, outbox.read_back)
    back_office = MemoryBackOffice()
    back_office.register(5, "GE0000001", b"<F/>")
    back_office_contract(back_office, 5, "GE0000001", b"<F/>")


def test_refusals_are_counted_by_method_and_reason_and_never_by_caller(world):
    _, outbox, directory, _ = world
    metrics = Metrics("backoffice-gateway")
    back_office = MemoryBackOffice()
    back_office.register(7, "GE0000001")
    gateway = Gateway(directory, outbox, back_office, FixedClock(AT), refusals=metrics.gateway_refusals)
    for attempt in (lambda: gateway.update_state(call(SENDER), update()),
                    lambda: gateway.history(call(OTHER_RCF, "GetHistory"), 7),
                    lambda: gateway.history(call(OTHER_RCF, "GetHistory"), 7)):
        with pytest.raises(Refused):
            attempt()
    gateway.update_state(call(RCF), update())

    def counted(**labels):
        return metrics.registry.get_sample_value("ventanilla_backoffice_gateway_refusals_total", labels)
    assert counted(grpc_method="UpdateState", reason="not_back_office") == 1
    assert counted(grpc_method="GetHistory", reason="other_unit") == 2
    samples = [s for f in metrics.registry.collect() if f.name == "ventanilla_backoffice_gateway_refusals"
               for s in f.samples if s.name.endswith("_total")]
    assert len(samples) == 2 and all(set(s.labels) == {"grpc_method", "reason"} for s in samples)
