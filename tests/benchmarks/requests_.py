"""The SOAP requests the benchmarks send, built once before the clock starts."""
from __future__ import annotations

import ssl
from typing import Mapping
from urllib.parse import urlsplit

from lxml import etree

from tests.e2e import soap
from tests.support.invoices import UNSIGNED, fresh_invoice

from .loadgen import connection_to

XML = "text/xml; charset=utf-8"


def estado(invoice_id: int) -> tuple[str, bytes]:
    """consultarEstadoFactura of one id."""
    return XML, soap.envelope("consultarEstadoFactura", f"<idFactura>{invoice_id}</idFactura>")


def factura(invoice_id: int) -> tuple[str, bytes]:
    """consultarFactura of one id."""
    return XML, soap.envelope("consultarFactura", f"<idFactura>{invoice_id}</idFactura>")


def version() -> tuple[str, bytes]:
    """version: the edge alone, no backend call."""
    return XML, soap.envelope("version", "")


def enviar_mtom(size: int, sample: str = UNSIGNED[0]) -> tuple[str, bytes]:
    """enviarFactura over MTOM of a fresh invoice of about `size` bytes."""
    return soap.enviar_mtom(fresh_invoice(sample, pad_to=size).document)


def register_one(url: str, tls: ssl.SSLContext | None = None) -> int:
    """Register a fresh invoice (as its seller: tls presents the seller's client certificate); its id."""
    content_type, body = soap.enviar_inline(fresh_invoice().document)
    answer = post(url, content_type, body, tls=tls)
    return int(etree.fromstring(answer).findtext(f".//{{{soap.NS}}}enviarFacturaResponse/return/id"))


def post(url: str, content_type: str, body: bytes, tls: ssl.SSLContext | None = None,
         headers: Mapping[str, str] | None = None, timeout: float = 120) -> bytes:
    """POST once on a new connection (https: with the client certificate of tls); the answer's bytes (raises
    unless 200)."""
    connection = connection_to(url, tls, timeout=timeout)
    try:
        connection.request("POST", urlsplit(url).path, body=body,
                           headers={"Content-Type": content_type, **(headers or {})})
        answer = connection.getresponse()
        data = answer.read()
    finally:
        connection.close()
    if answer.status != 200:
        raise RuntimeError(f"{answer.status}: {data[:500]!r}")
    return data
