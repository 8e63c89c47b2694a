"""The fault XML shape (manual, Anexo I) and the catalogue key of every kind of failure."""
from __future__ import annotations

import pytest
from lxml import etree

from ventanilla.domain.errors import DomainError, ErrorKey
from spyne import Fault

from soap_edge.soap import faults
from soap_edge.soap.contract import ServicioError

from .fakes import SOAP_ENV, TNS


def parts(xml: bytes):
    root = etree.fromstring(xml)
    assert root.tag == f"{{{SOAP_ENV}}}Envelope"
    (body,) = root
    (fault,) = body
    assert fault.tag == f"{{{SOAP_ENV}}}Fault"
    return fault


def test_client_fault_shape():
    xml = faults.fault_bytes(DomainError(ErrorKey.ANULACION_ESTADO_INCORRECTO), "r-1")
    fault = parts(xml)
    assert [c.tag for c in fault] == ["faultcode", "faultstring", "detail"]
    code = fault.findtext("faultcode")
    prefix, local = code.split(":")
    assert fault.nsmap[prefix] == SOAP_ENV and local == "Client"
    assert fault.findtext("faultstring") == "Factura no se puede anular en estado actual"
    (servicio,) = fault.find("detail")
    assert servicio.tag == f"{{{TNS}}}ServicioError"
    assert [(c.tag, c.text) for c in servicio] == [
        ("mensajesError", "anulacion.error.estadoIncorrecto"),
        ("message", "Factura no se puede anular en estado actual (petición r-1)"),
    ]


def test_server_side_keys_give_server_faults():
    fault = parts(faults.fault_bytes(DomainError(ErrorKey.REGISTRO, "El servicio no responde."), "r"))
    assert fault.findtext("faultcode").endswith(":Server")
    assert fault.findtext(f"detail/{{{TNS}}}ServicioError/mensajesError") == "facturae.error.registro"


@pytest.mark.parametrize("raised, key", [
    (ServicioError(DomainError(ErrorKey.FACTURA_REPETIDA)), ErrorKey.FACTURA_REPETIDA),
    (DomainError(ErrorKey.SIGN_EXPIRED), ErrorKey.SIGN_EXPIRED),
    (Fault("Client.SchemaValidationError", b":1:0:ERROR:SCHEMASV:SCHEMAV_CVC_ELT_1: Element 'x': bad"), ErrorKey.XML),
    (Fault("Client.ResourceNotFound", "nope"), ErrorKey.XML),
    (Fault("Server", "Internal Error"), ErrorKey.REGISTRO),
    (RuntimeError("boom"), ErrorKey.REGISTRO),
])
def test_every_failure_maps_to_a_catalogue_key(raised, key):
    assert faults.domain_error(raised).key is key


def test_schema_errors_keep_lxml_text_without_its_codes():
    error = faults.domain_error(Fault("Client.SchemaValidationError",
                                      b":1:0:ERROR:SCHEMASV:SCHEMAV_CVC_ELT_1: Element 'a&#241;o': bad"))
    assert error.detail == "Mensaje SOAP no válido: Element 'año': bad"


def test_internal_failures_do_not_leak_details():
    error = faults.domain_error(RuntimeError("password=secret at /srv/x.py"))
    assert "secret" not in error.detail and error.detail == ErrorKey.REGISTRO.description
