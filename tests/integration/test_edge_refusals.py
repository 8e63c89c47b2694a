"""Every early refusal of the edge over real TLS: HTTP 500 with a parseable PeFAC SOAP fault and a catalogue key
(WS-I Basic Profile R1126: JAX-WS clients, Metro and CXF, drop a SOAP fault that comes with any other status)."""
from __future__ import annotations

import socket
import ssl

import pytest
import requests
from lxml import etree

from ventanilla.domain.errors import ErrorKey

from .edge_server import start_edge
from .test_edge_tls import SOAP, TNS, envelope

pytestmark = pytest.mark.integration
XML = "text/xml; charset=utf-8"
CATALOGUE = {key.value for key in ErrorKey}


@pytest.fixture(scope="module")
def edge(tmp_path_factory, free_ports):
    edge = start_edge(tmp_path_factory.mktemp("edge-refusals") / "state", free_ports(4))
    edge.cert = edge.client("99999999R")
    yield edge
    edge.stop()


def assert_fault(status: int, headers: dict, body: bytes, key: str = "facturae.error.xml") -> str:
    """A SOAP 1.1 fault with HTTP 500, the catalogue key and a client faultcode; its message."""
    assert status == 500, (status, body[:300])
    assert headers["content-type"].startswith("text/xml"), headers
    fault = etree.fromstring(body).find(f"{{{SOAP}}}Body/{{{SOAP}}}Fault")
    assert fault is not None and fault.findtext("faultcode") == "soap:Client", body[:500]
    found = fault.findtext(f"detail/{{{TNS}}}ServicioError/mensajesError")
    assert found in CATALOGUE and found == key, found
    assert headers["x-request-id"] in fault.findtext(f"detail/{{{TNS}}}ServicioError/message")
    return fault.findtext("faultstring")


def call(edge, method: str = "POST", path: str | None = None, **kwargs) -> requests.Response:
    url = edge.url if path is None else edge.url.split("/ws/")[0] + path
    kwargs.setdefault("headers", {"Content-Type": XML})
    return requests.request(method, url, cert=edge.cert, verify=str(edge.pki.cert("ca")), timeout=60, **kwargs)


def check(response: requests.Response, key: str = "facturae.error.xml") -> str:
    return assert_fault(response.status_code, {k.lower(): v for k, v in response.headers.items()},
                        response.content, key)


def test_a_body_over_the_size_limit(edge):
    limit = edge.settings.edge.max_body_bytes
    message = check(call(edge, data=b"<!--" + b"x" * limit + b"-->"))
    assert f"({limit} bytes)" in message


def test_a_chunked_body_over_the_size_limit(edge):
    chunk = b"<!-- " + b"x" * (1 << 20) + b" -->"
    check(call(edge, data=(chunk for _ in range(edge.settings.edge.max_body_bytes // len(chunk) + 2))))


@pytest.mark.parametrize("content_type", ["application/json", "application/soap+xml; charset=utf-8", "text/html"])
def test_a_content_type_that_is_not_soap_1_1(edge, content_type):
    check(call(edge, data=envelope("version"), headers={"Content-Type": content_type}))


@pytest.mark.parametrize("body", [
    b"--b\r\nContent-Type: application/xop+xml\r\n\r\n<x/>\r\n",  # no closing delimiter
    b"--other\r\n\r\n<x/>\r\n--other--\r\n",                         # not the declared boundary
], ids=["unterminated", "wrong-boundary"])
def test_malformed_mime(edge, body):
    content_type = 'multipart/related; type="application/xop+xml"; boundary=b; start-info="text/xml"'
    check(call(edge, data=body, headers={"Content-Type": content_type}))


def test_a_wrong_method_and_an_unknown_path(edge):
    check(call(edge, "GET"))
    check(call(edge, "PUT", data=envelope("version")))
    check(call(edge, path="/ws/v2/Otro", data=envelope("version")))


def raw(edge, request: bytes) -> tuple[int, dict, bytes]:
    """Send request bytes as they are over TLS; the status, headers and body of the answer."""
    context = ssl.create_default_context(cafile=str(edge.pki.cert("ca")))
    context.load_cert_chain(*edge.cert)
    with socket.create_connection(("127.0.0.1", edge.settings.edge.port), timeout=20) as plain:
        with context.wrap_socket(plain, server_hostname="127.0.0.1") as tls:
            tls.sendall(request)
            answer = b""
            while chunk := tls.recv(65536):
                answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body[:int(headers["content-length"])]


HEAD = b"POST /ws/v2/FacturaService HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nConnection: close\r\n"


@pytest.mark.parametrize("request_bytes", [
    b"NOT HTTP AT ALL\r\n\r\n",
    b"POST /ws/v2/FacturaService HTTP/7.0\r\nHost: x\r\n\r\n",
    HEAD + b"Content-Length: 12abc\r\n\r\n" + envelope("version"),
    HEAD + b"X-Big: " + b"a" * 20000 + b"\r\n\r\n",
    HEAD + b"Transfer-Encoding: chunked\r\n\r\nZZ\r\n<x/>\r\n0\r\n\r\n",
], ids=["garbage", "http-version", "content-length", "header-too-large", "broken-chunk"])
def test_malformed_http_is_refused_with_a_fault_too(edge, request_bytes):
    assert_fault(*raw(edge, request_bytes))
