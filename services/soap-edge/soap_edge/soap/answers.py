"""Answers of fixed shape written straight from the backends' messages, byte for byte as spyne writes them.

spyne (`EdgeSoap11.serialize` and lxml) is the reference: `tests/unit/soap_edge/test_direct_answers.py` renders a
wide sample of answers both ways and compares the bytes.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime
from decimal import Decimal
from typing import Iterable

import pybase64

from ventanilla.adapters.invoice_messages import moment
from ventanilla.api.v1 import services_pb2 as pb
from ventanilla.domain.errors import DomainError, ErrorKey

from soap_edge.backends.clients import InvoiceWithReceipt
from soap_edge.soap import faults, mapping, mtom
from soap_edge.soap.contract import TNS

log = logging.getLogger("soap_edge.answers")
_HEAD = (f"<?xml version='1.0' encoding='UTF-8'?>\n<soap11env:Envelope xmlns:soap11env=\"{mtom.SOAP_ENV}\" "
         f'xmlns:tns="{TNS}"><soap11env:Body>')
_TAIL = "</soap11env:Body></soap11env:Envelope>"
_SPECIAL = re.compile("[&<>\r]|" + faults.NOT_XML.pattern)  # to escape, or to refuse


def envelope(operation: str, content: str | list[str]) -> bytes:
    """The whole answer of an operation whose response element holds content (a text, or its pieces in order: joined
    once here, so that a receipt's base64 is copied once, not once per enclosing element)."""
    if not content:
        return f"{_HEAD}<tns:{operation}Response/>{_TAIL}".encode()
    pieces = (content,) if isinstance(content, str) else content
    return "".join((_HEAD, f"<tns:{operation}Response>", *pieces, f"</tns:{operation}Response>", _TAIL)).encode()


def text(value: str) -> str:
    """Element content as lxml escapes it; a character XML cannot carry fails the answer, as it does in spyne."""
    if _SPECIAL.search(value) is None:
        return value
    if not faults.xml_compatible(value):
        log.warning("an answer's text has a character XML cannot carry")
        raise DomainError(ErrorKey.REGISTRO)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def element(name: str, content: str) -> str:
    """<name>content</name>, or <name/> when content is empty (as lxml writes an empty element)."""
    return f"<{name}>{content}</{name}>" if content else f"<{name}/>"


def _state(item: pb.StateItem) -> str:
    state = mapping.estado(item.state)
    return f"<estadoFactura>{state}</estadoFactura>" if state else ""


def respuesta_estado(item: pb.StateItem) -> str:
    """A respuestaEstadoFactura: the state and the remarks, each omitted when empty."""
    remarks = f"<observaciones>{text(item.remarks)}</observaciones>" if item.remarks else ""
    return element("respuestaEstadoFactura", _state(item) + remarks)


def estado(item: pb.StateItem) -> str:
    """consultarEstadoFactura's content: the state alone."""
    state = mapping.estado(item.state)
    return f"<return>{state}</return>" if state else ""


def grupo(ids: Iterable[int], items: Iterable[pb.StateItem]) -> str:
    """consultarGrupoEstadosFactura's content: each id echoed, then its error or its state (mapping.grupo_item)."""
    out = []
    for invoice_id, item in zip(ids, items):
        error = mapping.item_error(item)
        if error:
            rest = f"<error>{text(error)}</error>"
        else:
            rest = respuesta_estado(item) if item.state else ""
        out.append(f"<resultadoEstadosFacturas><id>{invoice_id}</id>{rest}</resultadoEstadosFacturas>")
    return "".join(out)


def factura(answer: pb.SubmitInvoiceResponse | InvoiceWithReceipt, name: str,
            parts: list[tuple[str, bytes]] | None) -> list[str]:
    """A FacturaExtendidaV2 of an answer's invoice and receipt_pdf as element `name`, in pieces (`envelope` joins
    them): each element in spyne's order, an empty one omitted, as mapping.factura_values decides (both checked
    against spyne's bytes in tests/unit/soap_edge/test_direct_answers.py); with parts (MTOM) the receipt is appended
    there and an xop:Include stands in its place, else it is inline base64."""
    invoice, pdf = answer.invoice, answer.receipt_pdf
    key, centres = invoice.key, invoice.centres
    out = [f"<{name}>"]
    if invoice.id:
        out.append(f"<id>{invoice.id}</id>")  # an int64: str(Decimal(id)) is str(id)
    _put(out, "serie", key.series)
    _put(out, "numero", key.number)
    _put(out, "nifProveedor", key.supplier_nif)
    _put(out, "nifCliente", invoice.customer_nif)
    if invoice.issue_date:
        out.append(f"<fechaFactura>{datetime.isoformat(mapping.day(invoice.issue_date))}</fechaFactura>")
    _moment(out, "fechaFirma", invoice, "signed_at")
    _put(out, "moneda", invoice.currency)
    if invoice.total:
        out.append(f"<total>{Decimal(invoice.total)!s}</total>")
    if invoice.payable:
        out.append(f"<liquido>{Decimal(invoice.payable)!s}</liquido>")
    _put(out, "versionFacturaE", invoice.facturae_version)
    if pdf:
        if parts is None:  # SIMD base64: ~1 µs for a 31 KB receipt, 48 with base64
            out += ("<comprobanteRegistro>", pybase64.b64encode_as_string(pdf), "</comprobanteRegistro>")
        else:
            parts.append((cid := mtom.new_cid(), pdf))
            out.append(f"<comprobanteRegistro>{mtom.include(cid)}</comprobanteRegistro>")
    _moment(out, "fechaRegistro", invoice, "registered_at")
    if invoice.state:
        out.append(f"<estadoFactura>{mapping.estado(invoice.state)}</estadoFactura>")
    _put(out, "observacionesAnulacion", invoice.cancellation_reason)
    _moment(out, "fechaAnulacion", invoice, "cancellation_requested_at")
    _put(out, "oficinaContable", centres.oficina_contable)
    _put(out, "organoGestor", centres.organo_gestor)
    _put(out, "unidadTramitadora", centres.unidad_tramitadora)
    _put(out, "organoProponente", centres.organo_proponente)
    _put(out, "claveTesoreria", invoice.treasury_key)
    _put(out, "observacionesEstado", invoice.state_remarks)
    if len(out) == 1:
        return [f"<{name}/>"]
    out.append(f"</{name}>")
    return out


def _put(out: list[str], tag: str, value: str) -> None:
    """<tag>value</tag> (escaped as lxml does) when value is not empty."""
    if value:
        out.append(f"<{tag}>{text(value)}</{tag}>")


def _moment(out: list[str], tag: str, message, field: str) -> None:
    """<tag>the timestamp field in ISO 8601, UTC</tag> when the message has the field."""
    if message.HasField(field):
        out.append(f"<{tag}>{datetime.isoformat(moment(getattr(message, field)))}</{tag}>")
