"""GET /comprobantes/{csv} on the edge's front, over fake backends."""
from __future__ import annotations

from ventanilla.api.v1 import services_pb2 as pb
from ventanilla.domain.errors import DomainError, ErrorKey

from .fakes import Client, FakeBackends, edge

CSV = "ABCDEFGHIJKLMNOPQRSTUVWX"


def client(answer) -> tuple[Client, FakeBackends]:
    backends = FakeBackends(answers={"GetReceipt": answer})
    return Client(edge(backends)), backends


def test_a_known_code_returns_the_pdf_as_stored():
    web, backends = client(pb.ReceiptAnswer(receipt_pdf=b"%PDF-1.4 sealed"))
    reply = web.request("GET", f"/comprobantes/{CSV.lower()}")
    assert reply.code == 200 and reply.body == b"%PDF-1.4 sealed"
    assert reply.headers["Content-Type"] == "application/pdf"
    assert backends.calls[0][2].csv == CSV


def test_unknown_and_malformed_codes_are_404_without_asking_for_malformed_ones():
    web, backends = client(DomainError(ErrorKey.FACTURA_INVALIDA))
    unknown = web.request("GET", f"/comprobantes/{CSV}")
    malformed = web.request("GET", "/comprobantes/../../etc/passwd")
    assert unknown.code == malformed.code == 404 and unknown.body == malformed.body
    assert len(backends.calls) == 1


def test_registry_unreachable_is_503_and_post_is_405():
    web, _ = client(DomainError(ErrorKey.REGISTRO))
    assert web.request("GET", f"/comprobantes/{CSV}").code == 503
    assert web.request("POST", f"/comprobantes/{CSV}").code == 405
