"""One invoice end to end: SOAP enviarFactura (MTOM and inline) → registry → Kafka → status → consultas."""
from __future__ import annotations

from datetime import date

import pytest
from lxml import etree

from . import soap

pytestmark = pytest.mark.e2e
UNSIGNED = "v3.2.2/invopop_invoice-face_unsigned.xml"


def _return(body: etree._Element, operation: str) -> etree._Element:
    result = body.find(f"{{{soap.NS}}}{operation}Response/return")
    assert result is not None, etree.tostring(body)
    return result


def _fields(result: etree._Element) -> dict[str, str]:
    return {child.tag: (child.text or "") for child in result}


def test_enviar_por_mtom_then_consultar_por_id_y_por_valores(stack, signed_sample):
    facturae = signed_sample(UNSIGNED)
    response = soap.post(stack.soap_url, *soap.enviar_mtom(facturae))
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("multipart/related")
    body, attachments = soap.parse(response)
    sent = _return(body, "enviarFactura")
    fields = _fields(sent)
    assert fields["estadoFactura"] == "REGISTRADA"
    assert (fields["nifProveedor"], fields["numero"]) == ("B23103039", "TEST01002F")
    assert (fields["oficinaContable"], fields["organoGestor"], fields["unidadTramitadora"]) == (
        "L01280796", "LA0007407", "LA0007408")
    assert fields["versionFacturaE"] == "3.2.2"
    receipt = soap.binary(sent.find("comprobanteRegistro"), attachments)
    assert receipt.startswith(b"%PDF-")
    invoice_id = int(fields["id"])
    assert invoice_id > 0

    by_id = soap.post(stack.soap_url, "text/xml; charset=utf-8",
                      soap.envelope("consultarFactura", f"<idFactura>{invoice_id}</idFactura>"))
    assert by_id.status_code == 200, by_id.text
    found_body, found_parts = soap.parse(by_id)
    found = _return(found_body, "consultarFactura")
    assert _fields(found)["id"] == str(invoice_id)
    assert _fields(found)["estadoFactura"] == "REGISTRADA"
    assert soap.binary(found.find("comprobanteRegistro"), found_parts).rstrip(b"\r\n") == receipt.rstrip(b"\r\n")

    issue = date.fromisoformat(fields["fechaFactura"][:10])
    for ejercicio in (str(issue.year), issue.isoformat(), issue.strftime("%Y/%m/%d")):
        tuple_body = (f"<nifcifProveedor>B23103039</nifcifProveedor><ejercicio>{ejercicio}</ejercicio>"
                      f"<numeroFactura>TEST01002F</numeroFactura>")
        if fields.get("serie"):
            tuple_body = tuple_body.replace("<numeroFactura>", f"<serie>{fields['serie']}</serie><numeroFactura>")
        by_tuple = soap.post(stack.soap_url, "text/xml; charset=utf-8",
                             soap.envelope("consultarFacturaPorValores", tuple_body))
        assert by_tuple.status_code == 200, by_tuple.text
        assert _fields(_return(soap.parse(by_tuple)[0], "consultarFacturaPorValores"))["id"] == str(invoice_id)


def test_enviar_inline_base64_of_another_invoice(stack, signed_sample):
    facturae = signed_sample("v3.2/fawno_factura-prueba-v1-2-0_unsigned.xml")
    response = soap.post(stack.soap_url, *soap.enviar_inline(facturae))
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/xml")
    body, _ = soap.parse(response)
    sent = _fields(_return(body, "enviarFactura"))
    assert sent["estadoFactura"] == "REGISTRADA" and sent["versionFacturaE"] == "3.2"
    again = soap.post(stack.soap_url, *soap.enviar_inline(facturae))
    assert again.status_code == 500
    fault, _ = soap.parse(again)
    assert fault.findtext(f"{{{soap.SOAP}}}Fault/faultcode").endswith("Client")
    assert "facturae.error.validation.facturaRepetida" in etree.tostring(fault).decode()


def test_an_unknown_id_is_indistinguishable_from_a_foreign_one(stack):
    response = soap.post(stack.soap_url, "text/xml; charset=utf-8",
                         soap.envelope("consultarFactura", "<idFactura>987654321</idFactura>"))
    assert response.status_code == 500
    assert "credenciales.error.facturainvalida" in response.text
