"""enviarFactura on the direct path against spyne: the same registration asked, the same bytes, the same faults."""
from __future__ import annotations

import base64
import os

import grpc
import pytest
import zeep

from ventanilla.api.v1 import services_pb2 as pb
from tests.support.mtom import as_mtom
from ventanilla.domain.errors import DomainError, ErrorKey

from soap_edge.facts import RequestFacts, Transfer
from soap_edge.identity.caller import Caller, Via
from soap_edge.soap import mtom
from soap_edge.soap.direct import Direct
from soap_edge.soap.operations import Operations

from ...e2e.manual_examples import REQUESTS, with_namespaces
from ..domain.integrator_portal import Portal
from .fakes import (CALLER_NIF, PATH, ROOT_HEADERS, Client, FakeBackends, FakeRpcError, client_certificate, edge, envelope,
                    include, invoice, multipart)
from .test_access import registered
from .test_direct_answers import RID, _both, _facturas, _same
from .zeep_support import WsgiTransport

FACTURAE = os.urandom(100 * 1024)  # a signed Facturae's size; the edge never reads it
RECEIPT = os.urandom(31_000)
PART_HEADERS = {"Content-Type": "application/octet-stream", "Content-Transfer-Encoding": "binary"}


def _registry(answer=None) -> FakeBackends:
    answer = pb.SubmitInvoiceResponse(invoice=invoice(), receipt_pdf=RECEIPT) if answer is None else answer
    return FakeBackends(answers={"SubmitInvoice": answer, "SubmitInvoiceStream": answer})


def _inline(facturae: bytes = FACTURAE, anexos=()) -> tuple[bytes, str]:
    inner = f"<facturae>{base64.b64encode(facturae).decode()}</facturae>"
    inner += "".join(f"<anexos><nombre>{n}</nombre><contenido>{base64.b64encode(c).decode()}</contenido></anexos>"
                     for n, c in anexos)
    return envelope("enviarFactura", inner), "text/xml; charset=utf-8"


def _mtom(facturae: bytes = FACTURAE, anexos=()) -> tuple[bytes, str]:
    """As JAX-WS sends it: the Facturae and each anexo's content in parts of their own."""
    inner = f"<facturae>{include('f@x')}</facturae>"
    inner += "".join(f"<anexos><nombre>{n}</nombre><contenido>{include(f'a{i}@x')}</contenido></anexos>"
                     for i, (n, _) in enumerate(anexos))
    parts = [(ROOT_HEADERS, envelope("enviarFactura", inner)), ({**PART_HEADERS, "Content-ID": "<f@x>"}, facturae)]
    parts += [({**PART_HEADERS, "Content-ID": f"<a{i}@x>"}, c) for i, (_, c) in enumerate(anexos)]
    content_type, body = multipart(parts)
    return body, content_type


def _manual_4_3() -> tuple[bytes, str]:
    """The manual's own enviarFactura (4.3): an empty Header, line breaks everywhere, the anexo's xop:Include bare."""
    root = with_namespaces(REQUESTS["4.3"].format(facturae_cid="fe@x", anexo_cid="an@x"))
    content_type, body = multipart([(ROOT_HEADERS, root), ({**PART_HEADERS, "Content-ID": "<fe@x>"}, FACTURAE),
                                    ({**PART_HEADERS, "Content-ID": "<an@x>"}, b"%PDF anexo")])
    return body, content_type


ANEXOS = [("DocumentoAnexo.pdf", b"%PDF-1.4 anexo"), ("a &amp; b ñ.xml", b"<x/>"), ("vacío", os.urandom(3000))]
PLAIN = {
    "inline": _inline(), "inline, anexos": _inline(anexos=ANEXOS), "MTOM": _mtom(), "MTOM, anexos": _mtom(anexos=ANEXOS),
    "manual 4.3": _manual_4_3(),
}


def _replies(backends_of, request: tuple[bytes, str], **client):
    """(direct, spyne) replies and the registry calls each made, over backends alike."""
    out = []
    for direct in (True, False):
        backends = backends_of()
        reply = Client(edge(backends, direct=direct), **client).post(request[0], request[1], **RID)
        out.append((reply, [(method, request) for _, method, request in backends.calls]))
    return out


@pytest.mark.parametrize("name", PLAIN)
def test_the_registry_is_asked_the_same_and_the_answer_is_spynes_bytes(name):
    request = PLAIN[name]
    (direct, asked), (spyne, asked_spyne) = _replies(_registry, request)
    assert direct.code == 200, direct.body[-400:]
    _same(direct, spyne, mime_random=True)
    assert asked == asked_spyne and len(asked) == 1
    assert asked[0][1].facturae == FACTURAE
    mtom_request = request[1].startswith("multipart/")
    assert direct.headers["Content-Type"].startswith("multipart/related") == mtom_request
    assert (RECEIPT in direct.body) == mtom_request  # the receipt in its own part, or in base64


@pytest.mark.parametrize("transfer", ["inline", "mtom"])
@pytest.mark.parametrize("receipt", [b"", b"%PDF-1.4\r\n", RECEIPT], ids=["no receipt", "small", "31 KB"])
def test_every_answer_is_spynes_bytes(transfer, receipt):
    request = _inline(b"<Facturae/>") if transfer == "inline" else _mtom(b"<Facturae/>")
    for label, message in _facturas():
        answer = pb.SubmitInvoiceResponse(invoice=message, receipt_pdf=receipt, receipt_csv="CSV-1")
        direct, spyne = _both(_registry(answer), *request)
        _same(direct, spyne, mime_random=transfer == "mtom", case=label)


def test_a_large_submission_is_streamed_to_the_registry_on_either_path():
    large = os.urandom(3 << 20)
    (direct, asked), (spyne, asked_spyne) = _replies(_registry, _mtom(large, [("a.pdf", large[:2 << 20])]))
    _same(direct, spyne, mime_random=True)
    assert [m for m, _ in asked] == ["SubmitInvoiceStream"] and asked == asked_spyne
    assert asked[0][1].facturae == large


@pytest.mark.parametrize("error", [DomainError(ErrorKey.FACTURA_INVALIDA, "Ya registrada"),
                                   DomainError(ErrorKey.SIGN_ERROR, "Firma no válida"),
                                   DomainError(ErrorKey.REGISTRO, "caído")], ids=lambda e: e.key.value)
@pytest.mark.parametrize("name", ["inline", "MTOM"])
def test_registry_refusals_are_the_same_fault(name, error):
    (direct, _), (spyne, _) = _replies(lambda: FakeBackends(answers={"SubmitInvoice": error}), PLAIN[name])
    _same(direct, spyne)
    assert direct.code == 500 and error.key.value.encode() in direct.body


def test_a_registry_out_of_reach_is_the_same_fault_in_doubt():
    def down(_):
        raise FakeRpcError(grpc.StatusCode.UNAVAILABLE, "down")
    (direct, _), (spyne, _) = _replies(lambda: FakeBackends(answers={"SubmitInvoice": down}), PLAIN["MTOM"])
    _same(direct, spyne)
    assert b"facturae.error.registro" in direct.body


def test_text_xml_cannot_carry_is_the_same_fault():
    answer = pb.SubmitInvoiceResponse(invoice=invoice(state_remarks="a\x01b"), receipt_pdf=RECEIPT)
    direct, spyne = _both(_registry(answer), *_inline(b"x"))
    _same(direct, spyne)
    assert direct.code == 500 and b"facturae.error.registro" in direct.body


@pytest.mark.parametrize("peer", [None, b"unregistered"], ids=["no certificate", "not a sending platform"])
def test_callers_refused_get_the_same_fault_and_nothing_is_asked(peer):
    access = registered(Portal()) if peer else None
    replies = []
    for direct in (True, False):
        backends = _registry()
        client = Client(edge(backends, access=access, direct=direct), peer_der=peer and client_certificate())
        replies.append(client.post(*PLAIN["MTOM"], **RID))
        assert backends.calls == []
    _same(*replies)
    assert replies[0].code == 500


def _enviar(inner: str) -> tuple[bytes, str]:
    return envelope("enviarFactura", inner), "text/xml; charset=utf-8"


ANEXO = "<anexos><nombre>a</nombre><contenido>QUJD</contenido></anexos>"
LEFT_TO_SPYNE = {
    "no facturae": "",
    "two facturae": "<facturae>QUJD</facturae><facturae>QUJD</facturae>",
    "empty facturae": "<facturae></facturae>",
    "self-closed facturae": "<facturae/>",
    "not base64": "<facturae>Q*JD</facturae>",
    "too short": "<facturae>QUJ</facturae>",
    "a bit set past the end (==)": "<facturae>QR==</facturae>",
    "a bit set past the end (=)": "<facturae>QUJ=</facturae>",
    "line breaks": "<facturae>QUJD\nRA==</facturae>",
    "blanks around": "<facturae> QUJD </facturae>",
    "attribute": '<facturae a="1">QUJD</facturae>',
    "content type attribute": ('<facturae xmlns:xm="http://www.w3.org/2005/05/xmlmime" xm:contentType="text/xml">'
                               "QUJD</facturae>"),
    "qualified": f'<t:facturae xmlns:t="{mtom.XOP_NS}">QUJD</t:facturae>',
    "child element": "<facturae><a>QUJD</a></facturae>",
    "comment": "<facturae>QUJD</facturae><!-- c -->",
    "nil": '<facturae xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true"/>',
    "text beside": "texto<facturae>QUJD</facturae>",
    "anexos first": ANEXO + "<facturae>QUJD</facturae>",
    "unknown element": "<facturae>QUJD</facturae><otro/>",
    "anexo without nombre": "<facturae>QUJD</facturae><anexos><contenido>QUJD</contenido></anexos>",
    "anexo without contenido": "<facturae>QUJD</facturae><anexos><nombre>a</nombre></anexos>",
    "anexo, order swapped": "<facturae>QUJD</facturae><anexos><contenido>QUJD</contenido><nombre>a</nombre></anexos>",
    "anexo, nombre with a child": "<facturae>QUJD</facturae><anexos><nombre><b/></nombre><contenido>QUJD</contenido>"
                                  "</anexos>",
    "anexo, empty contenido": "<facturae>QUJD</facturae><anexos><nombre>a</nombre><contenido/></anexos>",
    "anexo, bad base64": "<facturae>QUJD</facturae><anexos><nombre>a</nombre><contenido>%%%%</contenido></anexos>",
    "anexo, attribute": '<facturae>QUJD</facturae><anexos x="1"><nombre>a</nombre><contenido>QUJD</contenido></anexos>',
    "anexo, text inside": "<facturae>QUJD</facturae><anexos>t<nombre>a</nombre><contenido>QUJD</contenido></anexos>",
    "anexo, three children": "<facturae>QUJD</facturae><anexos><nombre>a</nombre><contenido>QUJD</contenido><x/>"
                             "</anexos>",
}


@pytest.mark.parametrize("inner", LEFT_TO_SPYNE.values(), ids=LEFT_TO_SPYNE.keys())
def test_anything_else_is_left_to_spyne_and_answered_as_before(inner):
    assert not _taken(_enviar(inner))
    (direct, asked), (spyne, asked_spyne) = _replies(_registry, _enviar(inner))
    _same(direct, spyne)
    assert asked == asked_spyne


ODD_MTOM = {
    "an unknown part": (f"<facturae>{include('nowhere@x')}</facturae>", []),
    "a part used twice": (f"<facturae>{include('f@x')}</facturae><anexos><nombre>a</nombre>"
                          f"<contenido>{include('f@x')}</contenido></anexos>", [("f@x", b"x")]),
    "include beside text": (f"<facturae>QUJD{include('f@x')}</facturae>", [("f@x", b"x")]),
    "a part not referenced": ("<facturae>QUJD</facturae>", [("f@x", b"x")]),
}


@pytest.mark.parametrize("inner, parts", ODD_MTOM.values(), ids=ODD_MTOM.keys())
def test_odd_mtom_requests_get_the_same_answer(inner, parts):
    content_type, body = multipart([(ROOT_HEADERS, envelope("enviarFactura", inner))]
                                   + [({**PART_HEADERS, "Content-ID": f"<{cid}>"}, data) for cid, data in parts])
    (direct, asked), (spyne, asked_spyne) = _replies(_registry, (body, content_type))
    _same(direct, spyne, mime_random=True)
    assert asked == asked_spyne


def _taken(request: tuple[bytes, str]) -> bool:
    """Whether the direct path answers a request (rather than leaving it to spyne)."""
    body, content_type = request
    parsed = mtom.parse_envelope(content_type, body)
    transfer = Transfer.MTOM if mtom.is_mtom(content_type) else Transfer.INLINE
    caller = Caller(CALLER_NIF, "00" * 32, Via.TLS_PEER, "serialNumber")
    facts = RequestFacts("rid", transfer=transfer, operation=parsed.operation, caller=caller)
    return Direct(Operations(_registry().clients, 500)).answer(facts, parsed) is not None


@pytest.mark.parametrize("name", PLAIN)
def test_plain_submissions_take_the_direct_path(name):
    assert _taken(PLAIN[name])


@pytest.mark.parametrize("mtom_requests", [False, True], ids=["inline", "mtom"])
def test_zeeps_submissions_take_the_direct_path(mtom_requests):
    sent = []

    class Recording(WsgiTransport):
        def post(self, address, message, headers):
            message = message if isinstance(message, bytes) else message.encode()
            content_type, body = as_mtom(message) if self.mtom else (headers["Content-Type"], message)
            sent.append((body, content_type))
            return super().post(address, message, headers)
    transport = Recording(edge(_registry()), mtom=mtom_requests)
    service = zeep.Client(f"http://localhost{PATH}?wsdl", transport=transport).service
    service.enviarFactura(facturae=FACTURAE, anexos=[{"nombre": "anexo.pdf", "contenido": b"%PDF"}])
    service.enviarFactura(facturae=FACTURAE)
    assert len(sent) == 2 and all(_taken(request) for request in sent)
