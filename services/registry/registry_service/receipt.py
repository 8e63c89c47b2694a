"""The registration receipt (comprobanteRegistro): a one-page PDF made with reportlab, sealed (PAdES)."""
from __future__ import annotations

import base64
import io
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Callable
from zoneinfo import ZoneInfo

import zxingcpp
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas, textobject

from ventanilla.domain.invoice import RegisteredInvoice
from registry_service.seal import ReceiptSeal

QR_SIZE = 32 * mm
QR_QUIET_ZONE = 4  # modules of white around the code (ISO/IEC 18004)
QR_ERROR_LEVEL = "M"
_DARK_RUN = re.compile(rb"\x00+")  # a run of dark modules in a row of the code's image (0 dark, 255 light)


@dataclass(frozen=True)
class Sede:
    """Who issues the receipts, the entry point's time zone, and where anyone verifies a receipt by its CSV."""

    issuer: str
    zone: ZoneInfo
    verification_url: Callable[[str], str]  # CSV -> URL (EdgeSettings.receipt_url)


def new_csv() -> str:
    """A secure verification code: 120 random bits in 24 base32 characters (stored, never derived)."""
    return base64.b32encode(secrets.token_bytes(15)).decode("ascii")


def local_time(moment: datetime, zone: ZoneInfo) -> str:
    """A moment in the entry point's zone, with the zone's abbreviation, its UTC offset and its name."""
    local = moment.astimezone(zone)
    offset = local.strftime("%z")
    return f"{local:%d/%m/%Y %H:%M:%S} {local:%Z} (UTC{offset[:3]}:{offset[3:]}, {zone.key})"


def _party(name: str, nif: str) -> str:
    return f"{name[:70]} (NIF {nif})" if name else nif


def _lines(invoice: RegisteredInvoice, csv: str, names: tuple[str, str], sede: Sede,
           sealed_at: datetime) -> list[tuple[str, str]]:
    key, centres = invoice.key, invoice.centres
    return [
        ("Número de registro", str(invoice.id)),
        ("Fecha y hora de registro", local_time(invoice.registered_at, sede.zone)),
        ("Fecha de firma (sello)", local_time(sealed_at, sede.zone)),
        ("Proveedor", _party(names[0], key.supplier_nif)),
        ("Destinatario", _party(names[1], invoice.customer_nif)),
        ("Serie", key.series or "(sin serie)"),
        ("Número de factura", key.number),
        ("Fecha de la factura", invoice.issue_date.strftime("%d/%m/%Y")),
        ("Firma de la factura", local_time(invoice.signed_at, sede.zone) if invoice.signed_at else "(sin firma)"),
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


def qr_code(url: str) -> zxingcpp.Barcode:
    """The receipt's QR code of a verification URL, level M (zxing-cpp's creator, libzint: segno's pure-Python
    encoding cost ~1 ms a receipt, docs/benchmarks.md)."""
    return zxingcpp.create_barcode(url, zxingcpp.BarcodeFormat.QRCode, ec_level=QR_ERROR_LEVEL)


def qr_rows(code: zxingcpp.Barcode) -> list[bytes]:
    """The code's modules, one byte each (0 dark, 255 light), row by row from the top, without a quiet zone."""
    image = memoryview(code.to_image(scale=1, add_quiet_zones=False))
    modules, stride = image.tobytes(), image.shape[1]  # tobytes() is C order: the rows one after the other
    return [modules[at:at + stride] for at in range(0, len(modules), stride)]


def _qr(page: canvas.Canvas, url: str, x: float, y: float) -> None:
    """The verification URL as a QR code (level M) of QR_SIZE with its lower left corner at (x, y): one filled
    path of its dark modules' row runs, in a coordinate system of one unit per module so that every coordinate is a
    small integer (libzint encodes; a shape per module cost reportlab ~30 ms, a rectangle per run in page coordinates
    ~1 ms of number formatting, docs/benchmarks.md)."""
    matrix = qr_rows(qr_code(url))
    side = len(matrix) + 2 * QR_QUIET_ZONE
    module = QR_SIZE / side
    runs = []
    for row, line in enumerate(matrix):
        bottom = side - QR_QUIET_ZONE - row - 1
        runs += [f"{QR_QUIET_ZONE + run.start()} {bottom} {run.end() - run.start()} 1 re"
                 for run in _DARK_RUN.finditer(line)]
    page.saveState()
    page.transform(module, 0, 0, module, x, y)
    page.addLiteral("\n".join(runs) + "\nf")
    page.restoreState()


def _line(text: textobject.PDFTextObject, x: float, y: float, font: str, size: float, line: str) -> None:
    """One line of text in the page's text object, at (x, y) in font and size."""
    text.setFont(font, size)
    text.setTextOrigin(x, y)
    text.textOut(line)


def render_receipt(invoice: RegisteredInvoice, sede: Sede, csv: str, sealed_at: datetime,
                   names: tuple[str, str] = ("", "")) -> bytes:
    """The unsealed receipt PDF of a registration, to be sealed at sealed_at (printed as fechaFirma)."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    page.setTitle(f"Comprobante de registro {invoice.id}")
    page.setAuthor(sede.issuer)
    page.setSubject(f"CSV {csv}")
    width, height = A4
    text = page.beginText()  # every line in one text object (a drawString each made one, with its own BT … ET)
    _line(text, 20 * mm, height - 25 * mm, "Helvetica-Bold", 14, "Comprobante de registro de factura electrónica")
    _line(text, 20 * mm, height - 32 * mm, "Helvetica", 9, sede.issuer)
    y = height - 45 * mm
    for label, value in _lines(invoice, csv, names, sede, sealed_at):
        _line(text, 20 * mm, y, "Helvetica-Bold", 9, label)
        _line(text, 70 * mm, y, "Courier" if label.startswith(("SHA", "Código")) else "Helvetica", 9, value)
        y -= 6 * mm
    url = sede.verification_url(csv)
    text_x = 20 * mm + QR_SIZE + 6 * mm
    _line(text, text_x, y - 8 * mm, "Helvetica", 8, "Compruebe este comprobante con su código seguro de verificación en:")
    _line(text, text_x, y - 13 * mm, "Courier", 7, url)
    _line(text, text_x, y - 19 * mm, "Helvetica", 8, "o con el código QR de la izquierda.")
    _line(text, text_x, y - 26 * mm, "Helvetica", 8, "Documento sellado electrónicamente (PAdES) con el sello de registro.")
    page.drawText(text)
    _qr(page, url, 20 * mm, y - QR_SIZE - 2 * mm)
    page.linkURL(url, (text_x, y - 14 * mm, width - 15 * mm, y - 10 * mm), relative=0)
    page.showPage()
    page.save()
    return buffer.getvalue()


class ReceiptIssuer:
    """Renders and seals receipts."""

    def __init__(self, seal: ReceiptSeal, sede: Sede, clock):
        self._seal = seal
        self._sede = sede
        self._clock = clock

    def __call__(self, invoice: RegisteredInvoice, csv: str, names: tuple[str, str] = ("", "")) -> bytes:
        """The sealed receipt PDF; names are the supplier's and the customer's as the Facturae states them."""
        sealed_at = self._clock.now().replace(microsecond=0)  # a PDF date has whole seconds
        return self._seal.seal(render_receipt(invoice, self._sede, csv, sealed_at, names), sealed_at)
