"""The HTTP front: routes, readiness, content types, size limits, MTOM in and out, crash safety, logs."""
from __future__ import annotations

import base64
import io
import json
import logging

import pytest
from lxml import etree

from soap_edge import mtom

from .fakes import PDF, PATH, ROOT_HEADERS, TNS, Client, FakeBackends, edge, envelope, include, multipart


def fault_key(reply) -> str:
    assert reply.headers["Content-Type"].startswith("text/xml")
    return etree.fromstring(reply.body).findtext(f".//{{{TNS}}}ServicioError/mensajesError")


def test_readyz_reports_backends():
    backends = FakeBackends()
    reply = Client(edge(backends)).request("GET", "/readyz")
    assert reply.code == 200 and json.loads(reply.body)["ready"] is True
    backends.readiness["status"] = False
    reply = Client(edge(backends)).request("GET", "/readyz")
    assert reply.code == 503 and json.loads(reply.body)["backends"]["status"] is False


@pytest.mark.parametrize("query", ["wsdl", "WSDL"])
def test_wsdl_is_served_on_the_soap_path(query):
    reply = Client(edge()).request("GET", query=query)
    assert reply.code == 200 and b"FacturaServicePortBinding" in reply.body
    assert f'location="http://localhost{PATH}"'.encode() in reply.body


@pytest.mark.parametrize("method, path, content_type", [
    ("GET", "/elsewhere", "text/xml"),
    ("POST", "/ws/v2/Other", "text/xml"),
    ("GET", PATH, "text/xml"),
    ("PUT", PATH, "text/xml"),
    ("POST", PATH, "application/json"),
    ("POST", PATH, "application/soap+xml; charset=utf-8"),   # SOAP 1.2
    ("POST", PATH, ""),
    ("POST", PATH, 'multipart/related; type="text/plain"; boundary=x'),
    ("POST", PATH, "multipart/form-data; boundary=x"),
])
def test_wrong_route_method_or_content_type_is_a_fault(method, path, content_type):
    reply = Client(edge()).request(method, path, body=envelope("version"), content_type=content_type)
    # HTTP 500 with every SOAP fault (WS-I BP R1126): JAX-WS clients drop a fault with 404, 405 or 415
    assert reply.code == 500 and fault_key(reply) == "facturae.error.xml"
    assert b"<faultcode>soap:Client</faultcode>" in reply.body


class Endless(io.RawIOBase):
    """A request body that never ends; counts what was read."""

    def __init__(self):
        self.read_bytes = 0

    def read(self, size=-1):
        size = 65536 if size is None or size < 0 else size
        self.read_bytes += size
        return b"<" * size


def test_declared_length_far_over_the_limit_is_refused_without_reading():
    stream = Endless()
    reply = Client(edge(max_body_bytes=1000)).post(b"", **{"CONTENT_LENGTH": "2001", "wsgi.input": stream})
    assert reply.code == 500 and fault_key(reply) == "facturae.error.xml" and stream.read_bytes == 0
    assert b"1000 bytes" in reply.body


def test_declared_length_a_little_over_is_drained_not_kept_so_the_client_reads_the_fault():
    stream = Endless()
    reply = Client(edge(max_body_bytes=100_000)).post(b"", **{"CONTENT_LENGTH": "150000", "wsgi.input": stream})
    assert reply.code == 500 and fault_key(reply) == "facturae.error.xml" and stream.read_bytes == 150_000


def test_chunked_body_over_the_limit_is_refused_while_reading():
    stream = Endless()
    reply = Client(edge(max_body_bytes=200_000)).post(b"", **{"CONTENT_LENGTH": "", "wsgi.input": stream})
    assert reply.code == 500 and fault_key(reply) == "facturae.error.xml" and stream.read_bytes <= 2 * 200_000 + 65536


def test_invalid_content_length_is_a_bad_request_fault():
    reply = Client(edge()).post(envelope("version"), CONTENT_LENGTH="12abc")
    assert reply.code == 500 and fault_key(reply) == "facturae.error.xml"


class Broken(io.RawIOBase):
    """A request body whose reader fails as gunicorn's does on a broken chunked encoding."""

    def read(self, size=-1):
        raise ValueError("Invalid chunk size")


def test_a_body_that_cannot_be_read_is_a_client_fault_not_a_server_error():
    reply = Client(edge()).post(b"", **{"CONTENT_LENGTH": "", "wsgi.input": Broken()})
    assert reply.code == 500 and fault_key(reply) == "facturae.error.xml"
    assert b"<faultcode>soap:Client</faultcode>" in reply.body


def test_chunked_body_under_the_limit_is_accepted():
    body = envelope("version")
    reply = Client(edge()).post(b"", **{"CONTENT_LENGTH": "", "wsgi.input": io.BytesIO(body)})
    assert reply.code == 200


@pytest.mark.parametrize("body", [b"", b"<a", b"not xml", b"<x/>",
                                  b'<S:Envelope xmlns:S="http://www.w3.org/2003/05/soap-envelope"><S:Body/></S:Envelope>',
                                  envelope("version").replace(b"<ns3:version", b"<ns3:version><bad/")])
def test_malformed_envelopes_are_client_faults(body):
    reply = Client(edge()).post(body)
    assert reply.code == 500 and fault_key(reply) == "facturae.error.xml"
    assert b"<faultcode>soap:Client</faultcode>" in reply.body


def test_mtom_request_gets_an_mtom_answer_and_exact_bytes_reach_the_registry():
    facturae, pdf = b"<?xml version='1.0'?>\n<Facturae/>\n", b"%PDF-anexo\r\n"
    root = envelope("enviarFactura", f"<facturae>{include('f@c')}</facturae>"
                                     f"<anexos><nombre>a.pdf</nombre><contenido>{include('a@c')}</contenido></anexos>",
                    declaration=True)
    content_type, body = multipart([(ROOT_HEADERS, root), ({"Content-ID": "<f@c>"}, facturae),
                                    ({"Content-ID": "<a@c>"}, pdf)])
    backends = FakeBackends()
    reply = Client(edge(backends)).post(body, content_type)
    assert reply.code == 200 and mtom.is_mtom(reply.headers["Content-Type"])
    assert int(reply.headers["Content-Length"]) == len(reply.body)
    request = backends.calls[0][2]
    assert request.facturae == facturae and request.attachments[0].content == pdf
    answer = mtom.parse_envelope(reply.headers["Content-Type"], reply.body)
    assert bytes(answer.binary(base64.b64decode(answer.root.findtext(".//comprobanteRegistro")))) == PDF
    assert PDF in reply.body


def test_plain_request_gets_inline_base64():
    reply = Client(edge()).post(envelope("consultarFactura", "<idFactura>1</idFactura>"))
    assert reply.headers["Content-Type"].startswith("text/xml")
    assert base64.b64encode(PDF) in reply.body


def test_mtom_request_without_binary_answer_gets_plain_xml():
    content_type, body = multipart([(ROOT_HEADERS, envelope("consultarEstadoFactura", "<idFactura>1</idFactura>"))])
    reply = Client(edge()).post(body, content_type)
    assert reply.code == 200 and reply.headers["Content-Type"].startswith("text/xml")


def test_mtom_faults_are_plain_soap_faults():
    content_type, body = multipart([(ROOT_HEADERS, envelope("enviarFactura", f"<facturae>{include('x@c')}</facturae>"))])
    reply = Client(edge()).post(body, content_type)
    assert reply.code == 500 and fault_key(reply) == "facturae.error.xml"


def test_a_crash_anywhere_still_answers_with_a_server_fault(monkeypatch):
    front = edge()
    monkeypatch.setattr(front, "_soap", lambda environ, start_response: 1 / 0)
    reply = Client(front).post(envelope("version"))
    assert reply.code == 500 and fault_key(reply) == "facturae.error.registro"
    assert b"<faultcode>soap:Server</faultcode>" in reply.body


def test_access_log_notes_the_fault_key_of_refusals(caplog):
    caplog.set_level(logging.INFO, logger="soap_edge.access")
    Client(edge()).request("GET", "/elsewhere")
    (record,) = [r for r in caplog.records if r.name == "soap_edge.access"]
    assert (record.status, record.fault_key) == (500, "facturae.error.xml")


def test_access_log_has_the_facts_and_no_document_content(caplog):
    caplog.set_level(logging.INFO, logger="soap_edge.access")
    secret = base64.b64encode(b"<Facturae>CONFIDENTIAL</Facturae>").decode()
    Client(edge()).post(envelope("enviarFactura", f"<facturae>{secret}</facturae>"), HTTP_X_REQUEST_ID="log-1")
    (record,) = [r for r in caplog.records if r.name == "soap_edge.access"]
    assert (record.request_id, record.operation, record.status, record.fault_key) == ("log-1", "enviarFactura", 200, None)
    assert record.bytes_in > 0 and record.duration_ms >= 0
    assert secret not in json.dumps(vars(record), default=str)
