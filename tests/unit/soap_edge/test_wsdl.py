"""Our ?wsdl against the reference WSDL/XSD: every operation, element names, order, occurrences."""
from __future__ import annotations

import pytest
from lxml import etree

from .fakes import Client, TNS, edge
from .reference import WSDL, XS, operations, sequence, wsdl_tree, xsd_tree

MANUAL_ONLY = {
    "consultarEstadoFactura": ("consultarEstadoFactura", "consultarEstadoFacturaResponse"),
    "consultarEstadoFacturaPorValores": ("consultarEstadoFacturaPorValores", "consultarEstadoFacturaPorValoresResponse"),
    "consultarGrupoEstadosFacturaPorValores": (
        "consultarGrupoEstadosFacturaPorValores", "consultarGrupoEstadosFacturaPorValoresResponse"),
}


@pytest.fixture(scope="module")
def ours() -> etree._Element:
    reply = Client(edge()).request("GET", query="wsdl")
    assert reply.code == 200 and reply.headers["Content-Type"].startswith("text/xml")
    return etree.fromstring(reply.body)


def our_schema(ours) -> etree._Element:
    (schema,) = [s for s in ours.iter(f"{XS}schema") if s.get("targetNamespace") == TNS]
    return schema


def test_every_reference_operation_with_the_same_elements(ours):
    reference = operations(wsdl_tree().getroot())
    assert len(reference) == 10
    assert operations(ours) == {**reference, **MANUAL_ONLY}


def test_service_port_binding_and_namespace_match_the_reference(ours):
    ref = wsdl_tree().getroot()
    for root in (ref, ours):
        assert root.get("targetNamespace") == TNS
    service = ours.find(f"{WSDL}service")
    assert service.get("name") == ref.find(f"{WSDL}service").get("name") == "Factura"
    (port,) = service
    assert port.get("name") == "FacturaServicePort"
    assert port.get("binding").split(":")[-1] == ours.find(f"{WSDL}binding").get("name") == "FacturaServicePortBinding"
    assert ours.find(f"{WSDL}portType").get("name") == "FacturaService"


def test_faults_declared_where_the_reference_declares_them(ours):
    def faulty(root):
        return {o.get("name") for o in root.find(f"{WSDL}portType") if o.find(f"{WSDL}fault") is not None}
    assert faulty(ours) == faulty(wsdl_tree().getroot()) | {"consultarEstadoFactura", "consultarEstadoFacturaPorValores"}


def test_schema_is_unqualified_like_the_reference(ours):
    assert our_schema(ours).get("elementFormDefault") == "unqualified"
    assert xsd_tree().getroot().get("elementFormDefault") in (None, "unqualified")


def _shape(elements):
    return [(e.get("name"), e.get("minOccurs", "1"), e.get("maxOccurs", "1")) for e in elements]


def _types(elements):
    return [(e.get("name"), e.get("type").split(":")[-1]) for e in elements]


def test_every_reference_type_has_the_same_element_sequence(ours):
    reference = xsd_tree().getroot()
    names = [t.get("name") for t in reference.iter(f"{XS}complexType")]
    assert "FacturaExtendidaV2" in names and "respuestaConsultaGrupoFactura" in names
    for name in names:
        ref, mine = sequence(reference, name), sequence(our_schema(ours), name)
        assert _shape(mine) == _shape(ref), name
        # Same types, except ejercicio: xs:int in the reference, year-or-date string here (manual v2.0).
        expected = [(n, "ejercicio" if n == "ejercicio" else t) for n, t in _types(ref)]
        assert _types(mine) == expected, name


def test_ejercicio_type_accepts_both_forms(ours):
    (ejercicio,) = [t for t in our_schema(ours).iter(f"{XS}simpleType") if t.get("name") == "ejercicio"]
    assert ejercicio.find(f"{XS}restriction").get("base").endswith("string")


def test_state_enumeration_matches_the_reference(ours):
    def values(schema):
        (t,) = [t for t in schema.iter(f"{XS}simpleType") if t.get("name") == "estadoFactura"]
        return [e.get("value") for e in t.iter(f"{XS}enumeration")]
    assert values(our_schema(ours)) == values(xsd_tree().getroot())


def test_mtom_policy_and_document_literal_binding(ours):
    binding = ours.find(f"{WSDL}binding")
    assert binding.find("{http://www.w3.org/ns/ws-policy}PolicyReference") is not None
    assert list(ours.iter("{http://schemas.xmlsoap.org/ws/2004/09/policy/optimizedmimeserialization}"
                          "OptimizedMimeSerialization"))
    soap_binding = binding.find("{http://schemas.xmlsoap.org/wsdl/soap/}binding")
    assert soap_binding.get("style") == "document"
    assert {b.get("use") for b in binding.iter("{http://schemas.xmlsoap.org/wsdl/soap/}body")} == {"literal"}
