"""The edge's access modes: `registered` admits only the portal's sending platforms, from the local directory."""
from __future__ import annotations

import hashlib
import json

import pytest
from lxml import etree

from ventanilla.domain import integrator_commands as cmd
from ventanilla.domain.integrator_events import Role

from soap_edge.identity.access import OpenAccess, RegisteredAccess

from ..domain.integrator_portal import AT, BODY, COMPANY, Portal
from .fakes import Client, FakeBackends, client_certificate, edge, envelope
from .fakes import TNS


def fault_of(reply) -> tuple[str, str]:
    """The fault's catalogue key and readable message."""
    root = etree.fromstring(reply.body)
    assert reply.code == 500
    error = root.find(f".//{{{TNS}}}ServicioError")
    return error.findtext("mensajesError"), error.findtext("message")

CERT = client_certificate(COMPANY)
FINGERPRINT = hashlib.sha256(CERT).hexdigest()


@pytest.fixture
def portal():
    portal = Portal()
    portal.integrator(COMPANY)
    portal.integrator(BODY, third_party=True)
    return portal


def registered(portal: Portal, ready=lambda: True) -> RegisteredAccess:
    return RegisteredAccess(portal.directory.credential, ready, now=lambda: AT)


def call(access, operation="consultarFactura", inner="<idFactura>7</idFactura>", peer=CERT):
    backends = FakeBackends()
    return Client(edge(backends, access=access), peer_der=peer).post(envelope(operation, inner)), backends


def sending_platform(portal: Portal, nif: str = COMPANY, fingerprint: str = FINGERPRINT, roles=(Role.SENDING,)):
    portal.certificate(nif, fingerprint)
    portal.platform(nif, "p-" + fingerprint[:6], fingerprint, roles)


def test_a_sending_platforms_certificate_calls_with_its_integrator_and_platform(portal):
    sending_platform(portal)
    reply, backends = call(registered(portal))
    assert reply.code == 200, reply.body
    ((_, _, request),) = backends.calls
    assert (request.caller.nif, request.caller.integrator_nif) == (COMPANY, COMPANY)
    assert request.caller.platform_id == "p-" + FINGERPRINT[:6] and not request.caller.third_party


def test_the_third_party_flag_travels_with_the_caller(portal):
    sending_platform(portal, BODY)
    _, backends = call(registered(portal))
    ((_, _, request),) = backends.calls
    assert request.caller.integrator_nif == BODY and request.caller.third_party


@pytest.mark.parametrize("setup, says", [
    (lambda portal: None, "no está registrado"),
    (lambda portal: portal.certificate(COMPANY, FINGERPRINT), "no pertenece a ninguna plataforma"),
    (lambda portal: (sending_platform(portal), portal.run(cmd.DeletePlatform, COMPANY,
                                                          platform_id="p-" + FINGERPRINT[:6])),
     "no pertenece a ninguna plataforma"),
    (lambda portal: (portal.certificate(COMPANY, FINGERPRINT),
                     portal.run(cmd.RemoveCertificate, COMPANY, fingerprint=FINGERPRINT)), "se ha dado de baja"),
    (lambda portal: sending_platform(portal, BODY, roles=(Role.RECEIVING,)), "Servicio de envío"),
])
def test_a_certificate_that_may_not_send_is_refused_before_any_backend_call(portal, setup, says):
    setup(portal)
    for operation, inner in [("consultarFactura", "<idFactura>7</idFactura>"),
                             ("enviarFactura", "<facturae>PEZhY3R1cmFlLz4=</facturae>")]:
        reply, backends = call(registered(portal), operation, inner)
        key, message = fault_of(reply)
        assert key == "credenciales.error.certificado.nif" and says in message, reply.body
        assert b"soap:Client" in reply.body and not backends.calls


def test_an_expired_certificate_is_refused(portal):
    sending_platform(portal)
    access = RegisteredAccess(portal.directory.credential, lambda: True,
                              now=lambda: AT.replace(year=AT.year + 2))
    reply, backends = call(access)
    assert "ha caducado" in fault_of(reply)[1] and not backends.calls


def test_open_mode_forwards_the_certificates_nif_only():
    _, backends = call(OpenAccess())
    ((_, _, request),) = backends.calls
    assert request.caller.nif == COMPANY and not request.caller.integrator_nif and not request.caller.platform_id


def test_readiness_waits_for_the_directory_in_registered_mode(portal):
    caught_up = []
    client = Client(edge(access=registered(portal, ready=lambda: bool(caught_up))))
    reply = client.request("GET", "/readyz")
    assert reply.code == 503 and json.loads(reply.body)["access"] == {"mode": "registered", "ready": False}
    refused, backends = call(registered(portal, ready=lambda: bool(caught_up)))
    assert fault_of(refused)[0] == "facturae.error.registro" and b"soap:Server" in refused.body
    assert "se está iniciando" in fault_of(refused)[1] and not backends.calls  # never "not registered"
    caught_up.append(True)
    assert client.request("GET", "/readyz").code == 200
