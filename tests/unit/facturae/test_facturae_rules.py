"""check_business_rules over the public samples and minimally edited variants."""
from __future__ import annotations

from datetime import date

import pytest
from lxml import etree

from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.facturae.parser import parse_facturae
from ventanilla.facturae.rules import DIR3_CODE, check_business_rules

FACE = "v3.2.2/invopop_invoice-face_unsigned.xml"
TODAY = date(2026, 6, 1)
ISSUE_DATA = "Invoices/Invoice/InvoiceIssueData"
CENTRES = "Parties/BuyerParty/AdministrativeCentres"


def broken_rule(data: bytes, today: date = TODAY) -> DomainError:
    """Parse data and run the rules expecting a refusal; return it."""
    with pytest.raises(DomainError) as caught:
        check_business_rules(parse_facturae(data), today)
    return caught.value


def centre_with_role(root: etree._Element, role: str) -> etree._Element:
    """Return the AdministrativeCentre element playing role."""
    return next(c for c in root.iterfind(f"{CENTRES}/AdministrativeCentre") if c.findtext("RoleTypeCode") == role)


def set_text(path: str, value: str):
    """Build an lxml edit setting the text of the element at path."""
    return lambda root: setattr(root.find(path), "text", value)


@pytest.mark.parametrize(
    "name",
    [
        FACE,
        "v3.2.2/invopop_invoice-face_signed_BROKEN.xml",
        "v3.2/fawno_factura-prueba-v1-2-0_unsigned.xml",
        "v3.2.1/fawno_factura-prueba-v1-2-0_signed.xsig",
    ],
)
def test_face_samples_pass(sample, name):
    check_business_rules(parse_facturae(sample(name)), TODAY)


@pytest.mark.parametrize(
    "name",
    ["v3.2.1/omeuid_Facturae-3.2.1-valid.xml", "v3.2/oca_facturae_01_signed.xsig", "v3.2.2/mgmerino_signed_invoice.xml"],
)
def test_b2b_samples_declare_no_centres(sample, name):
    error = broken_rule(sample(name))
    assert (error.key, error.detail) == (ErrorKey.OFICINA_CONTABLE, ErrorKey.OFICINA_CONTABLE.description)


def test_non_dir3_centres_refused(sample):
    error = broken_rule(sample("v3.2/fawno_factura_dfb_unsigned.xml"))
    assert error.key is ErrorKey.OFICINA_CONTABLE and "'DFB0'" in error.detail


@pytest.mark.parametrize(
    ("role", "key"),
    [("01", ErrorKey.OFICINA_CONTABLE), ("02", ErrorKey.ORGANO_GESTOR), ("03", ErrorKey.UNIDAD_TRAMITADORA)],
)
def test_each_centre_is_required(edited, role, key):
    def drop(root):
        centre = centre_with_role(root, role)
        centre.getparent().remove(centre)

    assert broken_rule(edited(FACE, drop)).key is key


@pytest.mark.parametrize(
    ("role", "key"),
    [("01", ErrorKey.OFICINA_CONTABLE), ("02", ErrorKey.ORGANO_GESTOR), ("03", ErrorKey.UNIDAD_TRAMITADORA)],
)
def test_each_centre_must_be_dir3(edited, role, key):
    def malform(root):
        centre_with_role(root, role).find("CentreCode").text = "LO1030703"

    error = broken_rule(edited(FACE, malform))
    assert error.key is key and "LO1030703" in error.detail


@pytest.mark.parametrize(
    "code",
    ["L01280796", "LA0007407", "E03078004", "P00000010", "A05003638"]
    + ["EA0002971", "GE0002075", "U01300001", "I00000001"],
)
def test_dir3_shapes_accepted(code):
    assert DIR3_CODE.fullmatch(code)


@pytest.mark.parametrize(
    "code",
    ["LO1030703", "L0000000F", "A00000000", "LA0000000", "L99999999"]
    + ["l01280796", "L0128079", "L012807961", "XA0007407", "DFB0", " L01280796", "L０1280796"],
)
def test_non_dir3_shapes_refused(code):
    assert not DIR3_CODE.fullmatch(code)


def test_issue_date_required(edited):
    def drop(root):
        issue_data = root.find(ISSUE_DATA)
        issue_data.remove(issue_data.find("IssueDate"))

    assert broken_rule(edited(FACE, drop)).key is ErrorKey.FECHA_FACTURA_VOID


def test_issue_date_not_before_2000(edited):
    def old(root):
        root.find(f"{ISSUE_DATA}/IssueDate").text = "1999-12-31"
        root.find(f"{ISSUE_DATA}/OperationDate").text = "1999-12-31"

    assert broken_rule(edited(FACE, old)).key is ErrorKey.FECHA_FACTURA_YEAR2000
    check_business_rules(parse_facturae(edited(FACE, set_text(f"{ISSUE_DATA}/IssueDate", "2000-01-01"))), TODAY)


def recapitulative(with_period: bool):
    """Build an lxml edit making the invoice class OC, without OperationDate, optionally with a period."""

    def edit(root):
        root.find("Invoices/Invoice/InvoiceHeader/InvoiceClass").text = "OC"
        issue_data = root.find(ISSUE_DATA)
        issue_data.remove(issue_data.find("OperationDate"))
        if with_period:
            period = etree.Element("InvoicingPeriod")
            etree.SubElement(period, "StartDate").text = "2021-11-08"
            etree.SubElement(period, "EndDate").text = "2021-12-08"
            issue_data.find("InvoiceCurrencyCode").addprevious(period)

    return edit


def test_delivery_date_required_for_recapitulative_invoices(edited):
    assert broken_rule(edited(FACE, recapitulative(with_period=False))).key is ErrorKey.FECHA_ENTREGA_VOID
    check_business_rules(parse_facturae(edited(FACE, recapitulative(with_period=True))), TODAY)


def test_delivery_date_optional_for_ordinary_invoices(edited):
    def drop(root):
        issue_data = root.find(ISSUE_DATA)
        issue_data.remove(issue_data.find("OperationDate"))

    check_business_rules(parse_facturae(edited(FACE, drop)), TODAY)


def test_an_invoice_issued_after_the_goods_were_delivered_is_the_normal_case(edited):
    for operation_date in ("2021-12-07", "2021-01-01", "2021-12-09"):
        check_business_rules(parse_facturae(edited(FACE, set_text(f"{ISSUE_DATA}/OperationDate", operation_date))),
                             TODAY)


def test_invoice_date_not_after_presentation_day(sample):
    data = sample(FACE)
    check_business_rules(parse_facturae(data), date(2021, 12, 8))
    error = broken_rule(data, today=date(2021, 12, 7))
    assert error.key is ErrorKey.FECHA_ENTREGA_PRIOR and "presentación" in error.detail


@pytest.mark.parametrize(
    ("element", "key"),
    [("InvoiceTotal", ErrorKey.TOTAL_NEG), ("TotalExecutableAmount", ErrorKey.LIQUIDO_NEG)],
)
def test_negative_amounts(edited, element, key):
    error = broken_rule(edited(FACE, set_text(f"Invoices/Invoice/InvoiceTotals/{element}", "-0.01")))
    assert error.key is key and "-0.01" in error.detail


def test_zero_amounts_pass(edited):
    def zero(root):
        root.find("Invoices/Invoice/InvoiceTotals/InvoiceTotal").text = "-0.00"
        root.find("Invoices/Invoice/InvoiceTotals/TotalExecutableAmount").text = "0"

    check_business_rules(parse_facturae(edited(FACE, zero)), TODAY)
