"""Registry behaviour seen from SOAP and HTTP: required signatures, sealed receipts, GET /comprobantes/{csv}."""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import requests
from lxml import etree

from tests.support.registry import pdf_csv, pdf_seal_status

from . import soap

pytestmark = pytest.mark.e2e


def _fault_key(response: requests.Response) -> str:
    assert response.status_code == 500, response.text
    fault, _ = soap.parse(response)
    return etree.tostring(fault).decode()


def _face_invoice(sample, sign_invoice) -> bytes:
    """The FACe sample under a fresh invoice number, signed by the session PKI's supplier."""
    root = etree.fromstring(sample("v3.2.2/invopop_invoice-face_unsigned.xml"))
    root.find("Invoices/Invoice/InvoiceHeader/InvoiceNumber").text = f"E2E-{uuid.uuid4().hex[:10]}"
    return sign_invoice(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def test_an_unsigned_invoice_is_refused_when_signatures_are_required(stack, sample):
    response = soap.post(stack.soap_url, *soap.enviar_inline(sample("v3.2.2/omeuid_Facturae-3.2.2-valid.xml")))
    assert "facturae.error.sign.error" in _fault_key(response)


def test_a_schema_violation_is_refused_with_the_first_error(stack, signed_sample):
    response = soap.post(stack.soap_url, *soap.enviar_inline(
        signed_sample("v3.2.2/omeuid_Facturae-3.2.2-esquema-invalido.xml")))
    text = _fault_key(response)
    assert "facturae.error.xml" in text and "InvoiceSeriesCode" in text


def test_the_sealed_receipt_is_served_by_its_csv_to_anyone(stack, sample, sign_invoice):
    response = soap.post(stack.soap_url, *soap.enviar_mtom(
        _face_invoice(sample, sign_invoice), [("anexo.html", b"<!DOCTYPE html><p>hola</p>")]))
    if response.status_code != 200:
        pytest.fail(response.text)
    body, parts = soap.parse(response)
    receipt = soap.binary(body.find(f"{{{soap.NS}}}enviarFacturaResponse/return/comprobanteRegistro"), parts)
    receipt = receipt.rstrip(b"\r\n")
    csv = pdf_csv(receipt)
    served = stack.http.get(f"{stack.comprobantes_url}/{csv}", timeout=30)
    assert served.status_code == 200 and served.headers["Content-Type"] == "application/pdf"
    assert served.content.rstrip(b"\r\n") == receipt
    seal_root = Path(stack.ca).read_bytes()  # `ventanilla run` seals with the dev PKI's seal certificate
    status = pdf_seal_status(served.content, seal_root)
    assert status.bottom_line and status.intact and status.trusted
    seal = stack.settings.path("pki", "seal.pem").read_bytes()
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    assert status.signing_cert.dump() == x509.load_pem_x509_certificate(seal).public_bytes(serialization.Encoding.DER)
    unknown = stack.http.get(f"{stack.comprobantes_url}/{'A' * 24}", timeout=30)
    assert unknown.status_code == 404 and csv not in unknown.text


def test_an_attachment_that_is_not_pdf_or_html_by_content_is_refused(stack, sample, sign_invoice):
    response = soap.post(stack.soap_url, *soap.enviar_mtom(
        _face_invoice(sample, sign_invoice), [("factura.pdf", b"GIF89a not a pdf")]))
    assert "attachment.error.mimeTypeNotAllowed" in _fault_key(response)


def test_an_invoice_without_issue_date_gets_anexo_ii_key_not_the_schema_one(stack, sample, sign_invoice):
    """The stack validates against the XSDs, which refuse a missing IssueDate first: the answer is still
    fechaFactura.void, with the schema's message as detail."""
    root = etree.fromstring(sample("v3.2.2/invopop_invoice-face_unsigned.xml"))
    root.find("Invoices/Invoice/InvoiceHeader/InvoiceNumber").text = f"E2E-{uuid.uuid4().hex[:10]}"
    issue = root.find("Invoices/Invoice/InvoiceIssueData/IssueDate")
    issue.getparent().remove(issue)
    document = sign_invoice(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    text = _fault_key(soap.post(stack.soap_url, *soap.enviar_inline(document)))
    assert "facturae.error.validation.fechaFactura.void" in text and "Expected is ( IssueDate )" in text
