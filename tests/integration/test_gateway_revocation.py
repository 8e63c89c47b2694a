"""Client-certificate revocation at the back-office gateway: real certificates over mutual TLS, a CRL file replaced
on disk while the gateway runs, refused as UNAUTHENTICATED after the next background refresh (no restart)."""
from __future__ import annotations

import logging

import grpc
import pytest

from ventanilla import pki
from ventanilla.api.v1 import backoffice_pb2 as pb
from ventanilla.api.v1 import invoice_pb2
from tests.integration.test_backoffice_gateway import enrolled, running_world, wait_known
from tests.integration.test_status_backoffice import _register
from tests.support.integrators import until

pytestmark = pytest.mark.integration


def test_a_certificate_revoked_in_a_replaced_crl_is_refused_logged_and_writes_nothing(settings_env, tmp_path, caplog):
    crls = tmp_path / "crls"
    crls.mkdir()
    with running_world(settings_env, tmp_path, VENTANILLA_CRLS=str(crls),
                       VENTANILLA_BACKOFFICE_GATEWAY_CLIENT_REVOCATION="hard-fail",
                       VENTANILLA_BACKOFFICE_GATEWAY_CLIENT_REVOCATION_PERIOD_S="0.2") as world:
        (crls / "clients.crl").write_bytes(pki.pem(pki.issue_crl(world.enrol.ca)))  # nobody revoked yet
        clients = enrolled(world)
        _register(world.settings, 46)
        wait_known(world, clients["own"], 46)  # admitted: judged good on first sight (hard-fail: the CRL is known)

        (crls / "clients.crl").write_bytes(pki.pem(pki.issue_crl(world.enrol.ca, (clients["own"].certificate,))))

        def refused() -> grpc.RpcError | None:
            try:
                world.stub(clients["own"]).GetHistory(pb.HistoryRequest(invoice_id=46), timeout=5)
                return None
            except grpc.RpcError as error:
                return error
        with caplog.at_level(logging.WARNING, "backoffice_gateway"):
            until(lambda: refused() is not None, timeout_s=15, step_s=0.05)
            error = refused()
            assert error.code() is grpc.StatusCode.UNAUTHENTICATED and "revocado" in error.details()
            update = pb.BackOfficeStateUpdate(invoice_id=46, state=invoice_pb2.PAGADA, message_id="revoked-1")
            with pytest.raises(grpc.RpcError) as again:
                world.stub(clients["own"]).UpdateState(update, timeout=10)
            assert again.value.code() is grpc.StatusCode.UNAUTHENTICATED
        assert world.records() == []
        [line] = [r for r in caplog.records if getattr(r, "reason", "") == "revoked"]
        assert (line.platform_id, line.status) == (clients["own_platform"], "UNAUTHENTICATED")
        # another certificate of the same CA, not in the CRL, still passes revocation (refused only for the unit)
        with pytest.raises(grpc.RpcError) as other:
            world.stub(clients["other"]).GetHistory(pb.HistoryRequest(invoice_id=46), timeout=5)
        assert other.value.code() is grpc.StatusCode.PERMISSION_DENIED
