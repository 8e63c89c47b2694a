"""The direct path against spyne: the same bytes for every answer, the same fault for every refusal."""
from __future__ import annotations

import hashlib
import os
import re

import pytest

from ventanilla.api.v1 import invoice_pb2 as ipb
from ventanilla.api.v1 import services_pb2 as pb
from ventanilla.domain.errors import DomainError, ErrorKey

from soap_edge.backends.receipts import HeldReceipts
from soap_edge.facts import RequestFacts, Transfer
from soap_edge.soap import mtom
from soap_edge.soap.contract import FacturaExtendidaV2
from soap_edge.identity.caller import Caller, Via
from soap_edge.soap.direct import DIRECT, Direct
from soap_edge.soap.operations import Operations

from .fakes import CALLER_NIF, PDF, ROOT_HEADERS, Client, FakeBackends, edge, envelope, invoice, multipart

RID = {"HTTP_X_REQUEST_ID": "direct-vs-spyne-0001"}  # the fault's message carries it: the same on both paths
STATES = list(ipb.InvoiceState.values())
TEXTS = ["", "ok", "Factura rechazada: NIF del órgano gestor erróneo (ñ, ü, €)", "a<b & c>d \"q\" 'x' ]]>",
         "línea 1\r\nlínea 2\ttab\n", "&amp; &lt; &#13;", "emoji 😀 and U+2028 \u2028 and \x7f\x85", " spaces  "]
_RANDOM = [(re.compile(rb"uuid:[0-9a-f-]{36}"), b"uuid:B"), (re.compile(rb"root\.[0-9a-f]{32}@"), b"root.R@"),
           (re.compile(rb"[0-9a-f]{32}@ventanilla"), b"C@ventanilla")]


def _both(backends: FakeBackends, body: bytes, content_type: str = "text/xml; charset=utf-8"):
    """(direct, spyne) replies to the same request over the same backends."""
    return tuple(Client(edge(backends, direct=d)).post(body, content_type, **RID) for d in (True, False))


def _same(direct, spyne, mime_random: bool = False, case=None) -> None:
    """Status, headers (the request id sent is the same) and body identical; MTOM's random boundary and Content-IDs aside."""
    def norm(value: bytes) -> bytes:
        for pattern, fixed in _RANDOM if mime_random else ():
            value = pattern.sub(fixed, value)
        return value
    assert direct.status == spyne.status, case
    assert {k: norm(v.encode()) for k, v in direct.headers.items()} == \
        {k: norm(v.encode()) for k, v in spyne.headers.items()}, case
    assert norm(direct.body) == norm(spyne.body), case


def _states(*items: pb.StateItem) -> FakeBackends:
    return FakeBackends(answers={"GetStates": pb.StatesAnswer(items=list(items))})


@pytest.mark.parametrize("operation", ["consultarEstadoFactura", "consultarEstadoMotivoFactura"])
def test_estado_answers_are_spynes_bytes(operation):
    for state in STATES:
        for remarks in TEXTS:
            backends = _states(pb.StateItem(state=state, remarks=remarks))
            _same(*_both(backends, envelope(operation, "<idFactura>2527</idFactura>")), case=(state, remarks))


def test_group_answers_are_spynes_bytes():
    items = [pb.StateItem(state=s, remarks=r) for s in STATES for r in TEXTS]
    items += [pb.StateItem(error=pb.CatalogueError(key="factura.error.noexiste", message="no")),
              pb.StateItem(state=ipb.PAGADA, error=pb.CatalogueError(key="", message="empty key: the state counts")),
              pb.StateItem(error=pb.CatalogueError(key="a<&>\r")), pb.StateItem(remarks="remarks without a state")]
    ids = [0, 7, 999999999999999999] + list(range(1, len(items) - 2))
    body = "".join(f"<facturaId>{i:03d}</facturaId>" for i in ids)  # leading zeros: the echo is the number
    _same(*_both(_states(*items), envelope("consultarGrupoEstadosFactura", body)))


def _facturas():
    yield "full", invoice()
    for state in STATES:
        yield f"state {state}", invoice(state=state)
    for name in ("id", "customer_nif", "issue_date", "currency", "total", "payable", "facturae_version", "state",
                 "state_remarks", "cancellation_reason", "treasury_key", "signed_at", "registered_at",
                 "cancellation_requested_at", "centres", "key"):
        yield f"no {name}", invoice(**{name: None})
    yield "empty", ipb.Invoice()
    for i, text in enumerate(TEXTS):
        yield f"text {i}", invoice(state_remarks=text, cancellation_reason=text, treasury_key=text, currency=text,
                                   key=ipb.InvoiceKey(supplier_nif=text, year=2014, series=text, number=text))
    for total in ("1E+2", "0.10", "-5", "1234567890.123456789", "0"):
        yield f"total {total}", invoice(total=total, payable=total)
    precise = invoice()
    precise.signed_at.FromJsonString("2024-02-29T23:59:59.123456789Z")
    precise.registered_at.FromJsonString("1999-12-31T00:00:00.5Z")
    yield "fractions of a second", precise


@pytest.mark.parametrize("transfer", ["inline", "mtom"])
@pytest.mark.parametrize("receipt", [b"", PDF, os.urandom(31_000)], ids=["no receipt", "small", "31 KB"])
def test_factura_answers_are_spynes_bytes(receipt, transfer):
    request = envelope("consultarFactura", "<idFactura>2527</idFactura>")
    for label, message in _facturas():
        backends = FakeBackends(answers={"GetInvoice": pb.InvoiceAnswer(invoice=message, receipt_pdf=receipt)})
        if transfer == "inline":
            _same(*_both(backends, request), case=label)
            continue
        # as JAX-WS with MTOM enabled sends it; the answer's receipt goes in a part
        direct, spyne = _both(backends, *reversed(multipart([(ROOT_HEADERS, request)])))
        _same(direct, spyne, mime_random=True, case=label)
        assert direct.headers["Content-Type"].startswith("multipart/related") == bool(receipt)
        assert not receipt or receipt in direct.body  # the part itself, not its base64


def test_the_direct_factura_writes_every_element_of_spynes_model_in_its_order():
    """A full invoice's direct answer has each FacturaExtendidaV2 element, in the model's order: an element the model
    gains is missed here even before the samples above set it."""
    backends = FakeBackends(answers={"GetInvoice": pb.InvoiceAnswer(invoice=invoice(), receipt_pdf=PDF)})
    direct = Client(edge(backends, direct=True)).post(envelope("consultarFactura", "<idFactura>2527</idFactura>"),
                                                      "text/xml; charset=utf-8", **RID)
    written = re.search(rb"<return>(.*)</return>", direct.body).group(1)
    tags = tuple(tag.decode() for tag in re.findall(rb"<(\w+)>", written))
    assert tags == tuple(FacturaExtendidaV2.get_flat_type_info(FacturaExtendidaV2))


def _status_answering_held(receipt: bytes):
    """GetInvoice and FindInvoice as the status service answers them: the receipt left out when the request names
    its SHA-256."""
    message = invoice()
    message.receipt.sha256 = hashlib.sha256(receipt).hexdigest()

    def answer(request):
        if request.held_receipt_sha256 == message.receipt.sha256:
            return pb.InvoiceAnswer(invoice=message, receipt_unchanged=True)
        return pb.InvoiceAnswer(invoice=message, receipt_pdf=receipt)
    return answer


@pytest.mark.parametrize("transfer", ["inline", "mtom"])
@pytest.mark.parametrize("operation, inner", [
    ("consultarFactura", "<idFactura>2527</idFactura>"),
    ("consultarFacturaPorValores", "<nifcifProveedor>00278402X</nifcifProveedor><ejercicio>2014</ejercicio>"
                                   "<numeroFactura>V203-1</numeroFactura>")])
def test_an_answer_from_a_held_receipt_is_the_fetched_receipts_bytes(operation, inner, transfer):
    receipt = os.urandom(31_000)
    answer = _status_answering_held(receipt)
    request = envelope(operation, inner)
    post = (request,) if transfer == "inline" else tuple(reversed(multipart([(ROOT_HEADERS, request)])))
    held = FakeBackends(answers={"GetInvoice": answer, "FindInvoice": answer}, receipts=HeldReceipts(1 << 20))
    replies = [Client(edge(held, direct=d)).post(*post, **RID) for d in (True, True, False, False)]
    fetched = Client(edge(FakeBackends(answers={"GetInvoice": answer, "FindInvoice": answer}), direct=True)).post(
        *post, **RID)
    sha256 = hashlib.sha256(receipt).hexdigest()
    assert [request.held_receipt_sha256 for _, _, request in held.calls] == ["", sha256, sha256, sha256]
    assert fetched.code == 200 and (receipt in fetched.body) == (transfer == "mtom")
    for reply in replies:
        _same(reply, fetched, mime_random=transfer == "mtom", case=operation)


def test_version_is_spynes_bytes():
    _same(*_both(FakeBackends(), envelope("version")))


@pytest.mark.parametrize("bad", ["\x01", "\x00", "\ufffe", "\uffff", "\x1f"])
def test_text_xml_cannot_carry_is_the_same_fault(bad):
    backends = _states(pb.StateItem(state=ipb.ANULADA, remarks=f"a{bad}b"))
    direct, spyne = _both(backends, envelope("consultarEstadoMotivoFactura", "<idFactura>1</idFactura>"))
    _same(direct, spyne)
    assert direct.code == 500 and b"facturae.error.registro" in direct.body


@pytest.mark.parametrize("error", [DomainError(ErrorKey.FACTURA_INVALIDA, "No existe"), DomainError(ErrorKey.REGISTRO, "caído")])
@pytest.mark.parametrize("operation, method", [("consultarEstadoFactura", "GetStates"),
                                               ("consultarFactura", "GetInvoice"),
                                               ("consultarGrupoEstadosFactura", "GetStates")])
def test_backend_refusals_are_the_same_fault(operation, method, error):
    backends = FakeBackends(answers={method: error})
    name = "facturaId" if "Grupo" in operation else "idFactura"
    _same(*_both(backends, envelope(operation, f"<{name}>5</{name}>")))


REFUSED = {
    "missing id": ("consultarEstadoFactura", ""),
    "two ids": ("consultarEstadoFactura", "<idFactura>1</idFactura><idFactura>2</idFactura>"),
    "not a number": ("consultarEstadoFactura", "<idFactura>uno</idFactura>"),
    "empty id": ("consultarEstadoFactura", "<idFactura></idFactura>"),
    "beyond xs:long": ("consultarFactura", "<idFactura>99999999999999999999</idFactura>"),
    "19 digits, a long": ("consultarFactura", "<idFactura>9223372036854775807</idFactura>"),
    "negative": ("consultarEstadoMotivoFactura", "<idFactura>-3</idFactura>"),
    "blanks around": ("consultarEstadoFactura", "<idFactura> 12 </idFactura>"),
    "qualified child": ("consultarEstadoFactura", '<ns3:idFactura>1</ns3:idFactura>'),
    "unknown child": ("consultarEstadoFactura", "<idFactura>1</idFactura><otro>2</otro>"),
    "attribute": ("consultarEstadoFactura", '<idFactura a="1">1</idFactura>'),
    "nil": ("consultarEstadoFactura",
            '<idFactura xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true"/>'),
    "comment": ("consultarEstadoFactura", "<idFactura>1</idFactura><!-- hola -->"),
    "child element": ("consultarFactura", "<idFactura><a>1</a></idFactura>"),
    "text beside": ("consultarFactura", "texto<idFactura>1</idFactura>"),
    "empty group": ("consultarGrupoEstadosFactura", ""),
    "group, a wrong item": ("consultarGrupoEstadosFactura", "<facturaId>1</facturaId><facturaId>x</facturaId>"),
    "version with a child": ("version", "<x>1</x>"),
}
PLAIN_BUT_REFUSED = {"group, too many": ("consultarGrupoEstadosFactura", "<facturaId>1</facturaId>" * 501)}


@pytest.mark.parametrize("operation, inner", [*REFUSED.values(), *PLAIN_BUT_REFUSED.values()],
                         ids=[*REFUSED, *PLAIN_BUT_REFUSED])
def test_malformed_requests_get_the_same_fault(operation, inner):
    direct, spyne = _both(FakeBackends(), envelope(operation, inner))
    _same(direct, spyne)
    assert direct.code in (200, 500)


def _envelope_with(head: str, operation: str, inner: str, extra: str = "") -> bytes:
    return (f'<S:Envelope xmlns:S="{mtom.SOAP_ENV}">{head}<S:Body><ns3:{operation} '
            f'xmlns:ns3="http://v2.ws.efactura.ceh.gobiernodecanarias.org/">{inner}</ns3:{operation}>{extra}'
            f"</S:Body></S:Envelope>").encode()


ODD_ENVELOPES = {
    "a header entry": _envelope_with("<S:Header><h xmlns='urn:x'>1</h></S:Header>", "consultarEstadoFactura",
                                     "<idFactura>1</idFactura>"),
    "an empty header": _envelope_with("<S:Header/>", "consultarEstadoFactura", "<idFactura>1</idFactura>"),
    "two operations": _envelope_with("", "consultarEstadoFactura", "<idFactura>1</idFactura>",
                                     "<x xmlns='urn:x'/>"),
    "another namespace": envelope("consultarEstadoFactura", "<idFactura>1</idFactura>").replace(b"v2.ws", b"v1.ws"),
    "not SOAP": b"<consultarEstadoFactura><idFactura>1</idFactura></consultarEstadoFactura>",
    "not XML": b"<S:Envelope",
    "a DTD": b'<!DOCTYPE x [<!ENTITY e "1">]>' + envelope("consultarEstadoFactura", "<idFactura>&e;</idFactura>"),
    "too deep": envelope("consultarEstadoFactura", "<a>" * 40 + "</a>" * 40),
}


@pytest.mark.parametrize("body", ODD_ENVELOPES.values(), ids=ODD_ENVELOPES.keys())
def test_odd_envelopes_get_the_same_answer(body):
    _same(*_both(FakeBackends(), body))


def test_oversized_requests_get_the_same_fault():
    body = envelope("consultarGrupoEstadosFactura", "<facturaId>1</facturaId>" * 5000)
    replies = [Client(edge(FakeBackends(), max_body_bytes=64 * 1024, direct=d)).post(body, **RID) for d in (1, 0)]
    _same(*replies)
    assert replies[0].code == 500


def _direct(body: bytes, transfer: Transfer = Transfer.INLINE):
    """The direct path's answer to a request (None: left to spyne)."""
    content_type = "text/xml"
    if transfer is Transfer.MTOM:
        content_type, body = multipart([(ROOT_HEADERS, body)])
    parsed = mtom.parse_envelope(content_type, body)
    caller = Caller(CALLER_NIF, "00" * 32, Via.TLS_PEER, "serialNumber")
    facts = RequestFacts("rid", transfer=transfer, operation=parsed.operation, caller=caller)
    return Direct(Operations(FakeBackends().clients, 500)).answer(facts, parsed)


@pytest.mark.parametrize("operation, inner", [("version", ""), ("consultarEstadoFactura", "<idFactura>1</idFactura>"),
                                              ("consultarEstadoMotivoFactura", "<idFactura>1</idFactura>"),
                                              ("consultarFactura", "<idFactura>1</idFactura>"),
                                              ("consultarGrupoEstadosFactura", "<facturaId>1</facturaId>" * 3)])
@pytest.mark.parametrize("transfer", list(Transfer))
def test_plain_requests_take_the_direct_path(operation, inner, transfer):
    assert operation in DIRECT and _direct(envelope(operation, inner), transfer) is not None


@pytest.mark.parametrize("operation, inner", REFUSED.values(), ids=REFUSED.keys())
def test_anything_else_is_left_to_spyne(operation, inner):
    assert _direct(envelope(operation, inner)) is None


@pytest.mark.parametrize("body", [b for n, b in ODD_ENVELOPES.items() if n not in ("an empty header", "not XML", "a DTD", "too deep")])
def test_odd_envelopes_are_left_to_spyne(body):
    assert _direct(body) is None
