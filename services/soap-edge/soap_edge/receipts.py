"""GET /comprobantes/{csv}: a receipt for whoever holds its secure verification code."""
from __future__ import annotations

import re
from typing import Callable

from ventanilla.api.v1 import services_pb2 as pb
from ventanilla.config import COMPROBANTES_PATH
from ventanilla.domain.errors import DomainError, ErrorKey

PREFIX = COMPROBANTES_PATH
CSV_SHAPE = re.compile(r"[A-Z2-7]{24}", re.ASCII)
Lookup = Callable[[str], "bytes | None"]
Response = tuple[str, list[tuple[str, str]], list[bytes]]
_NOT_FOUND = b"No existe ning\xc3\xban comprobante con ese c\xc3\xb3digo.\n"


def registry_lookup(backends) -> Lookup:
    """Ask the registry for the receipt of a CSV; None when it has none."""

    def lookup(csv: str) -> bytes | None:
        try:
            return backends.call("registry", "GetReceipt", pb.ReceiptByCsv(csv=csv)).receipt_pdf
        except DomainError as error:
            if error.key is ErrorKey.FACTURA_INVALIDA:  # NOT_FOUND from the registry
                return None
            raise

    return lookup


def _text(status: str, payload: bytes) -> Response:
    return status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(payload)))], [payload]


def receipt_response(path: str, method: str, lookup: Lookup | None) -> Response:
    """The sealed PDF (200), 404 for anything unknown or malformed, 503 when the registry is unreachable."""
    if method not in ("GET", "HEAD"):
        return _text("405 Method Not Allowed", b"Use GET.\n")
    csv = path[len(PREFIX):].strip().upper()
    try:
        pdf = lookup(csv) if lookup is not None and CSV_SHAPE.fullmatch(csv) else None
    except DomainError:
        return _text("503 Service Unavailable", b"Servicio no disponible; int\xc3\xa9ntelo m\xc3\xa1s tarde.\n")
    if pdf is None:
        return _text("404 Not Found", _NOT_FOUND)
    headers = [("Content-Type", "application/pdf"), ("Content-Length", str(len(pdf))),
               ("Content-Disposition", f'inline; filename="comprobante-{csv}.pdf"'),
               ("X-Content-Type-Options", "nosniff"), ("Cache-Control", "private, no-store")]
    return "200 OK", headers, [b"" if method == "HEAD" else pdf]
