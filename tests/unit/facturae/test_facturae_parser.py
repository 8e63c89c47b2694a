"""parse_facturae against the public samples and minimally edited variants."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from lxml import etree

from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.facturae.document import Centres
from ventanilla.facturae.parser import parse_facturae

FACE = "v3.2.2/invopop_invoice-face_unsigned.xml"
NS_322 = b"http://www.facturae.gob.es/formato/Versiones/Facturaev3_2_2.xml"
CEST = timezone(timedelta(hours=2))
P10 = Centres("P00000010", "P00000010", "P00000010")
MADRID = Centres("L01280796", "LA0007407", "LA0007408")
NONE = Centres()

# sample: version, seller, buyer, series, number, issue, operation, total = payable, centres, signing time
EXPECTED = {
    "v3.2/oca_facturae_01_signed.xsig": (
        "3.2", "R3028604A", "Q3831135C", "", "18972", date(2017, 12, 4), None, "121.00", NONE,
        datetime(2018, 5, 30, 14, 16, 41, tzinfo=timezone.utc),
    ),
    "v3.2/fawno_factura-prueba-v1-2-0_unsigned.xml": (
        "3.2", "12345678Z", "B12345674", "PACOP", "2", date(2013, 1, 17), date(2013, 1, 17), "1384.58", P10, None,
    ),
    "v3.2/fawno_factura_dfb_unsigned.xml": (
        "3.2", "G48200422", "P4800000D", "201401", "256623570", date(2022, 5, 11), date(2022, 5, 11), "62.07",
        Centres("DFB0", "020110", "0201"), None,
    ),
    "v3.2.1/fawno_factura-prueba-v1-2-0_signed.xsig": (
        "3.2.1", "12345678Z", "B12345674", "PACOP", "2", date(2013, 1, 17), date(2013, 1, 17), "1384.58", P10,
        datetime(2017, 8, 11, 10, 32, 51, tzinfo=CEST),
    ),
    "v3.2.1/oca_facturae_04_unsigned.xsig": (
        "3.2.1", "DE111111125", "Q3831135C", "", "18973", date(2017, 12, 4), None, "121.00", NONE, None,
    ),
    "v3.2.1/omeuid_Facturae-3.2.1-valid.xml": (
        "3.2.1", "B28015865", "B12345674", "A", "1", date(2013, 4, 30), None, "66.03", NONE, None,
    ),
    FACE: (
        "3.2.2", "B23103039", "P2807900B", "", "TEST01002F", date(2021, 12, 8), date(2021, 12, 8), "4840.00", MADRID,
        None,
    ),
    "v3.2.2/invopop_invoice-face_signed_BROKEN.xml": (
        "3.2.2", "B23103039", "P2807900B", "", "TEST01002F", date(2021, 12, 8), date(2021, 12, 8), "4840.00", MADRID,
        datetime(2025, 1, 1, tzinfo=timezone.utc),
    ),
    "v3.2.2/mgmerino_signed_invoice.xml": (
        "3.2.2", "B12345678", "12345678A", "2025", "001", date(2025, 1, 15), None, "121.0", NONE,
        datetime(2026, 3, 2, 21, 53, 15, tzinfo=timezone.utc),
    ),
    "v3.2.2/omeuid_Facturae-3.2.2-valid.xml": (
        "3.2.2", "B28015865", "B12345674", "A", "1", date(2013, 4, 30), None, "66.03", NONE, None,
    ),
    "v3.2.2/omeuid_Facturae-3.2.2-nif-invalido.xml": (
        "3.2.2", "B28015866", "B12345674", "A", "1", date(2013, 4, 30), None, "66.03", NONE, None,
    ),
    "v3.2.2/omeuid_Facturae-3.2.2-totales-incorrectos.xml": (
        "3.2.2", "B28015865", "B12345674", "A", "1", date(2013, 4, 30), None, "99.99", NONE, None,
    ),
}


def refusal(data: bytes) -> DomainError:
    """Parse data expecting a DomainError; return it."""
    with pytest.raises(DomainError) as caught:
        parse_facturae(data)
    return caught.value


def set_text(path: str, value: str):
    """Build an lxml edit setting the text of the element at path."""
    return lambda root: setattr(root.find(path), "text", value)


def remove(path: str):
    """Build an lxml edit removing the element at path."""
    return lambda root: root.find(path).getparent().remove(root.find(path))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_parses_to_its_values(sample, name):
    version, seller, buyer, series, number, issued, operated, total, centres, signed_at = EXPECTED[name]
    doc = parse_facturae(sample(name))
    assert (doc.facturae_version, doc.supplier_nif, doc.customer_nif) == (version, seller, buyer)
    assert (doc.series, doc.number, doc.invoice_class) == (series, number, "OO")
    assert (doc.issue_date, doc.operation_date, doc.currency) == (issued, operated, "EUR")
    assert doc.total == doc.payable == Decimal(total)
    assert doc.centres == centres
    assert (doc.signed, doc.signing_time) == (signed_at is not None, signed_at)
    assert doc.signing_time is None or doc.signing_time.utcoffset() is not None
    assert doc.treasury_key is None


def test_batch_sample_refused(sample):
    error = refusal(sample("v3.2.2/omeuid_Facturae-3.2.2-lote-valid.xml"))
    assert error.key is ErrorKey.XML
    assert error.detail == "Un envío contiene una sola factura; el lote contiene 2."


def test_declared_batch_count_refused(edited):
    error = refusal(edited(FACE, set_text("FileHeader/Batch/InvoicesCount", "3")))
    assert (error.key, error.detail) == (ErrorKey.XML, "Un envío contiene una sola factura; el lote contiene 3.")


def test_fake_322_namespace_is_unknown_version(sample):
    data = sample(FACE).replace(NS_322, b"http://www.facturae.es/Facturae/2014/v3.2.2/Facturae")
    assert refusal(data).key is ErrorKey.VERSION_DESCONOCIDA


def test_schema_version_must_match_namespace(edited):
    error = refusal(edited(FACE, set_text("FileHeader/SchemaVersion", "3.2.1")))
    assert error.key is ErrorKey.VERSION_DESCONOCIDA
    assert "3.2.1" in error.detail


@pytest.mark.parametrize("data", [b"<html><body>factura</body></html>", b'<Facturae SchemaVersion="3.2.2"/>'])
def test_other_roots_are_unknown_versions(data):
    assert refusal(data).key is ErrorKey.VERSION_DESCONOCIDA


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>", b"Factura 2021/001, total 4840 EUR", bytes(range(256))],
    ids=["pdf", "text", "binary"],
)
def test_not_xml(data):
    assert refusal(data).key is ErrorKey.NO_XML


@pytest.mark.parametrize("data", [b"", b"   \r\n\t "])
def test_empty_upload(data):
    assert refusal(data).key is ErrorKey.UPLOAD_VOID


def test_truncated_xml(sample):
    assert refusal(sample(FACE)[:3000]).key is ErrorKey.XML


def test_doctype_in_a_facturae_refused(sample):
    data = sample(FACE).replace(b"<fe:Facturae", b"<!DOCTYPE fe:Facturae>\n<fe:Facturae", 1)
    error = refusal(data)
    assert error.key is ErrorKey.XML and "DOCTYPE" in error.detail


def test_missing_invoice_number(sample):
    error = refusal(sample("v3.2.2/omeuid_Facturae-3.2.2-esquema-invalido.xml"))
    assert (error.key, error.detail) == (ErrorKey.XML, "Falta el elemento obligatorio InvoiceHeader/InvoiceNumber.")


def test_missing_seller_nif(edited):
    error = refusal(edited(FACE, remove("Parties/SellerParty/TaxIdentification/TaxIdentificationNumber")))
    assert error.key is ErrorKey.XML and "SellerParty" in error.detail


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("Invoices/Invoice/InvoiceIssueData/IssueDate", "08/12/2021"),
        ("Invoices/Invoice/InvoiceIssueData/IssueDate", "2021-02-30"),
        ("Invoices/Invoice/InvoiceTotals/InvoiceTotal", "NaN"),
        ("Invoices/Invoice/InvoiceTotals/TotalExecutableAmount", "1e3"),
    ],
)
def test_unusable_values_are_invalid_xml(edited, path, value):
    error = refusal(edited(FACE, set_text(path, value)))
    assert error.key is ErrorKey.XML and value in error.detail


def test_date_with_timezone_and_bom(edited):
    data = edited(FACE, set_text("Invoices/Invoice/InvoiceIssueData/IssueDate", "2021-12-08+01:00"))
    assert parse_facturae(b"\xef\xbb\xbf" + data).issue_date == date(2021, 12, 8)


def test_invoicing_period_end_is_the_fallback_operation_date(edited):
    def period(root):
        issue_data = root.find("Invoices/Invoice/InvoiceIssueData")
        issue_data.remove(issue_data.find("OperationDate"))
        period = etree.Element("InvoicingPeriod")
        etree.SubElement(period, "StartDate").text = "2021-11-01"
        etree.SubElement(period, "EndDate").text = "2021-11-30"
        issue_data.find("InvoiceCurrencyCode").addprevious(period)

    assert parse_facturae(edited(FACE, period)).operation_date == date(2021, 11, 30)


def test_organo_proponente_and_conflicting_roles(edited):
    def centre(code: str, role: str):
        def add(root):
            element = etree.SubElement(root.find("Parties/BuyerParty/AdministrativeCentres"), "AdministrativeCentre")
            etree.SubElement(element, "CentreCode").text = code
            etree.SubElement(element, "RoleTypeCode").text = role

        return add

    assert parse_facturae(edited(FACE, centre("LA0007409", "04"))).centres.organo_proponente == "LA0007409"
    assert parse_facturae(edited(FACE, centre("L01280796", "01"))).centres == MADRID
    assert refusal(edited(FACE, centre("LA0000764", "01"))).key is ErrorKey.XML


def test_nine_megabyte_attachment_parses(edited):
    payload = "QUJD" * (9 * 2**20 // 4)

    def attach(root):
        attachment = etree.SubElement(
            etree.SubElement(etree.SubElement(root.find("Invoices/Invoice"), "AdditionalData"), "RelatedDocuments"),
            "Attachment",
        )
        etree.SubElement(attachment, "AttachmentFormat").text = "pdf"
        etree.SubElement(attachment, "AttachmentEncoding").text = "BASE64"
        etree.SubElement(attachment, "AttachmentData").text = payload

    data = edited(FACE, attach)
    assert len(data) > 9 * 2**20
    assert parse_facturae(data).number == "TEST01002F"


def test_naive_signing_time_is_utc(edited):
    name = "v3.2.2/mgmerino_signed_invoice.xml"
    xades = "{http://uri.etsi.org/01903/v1.3.2#}SigningTime"
    data = edited(name, lambda root: setattr(next(root.iter(xades)), "text", "2026-03-02T21:53:15.123"))
    assert parse_facturae(data).signing_time == datetime(2026, 3, 2, 21, 53, 15, 123000, tzinfo=timezone.utc)
