"""Unique signed Facturae in a realistic size mix, sent over MTOM or inline, some with PDF annexes."""
from __future__ import annotations

import io
import os
import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Callable

from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from tests.e2e import soap
from tests.support.invoices import UNSIGNED, Invoice, fresh_invoice, unique_number
from tests.support.facturae_signing import sign_facturae

from .target import Target

# (share, smallest, largest) of Facturae sizes in bytes: mostly small invoices, a long tail up to the 8 MB cap.
SIZE_MIX = ((0.70, 20_000, 60_000), (0.20, 60_000, 300_000), (0.07, 300_000, 1_000_000),
            (0.025, 1_000_000, 3_000_000), (0.005, 3_000_000, 7_000_000))
MTOM_SHARE = 0.6  # JAX-WS (Metro, CXF) clients send MTOM; zeep and hand-made clients inline base64
ANNEX_SHARE = 0.15
ANNEX_SIZES = (50_000, 300_000, 1_000_000)
INLINE_LIMIT = 5_000_000  # base64 grows an inline body by 4/3: bigger invoices go over MTOM (8 MB body cap)


@dataclass(frozen=True)
class Submission:
    """One enviarFactura request and the invoice it carries."""

    invoice: Invoice
    mtom: bool
    annexes: int
    content_type: str
    body: bytes

    @property
    def name(self) -> str:
        """The operation name the statistics use."""
        return f"enviarFactura ({'mtom' if self.mtom else 'inline'})"


def draw_size(rng: random.Random) -> int:
    """A Facturae size from SIZE_MIX."""
    point, seen = rng.random(), 0.0
    for share, low, high in SIZE_MIX:
        seen += share
        if point < seen:
            return rng.randint(low, high)
    return rng.randint(*SIZE_MIX[-1][1:])


@cache
def pdf_annex(size: int) -> bytes:
    """A real PDF of about size bytes: a page with an incompressible grey image."""
    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    side = max(16, int(size ** 0.5))
    image = Image.frombytes("L", (side, side), os.urandom(side * side))
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 800, "Albarán de entrega (anexo de prueba de carga)")
    page.drawImage(ImageReader(image), 72, 300, 400, 400)
    page.save()
    return out.getvalue()


def signer_of(target: Target) -> Callable[[bytes], bytes] | None:
    """Sign with the target's signer certificate, key and chain; None when the target gives none (unsigned)."""
    if target.signer_cert is None or target.signer_key is None:
        return None
    certificate = x509.load_pem_x509_certificate(target.signer_cert.read_bytes())
    key = load_pem_private_key(target.signer_key.read_bytes(), password=None)
    chain = tuple(x509.load_pem_x509_certificates(target.signer_chain.read_bytes())) if target.signer_chain else ()
    return lambda document: sign_facturae(document, certificate, key, chain=chain)


class Documents:
    """Makes submissions: every invoice has a fresh number (a business key registers once) and its own signature."""

    def __init__(self, sign: Callable[[bytes], bytes] | None, template: Path | None = None,
                 rng: random.Random | None = None):
        self._sign, self._rng = sign, rng or random.Random()
        self._template = str(template) if template else UNSIGNED[0]

    def submission(self, size: int | None = None, mtom: bool | None = None, annexes: int | None = None) -> Submission:
        """A new submission; what is not given is drawn from the mix."""
        size = draw_size(self._rng) if size is None else size
        mtom = (self._rng.random() < MTOM_SHARE or size > INLINE_LIMIT) if mtom is None else mtom
        if annexes is None:
            annexes = self._rng.choice((1, 1, 2)) if self._rng.random() < ANNEX_SHARE else 0
        invoice = fresh_invoice(self._template, unique_number("L"), pad_to=size, sign=self._sign)
        parts = [(f"anexo{i}.pdf", pdf_annex(self._rng.choice(ANNEX_SIZES))) for i in range(annexes)]
        if mtom:
            content_type, body = soap.enviar_mtom(invoice.document, parts)
        else:
            content_type, body = soap.enviar_inline(invoice.document, parts)
        return Submission(invoice, mtom, annexes, content_type, body)
