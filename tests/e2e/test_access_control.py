"""Access control end to end, each caller with its own real client certificate over TLS."""
from __future__ import annotations

import re
import statistics
import time

import pytest
import requests
from lxml import etree

from tests.support.invoices import fresh_invoice

from . import soap

pytestmark = pytest.mark.e2e
UNSIGNED = "v3.2.2/invopop_invoice-face_unsigned.xml"
SUPPLIER, STRANGER, UNKNOWN_ID = "B23103039", "99999999R", 987654321
XML = "text/xml; charset=utf-8"


def unique_invoice(stack) -> tuple[bytes, str]:
    """The sample (seller B23103039) with a fresh invoice number, signed as the stack requires."""
    invoice = fresh_invoice(UNSIGNED, sign=stack.sign)
    return invoice.document, invoice.number


def fault(response: requests.Response) -> tuple[str, str, str, str]:
    """(faultcode, faultstring, key, message without the request id) of a fault response."""
    assert response.status_code == 500, response.text
    body = etree.fromstring(response.content)
    detail = body.find(f".//{{{soap.NS}}}ServicioError")
    return (body.findtext(".//faultcode"), body.findtext(".//faultstring"), detail.findtext("mensajesError"),
            re.sub(r" \(petición [0-9a-f]+\)$", "", detail.findtext("message")))


def consultar(stack, invoice_id: int, cert=None) -> requests.Response:
    return soap.post(stack.soap_url, XML, soap.envelope("consultarFactura", f"<idFactura>{invoice_id}</idFactura>"),
                     cert=cert)


def por_valores(stack, number: str, cert=None) -> requests.Response:
    body = (f"<nifcifProveedor>{SUPPLIER}</nifcifProveedor><ejercicio>2021</ejercicio>"
            f"<numeroFactura>{number}</numeroFactura>")
    return soap.post(stack.soap_url, XML, soap.envelope("consultarFacturaPorValores", body), cert=cert)


@pytest.fixture(scope="module")
def registered(stack) -> tuple[int, str]:
    """An invoice of B23103039 submitted by the stack's integrator (a registered third-party biller)."""
    facturae, number = unique_invoice(stack)
    response = soap.post(stack.soap_url, *soap.enviar_inline(facturae))
    assert response.status_code == 200, response.text
    body, _ = soap.parse(response)
    return int(body.findtext(f"{{{soap.NS}}}enviarFacturaResponse/return/id")), number


def test_the_submitter_the_supplier_and_its_representative_see_the_invoice(stack, registered):
    invoice_id, _ = registered
    for cert in (None, stack.client(SUPPLIER), stack.client(STRANGER, entity_nif=SUPPLIER)):
        assert consultar(stack, invoice_id, cert).status_code == 200


def test_a_stranger_gets_exactly_what_an_unknown_id_gets(stack, registered):
    invoice_id, number = registered
    stranger = stack.client(STRANGER)
    expected = ("soap:Client", None, "credenciales.error.facturainvalida", None)
    foreign, unknown = fault(consultar(stack, invoice_id, stranger)), fault(consultar(stack, UNKNOWN_ID, stranger))
    assert foreign == unknown and foreign[0] == expected[0] and foreign[2] == expected[2]
    assert fault(por_valores(stack, number, stranger)) == fault(por_valores(stack, number + "X", stranger))
    timings = {}
    for name, target in (("foreign", invoice_id), ("unknown", UNKNOWN_ID)) * 5:
        started = time.perf_counter()
        consultar(stack, target, stranger)
        timings.setdefault(name, []).append(time.perf_counter() - started)
    gap = abs(statistics.median(timings["foreign"]) - statistics.median(timings["unknown"]))
    assert gap < 0.25, timings  # same path, same work: no existence oracle by timing either


def _group_items(response: requests.Response) -> list[etree._Element]:
    assert response.status_code == 200, response.text
    body, _ = soap.parse(response)
    return body.findall(f"{{{soap.NS}}}consultarGrupoEstadosFacturaResponse/resultadoEstadosFacturas")


def test_group_queries_answer_item_by_item(stack, registered):
    invoice_id, _ = registered
    request = soap.envelope("consultarGrupoEstadosFactura",
                            f"<facturaId>{invoice_id}</facturaId><facturaId>{UNKNOWN_ID}</facturaId>")
    as_supplier = _group_items(soap.post(stack.soap_url, XML, request, cert=stack.client(SUPPLIER)))
    assert [i.findtext("error") for i in as_supplier] == [None, "credenciales.error.facturainvalida"]
    assert as_supplier[0].find("respuestaEstadoFactura") is not None
    as_stranger = _group_items(soap.post(stack.soap_url, XML, request, cert=stack.client(STRANGER)))
    assert [i.findtext("error") for i in as_stranger] == ["credenciales.error.facturainvalida"] * 2
    assert [etree.tostring(i.find("error")) for i in as_stranger][0] == etree.tostring(as_stranger[1].find("error"))


def test_only_the_submitter_or_the_supplier_may_cancel(stack):
    facturae, _ = unique_invoice(stack)
    body, _ = soap.parse(soap.post(stack.soap_url, *soap.enviar_inline(facturae)))
    invoice_id = int(body.findtext(f"{{{soap.NS}}}enviarFacturaResponse/return/id"))
    anular = soap.envelope("anularFactura", f"<idFactura>{invoice_id}</idFactura><motivoAnulacion>Error</motivoAnulacion>")
    refused = fault(soap.post(stack.soap_url, XML, anular, cert=stack.client(STRANGER)))
    assert refused[2] == "credenciales.error.facturainvalida"
    assert "ANULADA" not in consultar(stack, invoice_id).text
    done = soap.post(stack.soap_url, XML, anular, cert=stack.client(SUPPLIER))
    assert done.status_code == 200 and "ANULADA" in done.text


def test_only_the_seller_or_a_registered_biller_may_submit_and_a_refusal_writes_nothing(stack):
    facturae, number = unique_invoice(stack)
    refused = fault(soap.post(stack.soap_url, *soap.enviar_inline(facturae), cert=stack.client(STRANGER)))
    assert refused[2] == "credenciales.error.facturainvalida" and SUPPLIER in refused[1]
    assert fault(por_valores(stack, number, stack.client(SUPPLIER)))[2] == "credenciales.error.facturainvalida"
    accepted = soap.post(stack.soap_url, *soap.enviar_inline(facturae), cert=stack.client(SUPPLIER))
    assert accepted.status_code == 200, accepted.text  # the refused attempt claimed nothing


def test_a_certificate_without_a_nif_and_no_certificate_at_all(stack, registered):
    invoice_id, _ = registered
    from ventanilla import devpki

    probe = devpki.layout(stack.settings)
    answer = consultar(stack, invoice_id, (str(probe.cert("probe")), str(probe.key("probe"))))
    assert fault(answer)[2] == "credenciales.error.certificado.nif"
    with pytest.raises(requests.exceptions.SSLError):
        requests.post(stack.soap_url, data=soap.envelope("version", ""), verify=stack.ca, timeout=10)
