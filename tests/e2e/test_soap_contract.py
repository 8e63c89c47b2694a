"""Unchanged PeFAC clients against a running stack: zeep from the reference WSDL and from our ?wsdl, MTOM on and off."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import pytest
import zeep
from lxml import etree

from tests.support.invoices import UNSIGNED, WITHOUT_CENTRES, Invoice, fresh_invoice
from tests.support.mtom import MtomTransport

from . import soap

pytestmark = pytest.mark.e2e

REFERENCE_WSDL = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "pefac" / "FacturaService.wsdl"
BINDING = f"{{{soap.NS}}}FacturaServicePortBinding"
UNKNOWN_ID = 987_654_321_012
ANEXO = ("anexo.pdf", b"%PDF-1.4\n% un anexo\n%%EOF\n")
VARIANTS = [("reference", False), ("reference", True), ("ours", False), ("ours", True)]


class Recording:
    """A zeep service proxy that notes the name of every operation called through it."""

    def __init__(self, proxy):
        self._proxy, self.called = proxy, set()

    def __getattr__(self, name: str):
        self.called.add(name)
        return getattr(self._proxy, name)


@dataclass
class Client:
    """A zeep service proxy, its transport, and how it was built."""

    service: Recording
    transport: MtomTransport
    source: str
    mtom: bool
    operations: frozenset[str]
    sign: Callable[[bytes], bytes]

    @property
    def last_reply_is_mtom(self) -> bool:
        return self.transport.reply_headers[-1]["Content-Type"].startswith("multipart/related")

    def ejercicio(self, invoice: Invoice, form: str = "year"):
        """ejercicio as this WSDL types it: the reference's xs:int year, our year or 2015 Date spellings."""
        if self.source == "reference" or form == "year":
            return invoice.issue_date.year if self.source == "reference" else str(invoice.issue_date.year)
        return invoice.issue_date.strftime("%Y-%m-%d" if form == "dash" else "%Y/%m/%d")

    def tupla(self, invoice: Invoice, form: str = "year") -> dict:
        return {**invoice.tupla, "ejercicio": self.ejercicio(invoice, form)}


@pytest.fixture(scope="module", params=VARIANTS, ids=[f"{s}-{'mtom' if m else 'plain'}" for s, m in VARIANTS])
def client(request, stack) -> Client:
    source, mtom = request.param
    transport = MtomTransport(mtom=mtom, session=stack.http)
    if source == "reference":
        if not REFERENCE_WSDL.exists():
            pytest.skip(f"reference WSDL not found at {REFERENCE_WSDL}")
        wsdl = zeep.Client(str(REFERENCE_WSDL), transport=transport)
        service = wsdl.create_service(BINDING, stack.soap_url)
    else:
        wsdl = zeep.Client(stack.wsdl_url, transport=transport)
        service = wsdl.service
    operations = frozenset(wsdl.wsdl.bindings[BINDING]._operations)
    return Client(Recording(service), transport, source, mtom, operations, stack.sign)


def exact_receipt(stack, invoice_id: int) -> bytes:
    """The receipt as sent inline (base64 is exact; zeep strips CR/LF at the ends of MTOM binaries)."""
    response = soap.post(stack.soap_url, "text/xml; charset=utf-8",
                         soap.envelope("consultarFactura", f"<idFactura>{invoice_id}</idFactura>"))
    assert response.status_code == 200, response.text
    body, _ = soap.parse(response)
    return soap.binary(body.find(f"{{{soap.NS}}}consultarFacturaResponse/return/comprobanteRegistro"), {})


def submit(client: Client, sample: str = UNSIGNED[0], anexos=()) -> tuple[Invoice, object]:
    invoice = fresh_invoice(sample, sign=client.sign)
    result = client.service.enviarFactura(facturae=invoice.document,
                                          anexos=[{"nombre": n, "contenido": c} for n, c in anexos])
    assert result is not None
    return invoice, result


def assert_factura(result, invoice: Invoice, state: str = "REGISTRADA") -> None:
    """Every FacturaExtendidaV2 field we know for an unsigned, freshly registered invoice."""
    assert isinstance(result.id, int) and result.id > 0
    assert result.serie == (invoice.series or None)
    assert (result.numero, result.nifProveedor, result.nifCliente) == (
        invoice.number, invoice.supplier_nif, invoice.customer_nif)
    assert result.fechaFactura == datetime.combine(invoice.issue_date, datetime.min.time(), timezone.utc)
    assert abs(datetime.now(timezone.utc) - result.fechaFirma) < timedelta(minutes=10)  # signed just now
    assert (result.moneda, result.total, result.liquido) == (invoice.currency, invoice.total, invoice.payable)
    assert result.versionFacturaE == invoice.version
    assert result.comprobanteRegistro.startswith(b"%PDF-")
    assert f"Comprobante de registro {result.id}".encode() in result.comprobanteRegistro
    assert timedelta(0) <= datetime.now(timezone.utc) - result.fechaRegistro < timedelta(minutes=10)
    assert result.estadoFactura == state
    centres = {k: getattr(result, k) for k in ("oficinaContable", "organoGestor", "unidadTramitadora")}
    assert centres == {k: invoice.centres.get(k) for k in centres}
    assert result.organoProponente == invoice.centres.get("organoProponente")
    assert result.claveTesoreria is None
    if state != "ANULADA":
        assert (result.observacionesAnulacion, result.fechaAnulacion) == (None, None)


def assert_fault(caught: pytest.ExceptionInfo, key: str, client: Client, side: str = "Client") -> None:
    """A PeFAC fault: faultcode side, the catalogue key in ServicioError, the request id in its message."""
    fault = caught.value
    assert fault.code.endswith(f":{side}") or fault.code == side, fault.code
    assert fault.message
    servicio = fault.detail.find(f"{{{soap.NS}}}ServicioError")
    assert [e.text for e in servicio.findall("mensajesError")] == [key], etree.tostring(fault.detail)
    request_id = client.transport.reply_headers[-1]["X-Request-ID"]
    assert request_id and request_id in servicio.findtext("message")


def test_version(client):
    assert client.service.version() == "2.0"


def test_enviar_then_every_query_of_one_invoice(client, stack):
    invoice, sent = submit(client, UNSIGNED[0], anexos=[ANEXO])
    assert_factura(sent, invoice)
    assert client.last_reply_is_mtom is client.mtom  # comprobanteRegistro goes back the way the request came
    receipt = exact_receipt(stack, sent.id)
    assert sent.comprobanteRegistro == (receipt.strip(b"\r\n") if client.mtom else receipt)

    found = client.service.consultarFactura(idFactura=sent.id)
    assert_factura(found, invoice)
    assert (found.id, found.fechaRegistro, found.comprobanteRegistro) == (
        sent.id, sent.fechaRegistro, sent.comprobanteRegistro)
    assert client.last_reply_is_mtom is client.mtom

    forms = ["year"] if client.source == "reference" else ["year", "dash", "slash"]
    for form in forms:
        by_tuple = client.service.consultarFacturaPorValores(**client.tupla(invoice, form))
        assert by_tuple.id == sent.id, form
        assert_factura(by_tuple, invoice)
        motivo = client.service.consultarEstadoMotivoFacturaPorValores(**client.tupla(invoice, form))
        assert motivo.estadoFactura == "REGISTRADA", form

    motivo = client.service.consultarEstadoMotivoFactura(idFactura=sent.id)
    assert motivo.estadoFactura == "REGISTRADA"
    if client.source == "ours":  # the manual's operations the reference WSDL lacks
        assert client.service.consultarEstadoFactura(idFactura=sent.id) == "REGISTRADA"
        for form in forms:
            assert client.service.consultarEstadoFacturaPorValores(**client.tupla(invoice, form)) == "REGISTRADA"


def test_a_series_invoice_is_found_only_with_its_series(client):
    invoice, sent = submit(client, UNSIGNED[1])
    assert invoice.series and sent.serie == invoice.series
    assert client.service.consultarFacturaPorValores(**client.tupla(invoice)).id == sent.id
    without_series = {k: v for k, v in client.tupla(invoice).items() if k != "serie"}
    with pytest.raises(zeep.exceptions.Fault) as caught:
        client.service.consultarFacturaPorValores(**without_series)
    assert_fault(caught, "credenciales.error.facturainvalida", client)
    other_year = {**client.tupla(invoice), "ejercicio": client.ejercicio(invoice) + 1
                  if client.source == "reference" else str(invoice.issue_date.year + 1)}
    with pytest.raises(zeep.exceptions.Fault) as caught:
        client.service.consultarEstadoMotivoFacturaPorValores(**other_year)
    assert_fault(caught, "credenciales.error.facturainvalida", client)
    if client.source == "ours":
        other_day = {**client.tupla(invoice), "ejercicio": (invoice.issue_date + timedelta(days=1)).isoformat()}
        with pytest.raises(zeep.exceptions.Fault) as caught:
            client.service.consultarFacturaPorValores(**other_day)
        assert_fault(caught, "credenciales.error.facturainvalida", client)


def test_group_queries_answer_item_by_item_in_request_order(client):
    (first, one), (second, two) = submit(client, UNSIGNED[1]), submit(client, UNSIGNED[0])
    client.service.anularFactura(idFactura=two.id, motivoAnulacion="Duplicada")
    items = client.service.consultarGrupoEstadosFactura(facturaId=[two.id, UNKNOWN_ID, one.id, two.id])
    assert [item.id for item in items] == [two.id, UNKNOWN_ID, one.id, two.id]
    assert [item.facturaTupla for item in items] == [None] * 4
    assert [item.respuestaEstadoFactura and item.respuestaEstadoFactura.estadoFactura for item in items] == [
        "ANULADA", None, "REGISTRADA", "ANULADA"]
    assert [item.error for item in items] == [[], ["credenciales.error.facturainvalida"], [], []]

    unknown = {**client.tupla(first), "numeroFactura": "NO-EXISTE-1"}
    tuplas = [client.tupla(first), unknown, client.tupla(second)]
    operations = ["consultarGrupoEstadoFacturasPorValores"]
    if client.source == "ours":
        operations.append("consultarGrupoEstadosFacturaPorValores")  # the manual's spelling, an alias
        tuplas[2] = client.tupla(second, "slash")
    for operation in operations:
        items = getattr(client.service, operation)(facturaTupla=tuplas)
        assert [item.facturaTupla.numeroFactura for item in items] == [first.number, "NO-EXISTE-1", second.number]
        assert [str(item.facturaTupla.ejercicio) for item in items] == [str(t["ejercicio"]) for t in tuplas]
        assert [item.facturaTupla.serie for item in items] == [first.series, first.series, None]
        assert [item.id for item in items] == [None] * 3
        assert [item.respuestaEstadoFactura and item.respuestaEstadoFactura.estadoFactura for item in items] == [
            "REGISTRADA", None, "ANULADA"]
        assert [item.error for item in items] == [[], ["credenciales.error.facturainvalida"], []]


def test_anular_by_id_and_by_values_then_never_again(client):
    invoice, sent = submit(client, UNSIGNED[0])
    before = datetime.now(timezone.utc)
    cancelled = client.service.anularFactura(idFactura=sent.id, motivoAnulacion="Error en el centro gestor")
    assert_factura(cancelled, invoice, state="ANULADA")
    assert cancelled.id == sent.id and cancelled.observacionesAnulacion == "Error en el centro gestor"
    assert before - timedelta(seconds=5) <= cancelled.fechaAnulacion <= datetime.now(timezone.utc)
    found = client.service.consultarFactura(idFactura=sent.id)
    assert (found.estadoFactura, found.observacionesAnulacion, found.fechaAnulacion) == (
        "ANULADA", "Error en el centro gestor", cancelled.fechaAnulacion)
    assert client.service.consultarEstadoMotivoFactura(idFactura=sent.id).estadoFactura == "ANULADA"
    with pytest.raises(zeep.exceptions.Fault) as caught:
        client.service.anularFactura(idFactura=sent.id, motivoAnulacion="Otra vez")
    assert_fault(caught, "anulacion.error.estadoIncorrecto", client)

    other, _ = submit(client, UNSIGNED[1])
    by_values = client.service.anularFacturaPorValores(**client.tupla(other, "slash"), motivoAnulacion="Precio")
    assert_factura(by_values, other, state="ANULADA")
    assert by_values.observacionesAnulacion == "Precio" and by_values.fechaAnulacion is not None
    assert client.service.consultarFacturaPorValores(**client.tupla(other)).estadoFactura == "ANULADA"
    with pytest.raises(zeep.exceptions.Fault) as caught:
        client.service.anularFacturaPorValores(**client.tupla(other), motivoAnulacion="Otra vez")
    assert_fault(caught, "anulacion.error.estadoIncorrecto", client)


def test_refusals_are_pefac_faults(client):
    with pytest.raises(zeep.exceptions.Fault) as caught:
        client.service.consultarFactura(idFactura=UNKNOWN_ID)
    assert_fault(caught, "credenciales.error.facturainvalida", client)
    with pytest.raises(zeep.exceptions.Fault) as caught:
        client.service.anularFactura(idFactura=UNKNOWN_ID, motivoAnulacion="x")
    assert_fault(caught, "credenciales.error.facturainvalida", client)

    invoice, sent = submit(client, UNSIGNED[1])
    with pytest.raises(zeep.exceptions.Fault) as caught:
        client.service.enviarFactura(facturae=invoice.document)
    assert_fault(caught, "facturae.error.validation.facturaRepetida", client)
    with pytest.raises(zeep.exceptions.Fault) as caught:
        client.service.anularFactura(idFactura=sent.id, motivoAnulacion="   ")
    assert_fault(caught, "anulacion.error.observacionesObligatorias", client)
    refused = fresh_invoice(WITHOUT_CENTRES, sign=client.sign)
    with pytest.raises(zeep.exceptions.Fault) as caught:
        client.service.enviarFactura(facturae=refused.document)
    assert_fault(caught, "facturae.error.oficinaContableNotDefined", client)
    with pytest.raises(zeep.exceptions.Fault) as caught:  # nothing was registered
        client.service.consultarFacturaPorValores(**client.tupla(refused))
    assert_fault(caught, "credenciales.error.facturainvalida", client)
    with pytest.raises(zeep.exceptions.Fault) as caught:
        client.service.enviarFactura(facturae=b"esto no es XML")
    assert_fault(caught, "facturae.error.noxml", client)
    with pytest.raises(zeep.exceptions.Fault) as caught:
        client.service.enviarFactura(facturae=fresh_invoice(sign=client.sign).document, anexos=[{"nombre": "a.pdf", "contenido": b""}])
    assert_fault(caught, "anexo.error.sinContenido", client)


def test_every_operation_of_the_wsdl_was_called(client):
    """Runs after the tests above for this client (pytest groups a module-scoped parameter's tests in file order)."""
    assert len(client.operations) == (10 if client.source == "reference" else 13)
    assert client.operations <= client.service.called, sorted(client.operations - client.service.called)
