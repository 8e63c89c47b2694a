"""The receipt's content: every field the issue lists, drawn as text in the PDF's page."""
from __future__ import annotations

import io
from datetime import date, datetime, timezone
from decimal import Decimal

from pyhanko.pdf_utils.reader import PdfFileReader

from registry_service.receipt import new_csv, render_receipt
from ventanilla.domain.invoice import Centres, DocumentRef, InvoiceKey, RegisteredInvoice

INVOICE = RegisteredInvoice(
    id=4242, key=InvoiceKey("B23103039", 2021, "SER", "TEST01002F"), customer_nif="P2807900B",
    issue_date=date(2021, 12, 8), signed_at=None, currency="EUR", total=Decimal("1210.00"),
    payable=Decimal("1150.00"), facturae_version="3.2.2", registered_at=datetime(2026, 7, 1, 10, 0, tzinfo=timezone.utc),
    centres=Centres("L01280796", "LA0007407", "LA0007408"), treasury_key="", facturae=DocumentRef("ab" * 32, 100),
    receipt=DocumentRef("", 0), submitter_nif="B23103039")


def page_text(pdf: bytes) -> str:
    page = PdfFileReader(io.BytesIO(pdf)).root["/Pages"]["/Kids"][0]
    return page["/Contents"].data.decode("latin-1").replace("\\(", "(").replace("\\)", ")")


def test_every_field_is_on_the_page():
    csv = new_csv()
    text = page_text(render_receipt(INVOICE, "Ventanilla", csv, ("Hypeprop Sl", "Ayuntamiento de Madrid")))
    for value in ("4242", "01/07/2026 12:00:00 CEST", "Hypeprop Sl (NIF B23103039)",
                  "Ayuntamiento de Madrid (NIF P2807900B)", "SER", "TEST01002F", "1210.00 EUR", "1150.00 EUR",
                  "L01280796", "LA0007407", "LA0007408", "ab" * 32, csv):
        assert value in text, value


def test_csv_codes_are_random_base32_of_24_characters():
    codes = {new_csv() for _ in range(1000)}
    assert len(codes) == 1000
    assert all(len(c) == 24 and c.isalnum() and c.upper() == c for c in codes)


def test_names_outside_latin1_do_not_break_the_receipt():
    render_receipt(INVOICE, "Ventanilla", new_csv(), ("Łódź € 株式会社", ""))
