"""The registration receipt (comprobanteRegistro): a one-page PDF made with reportlab."""
from __future__ import annotations

import io
from zoneinfo import ZoneInfo

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from ventanilla.domain.invoice import RegisteredInvoice

MADRID = ZoneInfo("Europe/Madrid")


def _lines(invoice: RegisteredInvoice) -> list[tuple[str, str]]:
    key, centres = invoice.key, invoice.centres
    return [
        ("Número de registro", str(invoice.id)),
        ("Fecha y hora de registro", invoice.registered_at.astimezone(MADRID).strftime("%d/%m/%Y %H:%M:%S %Z")),
        ("Proveedor (NIF)", key.supplier_nif),
        ("Destinatario (NIF)", invoice.customer_nif),
        ("Serie", key.series or "(sin serie)"),
        ("Número de factura", key.number),
        ("Fecha de la factura", invoice.issue_date.strftime("%d/%m/%Y")),
        ("Importe total", f"{invoice.total} {invoice.currency}"),
        ("Líquido a pagar", f"{invoice.payable} {invoice.currency}"),
        ("Oficina contable", centres.oficina_contable),
        ("Órgano gestor", centres.organo_gestor),
        ("Unidad tramitadora", centres.unidad_tramitadora),
        ("Versión Facturae", invoice.facturae_version),
        ("SHA-256 de la factura", invoice.facturae.sha256),
    ]


def render_receipt(invoice: RegisteredInvoice, issuer: str) -> bytes:
    """The receipt PDF of a registration (the receipt reference itself is not read)."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    page.setTitle(f"Comprobante de registro {invoice.id}")
    page.setAuthor(issuer)
    width, height = A4
    page.setFont("Helvetica-Bold", 14)
    page.drawString(20 * mm, height - 25 * mm, "Comprobante de registro de factura electrónica")
    page.setFont("Helvetica", 9)
    page.drawString(20 * mm, height - 32 * mm, issuer)
    y = height - 45 * mm
    for label, value in _lines(invoice):
        page.setFont("Helvetica-Bold", 9)
        page.drawString(20 * mm, y, label)
        page.setFont("Courier" if "SHA" in label else "Helvetica", 9)
        page.drawString(70 * mm, y, value)
        y -= 6 * mm
    page.showPage()
    page.save()
    return buffer.getvalue()
