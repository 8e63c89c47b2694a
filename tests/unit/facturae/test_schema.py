"""FacturaeSchemas: the reference XSDs loaded offline, every public sample judged as the README says."""
from __future__ import annotations

from pathlib import Path

import pytest

from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.facturae.parser import parse_facturae_tree
from ventanilla.facturae.schema import FacturaeSchemas, SchemaDirectoryError

SCHEMAS = Path(__file__).resolve().parents[3] / ".." / "shared" / "reference" / "facturae" / "schemas"
INVALID = {"v3.2.2/mgmerino_signed_invoice.xml": "TotalTaxOutputs",
           "v3.2.2/omeuid_Facturae-3.2.2-esquema-invalido.xml": "InvoiceSeriesCode"}
VALID = ["v3.2/oca_facturae_01_signed.xsig", "v3.2/fawno_factura-prueba-v1-2-0_unsigned.xml",
         "v3.2/fawno_factura_dfb_unsigned.xml", "v3.2.1/fawno_factura-prueba-v1-2-0_signed.xsig",
         "v3.2.1/oca_facturae_04_unsigned.xsig", "v3.2.1/omeuid_Facturae-3.2.1-valid.xml",
         "v3.2.2/invopop_invoice-face_unsigned.xml", "v3.2.2/invopop_invoice-face_signed_BROKEN.xml",
         "v3.2.2/omeuid_Facturae-3.2.2-valid.xml", "v3.2.2/omeuid_Facturae-3.2.2-lote-valid.xml",
         "v3.2.2/omeuid_Facturae-3.2.2-nif-invalido.xml", "v3.2.2/omeuid_Facturae-3.2.2-totales-incorrectos.xml"]


@pytest.fixture(scope="module")
def schemas() -> FacturaeSchemas:
    return FacturaeSchemas.load(SCHEMAS)


@pytest.mark.parametrize("name", VALID)
def test_valid_samples_pass(schemas, sample, name):
    schemas.validate(*parse_facturae_tree(sample(name)))


@pytest.mark.parametrize(("name", "element"), INVALID.items())
def test_invalid_samples_are_refused_with_the_first_error_line_and_path(schemas, sample, name, element):
    with pytest.raises(DomainError) as caught:
        schemas.validate(*parse_facturae_tree(sample(name)))
    assert caught.value.key is ErrorKey.XML
    assert element in caught.value.detail and "línea" in caught.value.detail and "/fe:Facturae/" in caught.value.detail


def test_a_foreign_extension_fails_unless_its_schema_is_loaded(schemas, edited):
    from lxml import etree

    def extend(root):
        extensions = etree.SubElement(root.find("Invoices/Invoice"), "AdditionalData")
        etree.SubElement(extensions, "Extensions").append(etree.Element("{urn:example:ext}Foreign"))

    with pytest.raises(DomainError):
        schemas.validate(*parse_facturae_tree(edited("v3.2.2/omeuid_Facturae-3.2.2-valid.xml", extend)))


def test_a_directory_without_the_schemas_fails_at_load(tmp_path):
    with pytest.raises(SchemaDirectoryError, match="3.2"):
        FacturaeSchemas.load(tmp_path)


def test_loading_never_reaches_the_network(tmp_path):
    """Without the local xmldsig schema the W3C import cannot be resolved: load fails, nothing is fetched."""
    for name in ("Facturaev3_2.xsd", "Facturaev3_2_1.xsd", "Facturaev3_2_2.xsd"):
        (tmp_path / name).write_bytes((SCHEMAS / name).read_bytes())
    with pytest.raises(SchemaDirectoryError):
        FacturaeSchemas.load(tmp_path)
