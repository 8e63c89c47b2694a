"""Test doubles and builders for the SOAP edge: fake backends, a WSGI client, SOAP and MIME bodies."""
from __future__ import annotations

import functools
import io
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization

from ventanilla.api.v1 import invoice_pb2 as ipb
from ventanilla.api.v1 import services_pb2 as pb
from ventanilla.domain.errors import DomainError
from ventanilla import pki

from soap_edge.app import soap_wsgi
from soap_edge.front import Front
from soap_edge.handlers import Handlers

TNS = "http://v2.ws.efactura.ceh.gobiernodecanarias.org/"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
PATH = "/ws/v2/FacturaService"
PDF = b"%PDF-1.4\r\n% receipt\r\n%%EOF\n"


def invoice(**overrides) -> ipb.Invoice:
    """A fully populated protobuf Invoice (every FacturaExtendidaV2 field set)."""
    message = ipb.Invoice(
        id=2527,
        key=ipb.InvoiceKey(supplier_nif="12345678X", year=2014, series="A-", number="3"),
        customer_nif="Q8550003A",
        issue_date="2014-06-18",
        currency="EUR",
        total="1575.00",
        payable="1653.75",
        facturae_version="3.2",
        state=ipb.ANULADA,
        state_remarks="Observaciones del estado",
        cancellation_reason="Error en el centro gestor",
        centres=ipb.AdministrativeCentres(oficina_contable="E03078004", organo_gestor="E03131204",
                                          unidad_tramitadora="E03131205", organo_proponente="E03131206"),
        treasury_key="TES-1",
    )
    message.signed_at.FromJsonString("2014-06-18T13:50:34Z")
    message.registered_at.FromJsonString("2014-07-23T13:11:28Z")
    message.cancellation_requested_at.FromJsonString("2014-07-24T08:00:00Z")
    for name, value in overrides.items():
        if value is None:
            message.ClearField(name)
        elif hasattr(value, "CopyFrom"):
            getattr(message, name).CopyFrom(value)
        else:
            setattr(message, name, value)
    return message


@dataclass
class FakeBackends:
    """Records calls; answers from `answers` (method -> message, callable or DomainError)."""

    answers: dict = field(default_factory=dict)
    calls: list = field(default_factory=list)
    readiness: dict = field(default_factory=lambda: {"registry": True, "status": True, "cancellation": True})

    def call(self, service: str, method: str, request):
        self.calls.append((service, method, request))
        answer = self.answers.get(method)
        if isinstance(answer, DomainError):
            raise answer
        if callable(answer):
            return answer(request)
        if answer is not None:
            return answer
        if method in ("GetStates", "FindStates"):
            count = len(request.ids) if method == "GetStates" else len(request.tuples)
            return pb.StatesAnswer(items=[pb.StateItem(state=ipb.REGISTRADA, remarks="ok")] * count)
        return pb.InvoiceAnswer(invoice=invoice(), receipt_pdf=PDF)

    def ready(self) -> dict:
        return dict(self.readiness)


CALLER_NIF = "12345678Z"


@functools.lru_cache(maxsize=None)
def client_certificate(nif: str = CALLER_NIF, common_name_only: bool = False, **attributes) -> bytes:
    """The DER of a client certificate for nif (serialNumber IDCES-nif unless attributes say otherwise)."""
    ca = _test_ca()
    attributes = {} if common_name_only else (attributes or {"serial_number": f"IDCES-{nif}"})
    subject = pki.name(f"TITULAR {nif}", **attributes)
    return pki.issue_leaf(ca, subject, pki.Usage.CLIENT).certificate.public_bytes(serialization.Encoding.DER)


@functools.lru_cache(maxsize=None)
def _test_ca() -> pki.Issued:
    return pki.issue_ca(pki.name("Ventanilla unit-test CA"))


@dataclass(frozen=True)
class PeerSocket:
    """What the edge asks of gunicorn's TLS socket: the verified peer certificate."""

    der: bytes | None

    def getpeercert(self, binary_form: bool = False):
        return self.der


@dataclass
class Reply:
    status: str
    headers: dict
    body: bytes

    @property
    def code(self) -> int:
        return int(self.status[:3])


class Client:
    """Calls a WSGI app in-process."""

    def __init__(self, app, peer_der: bytes | None = b"default"):
        self.app = app
        self.peer = PeerSocket(client_certificate() if peer_der == b"default" else peer_der)

    def request(self, method: str, path: str = PATH, body: bytes = b"", content_type: str = "text/xml; charset=utf-8",
                query: str = "", **headers) -> Reply:
        environ = {
            "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "SERVER_NAME": "localhost",
            "SERVER_PORT": "80", "HTTP_HOST": "localhost", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
            "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": content_type, "REMOTE_ADDR": "127.0.0.1",
            "gunicorn.socket": self.peer,
        }
        environ.update(headers)
        seen = {}
        chunks = self.app(environ, lambda status, hdrs, *_: seen.update(status=status, headers=dict(hdrs)))
        return Reply(seen["status"], seen["headers"], b"".join(chunks))

    def post(self, body: bytes, content_type: str = "text/xml; charset=utf-8", **headers) -> Reply:
        return self.request("POST", body=body, content_type=content_type, **headers)


def edge(backends: FakeBackends | None = None, group_max_items: int = 500, max_body_bytes: int = 8 << 20):
    """The edge's WSGI front over fake backends."""
    backends = backends or FakeBackends()
    return Front(soap_wsgi(Handlers(backends, group_max_items)), backends.ready, PATH, max_body_bytes)


def envelope(operation: str, inner: str | bytes = b"", declaration: bool = False) -> bytes:
    """A SOAP 1.1 request as the manual writes it (operation qualified, children unqualified)."""
    inner = inner.encode() if isinstance(inner, str) else inner
    head = b"<?xml version='1.0' encoding='UTF-8'?>" if declaration else b""
    return (head + b'<S:Envelope xmlns:S="' + SOAP_ENV.encode() + b'"><S:Body><ns3:' + operation.encode()
            + b' xmlns:ns3="' + TNS.encode() + b'">' + inner + b"</ns3:" + operation.encode() + b"></S:Body></S:Envelope>")


def multipart(parts: list[tuple[dict, bytes]], boundary: str = "uuid:b0undary",
              start: str | None = None) -> tuple[str, bytes]:
    """(Content-Type, body) of a multipart/related MTOM message built by hand."""
    body = b""
    for headers, data in parts:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        body += f"--{boundary}\r\n{head}\r\n".encode() + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    content_type = f'multipart/related; type="application/xop+xml"; boundary="{boundary}"; start-info="text/xml"'
    if start:
        content_type += f'; start="{start}"'
    return content_type, body


ROOT_HEADERS = {"Content-Type": 'application/xop+xml; charset=utf-8; type="text/xml"',
                "Content-Transfer-Encoding": "binary", "Content-ID": "<root.message@cxf.apache.org>"}


def include(cid: str) -> str:
    """An xop:Include referencing cid."""
    return f'<xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:{cid}"/>'
