"""Black-box: every internal gRPC door of a real stack (its services as processes, as `ventanilla run` starts
them) refuses a caller without a client certificate, with an integrator's certificate, or with the certificate of a
service that has no business there; each refusal writes nothing to the invoice log."""
from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from kafka import KafkaConsumer, TopicPartition

from ventanilla import devpki
from ventanilla.adapters.submission_stream import parts
from ventanilla.api.v1 import backoffice_pb2, backoffice_pb2_grpc, services_pb2, services_pb2_grpc
from ventanilla.config import Settings

from tests.support.service_pki import dial, service_tls_env

pytestmark = pytest.mark.e2e
SUPPLIER = "B23103039"


# (door, the service answering there, a call, the services allowed to make it)
DOORS = {
    "registry.SubmitInvoice": ("registry", "registry", lambda ch: services_pb2_grpc.RegistryServiceStub(
        ch).SubmitInvoice(services_pb2.SubmitInvoiceRequest(caller=services_pb2.Caller(nif=SUPPLIER),
                                                            facturae=b"<Facturae/>"), timeout=20)),
    "registry.SubmitInvoiceStream": ("registry", "registry", lambda ch: services_pb2_grpc.RegistryServiceStub(
        ch).SubmitInvoiceStream(parts(services_pb2.Caller(nif=SUPPLIER), b"<Facturae/>", []), timeout=20)),
    "status.GetInvoice": ("status", "status", lambda ch: services_pb2_grpc.StatusServiceStub(ch).GetInvoice(
        services_pb2.InvoiceById(id=1, caller=services_pb2.Caller(nif=SUPPLIER)), timeout=20)),
    "status.BackOfficeService.GetHistory": ("backoffice", "status", lambda ch: backoffice_pb2_grpc
                                            .BackOfficeServiceStub(ch).GetHistory(
                                                backoffice_pb2.HistoryRequest(invoice_id=1), timeout=20)),
    # one gRPC server answers both of the status service's ports: each API is as closed on the other API's port
    "status.GetInvoice at the back-office port": ("backoffice", "status", lambda ch: services_pb2_grpc
                                                  .StatusServiceStub(ch).GetInvoice(services_pb2.InvoiceById(
                                                      id=1, caller=services_pb2.Caller(nif=SUPPLIER)), timeout=20)),
    "status.BackOfficeService.GetHistory at the status port": ("status", "status", lambda ch: backoffice_pb2_grpc
                                                               .BackOfficeServiceStub(ch).GetHistory(
                                                                   backoffice_pb2.HistoryRequest(invoice_id=1),
                                                                   timeout=20)),
    "cancellation.CancelInvoice": ("cancellation", "cancellation", lambda ch: services_pb2_grpc
                                   .CancellationServiceStub(ch).CancelInvoice(services_pb2.CancelById(
                                       id=1, caller=services_pb2.Caller(nif=SUPPLIER)), timeout=20)),
}
# For each door, a service that may call it (the control: the door opens) and one that may not.
ALLOWED = {"registry.SubmitInvoice": ("soap-edge", "cancellation"),
           "registry.SubmitInvoiceStream": ("soap-edge", "cancellation"), "status.GetInvoice": ("cancellation", "portal"),
           "status.BackOfficeService.GetHistory": ("backoffice-gateway", "soap-edge"),
           "status.GetInvoice at the back-office port": ("cancellation", "backoffice-gateway"),
           "status.BackOfficeService.GetHistory at the status port": ("backoffice-gateway", "soap-edge"),
           "cancellation.CancelInvoice": ("soap-edge", "backoffice-gateway")}


def _log_ends(settings: Settings) -> dict:
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka.bootstrap_servers, group_id=None)
    try:
        topic = settings.topics.invoice_events
        return consumer.end_offsets([TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)])
    finally:
        consumer.close()


def _code(call, channel: grpc.Channel) -> grpc.StatusCode:
    with channel:
        try:
            call(channel)
        except grpc.RpcError as error:
            return error.code()
    return grpc.StatusCode.OK


def _integrator_channel(settings: Settings, address: str, target: str) -> grpc.Channel:
    """A supplier's or integrator's certificate (the public-facing dev CA), trusting the internal CA."""
    client = devpki.client(settings, SUPPLIER, settings.path("clients", SUPPLIER))
    credentials = grpc.ssl_channel_credentials(Path(service_tls_env()["VENTANILLA_SERVICE_TLS_CA"]).read_bytes(),
                                               client[1].read_bytes(), client[0].read_bytes())
    return grpc.secure_channel(address, credentials, options=[("grpc.ssl_target_name_override", target)])


def _anonymous_tls_channel(address: str, target: str) -> grpc.Channel:
    credentials = grpc.ssl_channel_credentials(Path(service_tls_env()["VENTANILLA_SERVICE_TLS_CA"]).read_bytes())
    return grpc.secure_channel(address, credentials, options=[("grpc.ssl_target_name_override", target)])


@pytest.mark.parametrize("door", sorted(DOORS))
def test_every_internal_door_refuses_who_should_not_call_it_and_writes_nothing(stack, door):
    setting, target, call = DOORS[door]
    address = getattr(stack.settings.addresses, setting)
    allowed, other = ALLOWED[door]
    before = _log_ends(stack.settings)
    attempts = {
        "plaintext": _code(call, grpc.insecure_channel(address)),
        "TLS without a client certificate": _code(call, _anonymous_tls_channel(address, target)),
        "an integrator's certificate": _code(call, _integrator_channel(stack.settings, address, target)),
        f"{other}'s certificate": _code(call, dial(address, target, other)),
    }
    assert attempts == {"plaintext": grpc.StatusCode.UNAVAILABLE,  # no TLS: the connection is closed
                        "TLS without a client certificate": grpc.StatusCode.UNAVAILABLE,  # handshake refused
                        "an integrator's certificate": grpc.StatusCode.UNAVAILABLE,  # another CA: handshake refused
                        f"{other}'s certificate": grpc.StatusCode.PERMISSION_DENIED}
    assert _log_ends(stack.settings) == before
    # the control: the service that should call it gets through to the handler (which answers on the merits)
    assert _code(call, dial(address, target, allowed)) not in (grpc.StatusCode.UNAVAILABLE,
                                                               grpc.StatusCode.UNAUTHENTICATED,
                                                               grpc.StatusCode.PERMISSION_DENIED)
    refusal = (stack.logs / f"{target}.log").read_text()
    assert '"msg": "refused"' in refusal and f'"caller": ["{other}"]' in refusal


def test_a_server_that_is_not_the_service_asked_for_is_refused_by_the_client(stack):
    """The edge's channel to `registry` does not accept the status service's certificate (hostname check)."""
    call = DOORS["status.GetInvoice"][2]
    assert _code(call, dial(stack.settings.addresses.status, "registry", "soap-edge")) is grpc.StatusCode.UNAVAILABLE
