"""Test doubles and builders for the SOAP edge: fake gRPC channels, a WSGI client, SOAP and MIME bodies."""
from __future__ import annotations

import functools
import io
from dataclasses import dataclass, field

import grpc
from cryptography.hazmat.primitives import serialization
from grpc_health.v1 import health_pb2

from ventanilla.adapters import submission_stream
from ventanilla.adapters.grpc_errors import ERROR_KEY_HEADER
from ventanilla.api.v1 import invoice_pb2 as ipb
from ventanilla.api.v1 import services_pb2 as pb
from ventanilla.domain.errors import DomainError, Side
from ventanilla import pki

from soap_edge.backends.channels import Channels
from soap_edge.backends.receipts import HeldReceipts
from soap_edge.backends.clients import Backends
from ventanilla.config import Deadlines
from soap_edge.http.body import LargeBodies
from soap_edge.http.front import Front
from soap_edge.identity.access import Access, OpenAccess
from soap_edge.identity.proxy import networks
from soap_edge.soap.app import SoapApp
from soap_edge.soap.operations import Operations

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


class FakeRpcError(grpc.RpcError):
    """A failed call as gRPC reports it: a status code, details and trailing metadata."""

    def __init__(self, code, details="", trailing=()):
        self._code, self._details, self._trailing = code, details, trailing

    def code(self):
        return self._code

    def details(self):
        return self._details

    def trailing_metadata(self):
        return self._trailing


def rpc_error(error: DomainError) -> FakeRpcError:
    """What a backend's abort_with(error) sends: a status code and the catalogue key in trailing metadata."""
    code = grpc.StatusCode.FAILED_PRECONDITION if error.key.side is Side.CLIENT else grpc.StatusCode.INTERNAL
    return FakeRpcError(code, error.detail, ((ERROR_KEY_HEADER, error.key.value),))


SERVICES = {"RegistryService": "registry", "StatusService": "status", "CancellationService": "cancellation"}


@dataclass
class FakeBackends:
    """Fake gRPC channels under the real typed clients: records (backend, method, request) and answers from
    `answers` (method -> message, callable or DomainError, sent as the backend's trailing-metadata error)."""

    answers: dict = field(default_factory=dict)
    calls: list = field(default_factory=list)
    readiness: dict = field(default_factory=lambda: {"registry": True, "status": True, "cancellation": True})
    deadlines: list = field(default_factory=list)
    receipts: HeldReceipts | None = None  # the status client's held receipts (none: holds none)

    @functools.cached_property
    def clients(self) -> Backends:
        """The edge's real Backends over these fake channels (each address is the backend's name)."""
        channels = Channels({name: name for name in self.readiness}, 1 << 24, open_channel=self._open)
        return Backends(channels, Deadlines(query_s=15.0, write_s=15.0, read_your_writes_s=5.0),
                        receipts=self.receipts)

    def _open(self, address: str, options=()):
        return _FakeChannel(self, address)

    def answer(self, path: str, request, backend: str):
        service, method = path.strip("/").split("/")
        if service == "grpc.health.v1.Health":
            serving = self.readiness[backend]
            return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING if serving
                                                  else health_pb2.HealthCheckResponse.NOT_SERVING)
        if method == "GetStateBatch":  # recorded and answered as the single calls its members stand for
            return pb.StatesAnswer(items=[self._member(path, query, backend) for query in request.queries])
        self.calls.append((SERVICES[service.rsplit(".", 1)[1]], method, request))
        answer = self.answers.get(method)
        if isinstance(answer, DomainError):
            raise rpc_error(answer)
        if callable(answer):
            return answer(request)
        if answer is not None:
            return answer
        if method in ("GetStates", "FindStates"):
            count = len(request.ids) if method == "GetStates" else len(request.tuples)
            return pb.StatesAnswer(items=[pb.StateItem(state=ipb.REGISTRADA, remarks="ok")] * count)
        return pb.InvoiceAnswer(invoice=invoice(), receipt_pdf=PDF)

    def _member(self, path: str, query: pb.StateQuery, backend: str) -> pb.StateItem:
        single = (path.replace("GetStateBatch", "FindStates"), pb.StatesByTuples(caller=query.caller, tuples=[query.tuple])) \
            if query.HasField("tuple") else (path.replace("GetStateBatch", "GetStates"),
                                             pb.StatesByIds(caller=query.caller, ids=[query.id]))
        (item,) = self.answer(*single, backend).items
        return item


@dataclass
class _FakeChannel:
    """A grpc.Channel whose unary calls FakeBackends answers."""

    backends: FakeBackends
    backend: str

    def unary_unary(self, path, *_, **__):
        backends, backend = self.backends, self.backend

        class Call:
            def __call__(self, request, timeout=None, **_):
                backends.deadlines.append(timeout)
                return backends.answer(path, request, backend)

            def future(self, request, timeout=None, **_):
                answer = self(request, timeout)

                class Done:
                    def result(self):
                        return answer
                return Done()
        return Call()

    def stream_unary(self, path, *_, **__):
        """A client stream (enviarFactura's parts), answered as the submission they put back together."""
        call = self.unary_unary(path)
        return lambda parts, timeout=None, **_: call(submission_stream.reassembled(parts), timeout)

    unary_stream = stream_stream = unary_unary

    def close(self):
        pass


CALLER_NIF = "12345678Z"


@functools.cache
def client_certificate(nif: str = CALLER_NIF, common_name_only: bool = False, **attributes) -> bytes:
    """The DER of a client certificate for nif (serialNumber IDCES-nif unless attributes say otherwise)."""
    ca = _test_ca()
    attributes = {} if common_name_only else (attributes or {"serial_number": f"IDCES-{nif}"})
    subject = pki.name(f"TITULAR {nif}", **attributes)
    return pki.issue_leaf(ca, subject, pki.Usage.CLIENT).certificate.public_bytes(serialization.Encoding.DER)


@functools.cache
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


def edge(backends: FakeBackends | None = None, group_max_items: int = 500, max_body_bytes: int = 8 << 20,
         large_bodies: LargeBodies | None = None, trusted_proxies: str = "", access: Access | None = None,
         direct: bool = True) -> Front:
    """The edge's WSGI front over fake backends, wired as build() wires it (direct=False: spyne answers all)."""
    clients = (backends or FakeBackends()).clients
    access = access or OpenAccess()
    return Front(SoapApp(Operations(clients, group_max_items, access), direct), clients, PATH, max_body_bytes, large_bodies,
                 networks(trusted_proxies), access)


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
