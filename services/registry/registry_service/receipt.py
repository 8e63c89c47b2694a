"""The registration receipt (comprobanteRegistro): a one-page PDF made with reportlab, sealed (PAdES)."""
from __future__ import annotations

import base64
import io
import secrets
from zoneinfo import ZoneInfo

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from ventanilla.domain.invoice import RegisteredInvoice
from registry_service.seal import ReceiptSeal

MADRID = ZoneInfo("Europe/Madrid")


def new_csv() -> str:
    """A secure verification code: 120 random bits in 24 base32 characters (stored, never derived)."""
    return base64.b32encode(secrets.token_bytes(15)).decode("ascii")


def _party(name: str, nif: str) -> str:
    return f"{name[:70]} (NIF {nif})" if name else nif


def _lines(invoice: RegisteredInvoice, csv: str, names: tuple[str, str]) -> list[tuple[str, str]]:
    key, centres = invoice.key, invoice.centres
    return [
        ("Número de registro", str(invoice.id)),
        ("Fecha y hora de registro", invoice.registered_at.astimezone(MADRID).strftime("%d/%m/%Y %H:%M:%S %Z")),
        ("Proveedor", _party(names[0], key.supplier_nif)),
        ("Destinatario", _party(names[1], invoice.customer_nif)),
        ("Serie", key.series or "(sin serie)"),
        ("Número de factura", key.number),
        ("Fecha de la factura", invoice.issue_date.strftime("%d/%m/%Y")),
        ("Importe total", f"{invoice.total} {invoice.currency}"),
        ("Líquido a pagar", f"{invoice.payable} {invoice.currency}"),
        ("Oficina contable", centres.oficina_contable),
        ("Órgano gestor", centres.organo_gestor),
        ("Unidad tramitadora", centres.unidad_tramitadora),
        ("Órgano proponente", centres.organo_proponente or "(no indicado)"),
        ("Versión Facturae", invoice.facturae_version),
        ("SHA-256 de la factura", invoice.facturae.sha256),
        ("Código seguro de verificación", csv),
    ]


def render_receipt(invoice: RegisteredInvoice, issuer: str, csv: str, names: tuple[str, str] = ("", "")) -> bytes:
    """The unsealed receipt PDF of a registration (the receipt reference itself is not read)."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    page.setTitle(f"Comprobante de registro {invoice.id}")
    page.setAuthor(issuer)
    page.setSubject(f"CSV {csv}")
    width, height = A4
    page.setFont("Helvetica-Bold", 14)
    page.drawString(20 * mm, height - 25 * mm, "Comprobante de registro de factura electrónica")
    page.setFont("Helvetica", 9)
    page.drawString(20 * mm, height - 32 * mm, issuer)
    y = height - 45 * mm
    for label, value in _lines(invoice, csv, names):
        page.setFont("Helvetica-Bold", 9)
        page.drawString(20 * mm, y, label)
        page.setFont("Courier" if label.startswith(("SHA", "Código")) else "Helvetica", 9)
        page.drawString(70 * mm, y, value)
        y -= 6 * mm
    page.setFont("Helvetica", 8)
    page.drawString(20 * mm, y - 6 * mm, f"Compruebe este comprobante en GET /comprobantes/{csv} de la sede de registro.")
    page.drawString(20 * mm, y - 11 * mm, "Documento sellado electrónicamente (PAdES) con el sello de registro.")
    page.showPage()
    page.save()
    return buffer.getvalue()


class ReceiptIssuer:
    """Renders and seals receipts."""

    def __init__(self, seal: ReceiptSeal, issuer: str):
        self._seal = seal
        self._issuer = issuer

    def __call__(self, invoice: RegisteredInvoice, csv: str, names: tuple[str, str] = ("", "")) -> bytes:
        """The sealed receipt PDF; names are the supplier's and the customer's as the Facturae states them."""
        return self._seal.seal(render_receipt(invoice, self._issuer, csv, names))
