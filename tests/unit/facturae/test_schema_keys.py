"""With the official XSDs configured, what the schema refuses still gets Anexo II's own key where it has one
(missing or empty IssueDate, missing or malformed administrative centres), the schema's words as detail."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.facturae.intake import FacturaeIntake
from ventanilla.facturae.schema import FacturaeSchemas

SCHEMAS = Path(__file__).resolve().parents[3] / ".." / "shared" / "reference" / "facturae" / "schemas"
SAMPLES = ("v3.2.2/invopop_invoice-face_unsigned.xml", "v3.2/fawno_factura-prueba-v1-2-0_unsigned.xml")
ISSUE = "Invoices/Invoice/InvoiceIssueData/IssueDate"
CENTRES = "Parties/BuyerParty/AdministrativeCentres"
NOW = datetime(2026, 6, 1, 10, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def intake():
    return FacturaeIntake(FacturaeSchemas.load(SCHEMAS), None, require_signature=False)


def drop(path: str):
    def change(root):
        for element in root.findall(path):
            element.getparent().remove(element)
    return change


def set_text(path: str, text: str):
    def change(root):
        for element in root.findall(path):
            element.text = text
    return change


def both(*changes):
    def change(root):
        for one in changes:
            one(root)
    return change


def refusal(intake, data: bytes) -> DomainError:
    with pytest.raises(DomainError) as caught:
        intake.accept(data, NOW)
    return caught.value


@pytest.mark.parametrize("name", SAMPLES)
@pytest.mark.parametrize(("change", "key", "schema_says"), [
    (drop(ISSUE), ErrorKey.FECHA_FACTURA_VOID, "Expected is ( IssueDate )"),
    (set_text(ISSUE, ""), ErrorKey.FECHA_FACTURA_VOID, "'' is not a valid value"),
    (drop(f"{CENTRES}/AdministrativeCentre"), ErrorKey.OFICINA_CONTABLE, "Expected is ( AdministrativeCentre )"),
    (set_text(f"{CENTRES}/AdministrativeCentre/RoleTypeCode", "1"), ErrorKey.OFICINA_CONTABLE, "enumeration"),
    (set_text(f"{CENTRES}/AdministrativeCentre/CentreCode", "L0123456789"), ErrorKey.OFICINA_CONTABLE, "maxLength"),
], ids=["no-issue-date", "empty-issue-date", "empty-centres", "bad-role", "long-centre-code"])
def test_the_specific_key_with_the_schema_message_as_detail(intake, edited, name, change, key, schema_says):
    error = refusal(intake, edited(name, change))
    assert error.key is key, error
    assert error.detail.startswith(key.description) and "no cumple el esquema Facturae" in error.detail
    assert schema_says in error.detail and "línea" in error.detail


def test_the_specific_key_even_when_another_schema_error_comes_first(intake, edited):
    change = both(set_text("Invoices/Invoice/InvoiceHeader/InvoiceSeriesCode", "S" * 40), drop(ISSUE))
    error = refusal(intake, edited(SAMPLES[1], change))
    assert error.key is ErrorKey.FECHA_FACTURA_VOID and "IssueDate" in error.detail


@pytest.mark.parametrize("change", [
    set_text(ISSUE, "2014-13-45"),                                   # a date that is there, but not a date
    set_text("Invoices/Invoice/InvoiceTotals/InvoiceTotal", "abc"),
    drop("Invoices/Invoice/InvoiceHeader/InvoiceNumber"),
], ids=["bad-date", "bad-total", "no-number"])
def test_what_anexo_ii_has_no_key_for_stays_facturae_error_xml(intake, edited, change):
    error = refusal(intake, edited(SAMPLES[0], change))
    assert error.key is ErrorKey.XML and error.detail.startswith("La factura no cumple el esquema Facturae")


def test_a_broken_rule_is_not_blamed_on_an_unrelated_schema_error(intake, edited):
    """No centres (which the schema allows) and a series code too long: the schema's refusal, not the centres'."""
    change = both(drop(CENTRES), set_text("Invoices/Invoice/InvoiceHeader/InvoiceSeriesCode", "S" * 40))
    error = refusal(intake, edited(SAMPLES[1], change))
    assert error.key is ErrorKey.XML and "InvoiceSeriesCode" in error.detail


def test_schema_valid_documents_still_get_the_rules_keys(intake, edited):
    assert refusal(intake, edited(SAMPLES[0], drop(CENTRES))).key is ErrorKey.OFICINA_CONTABLE
    assert refusal(intake, edited(SAMPLES[0], set_text("Invoices/Invoice/InvoiceTotals/InvoiceTotal", "-5.00"))
                   ).key is ErrorKey.TOTAL_NEG
