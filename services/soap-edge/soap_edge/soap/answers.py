"""Answers of fixed shape written straight from the backends' messages, byte for byte as spyne writes them.

spyne (`EdgeSoap11.serialize` and lxml) is the reference: `tests/unit/soap_edge/test_direct_answers.py` renders a
wide sample of answers both ways and compares the bytes.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Iterable

import pybase64
from spyne import ByteArray, DateTime
from spyne.model.primitive import Decimal as DecimalModel

from ventanilla.api.v1 import services_pb2 as pb
from ventanilla.domain.errors import DomainError, ErrorKey

from soap_edge.backends.clients import InvoiceWithReceipt
from soap_edge.soap import faults, mapping, mtom
from soap_edge.soap.contract import TNS, FacturaExtendidaV2

log = logging.getLogger("soap_edge.answers")
_HEAD = (f"<?xml version='1.0' encoding='UTF-8'?>\n<soap11env:Envelope xmlns:soap11env=\"{mtom.SOAP_ENV}\" "
         f'xmlns:tns="{TNS}"><soap11env:Body>')
_TAIL = "</soap11env:Body></soap11env:Envelope>"
_SPECIAL = re.compile("[&<>\r]|" + faults.NOT_XML.pattern)  # to escape, or to refuse


def envelope(operation: str, content: str) -> bytes:
    """The whole answer of an operation whose response element holds content."""
    response = (f"<tns:{operation}Response>{content}</tns:{operation}Response>" if content
                else f"<tns:{operation}Response/>")
    return f"{_HEAD}{response}{_TAIL}".encode()


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
            parts: list[tuple[str, bytes]] | None) -> str:
    """A FacturaExtendidaV2 (mapping.factura) of an answer's invoice and receipt_pdf as element `name`; with parts
    (MTOM) the receipt is appended there and an xop:Include stands in its place, else it is inline base64."""
    values, out = mapping.factura_values(answer.invoice, answer.receipt_pdf), []
    for field, kind in _factura_fields():
        content = values[field]
        if content is None:
            continue
        if kind is ByteArray:
            data = b"".join(content)
            if parts is None:
                written = pybase64.b64encode_as_string(data)  # SIMD: ~1 µs for a 31 KB receipt, 48 with base64
            else:
                parts.append((cid := mtom.new_cid(), data))
                written = mtom.include(cid)
        elif kind is DateTime:
            written = datetime.isoformat(content)
        elif kind is DecimalModel:
            written = str(Decimal(content))
        else:
            written = text(str(content))
        out.append(element(field, written))
    return element(name, "".join(out))


@cache
def _factura_fields() -> tuple[tuple[str, type], ...]:
    """FacturaExtendidaV2's elements in spyne's order, each with the spyne primitive that decides its form."""
    kinds = (ByteArray, DateTime, DecimalModel)
    return tuple((name, next((k for k in kinds if issubclass(model, k)), str))
                 for name, model in FacturaExtendidaV2.get_flat_type_info(FacturaExtendidaV2).items())
