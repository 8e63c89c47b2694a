"""The caller's identity: the TLS peer certificate, or a trusted ingress's headers; nothing else."""
from __future__ import annotations

import hashlib
import logging
from urllib.parse import quote

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree

from ventanilla.logs import pseudonym
from ventanilla.domain.errors import DomainError, ErrorKey

from soap_edge.facts import RequestFacts
from soap_edge.identity import proxy
from soap_edge.identity.caller import Via, identify

from .fakes import TNS, Client, FakeBackends, PeerSocket, client_certificate, edge, envelope

CONSULTA = envelope("consultarFactura", "<idFactura>7</idFactura>")


def pem_header(der: bytes) -> str:
    """The nginx ingress's ssl-client-cert value: the URL-encoded PEM."""
    return quote(x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM).decode())


def edge_behind(proxies: str, backends: FakeBackends):
    return edge(backends, trusted_proxies=proxies)


def caller_identity(environ) -> str:
    """The caller's NIF as an operation sees it, or the refusal an operation raises."""
    return RequestFacts("r", caller=identify(environ, (), "r")).identified().nif


def fault_key(reply) -> str:
    return etree.fromstring(reply.body).findtext(f".//{{{TNS}}}ServicioError/mensajesError")


def test_the_tls_peer_certificate_names_the_caller():
    environ = {"gunicorn.socket": PeerSocket(client_certificate("99999999R")), "REMOTE_ADDR": "192.0.2.1"}
    assert caller_identity(environ) == "99999999R"


@pytest.mark.parametrize("der", [None, b"", client_certificate("X", common_name_only=True)])
def test_no_certificate_or_no_nif_is_the_certificate_fault(der):
    with pytest.raises(DomainError) as refused:
        caller_identity({"gunicorn.socket": PeerSocket(der)})
    assert refused.value.key is ErrorKey.CERTIFICADO_SIN_NIF


def test_an_operation_without_a_nif_in_the_certificate_is_refused_and_nothing_reaches_a_backend():
    backends = FakeBackends()
    reply = Client(edge_behind("", backends), peer_der=client_certificate("X", common_name_only=True)).post(CONSULTA)
    assert reply.code == 500 and fault_key(reply) == "credenciales.error.certificado.nif"
    assert backends.calls == []


def test_version_needs_no_nif():
    reply = Client(edge_behind("", FakeBackends()), peer_der=None).post(envelope("version"))
    assert reply.code == 200


def test_a_trusted_proxy_forwards_the_certificate_it_verified():
    backends = FakeBackends()
    headers = {"HTTP_SSL_CLIENT_CERT": pem_header(client_certificate("B12345674", organization_identifier="VATES-B12345674")),
               "HTTP_SSL_CLIENT_VERIFY": "SUCCESS", "REMOTE_ADDR": "10.1.2.3"}
    reply = Client(edge_behind("10.0.0.0/8, 192.168.7.7", backends), peer_der=None).post(CONSULTA, **headers)
    assert reply.code == 200
    assert backends.calls[0][2].caller.nif == "B12345674"


@pytest.mark.parametrize("proxies, remote, verify", [
    ("", "10.1.2.3", "SUCCESS"),                  # no proxy trusted
    ("10.0.0.0/8", "192.0.2.9", "SUCCESS"),       # the peer is not the proxy
    ("10.0.0.0/8", "not-an-ip", "SUCCESS"),
    ("10.0.0.0/8", "10.1.2.3", "FAILED:unable to verify"),
    ("10.0.0.0/8", "10.1.2.3", "NONE"),
])
def test_a_forwarded_certificate_is_ignored_unless_a_trusted_proxy_verified_it(proxies, remote, verify, caplog):
    backends = FakeBackends()
    headers = {"HTTP_SSL_CLIENT_CERT": pem_header(client_certificate("99999999R")), "HTTP_SSL_CLIENT_VERIFY": verify,
               "REMOTE_ADDR": remote}
    with caplog.at_level(logging.WARNING, logger="soap_edge.identity"):
        reply = Client(edge_behind(proxies, backends), peer_der=None).post(CONSULTA, **headers)
    assert fault_key(reply) == "credenciales.error.certificado.nif" and backends.calls == []
    assert any("client certificate" in r.getMessage() for r in caplog.records)


def test_a_spoofed_header_does_not_override_the_tls_peer():
    backends = FakeBackends()
    headers = {"HTTP_SSL_CLIENT_CERT": pem_header(client_certificate("B23103039", organization_identifier="VATES-B23103039")),
               "HTTP_SSL_CLIENT_VERIFY": "SUCCESS", "REMOTE_ADDR": "192.0.2.9"}
    Client(edge_behind("10.0.0.0/8", backends), peer_der=client_certificate("99999999R")).post(CONSULTA, **headers)
    assert backends.calls[0][2].caller.nif == "99999999R"


@pytest.mark.parametrize("value", ["garbage", quote("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"),
                                   "A" * 40000])
def test_an_unreadable_forwarded_certificate_is_refused(value):
    environ = {"HTTP_SSL_CLIENT_CERT": value, "HTTP_SSL_CLIENT_VERIFY": "SUCCESS", "REMOTE_ADDR": "10.1.2.3"}
    assert proxy.forwarded_certificate(environ, proxy.networks("10.0.0.0/8")) is None


def test_proxy_networks_parse_cidrs_and_refuse_nonsense():
    assert [str(n) for n in proxy.networks("10.0.0.0/8, 192.168.1.7 ,,::1")] == ["10.0.0.0/8", "192.168.1.7/32",
                                                                                  "::1/128"]
    with pytest.raises(ValueError):
        proxy.networks("10.0.0.0/33")


def test_the_caller_carries_its_certificate_fingerprint_and_how_it_was_established():
    der = client_certificate("99999999R")
    over_tls = identify({"gunicorn.socket": PeerSocket(der)}, (), "r")
    forwarded = identify({"HTTP_SSL_CLIENT_CERT": pem_header(der), "HTTP_SSL_CLIENT_VERIFY": "SUCCESS",
                          "REMOTE_ADDR": "10.1.2.3"}, proxy.networks("10.0.0.0/8"), "r")
    assert over_tls.nif == forwarded.nif == "99999999R"
    assert over_tls.fingerprint == forwarded.fingerprint == hashlib.sha256(der).hexdigest()
    assert (over_tls.via, forwarded.via) == (Via.TLS_PEER, Via.TRUSTED_PROXY)


def test_the_access_log_names_the_caller_and_how_it_was_established(caplog):
    caplog.set_level(logging.INFO, logger="soap_edge.access")
    Client(edge_behind("", FakeBackends()), peer_der=client_certificate("99999999R")).post(CONSULTA)
    (record,) = [r for r in caplog.records if r.name == "soap_edge.access"]
    assert record.caller.startswith(f"{pseudonym('99999999R')} (tls:") and record.operation == "consultarFactura"
    assert "99999999R" not in record.getMessage() + str(record.__dict__)  # the NIF itself never reaches the log


def test_a_remembered_certificate_names_the_same_caller_and_the_trust_checks_still_run_every_time(caplog):
    from ventanilla.memo import Memo

    der, memo = client_certificate("99999999R"), Memo(limit=8, ttl_s=60)
    forwarded = {"HTTP_SSL_CLIENT_CERT": pem_header(der), "HTTP_SSL_CLIENT_VERIFY": "SUCCESS",
                 "REMOTE_ADDR": "10.1.2.3"}
    proxies = proxy.networks("10.0.0.0/8")
    first, again = (identify(forwarded, proxies, "r", memo) for _ in range(2))
    assert first == again == identify(forwarded, proxies, "r") and len(memo) == 2  # the PEM's DER, the DER's names
    for changed in ({"REMOTE_ADDR": "192.0.2.9"}, {"HTTP_SSL_CLIENT_VERIFY": "FAILED:expired"}):
        refused = identify({**forwarded, **changed}, proxies, "r", memo)
        assert not isinstance(refused, type(first))  # a remembered certificate never skips who forwarded it
    over_tls = identify({"gunicorn.socket": PeerSocket(der)}, (), "r", memo)
    assert (over_tls.nif, over_tls.via) == ("99999999R", Via.TLS_PEER)
