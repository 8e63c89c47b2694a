"""proto Invoice -> FacturaExtendidaV2: every field, XSD order, UTC offsets, empty fields omitted."""
from __future__ import annotations

import base64

import pytest
from lxml import etree

from ventanilla.api.v1 import invoice_pb2 as ipb
from ventanilla.api.v1 import services_pb2 as pb

from soap_edge.soap import mapping

from .fakes import PDF, TNS, Client, FakeBackends, edge, envelope, invoice
from .reference import schema, sequence, xsd_tree

FACTURA_ORDER = [e.get("name") for e in sequence(xsd_tree().getroot(), "FacturaExtendidaV2")]


def answer_of(reply) -> etree._Element:
    """The operation's response element (inside Body)."""
    assert reply.code == 200, reply.body
    body = etree.fromstring(reply.body)[0]
    (response,) = body
    return response


def consultar(backends: FakeBackends) -> etree._Element:
    return answer_of(Client(edge(backends)).post(envelope("consultarFactura", "<idFactura>2527</idFactura>")))


def test_every_field_in_xsd_order_and_valid_against_the_reference_xsd():
    response = consultar(FakeBackends())
    assert response.tag == f"{{{TNS}}}consultarFacturaResponse"
    (result,) = response
    assert result.tag == "return"
    assert [child.tag for child in result] == FACTURA_ORDER  # unqualified, all 22, in order
    schema().assertValid(response)


def test_field_values():
    (result,) = consultar(FakeBackends())
    values = {child.tag: child.text for child in result}
    assert values == {
        "id": "2527", "serie": "A-", "numero": "3", "nifProveedor": "12345678X", "nifCliente": "Q8550003A",
        "fechaFactura": "2014-06-18T00:00:00+00:00", "fechaFirma": "2014-06-18T13:50:34+00:00",
        "moneda": "EUR", "total": "1575.00", "liquido": "1653.75", "versionFacturaE": "3.2",
        "comprobanteRegistro": base64.b64encode(PDF).decode(), "fechaRegistro": "2014-07-23T13:11:28+00:00",
        "estadoFactura": "ANULADA", "observacionesAnulacion": "Error en el centro gestor",
        "fechaAnulacion": "2014-07-24T08:00:00+00:00", "oficinaContable": "E03078004",
        "organoGestor": "E03131204", "unidadTramitadora": "E03131205", "organoProponente": "E03131206",
        "claveTesoreria": "TES-1", "observacionesEstado": "Observaciones del estado",
    }


def test_empty_optional_fields_are_omitted_not_nil():
    sparse = invoice(signed_at=None, cancellation_requested_at=None, cancellation_reason="", treasury_key="",
                     state_remarks="", key=ipb.InvoiceKey(supplier_nif="12345678X", year=2014, number="3"),
                     centres=ipb.AdministrativeCentres(oficina_contable="E1", organo_gestor="E2", unidad_tramitadora="E3"),
                     state=ipb.REGISTRADA)
    (result,) = consultar(FakeBackends({"GetInvoice": pb.InvoiceAnswer(invoice=sparse)}))
    tags = [child.tag for child in result]
    for absent in ("serie", "fechaFirma", "comprobanteRegistro", "observacionesAnulacion", "fechaAnulacion",
                   "organoProponente", "claveTesoreria", "observacionesEstado"):
        assert absent not in tags
    assert tags == [t for t in FACTURA_ORDER if t in tags]
    assert not result.xpath("//*[@*[local-name()='nil']]")


@pytest.mark.parametrize("state", [s for s in ipb.InvoiceState.keys() if s != "INVOICE_STATE_UNSPECIFIED"])
def test_states_are_the_wire_enumeration(state):
    factura = mapping.factura(invoice(state=ipb.InvoiceState.Value(state)))
    assert factura.estadoFactura == state


def test_unspecified_state_is_omitted():
    assert mapping.estado(ipb.INVOICE_STATE_UNSPECIFIED) is None


def test_group_item_carries_error_instead_of_state():
    item = mapping.grupo_item(pb.StateItem(error=pb.CatalogueError(key="credenciales.error.facturainvalida")), id=444)
    assert item.error == ["credenciales.error.facturainvalida"] and item.respuestaEstadoFactura is None
    ok = mapping.grupo_item(pb.StateItem(state=ipb.RECHAZADA, remarks="motivo"), id=42)
    assert ok.error is None and ok.respuestaEstadoFactura.estadoFactura == "RECHAZADA"
    assert ok.respuestaEstadoFactura.observaciones == "motivo"
