"""Client-certificate revocation at the edge: real certificates and CRL files, refreshed in the background."""
from __future__ import annotations

import hashlib
import time

import pytest
from cryptography.hazmat.primitives import serialization

from ventanilla import pki
from ventanilla.config import Settings
from ventanilla.domain.errors import DomainError, ErrorKey

from soap_edge.identity.access import OpenAccess
from soap_edge.identity.caller import Caller, Via
from ventanilla.adapters.client_revocation import UNKNOWN, ClientRevocation, RevocationWatch
from soap_edge.identity.revocation import RevocationChecked, configured

pytestmark = pytest.mark.integration


@pytest.fixture
def issued(tmp_path):
    """A client CA (its PEM as the edge's client CA), a leaf, and an empty CRL directory."""
    ca = pki.issue_ca(pki.name("Ventanilla TEST client CA"))
    leaf = pki.issue_leaf(ca, pki.name("ENTIDAD B23103039", organization_identifier="VATES-B23103039"),
                          pki.Usage.CLIENT)
    (tmp_path / "ca.pem").write_bytes(pki.pem(ca.certificate))
    (tmp_path / "crls").mkdir()
    (tmp_path / "crls" / "ca.crl").write_bytes(pki.pem(pki.issue_crl(ca)))
    return ca, leaf, tmp_path


def caller_of(leaf: pki.Issued) -> Caller:
    der = leaf.certificate.public_bytes(serialization.Encoding.DER)
    return Caller("B23103039", hashlib.sha256(der).hexdigest(), Via.TLS_PEER, "organizationIdentifier", der)


def settings(tmp_path, policy: str) -> Settings:
    return Settings.from_env({"VENTANILLA_STATE_DIR": str(tmp_path / "state"),
                              "VENTANILLA_SOAP_CLIENT_CA": str(tmp_path / "ca.pem"),
                              "VENTANILLA_CRLS": str(tmp_path / "crls"),
                              "VENTANILLA_SOAP_CLIENT_REVOCATION": policy,
                              "VENTANILLA_SOAP_CLIENT_REVOCATION_PERIOD_S": "0.1"})


def test_a_certificate_revoked_in_a_new_crl_is_refused_after_the_next_refresh_without_restart(issued):
    ca, leaf, tmp_path = issued
    access = configured(settings(tmp_path, "hard-fail"), OpenAccess())
    assert access.caller(caller_of(leaf), "r1").nif == "B23103039"  # judged on first sight: good
    (tmp_path / "crls" / "ca.crl").write_bytes(pki.pem(pki.issue_crl(ca, (leaf.certificate,))))
    deadline = time.monotonic() + 10
    while True:
        try:
            access.caller(caller_of(leaf), "r2")
        except DomainError as refused:
            assert refused.key is ErrorKey.CERTIFICADO_SIN_NIF and "revocado" in refused.detail
            break
        assert time.monotonic() < deadline, "still admitted 10 s after the CRL changed"
        time.sleep(0.05)


def test_a_certificate_of_an_unknown_ca_has_an_unknown_status_hard_fail_refuses_soft_fail_admits(issued):
    _, _, tmp_path = issued
    stranger = pki.issue_leaf(pki.issue_ca(pki.name("Other CA")), pki.name("ENTIDAD B23103039"), pki.Usage.CLIENT)
    with pytest.raises(DomainError) as refused:
        configured(settings(tmp_path, "hard-fail"), OpenAccess()).caller(caller_of(stranger), "r")
    assert "No se ha podido comprobar" in refused.value.detail
    assert configured(settings(tmp_path, "soft-fail"), OpenAccess()).caller(caller_of(stranger), "r").nif


def test_off_checks_nothing_and_a_failing_judge_counts_as_unknown(issued):
    _, leaf, tmp_path = issued
    inner = OpenAccess()
    assert configured(settings(tmp_path, "off"), inner) is inner

    def broken(der):
        raise OSError("responder down")

    watch = RevocationWatch(lambda: broken, period_s=60)
    assert watch.status("ab", b"der") == UNKNOWN
    assert RevocationChecked(inner, ClientRevocation(watch, hard_fail=False)).caller(caller_of(leaf), "r").nif == "B23103039"
