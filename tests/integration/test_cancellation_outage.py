"""anularFactura while the status service is down: a server fault for a cancellation, not a registration error."""
from __future__ import annotations

import grpc
import pytest

from ventanilla.adapters.grpc_errors import domain_error_of
from ventanilla.api.v1 import services_pb2 as pb
from ventanilla.api.v1 import services_pb2_grpc
from ventanilla.domain.errors import ErrorKey, Side

from cancellation_service.__main__ import build
from tests.support.service_pki import dial

pytestmark = pytest.mark.integration


def test_a_cancellation_with_the_status_service_down_is_sefcan_timeout(settings_factory, free_ports):
    """The real cancellation service (on the session's broker), its status address closed: nothing listens there."""
    settings = settings_factory({"VENTANILLA_READ_YOUR_WRITES_TIMEOUT_S": "0.5",
                                 "VENTANILLA_STATUS_ADDRESS": f"127.0.0.1:{free_ports(1)[0]}"})
    service = build(settings)
    service.start()
    try:
        with dial(settings.addresses.cancellation, "cancellation") as channel:
            stub = services_pb2_grpc.CancellationServiceStub(channel)
            with pytest.raises(grpc.RpcError) as caught:
                stub.CancelInvoice(pb.CancelById(caller=pb.Caller(nif="B12345674"), id=7, reason="Duplicada"),
                                   timeout=30, wait_for_ready=True)
    finally:
        service.stop()
    error = domain_error_of(caught.value)
    assert error.key is ErrorKey.SEFCAN_TIMEOUT and error.key.side is Side.SERVER
    assert "servicio de estado no está disponible" in error.detail
