"""The edge in `registered` mode against the real stack: portal sign-up -> certificate -> platform -> submit ->
back office -> the supplier sees it; integrators' rights; removals in the portal refused at the edge within 5 s."""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import requests
import zeep
from lxml import etree

from ventanilla.domain.invoice import Channel

from tests.support.invoices import fresh_invoice
from tests.support.mtom import MtomTransport
from tests.support.registered_edge import integrators, registered_edge

from . import lifecycle as lc
from . import soap
from .test_soap_contract import BINDING, REFERENCE_WSDL

pytestmark = pytest.mark.e2e
SAMPLE = "v3.2.2/invopop_invoice-face_unsigned.xml"  # seller B23103039
SELLER, BUREAU, OTHER = "B23103039", "A58818501", "B12345674"  # the seller; a billing service; another integrator
XML = "text/xml; charset=utf-8"
CERTIFICADO, AJENA = "credenciales.error.certificado.nif", "credenciales.error.facturainvalida"
GOAL_S = 5.0


class Edge:
    """The registered edge, called with one certificate or another."""

    def __init__(self, settings, ca: str):
        self.url, self.ca = settings.edge.url, ca

    def post(self, cert, operation: str, body: str) -> requests.Response:
        return requests.post(self.url, data=soap.envelope(operation, body), cert=cert, verify=self.ca, timeout=60,
                             headers={"Content-Type": XML, "SOAPAction": '""'})

    def enviar(self, cert, document: bytes) -> requests.Response:
        content_type, body = soap.enviar_inline(document)
        return requests.post(self.url, data=body, cert=cert, verify=self.ca, timeout=60,
                             headers={"Content-Type": content_type, "SOAPAction": '""'})

    def consultar(self, cert, invoice_id: int) -> requests.Response:
        return self.post(cert, "consultarFactura", f"<idFactura>{invoice_id}</idFactura>")


def key_of(response: requests.Response) -> str:
    """The catalogue key of a fault; "" for an answer."""
    if response.status_code == 200:
        return ""
    assert response.status_code == 500, response.text
    return etree.fromstring(response.content).findtext(f".//{{{soap.NS}}}ServicioError/mensajesError")


def message_of(response: requests.Response) -> str:
    text = etree.fromstring(response.content).findtext(f".//{{{soap.NS}}}ServicioError/message")
    return re.sub(r" \(petición [0-9a-f]+\)$", "", text)


def registered_id(response: requests.Response) -> int:
    assert response.status_code == 200, response.text
    return int(soap.parse(response)[0].findtext(f"{{{soap.NS}}}enviarFacturaResponse/return/id"))


@pytest.fixture(scope="module")
def world(stack, tmp_path_factory):
    """The registered edge, the portal, and three integrators with a sending platform each."""
    log = tmp_path_factory.mktemp("registered-edge") / "soap-edge.log"
    with integrators(stack.env) as portal, registered_edge(stack.env, log) as settings:
        certs = {nif: stack.client(nif) for nif in (SELLER, BUREAU, OTHER)}
        portal.sign_up(SELLER)
        portal.sign_up(BUREAU, third_party=True)
        portal.sign_up(OTHER)
        platforms = {nif: portal.platform(nif, Path(cert)) for nif, (cert, _) in certs.items()}
        edge = Edge(settings, stack.ca)
        _until(lambda: all(key_of(edge.consultar(c, 987654321)) == AJENA for c in certs.values()))
        yield edge, portal, certs, platforms


def _until(condition, timeout_s: float = 30.0) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout_s, "not true in time"
        time.sleep(0.05)
    return time.monotonic() - started


def test_lifecycle_from_sign_up_to_the_back_offices_state(stack, world):
    edge, _, certs, platforms = world
    invoice = fresh_invoice(SAMPLE, sign=stack.sign)
    invoice_id = registered_id(edge.enviar(certs[SELLER], invoice.document))
    (event, *_) = lc.invoice_events(stack.settings, invoice_id)
    assert event.invoice.channel == Channel(SELLER, platforms[SELLER])  # recorded in the log
    out = lc.cli(stack.env, "backoffice", "set-state", str(invoice_id), "REGISTRADA_RCF", "--motivo", "recibida")
    assert "accepted message" in out
    _until(lambda: b"REGISTRADA_RCF" in edge.consultar(certs[SELLER], invoice_id).content)
    assert key_of(edge.consultar(certs[OTHER], invoice_id)) == AJENA


def test_a_billing_service_submits_for_any_seller_and_only_it_and_the_seller_see_it(stack, world):
    edge, _, certs, _ = world
    invoice_id = registered_id(edge.enviar(certs[BUREAU], fresh_invoice(SAMPLE, sign=stack.sign).document))
    assert key_of(edge.consultar(certs[BUREAU], invoice_id)) == key_of(edge.consultar(certs[SELLER], invoice_id)) == ""
    assert key_of(edge.consultar(certs[OTHER], invoice_id)) == AJENA
    assert key_of(edge.post(certs[OTHER], "anularFactura", f"<idFactura>{invoice_id}</idFactura>"
                                                           "<motivoAnulacion>no</motivoAnulacion>")) == AJENA
    cancelled = edge.post(certs[BUREAU], "anularFactura", f"<idFactura>{invoice_id}</idFactura>"
                                                          "<motivoAnulacion>duplicada</motivoAnulacion>")
    assert key_of(cancelled) == "" and b"ANULADA" in cancelled.content


def test_an_integrator_without_third_party_services_may_not_submit_another_sellers_invoice(stack, world):
    edge, _, certs, _ = world
    refused = edge.enviar(certs[OTHER], fresh_invoice(SAMPLE, sign=stack.sign).document)
    assert key_of(refused) == AJENA and "Servicios a terceros" in message_of(refused)


def test_a_certificate_unknown_to_the_portal_is_refused_even_for_its_own_nif(stack, world):
    edge, *_ = world
    stranger = stack.client("99999999R")
    refused = edge.enviar(stranger, fresh_invoice(SAMPLE, sign=stack.sign).document)
    assert key_of(refused) == CERTIFICADO and "no está registrado en el portal" in message_of(refused)
    assert key_of(edge.consultar(stranger, 1)) == CERTIFICADO


def test_a_removed_certificate_and_a_deleted_platform_stop_working_within_5_s(stack, world):
    edge, portal, certs, platforms = world
    spare = stack.client("00000000T", entity_nif=SELLER)
    fingerprint = portal.add_certificate(SELLER, platforms[SELLER], Path(spare[0]))
    _until(lambda: key_of(edge.consultar(spare, 987654321)) == AJENA)  # accepted: no such invoice
    started = time.monotonic()
    portal.remove_certificate(SELLER, platforms[SELLER], fingerprint)
    _until(lambda: key_of(edge.consultar(spare, 987654321)) == CERTIFICADO)
    removed_s = time.monotonic() - started
    started = time.monotonic()
    portal.delete_platform(SELLER, platforms[SELLER])
    _until(lambda: key_of(edge.consultar(certs[SELLER], 987654321)) == CERTIFICADO)
    deleted_s = time.monotonic() - started
    assert removed_s < GOAL_S and deleted_s < GOAL_S, (removed_s, deleted_s)


@pytest.mark.skipif(not REFERENCE_WSDL.exists(), reason="reference WSDL not found")
def test_zeep_from_the_reference_wsdl_once_its_certificate_is_registered(stack, world):
    edge, _, certs, _ = world
    session = requests.Session()
    session.cert, session.verify, session.trust_env = certs[BUREAU], stack.ca, False
    service = zeep.Client(str(REFERENCE_WSDL), transport=MtomTransport(mtom=True, session=session)) \
        .create_service(BINDING, edge.url)
    invoice = fresh_invoice(SAMPLE, sign=stack.sign)
    registered = service.enviarFactura(facturae=invoice.document, anexos=[])
    assert service.consultarFactura(idFactura=registered.id).numero == invoice.number
    session.cert = stack.client("99999999R")
    with pytest.raises(zeep.exceptions.Fault) as refused:
        service.consultarFactura(idFactura=registered.id)
    assert CERTIFICADO in etree.tostring(refused.value.detail).decode()
