"""Bad requests against a running stack: always a PeFAC SOAP fault with HTTP 500 (WS-I BP R1126; never a bare
500 or HTML), with a request id."""
from __future__ import annotations

import re
import socket
from urllib.parse import urlsplit

import pytest
import requests
from lxml import etree

from tests.support.invoices import UNSIGNED, fresh_invoice

from . import soap

pytestmark = pytest.mark.e2e

XML = "text/xml; charset=utf-8"
GENERATED_ID = re.compile(r"[0-9a-f]{32}")


def assert_fault(response: requests.Response, status: int, key: str, code: str = "Client") -> etree._Element:
    """A SOAP 1.1 fault: faultcode, faultstring, detail/ServicioError/mensajesError=key and a message with the id."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("text/xml"), response.headers
    request_id = response.headers["X-Request-ID"]
    fault = etree.fromstring(response.content).find(f"{{{soap.SOAP}}}Body/{{{soap.SOAP}}}Fault")
    assert fault is not None, response.text
    assert [child.tag for child in fault] == ["faultcode", "faultstring", "detail"]
    assert fault.findtext("faultcode").split(":")[-1] == code
    assert fault.findtext("faultstring").strip()
    servicio = fault.find(f"detail/{{{soap.NS}}}ServicioError")
    assert [child.tag for child in servicio] == ["mensajesError", "message"]
    assert servicio.findtext("mensajesError") == key
    assert request_id in servicio.findtext("message")
    return fault


def post(stack, body: bytes, content_type: str = XML, **headers) -> requests.Response:
    return stack.http.post(stack.soap_url, data=body, headers={"Content-Type": content_type, "SOAPAction": '""',
                                                             **headers}, timeout=60)


@pytest.mark.parametrize("body", [
    b"<S:Envelope xmlns:S='http://schemas.xmlsoap.org/soap/envelope/'><S:Body>",  # truncated
    b"not xml at all",
    b"",
    b"<Envelope><Body><version/></Body></Envelope>",  # not SOAP 1.1
    b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>",
], ids=["truncated", "text", "empty", "no-soap-namespace", "doctype"])
def test_malformed_envelope(stack, body):
    assert_fault(post(stack, body), 500, "facturae.error.xml")


def test_unknown_operation(stack):
    fault = assert_fault(post(stack, soap.envelope("borrarFactura", "<idFactura>1</idFactura>")), 500,
                         "facturae.error.xml")
    assert "borrarFactura" in fault.findtext("faultstring")


@pytest.mark.parametrize("content_type", ["application/json", "application/soap+xml; charset=utf-8",
                                          "multipart/form-data; boundary=x", "text/html"])
def test_wrong_content_type(stack, content_type):
    assert_fault(post(stack, soap.envelope("version", ""), content_type), 500, "facturae.error.xml")


@pytest.mark.parametrize("operation, inner", [
    ("consultarFactura", "<idFactura>dos</idFactura>"),
    ("consultarFactura", ""),
    ("anularFactura", "<motivoAnulacion>x</motivoAnulacion><idFactura>1</idFactura>"),  # wrong order
    ("consultarFacturaPorValores", "<nifcifProveedor>B1</nifcifProveedor><ejercicio>18/06/2014</ejercicio>"
                                   "<numeroFactura>1</numeroFactura>"),
    ("consultarFactura", "<ns2:idFactura xmlns:ns2='http://v2.ws.efactura.ceh.gobiernodecanarias.org/'>1"
                         "</ns2:idFactura>"),  # qualified child: the XSD's children are unqualified
], ids=["not-a-number", "missing", "order", "ejercicio", "qualified"])
def test_schema_violation(stack, operation, inner):
    assert_fault(post(stack, soap.envelope(operation, inner)), 500, "facturae.error.xml")


def test_body_over_the_size_limit(stack):
    limit = stack.settings.edge.max_body_bytes
    invoice = fresh_invoice(UNSIGNED[0], pad_to=limit + 1024, sign=stack.sign)
    assert_fault(post(stack, *reversed(soap.enviar_mtom(invoice.document))), 500, "facturae.error.xml")
    assert_fault(post(stack, *reversed(soap.enviar_inline(invoice.document))), 500, "facturae.error.xml")


def test_body_over_the_limit_without_content_length(stack):
    """A chunked body is counted as it arrives and refused once over the limit."""
    limit = stack.settings.edge.max_body_bytes
    chunk = b"<!-- " + b"x" * (1 << 20) + b" -->"
    response = stack.http.post(stack.soap_url, data=(chunk for _ in range(limit // len(chunk) + 2)),
                             headers={"Content-Type": XML}, timeout=60)
    assert_fault(response, 500, "facturae.error.xml")


def test_a_large_mtom_part_under_the_limit_is_registered(stack):
    """A part over lxml's ~10 MB text node default once base64-encoded (spyne 2.14 failed at ~7.5 MB)."""
    invoice = fresh_invoice(UNSIGNED[1], pad_to=stack.settings.edge.max_body_bytes - 64 * 1024, sign=stack.sign)
    response = post(stack, *reversed(soap.enviar_mtom(invoice.document)))
    assert response.status_code == 200, response.text[:2000]
    body, _ = soap.parse(response)
    assert body.findtext(f"{{{soap.NS}}}enviarFacturaResponse/return/numero") == invoice.number


def test_wrong_method_and_path(stack):
    assert_fault(stack.http.get(stack.soap_url, timeout=10), 500, "facturae.error.xml")
    elsewhere = stack.soap_url.rsplit("/", 1)[0] + "/Otro"
    assert_fault(stack.http.post(elsewhere, data=soap.envelope("version", ""), headers={"Content-Type": XML},
                               timeout=10), 500, "facturae.error.xml")


def test_request_id_is_echoed_when_sent_and_generated_otherwise(stack):
    sent = post(stack, soap.envelope("version", ""), **{"X-Request-ID": "soporte-42.abc"})
    assert sent.status_code == 200 and sent.headers["X-Request-ID"] == "soporte-42.abc"
    fault = post(stack, b"nope", **{"X-Request-ID": "soporte-43"})
    assert_fault(fault, 500, "facturae.error.xml")
    assert fault.headers["X-Request-ID"] == "soporte-43"
    first, second = post(stack, soap.envelope("version", "")), post(stack, b"nope")
    assert GENERATED_ID.fullmatch(first.headers["X-Request-ID"])
    assert GENERATED_ID.fullmatch(second.headers["X-Request-ID"])
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]
    hostile = post(stack, soap.envelope("version", ""), **{"X-Request-ID": "<script>"})
    assert GENERATED_ID.fullmatch(hostile.headers["X-Request-ID"])
    for response in (stack.http.get(stack.wsdl_url, timeout=10), stack.http.get(stack.soap_url.rsplit("/ws/", 1)[0]
                                                                             + "/readyz", timeout=10)):
        assert response.status_code == 200 and GENERATED_ID.fullmatch(response.headers["X-Request-ID"])


def test_a_client_that_hangs_up_mid_body_leaves_the_edge_serving(stack):
    url = urlsplit(stack.soap_url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as raw, \
            stack.tls_context().wrap_socket(raw, server_hostname=url.hostname) as connection:
        connection.sendall(f"POST {url.path} HTTP/1.1\r\nHost: x\r\nContent-Type: {XML}\r\n"
                           f"Content-Length: 100000\r\n\r\n<S:Envelope".encode())
    response = post(stack, soap.envelope("version", ""))
    assert response.status_code == 200 and b"2.0" in response.content
