"""The receipt's content: every field the issue lists, drawn as text in the PDF's page."""
from __future__ import annotations

import io

import pytest
from dataclasses import replace
from datetime import date, datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from pyhanko.pdf_utils.reader import PdfFileReader

from registry_service.receipt import ReceiptIssuer, Sede, new_csv, qr_code, render_receipt
from registry_service.seal import dev_seal
from ventanilla.config import Settings
from ventanilla.domain.invoice import Centres, DocumentRef, InvoiceKey, RegisteredInvoice

INVOICE = RegisteredInvoice(
    id=4242, key=InvoiceKey("B23103039", 2021, "SER", "TEST01002F"), customer_nif="P2807900B",
    issue_date=date(2021, 12, 8), signed_at=None, currency="EUR", total=Decimal("1210.00"),
    payable=Decimal("1150.00"), facturae_version="3.2.2", registered_at=datetime(2026, 7, 1, 10, 0, tzinfo=timezone.utc),
    centres=Centres("L01280796", "LA0007407", "LA0007408"), treasury_key="", facturae=DocumentRef("ab" * 32, 100),
    receipt=DocumentRef("", 0), submitter_nif="B23103039")


URL = Settings.from_env({"VENTANILLA_SOAP_PUBLIC_URL": "https://sede.example.es/ventanilla/"}).edge.receipt_url
MADRID = Sede("Ventanilla", ZoneInfo("Europe/Madrid"), URL)
CANARY = Sede("Ventanilla", ZoneInfo("Atlantic/Canary"), URL)
SEALED_AT = datetime(2026, 7, 1, 10, 0, 7, tzinfo=timezone.utc)


def page_text(pdf: bytes) -> str:
    page = PdfFileReader(io.BytesIO(pdf)).root["/Pages"]["/Kids"][0]
    return page["/Contents"].data.decode("latin-1").replace("\\(", "(").replace("\\)", ")")


def test_every_field_is_on_the_page():
    csv = new_csv()
    text = page_text(render_receipt(INVOICE, MADRID, csv, SEALED_AT, ("Hypeprop Sl", "Ayuntamiento de Madrid")))
    for value in ("4242", "01/07/2026 12:00:00 CEST", "Hypeprop Sl (NIF B23103039)",
                  "Ayuntamiento de Madrid (NIF P2807900B)", "SER", "TEST01002F", "1210.00 EUR", "1150.00 EUR",
                  "L01280796", "LA0007407", "LA0007408", "ab" * 32, csv):
        assert value in text, value


def test_csv_codes_are_random_base32_of_24_characters():
    codes = {new_csv() for _ in range(1000)}
    assert len(codes) == 1000
    assert all(len(c) == 24 and c.isalnum() and c.upper() == c for c in codes)


def test_names_outside_latin1_do_not_break_the_receipt():
    render_receipt(INVOICE, CANARY, new_csv(), SEALED_AT, ("Łódź € 株式会社", ""))


@pytest.mark.parametrize(("registered_at", "shown"), [
    (datetime(2026, 7, 1, 10, 0, tzinfo=timezone.utc), "01/07/2026 11:00:00 WEST (UTC+01:00, Atlantic/Canary)"),
    (datetime(2026, 1, 15, 23, 30, tzinfo=timezone.utc), "15/01/2026 23:30:00 WET (UTC+00:00, Atlantic/Canary)"),
])
def test_times_are_in_the_entry_points_zone_with_the_offset(registered_at, shown):
    text = page_text(render_receipt(replace(INVOICE, registered_at=registered_at), CANARY, new_csv(), SEALED_AT))
    assert "Fecha y hora de registro" in text and shown in text


class FixedClock:
    def now(self) -> datetime:
        return SEALED_AT.replace(microsecond=123456)


def rendered(pdf: bytes):
    """The first page as pdfium sees it: its text and a 3x image."""
    import pypdfium2

    page = pypdfium2.PdfDocument(pdf)[0]
    return page.get_textpage().get_text_range(), page.render(scale=3).to_pil()


def test_the_sealed_receipt_has_the_seal_time_the_verification_url_and_its_qr_code(tmp_path):
    import zxingcpp

    from tests.support.registry import pdf_seal_status

    csv = new_csv()
    pdf = ReceiptIssuer(dev_seal(tmp_path), CANARY, FixedClock())(INVOICE, csv, ("Hypeprop Sl", "Ayuntamiento"))
    text, image = rendered(pdf)
    url = f"https://sede.example.es/ventanilla/comprobantes/{csv}"
    assert "Fecha de firma (sello)" in text and "01/07/2026 11:00:07 WEST (UTC+01:00, Atlantic/Canary)" in text
    assert "01/07/2026 11:00:00 WEST (UTC+01:00, Atlantic/Canary)" in text  # registration
    assert url in text and "GET /comprobantes" not in text
    assert [code.text for code in zxingcpp.read_barcodes(image)] == [url]
    status = pdf_seal_status(pdf, (tmp_path / "seal-root.pem").read_bytes())
    assert status.bottom_line and status.intact and status.valid and status.trusted
    assert status.signer_reported_dt == SEALED_AT  # the printed fechaFirma is the seal's signing time


def test_the_qr_code_reads_back_at_level_m_for_many_verification_codes():
    """libzint (in zxing-cpp) writes the code; zxing-cpp's own QR reader, another implementation, reads the page."""
    import zxingcpp

    for _ in range(24):  # the data changes the modules and the mask libzint picks
        csv = new_csv()
        url = f"https://sede.example.es/ventanilla/comprobantes/{csv}"
        assert qr_code(url).ec_level == "M"
        _text, image = rendered(render_receipt(INVOICE, MADRID, csv, SEALED_AT))
        [code] = zxingcpp.read_barcodes(image)
        assert (code.text, code.format, code.ec_level) == (url, zxingcpp.BarcodeFormat.QRCode, "M")


def test_openssl_verifies_the_seals_cms_over_the_signed_byte_ranges(tmp_path):
    """A second, independent validator: OpenSSL's CMS verification of the receipt's signature and chain."""
    import shutil
    import subprocess

    from asn1crypto import cms

    if shutil.which("openssl") is None:
        pytest.skip("no openssl command on this machine")
    pdf = ReceiptIssuer(dev_seal(tmp_path / "seal"), CANARY, FixedClock())(INVOICE, new_csv())
    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0].sig_object
    start1, length1, start2, length2 = (int(n) for n in signature["/ByteRange"])
    (tmp_path / "signed.bin").write_bytes(pdf[start1:start1 + length1] + pdf[start2:start2 + length2])
    cms_der = cms.ContentInfo.load(bytes(signature["/Contents"])).dump()  # without the reserved space's padding
    (tmp_path / "cms.der").write_bytes(cms_der)
    verify = ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", str(tmp_path / "cms.der"),
              "-content", str(tmp_path / "signed.bin"), "-CAfile", str(tmp_path / "seal" / "seal-root.pem"),
              "-purpose", "any", "-out", "/dev/null"]
    assert subprocess.run(verify, capture_output=True).returncode == 0
    (tmp_path / "signed.bin").write_bytes(pdf[start1:start1 + length1] + b" " + pdf[start2 + 1:start2 + length2])
    assert subprocess.run(verify, capture_output=True).returncode != 0  # one byte changed: refused


def test_reportlab_runs_its_c_accelerator():
    """rl-accel (pinned) replaces reportlab's Python number formatting and ASCII85: the receipt page 5.0 -> 2.9 ms."""
    from reportlab.lib import rl_accel

    assert {"fp_str", "asciiBase85Encode"} <= set(rl_accel._c_funcs)


def test_the_seals_cms_is_prepared_once_and_every_receipt_it_seals_validates(tmp_path, monkeypatch):
    """pyHanko builds the CMS container once (for a marker digest); each receipt then only gets its digest and its
    signature put in: every receipt still validates (pyHanko: intact, valid, trusted) with its own signature."""
    from pyhanko.sign import signers

    from tests.support.registry import pdf_seal_status

    built = []
    original = signers.SimpleSigner.async_sign

    async def counted(self, *args, **kwargs):
        built.append(args[0])
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(signers.SimpleSigner, "async_sign", counted)
    issue = ReceiptIssuer(dev_seal(tmp_path), CANARY, FixedClock())
    receipts = [issue(replace(INVOICE, id=n), new_csv()) for n in range(3)]
    assert len(built) == 1
    contents = set()
    for pdf in receipts:
        status = pdf_seal_status(pdf, (tmp_path / "seal-root.pem").read_bytes())
        assert status.bottom_line and status.intact and status.valid and status.trusted
        contents.add(bytes(PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0].sig_object["/Contents"]))
    assert len(contents) == 3


def test_the_prepared_cms_container_is_byte_for_byte_pyhankos_for_the_same_digest(tmp_path):
    import asyncio
    import secrets

    from pyhanko.sign import signers

    signer = dev_seal(tmp_path)._signer
    loop = asyncio.new_event_loop()
    try:
        for _ in range(3):
            digest = secrets.token_bytes(32)
            prepared = loop.run_until_complete(signer.async_sign(digest, "sha256", use_pades=True))
            made = loop.run_until_complete(signers.SimpleSigner.async_sign(signer, digest, "sha256", use_pades=True))
            assert prepared.dump() == made.dump()
    finally:
        loop.close()
